"""The device authorization grant (RFC 8628) as plain Python: no HTTP here.

Three parts: the device authorization endpoint (:func:`authorize_device`), the
verification page's steps (:class:`DeviceVerification`), and the token endpoint's
polling (:func:`poll`, in ``grants.GRANTS``). Records, all but two under the hash of
the device code:

- ``Device``: the request; kept a while past its expiry so a late poll hears
  ``expired_token`` rather than ``invalid_grant``.
- ``UserCode`` (by the normalised user code): which device code it belongs to.
- ``DeviceDecision``: approve or deny and who; written with ``add``, so the first answer wins.
- ``DevicePace``: when the client last polled and the interval it must keep (slow_down).
- ``DEVICE_POLLS`` (a counter): how many polls came (the scenario's ``after_polls``).
- ``DeviceRedeemed``: added by the one poll that gets tokens, so racing polls cannot both win.
- ``VerificationPage`` (by a random id): one browser's way through the verification page.
"""

from __future__ import annotations

import secrets

from msgspec import Struct

from mockidp.errors import (
    AccessDenied,
    InvalidGrant,
    InvalidRequest,
    OAuthError,
    PageError,
    ServerError,
    UnauthorizedClient,
)
from mockidp.model.scenario import DEVICE_CODE_GRANT, Client, DeviceFlow, User
from mockidp.oauth import records
from mockidp.oauth.context import TokenRequest
from mockidp.oauth.deps import Deps
from mockidp.oauth.records import (
    DEVICE_POLLS,
    Device,
    DeviceDecision,
    DevicePace,
    DeviceRedeemed,
    Session,
    UserCode,
    VerificationPage,
    random_token,
    token_handle,
)
from mockidp.oauth.signin import session as browser_session
from mockidp.oauth.signin.users import find_user
from mockidp.oauth.tokens.issuance import issue_user_grant, new_grant
from mockidp.oauth.tokens.minting import Authorization
from mockidp.oauth.tokens.scopes import requested_scopes
from mockidp.oauth.urls import add_query
from mockidp.types import JSONObject, Params

RETAIN = 3600
"""Seconds a device code's records outlive its expiry (for ``expired_token``)."""
SLOW_DOWN_STEP = 5
"""RFC 8628 3.5: each slow_down adds 5 seconds to the interval."""

MAX_USER_CODE = 32
"""The longest user code ``device.user_code_length`` allows."""

ALPHABETS = {
    # RFC 8628 6.1: base-20 consonants, no vowels (no words) and no look-alikes
    "consonants": "BCDFGHJKLMNPQRSTVWXZ",
    "digits": "0123456789",
}


class AuthorizationPending(OAuthError):
    """RFC 8628 3.5: the user has not answered yet; keep polling."""

    error = "authorization_pending"


class SlowDown(OAuthError):
    """RFC 8628 3.5: still pending, and the client polls too fast (interval + 5 s)."""

    error = "slow_down"


class ExpiredToken(OAuthError):
    """RFC 8628 3.5: the device code expired; the client may start again."""

    error = "expired_token"


def normalise_user_code(raw: str) -> str:
    """RFC 8628 6.1: compare case-insensitively, ignoring dashes, spaces and punctuation."""
    return "".join(ch for ch in raw.upper() if ch.isalnum())


def display_user_code(code: str) -> str:
    """The code as users read it: groups of four joined by dashes (BCDF-GHJK)."""
    if len(code) <= 5:
        return code
    return "-".join(code[i : i + 4] for i in range(0, len(code), 4))


# -- the device authorization endpoint (RFC 8628 3.1, 3.2) ----------------------------


