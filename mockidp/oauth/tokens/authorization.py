"""Authorization claims: where each vendor's tokens carry scopes, roles and groups.

The scenario gives users ``roles``, ``groups`` and ``client_roles``, clients their own
app ``roles``, and ``role_permissions``; quirk ``access_token_shape`` says where a
preset's vendor puts them (sources in docs/presets.md, "Access tokens and roles"):

- ``rfc9068``: ``scope``, ``client_id``, and RFC 9068 2.2.3.1's ``roles`` and ``groups``.
- ``keycloak``: ``realm_access.roles`` (with the realm's default roles),
  ``resource_access.{client}.roles`` (those clients join ``aud``), ``allowed-origins``,
  the profile and email claims the scopes grant; no ``client_id`` in a user's token.
- ``entra``: ``scp`` (the resource's permission names, space-separated), ``roles``,
  ``groups``, ``azpacr``; no ``scope`` or ``client_id``.
- ``okta``: ``scp`` (an array), ``uid``, ``ver`` 1, ``groups``; no ``scope`` or
  ``client_id`` (``cid`` comes from the preset's claim templates).
- ``auth0``: ``aud`` [API, ``/userinfo``] with ``openid``, ``permissions``, ``gty``,
  ``{client}@clients`` as a client's own subject; no ``client_id``.
- ``cognito``: ``cognito:groups``, ``version`` 2, ``origin_jti``, ``event_id``.

The token record keeps ``scope`` and ``client_id`` whatever the JWT shows
(:data:`RECORD_MEMBERS`): introspection and UserInfo read them.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable

from msgspec import Struct

from mockidp.model.quirks import Quirks
from mockidp.model.scenario import Client, Scenario, User
from mockidp.oauth.clients.web_origins import web_origins
from mockidp.oauth.tokens.claims import user_claims
from mockidp.oauth.tokens.resource_scopes import resource_of_scope
from mockidp.types import JSONObject

RECORD_MEMBERS = ("scope", "client_id")
"""RFC 9068 members a vendor's JWT may leave out that the token's record keeps."""
OIDC_SCOPES = frozenset({"openid", "profile", "email", "address", "phone", "offline_access"})
KEYCLOAK_DEFAULT_ROLES = ("offline_access", "uma_authorization")
"""Besides ``default-roles-{realm}``: what a new Keycloak realm gives every user."""
KEYCLOAK_PROFILE = ("name", "given_name", "family_name", "preferred_username")
KEYCLOAK_EMAIL = ("email", "email_verified")
CLIENT_CREDENTIALS = "client_credentials"
PASSWORD_GRANTS = ("password", "http://auth0.com/oauth/grant-type/password-realm")


class Subject(Struct, frozen=True):
    """Who and what a token is about: the input of every shape."""

    scenario: Scenario
    client: Client
    user: User | None
    scope: tuple[str, ...]
    grant_type: str
    issuer: str
    origin: str
    grant_id: str = ""


def access_token(claims: JSONObject, subject: Subject) -> JSONObject:
    """``claims`` (RFC 9068's, the preset's templates applied) in the vendor's shape."""
    out = dict(claims)
    _SHAPES[subject.scenario.quirks.access_token_shape](out, subject)
    _roles_claim(out, subject.scenario.quirks, subject.user)
    return out


def id_token(claims: JSONObject, quirks: Quirks, user: User) -> JSONObject:
    """The ID token's authorization claims, where the vendor puts them."""
    out = dict(claims)
    shape = quirks.access_token_shape
    if shape == "entra":
        _put(out, "roles", user.roles)
        _put(out, "groups", user.groups)
    elif shape == "okta":
        _put(out, "groups", user.groups)
    elif shape == "cognito":
        _put(out, "cognito:groups", user.groups)
    _roles_claim(out, quirks, user)
    return out


def userinfo(claims: JSONObject, quirks: Quirks, user: User) -> JSONObject:
    """UserInfo's authorization claims: Okta's groups claim, Auth0's custom claims."""
    out = dict(claims)
    if quirks.access_token_shape == "okta":
        _put(out, "groups", user.groups)
    _roles_claim(out, quirks, user)
    return out


def _put(claims: JSONObject, name: str, values: tuple[str, ...]) -> None:
    """A list claim, only when there is something in it (absent, not empty)."""
    if values:
        claims[name] = list(values)


def _roles_claim(claims: JSONObject, quirks: Quirks, user: User | None) -> None:
    if quirks.roles_claim and user is not None:
        _put(claims, quirks.roles_claim, user.roles)


def _rfc9068(claims: JSONObject, s: Subject) -> None:
    """RFC 9068 2.2.3.1: the subject's roles and groups (a client's own: its app roles)."""
    if s.user is None:
        _put(claims, "roles", s.client.roles)
        return
    _put(claims, "roles", s.user.roles)
    _put(claims, "groups", s.user.groups)


