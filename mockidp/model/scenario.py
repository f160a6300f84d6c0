"""The scenario model: frozen records the core reads. Loading lives in mockidp.scenario."""

from __future__ import annotations

from functools import cached_property
from typing import Any, Literal

from msgspec import Struct, field
from msgspec.structs import replace

from mockidp.model.quirks import Quirks
from mockidp.types import JSONObject

STANDARD_SCOPES: tuple[str, ...] = (
    "openid",
    "profile",
    "email",
    "address",
    "phone",
    "offline_access",
)
GRANT_TYPES: tuple[str, ...] = (
    "authorization_code",
    "refresh_token",
    "client_credentials",
    "password",
    "implicit",
    "urn:ietf:params:oauth:grant-type:device_code",
    "urn:ietf:params:oauth:grant-type:token-exchange",
    "urn:ietf:params:oauth:grant-type:jwt-bearer",
)
DEVICE_CODE_GRANT = "urn:ietf:params:oauth:grant-type:device_code"
JWT_BEARER_GRANT = "urn:ietf:params:oauth:grant-type:jwt-bearer"  # RFC 7523 2.1
TOKEN_EXCHANGE_GRANT = "urn:ietf:params:oauth:grant-type:token-exchange"  # RFC 8693 2.1
"""RFC 8628 3.4: the device authorization grant's grant_type."""
AUTH_METHODS: tuple[str, ...] = (
    "client_secret_basic",
    "client_secret_post",
    "client_secret_jwt",
    "private_key_jwt",
    "none",
)
SECRET_METHODS = frozenset({"client_secret_basic", "client_secret_post", "client_secret_jwt"})

LoginMode = Literal["auto", "page", "hint_only"]
ConsentMode = Literal["auto", "page", "deny"]
RefreshPolicy = Literal["offline_access", "always", "never"]
TokenKind = Literal["id_token", "access_token", "logout_token"]
DeviceDecision = Literal["page", "approve", "deny"]
UserCodeAlphabet = Literal["consonants", "digits"]

TOKEN_DEFECTS: tuple[str, ...] = (
    "expired",
    "not_yet_valid",
    "issued_in_future",
    "wrong_audience",
    "extra_audience",
    "missing_audience",
    "wrong_issuer",
    "missing_issuer",
    "missing_iat",
    "missing_sub",
    "wrong_sub",
    "wrong_nonce",
    "missing_nonce",
    "wrong_at_hash",
    "missing_at_hash",
    "wrong_c_hash",
    "missing_c_hash",
    "bad_signature",
    "bad_signature_hs256",
    "alg_none",
    "unknown_kid",
    "rotating_key",
    "fresh_key",
    "no_kid",
    "key_confusion",
    "jwk_header",
    "jku_header",
    "x5u_header",
    "wrong_alg",
    "no_events",
    "wrong_event",
    "with_nonce",
)
PACKAGED_KEYS: tuple[str, ...] = ("rsa-1", "rsa-2", "ec-p256-1", "ed25519-1")


class User(Struct, frozen=True):
    """A person who can sign in. ``claims`` holds every claim but ``sub``.

    ``consent`` / ``login`` override the scenario's behaviour for this user, and
    ``lifetimes`` override token lifetimes (names as in :class:`Lifetimes`).
    """

    sub: str
    username: str
    password: str | None = None
    claims: JSONObject = field(default_factory=dict)
    consent: ConsentMode | None = None
    login: LoginMode | None = None
    lifetimes: dict[str, int] = field(default_factory=dict)
    roles: tuple[str, ...] = ()
    """Roles the user holds (realm roles, app roles): each preset puts them where its
    vendor does (:mod:`mockidp.oauth.tokens.authorization`)."""
    groups: tuple[str, ...] = ()
    """Groups the user is a member of."""
    client_roles: dict[str, tuple[str, ...]] = field(default_factory=dict)
    """Roles the user holds in one client (Keycloak's client roles): client_id -> roles."""


