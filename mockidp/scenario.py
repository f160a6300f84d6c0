"""The scenario model: frozen dataclasses the core reads. Loading lives in scenario_loader."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

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
)
AUTH_METHODS: tuple[str, ...] = (
    "client_secret_basic",
    "client_secret_post",
    "client_secret_jwt",
    "private_key_jwt",
    "none",
)
SECRET_METHODS = frozenset({"client_secret_basic", "client_secret_post", "client_secret_jwt"})

LoginMode = Literal["auto", "page"]
ConsentMode = Literal["auto", "page"]
RefreshPolicy = Literal["offline_access", "always", "never"]


@dataclass(frozen=True)
class User:
    """A person who can sign in. ``claims`` holds every claim but ``sub``."""

    sub: str
    username: str
    password: str | None = None
    claims: JSONObject = field(default_factory=dict)


@dataclass(frozen=True)
class Client:
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

    @property
    def public(self) -> bool:
        return self.token_endpoint_auth_method == "none"


@dataclass(frozen=True)
class Lifetimes:
    """Seconds each artefact lives."""

    code: int = 600
    access_token: int = 3600
    id_token: int = 3600
    refresh_token: int = 30 * 24 * 3600
    session: int = 24 * 3600
    interaction: int = 1800


@dataclass(frozen=True)
class Scenario:
    """Everything a test can vary, validated at load."""

    issuer: str | None = None
    signing_alg: str = "RS256"
    login: LoginMode = "auto"
    consent: ConsentMode = "auto"
    default_user: str | None = None
    refresh_tokens: RefreshPolicy = "offline_access"
    refresh_rotation: bool = True
    refresh_reuse_detection: bool = True
    scopes: tuple[str, ...] = STANDARD_SCOPES
    lifetimes: Lifetimes = field(default_factory=Lifetimes)
    clients: tuple[Client, ...] = ()
    users: tuple[User, ...] = ()
    source: str = "<inline>"
    _clients_by_id: dict[str, Client] = field(init=False, repr=False, compare=False)
    _users_by_login: dict[str, User] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "_clients_by_id", {c.client_id: c for c in self.clients})
        logins: dict[str, User] = {}
        for user in reversed(self.users):  # earlier users win a clash of login names
            logins[user.username] = user
            logins[user.sub] = user
        object.__setattr__(self, "_users_by_login", logins)

    def client(self, client_id: str) -> Client | None:
        return self._clients_by_id.get(client_id)

    def user(self, login: str) -> User | None:
        """The user whose subject or username is ``login``."""
        return self._users_by_login.get(login)

    def user_or_adhoc(self, login: str) -> User:
        """The scripted user, or a claimless user with that subject (typed on the login page)."""
        return self.user(login) or User(sub=login, username=login)

    @property
    def default(self) -> User | None:
        if self.default_user is not None:
            return self.user(self.default_user)
        return None
