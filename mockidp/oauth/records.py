"""What the provider stores: every record kind's name, how long a kept record lasts, the
random values and hashes that key the records, and one typed record class per kind.

Every kind is named here once, so two modules can never pick the same name for two
things, nor two names for one. Records go through :func:`put` / :func:`add` (the kind
comes from the record's class) and come back typed from :func:`get` / :func:`take`, so
no module reads a record by string keys.
"""

from __future__ import annotations

import hashlib
import secrets
import uuid
from typing import Any, ClassVar, TypeVar

import msgspec

from mockidp.store.state import State

UNTIL_RESET = 10 * 365 * 24 * 3600
"""The time-to-live of what lasts until a reset (registered clients, tombstones,
counters): the store needs some expiry."""

# -- tokens and grants ----------------------------------------------------------------
ACCESS = "at"
REFRESH = "rt"
GRANT = "grant"
"""The family every token of one authorization belongs to."""
REVOKED_GRANT = "revokedgrant"
"""A revoked grant's tombstone: a refresh extending it at the same moment stays dead."""
USED_REFRESH = "usedrt"
"""A rotated refresh token: presenting it again is reuse (RFC 9700 4.14.2)."""
BROKEN = "broken"
"""The ``broken_tokens`` defect a token was issued with, under its hash."""

# -- the browser side -----------------------------------------------------------------
SESSION = "session"
SESSION_OF_SID = "sessionofsid"
"""A session id by the public ``sid`` its tokens carry (``signin.session.public_sid``)."""
SESSION_CLIENTS = "session_clients"
INTERACTION = "interaction"
CODE = "code"
USED_CODE = "usedcode"
"""A redeemed code: presenting it again revokes its grant (RFC 6749 4.1.2)."""
CONSENT = "consent"
PUSHED = "par"
OFFLINE = "offline"
DEVICE = "device"
"""A device authorization's record (RFC 8628), under its device code's hash."""
USER_CODE = "usercode"
DEVICE_DECISION = "devdecision"
DEVICE_PACE = "devpace"
DEVICE_POLLS = "devpolls"
"""A counter (``State.increment``): how many polls came."""
DEVICE_REDEEMED = "devredeemed"
DEVICE_PAGE = "devpage"

# -- proofs and vendor credentials ---------------------------------------------------
DPOP_NONCE = "dpopnonce"
DPOP_JTI = "dpopjti"
ASSERTION_JTI = "jti"
"""A client assertion's jti (RFC 7523 3), seen once per client."""
TICKET = "soticket"
"""A SuperOffice system-user ticket."""

# -- scripted rules -------------------------------------------------------------------
FAULT_CALLS = "faultcalls"
"""How many calls each of a scenario's ``faults`` has matched (``scripted.rules.count``)."""
BROKEN_TOKEN_CALLS = "brokentoken"
"""How many issuances each of a scenario's ``broken_tokens`` rules has matched."""

# -- clients --------------------------------------------------------------------------
REGISTERED = "regclient"
DELETED = "regdeleted"


def random_token(nbytes: int = 32) -> str:
    """An unguessable URL-safe string: codes, refresh tokens, session and interaction ids."""
    return secrets.token_urlsafe(nbytes)


def new_jti() -> str:
    return uuid.uuid4().hex


def token_handle(token: str) -> str:
    """The store key of a token: its hash, so the store never holds usable tokens."""
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


# -- typed records --------------------------------------------------------------------


class Record(msgspec.Struct, kw_only=True):
    """A stored record; ``kind`` names its class's records in the store."""

    kind: ClassVar[str]


R = TypeVar("R", bound=Record)


def put(state: State, key: str, record: Record, *, ttl: float) -> None:
    state.put(record.kind, key, _stored(record), ttl=ttl)


def add(state: State, key: str, record: Record, *, ttl: float) -> bool:
    """Store ``record`` unless one lives under ``key`` already (the first writer wins)."""
    return state.add(record.kind, key, _stored(record), ttl=ttl)


def get(state: State, cls: type[R], key: str) -> R | None:
    return _decoded(cls, state.get(cls.kind, key))


def take(state: State, cls: type[R], key: str) -> R | None:
    """The record, removed at once: two takers never both get it."""
    return _decoded(cls, state.take(cls.kind, key))


def delete(state: State, cls: type[Record], key: str) -> None:
    state.delete(cls.kind, key)


def _stored(record: Record) -> Any:
    """The record as every backend holds it: plain JSON (lists, not tuples), and a copy,
    so the memory store shares no object with the caller."""
    return msgspec.json.decode(msgspec.json.encode(record))


def _decoded(cls: type[R], raw: Any) -> R | None:
    """A record of another shape (an older mockidp's, in a store kept across an upgrade)
    reads as absent: a sign-in or token from before the upgrade starts over."""
    if raw is None:
        return None
    try:
        return msgspec.convert(raw, cls)
    except msgspec.ValidationError:
        return None


# -- the records: one class per kind --------------------------------------------------
# ``scope`` is a tuple of scope names in every record that has one (a JSON list, stored).


class Session(Record):
    """A browser's session (``signin.session``), under its id: the cookie's value."""

    kind: ClassVar[str] = SESSION
    sub: str
    auth_time: int


class SessionOfSid(Record):
    kind: ClassVar[str] = SESSION_OF_SID
    session: str


class SessionClients(Record):
    """Which clients with a logout URI signed in through a session, by session id."""

    kind: ClassVar[str] = SESSION_CLIENTS
    clients: tuple[str, ...] = ()


class Interaction(Record):
    """An authorization request parked while the user is on the login or consent page."""

    kind: ClassVar[str] = INTERACTION
    request: dict[str, Any]
    """``AuthorizationRequest.to_record()``."""
    sid: str | None = None