class Client(Struct, frozen=True):
    """A registered relying party."""

    client_id: str
    client_secret: str | None = None
    name: str = ""
    redirect_uris: tuple[str, ...] = ()
    post_logout_redirect_uris: tuple[str, ...] = ()
    grant_types: tuple[str, ...] = ("authorization_code", "refresh_token")
    token_endpoint_auth_method: str = "client_secret_basic"
    scopes: tuple[str, ...] | None = None
    loopback_redirects: bool = False
    require_pkce: bool = False
    jwks: JSONObject | None = None
    access_token_audience: str | None = None
    consent: ConsentMode | None = None
    lifetimes: dict[str, int] = field(default_factory=dict)
    response_types: tuple[str, ...] = ("code",)
    """Response types this client may use, as :mod:`mockidp.model.response_types` spells them."""
    require_pushed_authorization_requests: bool = False
    """RFC 9126 6: this client's authorization requests must come through PAR."""
    userinfo_signed_response_alg: str | None = None
    """OpenID Connect Registration 2: UserInfo answers this client with a signed JWT."""
    frontchannel_logout_uri: str | None = None
    """Front-Channel Logout 1.0 2: the page the OP loads in an iframe at logout."""
    frontchannel_logout_session_required: bool = False
    """The iframe URL carries ``iss`` and ``sid``."""
    backchannel_logout_uri: str | None = None
    """Back-Channel Logout 1.0 2.2: where the OP POSTs a Logout Token at logout."""
    backchannel_logout_session_required: bool = False
    """The Logout Token must carry ``sid`` (mockidp always sends it)."""
    resources: tuple[str, ...] | None = None
    """RFC 8707 resources this client may ask tokens for (None: the scenario's ``resources``)."""
    dpop_bound_access_tokens: bool = False
    """RFC 9449 5.2: every token request of this client must carry a DPoP proof."""
    device: dict[str, Any] = field(default_factory=dict)
    """Overrides of the scenario's ``device`` section (names as in :class:`DeviceFlow`)."""
    roles: tuple[str, ...] = ()
    """App roles granted to the client itself: its own tokens (client credentials) carry them."""
    loopback_ports: bool = False
    """RFC 8252 7.3: a registered http loopback redirect URI matches with any port, the
    rest exactly (dynamically registered native clients)."""

    @property
    def public(self) -> bool:
        return self.token_endpoint_auth_method == "none"


class Lifetimes(Struct, frozen=True):
    """Seconds each artefact lives."""

    code: int = 600
    access_token: int = 3600
    id_token: int = 3600
    refresh_token: int = 30 * 24 * 3600
    session: int = 24 * 3600
    interaction: int = 1800
    request_uri: int = 60
    """A pushed authorization request's request_uri (RFC 9126 2.2: short-lived)."""
    device_code: int = 600
    refresh_token_absolute: int | None = None
    """Refresh tokens of one grant stop working this long after the grant, rotated or not."""


class DeviceFlow(Struct, frozen=True):
    """The device authorization grant (RFC 8628) as the scenario scripts it.

    ``decision``: ``page`` (the user answers on the verification page), or ``approve`` /
    ``deny`` taken by itself at the poll after ``after_polls`` polls answered
    ``authorization_pending``; ``user`` approves (default: the scenario's default user).
    """

    decision: DeviceDecision = "page"
    after_polls: int = 0
    user: str | None = None
    interval: int = 5
    """Seconds the client must wait between polls (RFC 8628 3.2); 0: no slow_down."""
    user_code_alphabet: UserCodeAlphabet = "consonants"
    user_code_length: int = 8
    verification_uri_complete: bool = True


class ConsentRule(Struct, frozen=True):
    """A consent decision for matching requests; None fields match anything.

    ``scopes`` matches a request that asks for any one of them.
    """

    decision: ConsentMode
    client_id: str | None = None
    user: str | None = None
    scopes: tuple[str, ...] = ()


class CallSelector(Struct, frozen=True):
    """Which of the matching calls (counted from 1) a rule applies to; none set: all."""

    nth: int | None = None
    every: int | None = None
    from_: int | None = None
    first: int | None = None
    probability: float | None = None
    seed: int | None = None


class RequestMatch(Struct, frozen=True):
    """Which requests a rule is about; an empty tuple matches anything.

    Every section with rules (``faults``, ``broken_tokens``) reads these the same way
    (:func:`mockidp.oauth.scripted.rules.matches`): ``users`` name users as a login does,
    by subject, username or email (:meth:`Scenario.named_user`); ``scopes`` match a
    request asking for any of them; ``params`` must all be present with exactly these
    values.
    """

    endpoints: tuple[str, ...] = ()
    grant_types: tuple[str, ...] = ()
    client_ids: tuple[str, ...] = ()
    users: tuple[str, ...] = ()
    scopes: tuple[str, ...] = ()
    params: dict[str, str] = field(default_factory=dict)