def authorize_device(
    deps: Deps, client: Client, params: Params, *, verification_uri: str
) -> JSONObject:
    """A device code and user code for an authenticated (or public, named) client."""
    _allowed(client)
    scope = requested_scopes(deps.scenario, client, params.get("scope"))
    flow = deps.scenario.device_for(client)
    lifetime = deps.scenario.lifetimes_for(client, None).device_code
    device_code = random_token(32)
    handle = token_handle(device_code)
    user_code = _new_user_code(deps, flow, handle, ttl=lifetime)
    record = Device(
        client_id=client.client_id,
        scope=scope,
        user_code=user_code,
        expires_at=deps.state.now() + lifetime,
        interval=flow.interval,
    )
    records.put(deps.state, handle, record, ttl=lifetime + RETAIN)
    shown = display_user_code(user_code)
    response: JSONObject = {
        "device_code": device_code,
        "user_code": shown,
        "verification_uri": verification_uri,
    }
    if flow.verification_uri_complete:
        response["verification_uri_complete"] = add_query(verification_uri, {"user_code": shown})
    response["expires_in"] = lifetime
    response["interval"] = flow.interval
    return response


def _allowed(client: Client) -> None:
    if DEVICE_CODE_GRANT not in client.grant_types:
        raise UnauthorizedClient(
            f"client {client.client_id!r} may not use the device authorization grant "
            f"(add {DEVICE_CODE_GRANT} to its grant_types)"
        )


def _new_user_code(deps: Deps, flow: DeviceFlow, handle: str, *, ttl: float) -> str:
    alphabet = ALPHABETS[flow.user_code_alphabet]
    for _ in range(20):  # a clash with a live code is rare; try another
        code = "".join(secrets.choice(alphabet) for _ in range(flow.user_code_length))
        if records.add(deps.state, code, UserCode(device=handle), ttl=ttl):
            return code
    raise ServerError("no free user code; make device.user_code_length longer")


# -- polling the token endpoint (RFC 8628 3.4, 3.5) -----------------------------------


def poll(deps: Deps, client: Client, request: TokenRequest, issuer: str) -> JSONObject:
    """The token endpoint's ``urn:ietf:params:oauth:grant-type:device_code`` grant."""
    params = request.params
    _allowed(client)
    device_code = params.get("device_code")
    if device_code is None:
        raise InvalidRequest("device_code is missing")
    handle = token_handle(device_code)
    record = records.get(deps.state, Device, handle)
    if record is None:
        raise InvalidGrant("device_code is unknown", reason="device_code")
    if record.client_id != client.client_id:
        raise InvalidGrant("device_code was issued to another client", reason="device_code")
    now = deps.state.now()
    if now >= record.expires_at:
        raise ExpiredToken("device_code has expired; start a new device authorization request")
    if records.get(deps.state, DeviceRedeemed, handle) is not None:
        raise InvalidGrant("device_code was already used", reason="device_code")
    ttl = _remaining(record, now)
    polls = deps.state.increment(DEVICE_POLLS, handle, ttl=ttl)
    decision = records.get(deps.state, DeviceDecision, handle) or _scripted(
        deps, client, handle, polls, ttl
    )
    if decision is None:
        _pace(deps, handle, record, now, ttl)
        raise AuthorizationPending("the user has not approved or denied the request yet")
    if decision.decision != "approve" or decision.sub is None:
        # RFC 8628 3.5 / RFC 6749 5.2: a token error response is a 400
        raise AccessDenied("the user denied the authorization request", status=400)
    if not records.add(deps.state, handle, DeviceRedeemed(), ttl=ttl):  # another poll won
        raise InvalidGrant("device_code was already used", reason="device_code")
    records.delete(deps.state, UserCode, record.user_code)
    user = deps.scenario.user_or_adhoc(decision.sub)
    auth = Authorization(
        client,
        user,
        record.scope,
        new_grant(deps, client, user),
        auth_time=decision.auth_time,
        sid=decision.sid,
        grant_type=DEVICE_CODE_GRANT,
        params=params,
        dpop_jkt=request.dpop_jkt,
    )
    return issue_user_grant(deps, auth, issuer=issuer)


def _remaining(record: Device, now: float) -> float:
    return max(record.expires_at + RETAIN - now, 1.0)