class Code(Record):
    """An authorization code's request, under the code's hash."""

    kind: ClassVar[str] = CODE
    client_id: str
    redirect_uri: str
    redirect_uri_given: bool
    scope: tuple[str, ...]
    sub: str
    auth_time: int
    nonce: str | None = None
    code_challenge: str | None = None
    code_challenge_method: str | None = None
    claims_request: dict[str, Any] | None = None
    sid: str | None = None
    tenant: str | None = None
    resources: tuple[str, ...] = ()
    dpop_jkt: str | None = None
    offline: bool = False


class UsedCode(Record):
    kind: ClassVar[str] = USED_CODE
    gid: str | None = None
    """The grant the code was redeemed for (None while it is being redeemed)."""


class Consent(Record):
    """The scopes a user approved for a client (``remember_consent``)."""

    kind: ClassVar[str] = CONSENT
    scope: tuple[str, ...] = ()


class Pushed(Record):
    """A pushed authorization request (RFC 9126), under its request_uri's hash."""

    kind: ClassVar[str] = PUSHED
    client_id: str
    params: dict[str, str]


class Offline(Record):
    """An offline grant was given to this client and user (``access_type=offline``)."""

    kind: ClassVar[str] = OFFLINE
    given: bool = True


class Device(Record):
    kind: ClassVar[str] = DEVICE
    client_id: str
    scope: tuple[str, ...]
    user_code: str
    expires_at: float
    interval: int


class UserCode(Record):
    kind: ClassVar[str] = USER_CODE
    device: str
    """The device code's hash."""


class DeviceDecision(Record):
    kind: ClassVar[str] = DEVICE_DECISION
    decision: str
    """``approve`` or ``deny``."""
    sub: str | None
    auth_time: int
    sid: str | None = None


class DevicePace(Record):
    kind: ClassVar[str] = DEVICE_PACE
    last: float
    interval: int


class DeviceRedeemed(Record):
    kind: ClassVar[str] = DEVICE_REDEEMED


class VerificationPage(Record):
    """One browser's way through the verification page."""

    kind: ClassVar[str] = DEVICE_PAGE
    device: str
    sid: str | None = None


# -- tokens and grants


class Grant(Record):
    """The family every token of one authorization belongs to."""

    kind: ClassVar[str] = GRANT
    client_id: str
    sub: str | None
    created: int


class RevokedGrant(Record):
    kind: ClassVar[str] = REVOKED_GRANT


class Access(Record):
    """An access token, under its hash."""

    kind: ClassVar[str] = ACCESS
    claims: dict[str, Any]
    """The token's claims as signed, after the vendor's shape and the test's hooks:
    introspection answers them (vendors' shapes vary, so they stay a mapping)."""
    scope: tuple[str, ...]
    uid: str | None = None
    """The scenario's sub of the user (behind a pairwise sub); None: the client's own."""
    gid: str | None = None
    claims_request: dict[str, Any] | None = None
    nonce: str | None = None
    tenant: str | None = None
    client: str | None = None
    """The client it was issued to: a vendor's shape may leave ``client_id`` out of the
    claims (Entra's, Okta's), and introspection and UserInfo still need it."""

    @property
    def sub(self) -> str:
        """The subject the client sees (its ``sub`` claim)."""
        return str(self.claims.get("sub"))

    @property
    def client_id(self) -> str | None:
        if self.client is not None:
            return self.client
        found = self.claims.get("client_id")
        return found if isinstance(found, str) else None

    @property
    def user_sub(self) -> str:
        """Who the token is about: the scenario's sub, or else the client's own."""
        return self.uid or self.sub


class Refresh(Record):
    """A refresh token, under its hash: what a refresh grants again."""

    kind: ClassVar[str] = REFRESH
    client_id: str
    sub: str
    """The subject the client sees."""
    scope: tuple[str, ...]
    gid: str
    iat: int
    exp: int
    iss: str
    uid: str | None = None
    auth_time: int | None = None
    claims_request: dict[str, Any] | None = None
    sid: str | None = None
    tenant: str | None = None
    resources: tuple[str, ...] = ()
    dpop_jkt: str | None = None
    """RFC 9449 5: a public client's refresh token is bound to its DPoP key."""

    @property
    def user_sub(self) -> str:
        return self.uid or self.sub


class Broken(Record):
    """A token issued broken on purpose: the defect, so the inspector and a failed test's
    report name it exactly (no reading of the token can tell a wrong nonce, say)."""

    kind: ClassVar[str] = BROKEN
    defect: str


class UsedRefresh(Record):
    kind: ClassVar[str] = USED_REFRESH
    gid: str | None = None


class DpopNonce(Record):
    kind: ClassVar[str] = DPOP_NONCE


class DpopJti(Record):
    """A DPoP proof's key and jti, seen once."""

    kind: ClassVar[str] = DPOP_JTI


class AssertionJti(Record):
    kind: ClassVar[str] = ASSERTION_JTI


class Ticket(Record):
    """A SuperOffice system-user ticket: its user, tenant and application."""

    kind: ClassVar[str] = TICKET
    uid: str
    ctx: str
    client_id: str


# -- clients


class Registered(Record):
    """A client registered at run time (RFC 7591), under its client_id."""

    kind: ClassVar[str] = REGISTERED
    issued_at: int
    token: str | None
    """The registration access token (RFC 7592); None without a management URI."""
    metadata: dict[str, Any]
    """The registered metadata, as the client information response shows it."""
    client: dict[str, Any]
    """The client as a scenario document, credentials included."""


class Deleted(Record):
    """A deleted registered client's tombstone: its tokens are dead (RFC 7592 2.3)."""

    kind: ClassVar[str] = DELETED