class Fault(Struct, frozen=True):
    """A scripted misbehaviour: what to match, which calls, and what to answer instead.

    At most one of ``oauth_error``, ``http_status``, ``malformed_body``,
    ``truncate_body``, ``content_type``, ``drop_connection`` and ``redirect_state`` is
    set; ``latency_ms`` may accompany any of them or stand alone.
    """

    name: str
    match: RequestMatch = field(default_factory=RequestMatch)
    when: CallSelector = field(default_factory=CallSelector)
    oauth_error: JSONObject | None = None  # {error, description?, status?}
    http_status: JSONObject | None = None  # {status, body?, content_type?, headers?}
    latency_ms: int = 0
    malformed_body: bool = False
    truncate_body: int | None = None
    content_type: str | None = None
    drop_connection: bool = False
    redirect_state: str | None = None
    """``other``: a redirect's ``state`` is replaced by another value; ``absent``: left out."""


class BrokenToken(Struct, frozen=True):
    """Issue a token with a defect, so relying parties' validation can be tested."""

    token: TokenKind
    defect: str
    match: RequestMatch = field(default_factory=RequestMatch)
    when: CallSelector = field(default_factory=CallSelector)


class KeySpec(Struct, frozen=True):
    """A signing key: a packaged test key by name, or a private JWK.

    ``kid`` defaults to the JWK's own, else its thumbprint; ``alg`` (None) to the JWK's
    own, else the one its key type suits (RS256, ES256 on P-256, EdDSA on Ed25519).
    """

    kid: str | None = None
    alg: str | None = None
    packaged: str | None = None
    jwk: JSONObject | None = None


class RotationStep(Struct, frozen=True):
    """``after`` seconds from when the provider loaded the scenario, do ``action`` to ``kid``."""

    after: int
    action: Literal["publish", "sign_with", "retire"]
    kid: str


class ClockSpec(Struct, frozen=True):
    """Where the provider's clock starts (epoch seconds), and whether it stands still."""

    at: float | None = None
    frozen: bool = False


class RegistrationSettings(Struct, frozen=True):
    """Dynamic client registration (RFC 7591 3): an initial access token, if one is needed."""

    initial_access_token: str | None = None
    any_scope: bool = False
    """A registered client may ask for any scope the provider knows, not only those it
    registered (RFC 7591 2 lets a server decide; makes an SDK's step-up testable)."""


class ClientMetadataDocuments(Struct, frozen=True):
    """OAuth Client ID Metadata Documents: an https ``client_id`` is the URL of the
    client's metadata, fetched (or, in-process, taken from ``documents``) and cached."""

    enabled: bool | None = None
    """None: on for the generic layout, off for a vendor's preset (see ``accepted``)."""
    allow_loopback: bool = True
    """Documents on loopback and private addresses, and the ``serve --tls`` CA trusted."""
    documents: dict[str, JSONObject] = field(default_factory=dict)
    """URL -> document, answered without a fetch."""

    def accepted(self, preset: str) -> bool:
        """Whether https client_ids are metadata documents under ``preset``."""
        return self.enabled if self.enabled is not None else preset == "generic"


class DPoPSettings(Struct, frozen=True):
    """RFC 9449 options: nonces (section 8) and how old a proof may be."""

    require_nonce: bool = False
    nonce_lifetime: int = 300
    proof_max_age: int = 300


class TrustedIssuer(Struct, frozen=True):
    """Another issuer whose JWTs the provider accepts: RFC 7523 assertions and RFC 8693
    subject / actor tokens of type jwt. ``jwks`` holds its public keys."""

    issuer: str
    jwks: JSONObject


