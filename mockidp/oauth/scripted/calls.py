"""What a request says about itself, before its endpoint runs: the facts a fault's
``match`` is compared with (:class:`mockidp.oauth.scripted.rules.Facts`).

The client, scopes and user of a call may be behind what it presents (a code, a refresh
or access token, a login page's interaction, the session cookie): they are looked up in
the State only when a rule asks, and only peeked at, never taken.
"""

from __future__ import annotations

from collections.abc import Mapping
from functools import cached_property
from typing import Any

from msgspec import Struct, field

from mockidp.model.scenario import DEVICE_CODE_GRANT, Scenario, User
from mockidp.oauth.records import (
    ACCESS,
    CODE,
    DEVICE,
    INTERACTION,
    REFRESH,
    SESSION,
    token_handle,
)
from mockidp.store.state import State
from mockidp.types import JSONObject


class Call(Struct, frozen=True):
    """One request as faults see it, before its endpoint runs.

    ``params`` are the query and form parameters together; ``client_id`` comes from
    them or from Basic credentials; ``session_id`` is the browser session cookie and
    ``bearer`` the access token of an ``Authorization: Bearer`` header.
    """

    endpoint: str
    method: str
    params: Mapping[str, str] = field(default_factory=dict)
    client_id: str | None = None
    session_id: str | None = None
    bearer: str | None = None


class CallFacts:
    """What a call says about its client, user and scopes; store look-ups done lazily."""

    def __init__(self, scenario: Scenario, state: State, call: Call) -> None:
        self.scenario = scenario
        self.state = state
        self.call = call

    @property
    def endpoint(self) -> str:
        return self.call.endpoint

    @property
    def grant_type(self) -> str | None:
        return self.call.params.get("grant_type")

    @property
    def params(self) -> Mapping[str, str]:
        return self.call.params

    @property
    def client_id(self) -> str | None:
        """The client that calls, else the one the login page or token is for."""
        if self.call.client_id is not None:
            return self.call.client_id
        client_id = self._interaction_request.get("client_id") or self._record.get("client_id")
        return client_id if isinstance(client_id, str) else None

    @cached_property
    def scopes(self) -> tuple[str, ...]:
        requested = self.call.params.get("scope")
        if requested is not None:
            return tuple(requested.split())
        scope = self._record.get("scope") or self._interaction_request.get("scope")
        if isinstance(scope, str):
            return tuple(scope.split())
        if isinstance(scope, list | tuple):
            return tuple(str(s) for s in scope)
        return ()

    @cached_property
    def user(self) -> User | None:
        """The user the request is about, when it can be known without side effects: the
        scripted user its login names, else one whose subject is that login."""
        login = self._login
        if login is None:
            return None
        return self.scenario.named_user(login) or User(sub=login, username=login)

    @property
    def _login(self) -> str | None:
        """How the request names its user: a login it sends, or the subject behind it."""
        params = self.call.params
        endpoint = self.call.endpoint
        for named in (
            params.get("username"),  # the password grant
            params.get("login") if endpoint == "login" else None,  # the login page's form
            params.get("login_hint"),
        ):
            if named:
                return named
        found = self._record.get("uid") or self._record.get("sub")
        if isinstance(found, str):
            return found
        session_id = self.call.session_id
        if endpoint == "consent":
            sid = self._interaction.get("sid")
            session_id = sid if isinstance(sid, str) else None
        if session_id and endpoint in ("authorization", "consent"):
            session = self.state.get(SESSION, session_id) or {}
            sub = session.get("sub")
            return sub if isinstance(sub, str) else None
        return None

    @cached_property
    def _record(self) -> JSONObject:
        """The record behind the code or token the request presents, peeked, not taken."""
        params = self.call.params
        endpoint = self.call.endpoint
        if endpoint == "token":
            grant_type = params.get("grant_type")
            if grant_type == "authorization_code" and params.get("code"):
                return self._peek(CODE, params["code"])
            if grant_type == "refresh_token" and params.get("refresh_token"):
                return self._peek(REFRESH, params["refresh_token"])
            if grant_type == DEVICE_CODE_GRANT and params.get("device_code"):
                return self._peek(DEVICE, params["device_code"])
        elif endpoint == "userinfo":
            token = self.call.bearer or params.get("access_token")
            if token:
                return self._peek(ACCESS, token)
        elif endpoint in ("introspection", "revocation") and params.get("token"):
            kinds = (REFRESH, ACCESS)
            if params.get("token_type_hint") != "refresh_token":
                kinds = (ACCESS, REFRESH)
            for kind in kinds:
                record = self._peek(kind, params["token"])
                if record:
                    return record
        return {}

    def _peek(self, kind: str, value: str) -> JSONObject:
        record = self.state.get(kind, token_handle(value)) or {}
        claims = record.get("claims")
        if isinstance(claims, dict):  # an access token's record: its claims, then its fields
            return {**claims, **record}
        return record

    @cached_property
    def _interaction(self) -> JSONObject:
        """The parked authorization request a login or consent page posts back to."""
        iid = self.call.params.get("interaction")
        if self.call.endpoint not in ("login", "consent") or not iid:
            return {}
        return self.state.get(INTERACTION, iid) or {}

    @property
    def _interaction_request(self) -> dict[str, Any]:
        request = self._interaction.get("request")
        return request if isinstance(request, dict) else {}