def _keycloak(claims: JSONObject, s: Subject) -> None:
    """A Keycloak realm's access token (the ``roles``, ``profile``, ``email`` and
    ``web-origins`` client scopes' mappers)."""
    realm = s.issuer.rstrip("/").rpartition("/")[2]
    own = s.user.roles if s.user is not None else s.client.roles
    defaults = (f"default-roles-{realm}", *KEYCLOAK_DEFAULT_ROLES)
    claims["realm_access"] = {"roles": list(dict.fromkeys((*own, *defaults)))}
    by_client = s.user.client_roles if s.user is not None else {}
    if by_client:
        claims["resource_access"] = {c: {"roles": list(r)} for c, r in by_client.items()}
        others = [c for c in by_client if c != s.client.client_id]  # audience resolve
        _add_audience(claims, others)
    origins = sorted(web_origins(s.client))
    if origins:
        claims["allowed-origins"] = origins
    if s.user is not None:
        claims.pop("client_id", None)
        granted = user_claims(s.user, s.scope, None, "id_token")
        for name in (*KEYCLOAK_PROFILE, *KEYCLOAK_EMAIL):
            if name in granted:
                claims[name] = granted[name]


def _add_audience(claims: JSONObject, extra: list[str]) -> None:
    aud = claims.get("aud")
    if not extra or aud is None:
        return
    current = aud if isinstance(aud, list) else [aud]
    merged = list(dict.fromkeys([*current, *extra]))
    claims["aud"] = merged[0] if len(merged) == 1 else merged


def _entra(claims: JSONObject, s: Subject) -> None:
    """Entra ID v2.0: ``scp`` for delegated permissions, ``roles`` for app roles."""
    claims.pop("scope", None)
    claims.pop("client_id", None)
    claims["azpacr"] = "0" if s.client.public else "1"
    if s.user is None:
        _put(claims, "roles", s.client.roles)
        return
    resources = {resource_of_scope(s.scenario, x) for x in s.scope} - {None}
    default = s.scenario.quirks.default_scope_resource
    oidc = not resources or default in resources  # Graph's tokens list the OpenID scopes
    scp = [p for p in (_permission(s.scenario, x, oidc=oidc) for x in s.scope) if p]
    if scp:
        claims["scp"] = " ".join(scp)
    _put(claims, "roles", s.user.roles)
    _put(claims, "groups", s.user.groups)


def _permission(scenario: Scenario, scope: str, *, oidc: bool) -> str | None:
    """The permission name ``scope`` shows in ``scp``: a resource's permission without
    the resource (``.default`` none); OpenID scopes when ``oidc``, offline_access never."""
    resource = resource_of_scope(scenario, scope)
    if resource is None:
        return scope if oidc and scope in OIDC_SCOPES - {"offline_access"} else None
    name = scope.removeprefix(resource).lstrip("/")
    return None if name == ".default" else name


def _okta(claims: JSONObject, s: Subject) -> None:
    """An Okta custom authorization server's access token."""
    claims.pop("scope", None)
    claims.pop("client_id", None)
    claims["ver"] = 1
    claims["scp"] = list(s.scope)
    if s.user is not None:
        claims["uid"] = s.user.sub
        _put(claims, "groups", s.user.groups)


def _auth0(claims: JSONObject, s: Subject) -> None:
    """An Auth0 API's access token (RBAC with "Add Permissions in the Access Token")."""
    claims.pop("client_id", None)
    aud = claims.get("aud")
    api = isinstance(aud, str) and aud != s.client.client_id  # an audience was asked for
    if api and "openid" in s.scope:
        claims["aud"] = [aud, s.origin.rstrip("/") + "/userinfo"]
    if s.user is None:
        claims["sub"] = f"{s.client.client_id}@clients"
    if api and s.user is None:  # a client grant's scopes are its permissions
        claims["permissions"] = list(s.scope)
    elif api and s.user is not None:
        allowed = s.scenario.role_permissions
        found = [p for role in s.user.roles for p in allowed.get(role, ())]
        claims["permissions"] = list(dict.fromkeys(found))
    if s.grant_type == CLIENT_CREDENTIALS:
        claims["gty"] = "client-credentials"
    elif s.grant_type in PASSWORD_GRANTS:
        claims["gty"] = "password"


def _cognito(claims: JSONObject, s: Subject) -> None:
    """A Cognito user pool's access token."""
    claims["version"] = 2
    claims["jti"] = str(uuid.uuid4())
    if s.user is not None:
        # the authentication's: the same for every token refreshed from it
        claims["origin_jti"] = str(uuid.uuid5(uuid.NAMESPACE_URL, "mockidp:grant:" + s.grant_id))
        claims["event_id"] = str(uuid.uuid4())
        _put(claims, "cognito:groups", s.user.groups)


_SHAPES: dict[str, Callable[[JSONObject, Subject], None]] = {
    "rfc9068": _rfc9068,
    "keycloak": _keycloak,
    "entra": _entra,
    "okta": _okta,
    "auth0": _auth0,
    "cognito": _cognito,
}
