"""Scripted faults: which one, if any, a request meets.

Faults are data (a scenario's ``faults``): a closed set of named behaviours that the
HTTP layer (:mod:`mockidp.asgi`) interprets. This module only decides which fault
applies; it never builds a response.

Each fault counts, on its own, the calls its ``match`` fits (a call it does not fit is
not counted). The count lives in the State, so processes sharing a store share counts,
and ``Provider.reset()`` starts them again. ``when`` then picks calls by that count
(:func:`mockidp.oauth.scripted.rules.selected`). When several faults pick the same call, the first one
listed applies; the others have still counted it.
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from functools import cached_property
from typing import Any

from msgspec import Struct, field

from mockidp.errors import (
    InsufficientScope,
    InvalidClient,
    InvalidToken,
    OAuthError,
    ServerError,
    TemporarilyUnavailable,
)
from mockidp.model.scenario import DEVICE_CODE_GRANT, Fault, RequestMatch, Scenario
from mockidp.oauth.records import (
    ACCESS,
    CODE,
    DEVICE,
    INTERACTION,
    REFRESH,
    SESSION,
    UNTIL_RESET,
    token_handle,
)
from mockidp.oauth.scripted.rules import counts_calls, selected
from mockidp.store.state import State
from mockidp.types import JSONObject

FAULT_CALLS = "faultcalls"
"""The State kind of the per-fault call counters."""
"""Counters outlive any test run, even one that moves the provider's clock far ahead."""

MALFORMED_BODY = b'{"mockidp": "malformed_body fault", this is not JSON'
"""The body a ``malformed_body`` fault answers in place of the real one."""

_ERRORS: dict[str, type[OAuthError]] = {
    cls.error: cls
    for cls in (InvalidClient, InvalidToken, InsufficientScope, ServerError, TemporarilyUnavailable)
}


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


def pick(scenario: Scenario, state: State, call: Call) -> Fault | None:
    """The fault to apply to ``call``, or None; counts the call for every fault it fits."""
    if not scenario.faults:
        return None
    facts = _Facts(scenario, state, call)
    chosen: Fault | None = None
    for index, fault in enumerate(scenario.faults):
        if not facts.fits(fault.match):
            continue
        if counts_calls(fault.when):
            count = state.increment(FAULT_CALLS, counter_id(index, fault), ttl=UNTIL_RESET)
            picked = selected(fault.when, count)
        else:
            picked = True
        if picked and chosen is None:
            chosen = fault
    return chosen


def scripted_error(spec: JSONObject) -> OAuthError:
    """The error an ``oauth_error`` fault answers.

    Without ``status``: what mockidp answers for that code anyway (401 invalid_client and
    invalid_token, 403 insufficient_scope, 500 server_error, 503 temporarily_unavailable),
    else 400 (RFC 6749 5.2). The error's class decides the challenge the HTTP layer adds:
    ``Basic`` for a 401 invalid_client, ``Bearer`` for invalid_token and insufficient_scope.
    """
    code = str(spec["error"])
    cls = _ERRORS.get(code, OAuthError)
    status = int(spec.get("status", cls.status))
    if cls is InvalidClient and status != 401:
        cls = OAuthError  # RFC 6749 5.2: the Basic challenge goes with a 401 only
    error = cls(str(spec.get("description", "")), status=status)
    error.error = code
    return error


def counter_id(index: int, fault: Fault) -> str:
    """The counter of the ``index``-th fault: a scenario swapped in with other faults
    counts afresh, and every process loading the same file shares the counter."""
    digest = hashlib.sha256(repr(fault).encode("utf-8")).hexdigest()[:16]
    return f"{index}:{digest}"


class _Facts:
    """What a call says about its client, user and scopes; store look-ups done lazily."""

    def __init__(self, scenario: Scenario, state: State, call: Call) -> None:
        self.scenario = scenario
        self.state = state
        self.call = call

    def fits(self, match: RequestMatch) -> bool:
        call = self.call
        if match.endpoints and call.endpoint not in match.endpoints:
            return False
        if match.grant_types and call.params.get("grant_type") not in match.grant_types:
            return False
        if any(call.params.get(k) != v for k, v in match.params.items()):
            return False
        if match.client_ids and self.client_id not in match.client_ids:
            return False
        if match.scopes and not set(match.scopes) & set(self.scopes):
            return False
        if match.users:
            user = self.user
            if user is None:
                return False
            return self._canonical(user) in {self._canonical(u) for u in match.users}
        return True

    def _canonical(self, login: str) -> str:
        """The subject a login names: a sub, a username, or (as login_hint may) an email."""
        user = self.scenario.user(login)
        if user is None:
            user = next((u for u in self.scenario.users if u.claims.get("email") == login), None)
        return user.sub if user is not None else login

    @property
    def client_id(self) -> str | None:
        if self.call.client_id is not None:
            return self.call.client_id
        client_id = self._interaction_request.get("client_id")
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
    def user(self) -> str | None:
        """The user the request is about, when it can be known without side effects."""
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
        return self.state.get(kind, token_handle(value)) or {}

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