def _scripted(
    deps: Deps, client: Client, handle: str, polls: int, ttl: float
) -> DeviceDecision | None:
    """The scenario's own answer, once ``after_polls`` polls have heard pending."""
    flow = deps.scenario.device_for(client)
    if flow.decision == "page" or polls <= flow.after_polls:
        return None
    user = deps.scenario.user(flow.user) if flow.user else deps.scenario.default
    if user is None and flow.decision == "approve":
        raise ServerError("the scenario's device.decision is approve, but names no user")
    answer = DeviceDecision(
        decision=flow.decision, sub=user.sub if user else None, auth_time=int(deps.state.now())
    )
    records.add(deps.state, handle, answer, ttl=ttl)
    # the first answer, should the page have won
    return records.get(deps.state, DeviceDecision, handle)


def _pace(deps: Deps, handle: str, record: Device, now: float, ttl: float) -> None:
    """RFC 8628 3.5: slow_down when polls come closer than the interval; it grows by 5 s."""
    pace = records.get(deps.state, DevicePace, handle)
    interval = pace.interval if pace is not None else record.interval
    too_soon = pace is not None and now - pace.last < interval
    if too_soon:
        interval += SLOW_DOWN_STEP
    records.put(deps.state, handle, DevicePace(last=now, interval=interval), ttl=ttl)
    if too_soon:
        raise SlowDown(f"polling too fast; wait at least {interval} seconds between polls")


# -- the verification page (RFC 8628 3.3) ---------------------------------------------


class CodeEntry(Struct, frozen=True):
    """Ask for the user code (again, with ``notice`` saying why)."""

    user_code: str = ""
    notice: str | None = None


class DeviceLogin(Struct, frozen=True):
    """Ask who is signing in, for the device showing ``user_code``."""

    interaction: str
    client: Client
    users: tuple[User, ...]
    user_code: str
    notice: str | None = None


class DeviceConfirm(Struct, frozen=True):
    """Ask the signed-in user to approve or deny the device's request."""

    interaction: str
    client: Client
    user: User
    scopes: tuple[str, ...]
    user_code: str
    session_id: str | None = None
    """A session just started, for the browser's cookie."""


class DeviceDone(Struct, frozen=True):
    """The answer is recorded; the user goes back to the device."""

    approved: bool
    client: Client | None
    notice: str | None = None


DevicePage = CodeEntry | DeviceLogin | DeviceConfirm | DeviceDone