class Scenario(Struct, frozen=True, dict=True):
    """Everything a test can vary, validated at load."""

    issuer: str | None = None
    signing_alg: str = "RS256"
    login: LoginMode = "auto"
    consent: ConsentMode = "auto"
    default_user: str | None = None
    refresh_tokens: RefreshPolicy = "offline_access"
    refresh_rotation: bool = True
    refresh_id_token: bool = True
    """A refresh with `openid` in scope answers a new ID token (OIDC Core 12.2 makes it optional)."""
    refresh_reuse_detection: bool = True
    scopes: tuple[str, ...] = STANDARD_SCOPES
    lifetimes: Lifetimes = field(default_factory=Lifetimes)
    clients: tuple[Client, ...] = ()
    users: tuple[User, ...] = ()
    sessions: bool = True
    require_pushed_authorization_requests: bool = False
    """RFC 9126 5: every authorization request must come through PAR."""
    prompt_none_login: str = "login_required"
    prompt_none_consent: str = "consent_required"
    remember_consent: bool = True
    consent_rules: tuple[ConsentRule, ...] = ()
    subject_type: Literal["public", "pairwise"] = "public"
    pairwise_salt: str = "mockidp"
    access_token_format: Literal["jwt", "opaque"] = "jwt"
    access_token_template: str = "{random:alnum:43}"
    refresh_token_template: str = "{random:base64url:64}"
    endpoints: dict[str, str | None] = field(default_factory=dict)
    clock: ClockSpec | None = None
    keys: tuple[KeySpec, ...] = ()
    signing_key: str | None = None
    key_rotation: tuple[RotationStep, ...] = ()
    faults: tuple[Fault, ...] = ()
    broken_tokens: tuple[BrokenToken, ...] = ()
    resources: tuple[str, ...] | None = None
    """RFC 8707 resources any client may ask tokens for; None: any absolute URI."""
    dpop: DPoPSettings = field(default_factory=DPoPSettings)
    registration: RegistrationSettings = field(default_factory=RegistrationSettings)
    client_metadata_documents: ClientMetadataDocuments = field(
        default_factory=ClientMetadataDocuments
    )
    role_permissions: dict[str, tuple[str, ...]] = field(default_factory=dict)
    """What each role allows: role -> permissions (Auth0's RBAC ``permissions`` claim)."""
    trusted_issuers: tuple[TrustedIssuer, ...] = ()
    preset: str = "generic"
    quirks: Quirks = field(default_factory=Quirks)
    device: DeviceFlow = field(default_factory=DeviceFlow)
    path_params: dict[str, str] = field(default_factory=dict)
    base_paths: dict[str, str] | None = None
    """The preset's endpoint paths (``path_params`` filled in); None: the generic layout."""
    source: str = "<inline>"

    @cached_property
    def _clients_by_id(self) -> dict[str, Client]:
        return {c.client_id: c for c in self.clients}

    @cached_property
    def _users_by_login(self) -> dict[str, User]:
        logins: dict[str, User] = {}
        for user in reversed(self.users):  # earlier users win a clash of login names
            logins[user.username] = user
            logins[user.sub] = user
        return logins

    def client(self, client_id: str) -> Client | None:
        return self._clients_by_id.get(client_id)

    def user(self, login: str) -> User | None:
        """The user whose subject or username is ``login``."""
        return self._users_by_login.get(login)

    @cached_property
    def _users_by_email(self) -> dict[str, User]:
        emails: dict[str, User] = {}
        for user in reversed(self.users):  # earlier users win a shared address
            email = user.claims.get("email")
            if isinstance(email, str):
                emails[email] = user
        return emails

    def named_user(self, name: str) -> User | None:
        """The user ``name`` names as a login does (``login_hint``, the login page, a
        rule's ``user``): subject or username, else the ``email`` claim."""
        return self._users_by_login.get(name) or self._users_by_email.get(name)

    def user_or_adhoc(self, login: str) -> User:
        """The scripted user, or a claimless user with that subject (typed on the login page)."""
        return self.user(login) or User(sub=login, username=login)

    def lifetimes_for(self, client: Client | None, user: User | None) -> Lifetimes:
        """Token lifetimes for this client and user: user overrides client overrides scenario."""
        overrides = {**(client.lifetimes if client else {}), **(user.lifetimes if user else {})}
        return replace(self.lifetimes, **overrides) if overrides else self.lifetimes

    def device_for(self, client: Client) -> DeviceFlow:
        """The device flow for this client: its ``device`` keys over the scenario's."""
        return replace(self.device, **client.device) if client.device else self.device

    @property
    def default(self) -> User | None:
        if self.default_user is not None:
            return self.user(self.default_user)
        return None