class DeviceVerification:
    """The steps of the verification page: enter the code, sign in, approve or deny.

    Every form carries the id of a ``VerificationPage`` record made when the code was
    entered; the approving user comes from that record's session, never from the
    cookie of the posting request, so a cross-site post cannot approve as the victim.
    """

    def __init__(self, deps: Deps) -> None:
        self.deps = deps

    def show(self, user_code: str | None, *, session_id: str | None) -> DevicePage:
        """``GET`` of the verification URI, the code typed in or from ``_complete``."""
        if not user_code:
            return CodeEntry()
        found = self._lookup(user_code)
        if isinstance(found, CodeEntry):
            return found
        handle, record, client = found
        scenario = self.deps.scenario
        sid = session_id if scenario.sessions and self._session(session_id) else None
        created = None
        if sid is None and scenario.login == "auto" and scenario.default is not None:
            sid = created = self._start_session(scenario.default)
        iid = random_token(24)
        page = VerificationPage(device=handle, sid=sid)
        records.put(self.deps.state, iid, page, ttl=self._page_ttl(record))
        return self._next(iid, page, record, client, created)

    def submit(self, params: Params) -> DevicePage:
        """``POST`` of one of the page's forms: ``action`` login, switch, approve or deny."""
        iid = params.get("interaction", "")
        page = records.get(self.deps.state, VerificationPage, iid) if 0 < len(iid) <= 64 else None
        if page is None:
            raise PageError(
                "invalid_request",
                "this page has expired or was already answered; enter the code again",
            )
        handle = page.device
        record = records.get(self.deps.state, Device, handle)
        now = self.deps.state.now()
        if record is None or now >= record.expires_at:
            records.delete(self.deps.state, VerificationPage, iid)
            return CodeEntry(notice="This code has expired. Start again on your device.")
        client = self._client(record)
        action = params.get("action")
        if action == "login":
            login = (params.get("login") or "").strip()
            if not login:
                return self._login(iid, record, client, "Choose a user or type a subject.")
            sid = self._start_session(
                find_user(self.deps.scenario, login) or User(sub=login, username=login)
            )
            page.sid = sid
            records.put(self.deps.state, iid, page, ttl=self._page_ttl(record))
            return self._next(iid, page, record, client, sid)
        if action == "switch":
            page.sid = None
            records.put(self.deps.state, iid, page, ttl=self._page_ttl(record))
            return self._login(iid, record, client, None)
        if action in ("approve", "deny"):
            return self._answer(iid, handle, record, client, approve=action == "approve")
        raise PageError("invalid_request", "action must be login, switch, approve or deny")

    # -- steps ----------------------------------------------------------------------

    def _lookup(self, user_code: str) -> tuple[str, Device, Client] | CodeEntry:
        code = normalise_user_code(user_code)
        plausible = 0 < len(code) <= MAX_USER_CODE  # no store look-up for junk
        state = self.deps.state
        entry = records.get(state, UserCode, code) if plausible else None
        record = records.get(state, Device, entry.device) if entry else None
        if entry is None or record is None or state.now() >= record.expires_at:
            return CodeEntry(
                user_code, "That code is unknown or has expired. Check the code on your device."
            )
        handle = entry.device
        if records.get(state, DeviceDecision, handle) is not None:
            return CodeEntry(user_code, "That code was already used.")
        return handle, record, self._client(record)

    def _next(
        self,
        iid: str,
        page: VerificationPage,
        record: Device,
        client: Client,
        created: str | None,
    ) -> DevicePage:
        """Sign in if nobody is, else ask for the decision."""
        session = self._session(page.sid)
        if session is None:
            return self._login(iid, record, client, None)
        user = self.deps.scenario.user_or_adhoc(session.sub)
        shown = display_user_code(record.user_code)
        return DeviceConfirm(iid, client, user, record.scope, shown, self._cookie(created))

    def _login(self, iid: str, record: Device, client: Client, notice: str | None) -> DeviceLogin:
        shown = display_user_code(record.user_code)
        return DeviceLogin(iid, client, self.deps.scenario.users, shown, notice)

    def _answer(
        self, iid: str, handle: str, record: Device, client: Client, *, approve: bool
    ) -> DevicePage:
        page = records.take(self.deps.state, VerificationPage, iid)  # one answer per page
        sid = page.sid if page else None
        session = self._session(sid)
        if page is None or session is None or sid is None:
            raise PageError(
                "invalid_request", "the sign-in session has ended; enter the code again"
            )
        now = self.deps.state.now()
        answer = DeviceDecision(
            decision="approve" if approve else "deny",
            sub=session.sub,
            auth_time=session.auth_time,
            sid=browser_session.public_sid(sid),
        )
        if not records.add(self.deps.state, handle, answer, ttl=_remaining(record, now)):
            return DeviceDone(False, client, "This code was already answered.")
        return DeviceDone(approve, client)

    # -- records --------------------------------------------------------------------

    def _client(self, record: Device) -> Client:
        client = self.deps.client(record.client_id)
        if client is None:  # the scenario was swapped after the device asked
            raise PageError("invalid_client", f"client {record.client_id!r} no longer exists")
        return client

    def _page_ttl(self, record: Device) -> float:
        left = record.expires_at - self.deps.state.now()
        return max(min(left, self.deps.scenario.lifetimes.interaction), 1.0)

    def _session(self, sid: object) -> Session | None:
        return browser_session.find(self.deps, sid)

    def _start_session(self, user: User) -> str:
        # the session sign-in keeps (the cookie is shared), its sid record included
        return browser_session.start(self.deps, user)

    def _cookie(self, sid: str | None) -> str | None:
        return sid if self.deps.scenario.sessions else None
