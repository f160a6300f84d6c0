"""The API side of each preset: an API protected the way its vendor's server-side library
or documented recipe does it, allowing and refusing by role, group and scope, driven only
by the scenario's ``roles``, ``groups``, ``client_roles`` and ``role_permissions``.

Each vendor's rules are restated in Python (tests/support/protected_api.py verifies the
signature, issuer and expiry): Spring Security's Keycloak role mapping, Microsoft.Identity.Web's
``scp`` / ``roles`` rules, Okta's JWT verifier with ``scp`` and ``groups``, Auth0's
``permissions`` checks (express-oauth2-jwt-bearer's claimIncludes), aws-jwt-verify's
``token_use`` / ``client_id`` / ``cognito:groups`` checks, and RFC 9068 for generic.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping
from typing import Any

import pytest

from mockidp.testing import MockIdP
from tests.support.protected_api import (
    ApiCaller,
    Claims,
    JwksVerifier,
    Rule,
    Unauthorized,
    protected_api,
)

APP, SECRET = "app", "app-secret"
API = "https://api.example.test/"
CALLBACK = "http://localhost:8080/callback"
USERS = [
    {
        "sub": "ada",
        "password": "ada",
        "roles": ["admin"],
        "groups": ["admins"],
        "client_roles": {APP: ["editor"]},
        "claims": {"name": "Ada", "email": "ada@example.com", "email_verified": True},
    },
    {"sub": "vic", "password": "vic", "roles": ["viewer"], "groups": ["viewers"]},
]
CLIENTS = [
    {
        "client_id": APP,
        "client_secret": SECRET,
        "redirect_uris": [CALLBACK],
        "grant_types": ["authorization_code", "refresh_token", "client_credentials"],
        "token_endpoint_auth_method": "client_secret_post",
        "roles": ["Reports.Read.All"],  # an app role granted to the client itself
    }
]


def _idp(preset: str, **extra: Any) -> MockIdP:
    return MockIdP.in_process(
        {"preset": preset, "users": USERS, "clients": CLIENTS, "default_user": "ada", **extra}
    )


def _api(idp: MockIdP, rules: Mapping[str, Rule], check: Any = None) -> ApiCaller:
    verify = JwksVerifier(idp.client, idp.issuer, now=idp.provider.clock.now, check=check)
    return ApiCaller(protected_api(verify, rules))


def _get(api: ApiCaller, path: str, token: str) -> int:
    return api.get(path, token)


def _user_token(idp: MockIdP, user: str, scope: str, **params: str) -> str:
    return str(idp.login(user, client=APP, scope=scope, **params)["access_token"])


def _client_token(idp: MockIdP, scope: str | None = None, **params: str) -> str:
    token_endpoint = idp.client.get(
        idp.issuer.rstrip("/") + "/.well-known/openid-configuration"
    ).json()["token_endpoint"]
    form = {"grant_type": "client_credentials", "client_id": APP, "client_secret": SECRET}
    answer = idp.client.post(
        token_endpoint, data={**form, **({"scope": scope} if scope else {}), **params}
    )
    assert answer.status_code == 200, answer.text
    return str(answer.json()["access_token"])


@pytest.fixture
def idps() -> Iterator[list[MockIdP]]:
    made: list[MockIdP] = []
    yield made
    for idp in made:
        idp.close()


def _require(condition: bool, why: str) -> None:
    if not condition:
        raise Unauthorized(why)


# -- keycloak: Spring Security's resource server with Keycloak's role mapping ---------------


def _spring_authorities(claims: Claims, client_id: str) -> set[str]:
    """The usual JwtAuthenticationConverter for Keycloak: SCOPE_ from scope, ROLE_ from
    realm_access.roles and resource_access.{client}.roles."""
    found = {"SCOPE_" + s for s in str(claims.get("scope", "")).split()}
    found |= {"ROLE_" + r for r in claims.get("realm_access", {}).get("roles", [])}
    own = claims.get("resource_access", {}).get(client_id, {})
    return found | {"ROLE_" + r for r in own.get("roles", [])}


def test_keycloak_spring_style_roles(idps: list[MockIdP]) -> None:
    idp = _idp("keycloak", scopes=["reports:read"])
    idps.append(idp)

    def has(authority: str) -> Rule:
        return lambda claims: authority in _spring_authorities(claims, APP)

    api = _api(
        idp,
        {
            "reports": has("SCOPE_reports:read"),
            "admin": has("ROLE_admin"),
            "edit": has("ROLE_editor"),
        },
        check=lambda c, h: _require(c.get("azp") == APP, "azp"),
    )
    ada = _user_token(idp, "ada", "openid reports:read")
    vic = _user_token(idp, "vic", "openid reports:read")
    narrow = _user_token(idp, "ada", "openid")
    assert [_get(api, p, ada) for p in ("/reports", "/admin", "/edit")] == [200, 200, 200]
    assert [_get(api, p, vic) for p in ("/reports", "/admin", "/edit")] == [200, 403, 403]
    assert _get(api, "/reports", narrow) == 403
    assert _get(api, "/reports", ada + "x") == 401


# -- entra: Microsoft.Identity.Web's rules ------------------------------------------------


def _entra_check(claims: Claims, header: Mapping[str, Any]) -> None:
    """AddMicrosoftIdentityWebApi: the audience is the API's client id or api://{it}."""
    _require(claims.get("aud") in (APP, f"api://{APP}"), "audience")
    _require("tid" in claims, "tid")


def _scope_or_app_permission(scopes: set[str], app_permissions: set[str]) -> Rule:
    """[RequiredScopeOrAppPermission]: a delegated token's scp (space-separated) names an
    accepted scope; an app-only token (no scp) holds an accepted app role in roles."""

    def rule(claims: Claims) -> bool:
        if "scp" in claims:
            return bool(scopes & set(str(claims["scp"]).split()))
        return bool(app_permissions & set(claims.get("roles", [])))

    return rule


def test_entra_scp_and_roles(idps: list[MockIdP]) -> None:
    idp = _idp("entra")
    idps.append(idp)
    in_role: Callable[[str], Rule] = lambda role: lambda c: role in c.get("roles", [])  # noqa: E731
    api = _api(
        idp,
        {
            "reports": _scope_or_app_permission({"Reports.Read"}, {"Reports.Read.All"}),
            "admin": in_role("admin"),
        },
        check=_entra_check,
    )
    ada = _user_token(idp, "ada", f"openid api://{APP}/Reports.Read")
    vic = _user_token(idp, "vic", f"openid api://{APP}/Reports.Read")
    other = _user_token(idp, "ada", f"openid api://{APP}/Other.Thing")
    app_only = _client_token(idp, f"api://{APP}/.default")
    assert [_get(api, p, ada) for p in ("/reports", "/admin")] == [200, 200]
    assert [_get(api, p, vic) for p in ("/reports", "/admin")] == [200, 403]
    assert _get(api, "/reports", other) == 403
    assert [_get(api, p, app_only) for p in ("/reports", "/admin")] == [200, 403]
    graph = _user_token(idp, "ada", "openid User.Read")  # Microsoft Graph's, not this API's
    assert _get(api, "/reports", graph) == 401


# -- okta: okta-jwt-verifier, then scp and groups ------------------------------------------


def test_okta_scp_array_and_groups(idps: list[MockIdP]) -> None:
    idp = _idp("okta", scopes=["reports:read"])
    idps.append(idp)

    def verifier_checks(claims: Claims, header: Mapping[str, Any]) -> None:
        """AccessTokenVerifier(issuer, audience='api://default'), and cid among ours."""
        _require(claims.get("aud") == "api://default", "audience")
        _require(claims.get("cid") == APP, "cid")

    api = _api(
        idp,
        {
            "reports": lambda c: "reports:read" in c.get("scp", []),
            "admin": lambda c: "admins" in c.get("groups", []),
        },
        check=verifier_checks,
    )
    ada = _user_token(idp, "ada", "openid reports:read")
    vic = _user_token(idp, "vic", "openid reports:read")
    narrow = _user_token(idp, "ada", "openid")
    assert [_get(api, p, ada) for p in ("/reports", "/admin")] == [200, 200]
    assert [_get(api, p, vic) for p in ("/reports", "/admin")] == [200, 403]
    assert _get(api, "/reports", narrow) == 403


# -- auth0: an API with RBAC and "Add Permissions in the Access Token" ---------------------

ROLES = "https://mockidp.example/roles"


def test_auth0_permissions_and_roles_claim(idps: list[MockIdP]) -> None:
    idp = _idp(
        "auth0",
        scopes=["read:reports", "delete:reports"],
        role_permissions={"admin": ["read:reports", "delete:reports"], "viewer": ["read:reports"]},
    )
    idps.append(idp)

    def audience(claims: Claims, header: Mapping[str, Any]) -> None:
        aud = claims.get("aud")
        _require(API in (aud if isinstance(aud, list) else [aud]), "audience")

    def permission(name: str) -> Rule:  # claimIncludes('permissions', name)
        return lambda c: name in c.get("permissions", [])

    api = _api(
        idp,
        {
            "reports": permission("read:reports"),
            "delete": permission("delete:reports"),
            "admin": lambda c: "admin" in c.get(ROLES, []),
        },
        check=audience,
    )
    ada = _user_token(idp, "ada", "openid", audience=API)
    vic = _user_token(idp, "vic", "openid", audience=API)
    no_api = _user_token(idp, "ada", "openid")  # no audience: not a token for this API
    machine = _client_token(idp, "read:reports", audience=API)
    paths = ("/reports", "/delete", "/admin")
    assert [_get(api, p, ada) for p in paths] == [200, 200, 200]
    assert [_get(api, p, vic) for p in paths] == [200, 403, 403]
    assert _get(api, "/reports", no_api) == 401
    assert [_get(api, p, machine) for p in paths] == [200, 403, 403]


# -- cognito: aws-jwt-verify (tokenUse access, clientId, groups, scope) -----------------------


def test_cognito_groups_and_scope(idps: list[MockIdP]) -> None:
    idp = _idp("cognito", scopes=["reports-api/read"])
    idps.append(idp)

    def verifier_checks(claims: Claims, header: Mapping[str, Any]) -> None:
        _require(claims.get("token_use") == "access", "token_use")
        _require(claims.get("client_id") == APP, "client_id")

    api = _api(
        idp,
        {
            "reports": lambda c: "reports-api/read" in str(c.get("scope", "")).split(),
            "admin": lambda c: "admins" in c.get("cognito:groups", []),
        },
        check=verifier_checks,
    )
    ada = _user_token(idp, "ada", "openid reports-api/read")
    vic = _user_token(idp, "vic", "openid reports-api/read")
    narrow = _user_token(idp, "ada", "openid")
    assert [_get(api, p, ada) for p in ("/reports", "/admin")] == [200, 200]
    assert [_get(api, p, vic) for p in ("/reports", "/admin")] == [200, 403]
    assert _get(api, "/reports", narrow) == 403
    id_token = idp.login("ada", client=APP, scope="openid")["id_token"]
    assert _get(api, "/reports", str(id_token)) == 401  # token_use id


# -- generic: RFC 9068 (typ at+jwt, aud the resource, scope, roles, groups) -----------------


def test_generic_rfc9068_roles_and_groups(idps: list[MockIdP]) -> None:
    idp = _idp("generic", scopes=["reports:read"])
    idps.append(idp)

    def rfc9068(claims: Claims, header: Mapping[str, Any]) -> None:
        _require(header.get("typ") == "at+jwt", "typ")  # RFC 9068 4
        _require(claims.get("aud") == API, "audience")

    api = _api(
        idp,
        {
            "reports": lambda c: "reports:read" in str(c.get("scope", "")).split(),
            "admin": lambda c: "admin" in c.get("roles", []),
            "staff": lambda c: "admins" in c.get("groups", []),
        },
        check=rfc9068,
    )
    ada = _user_token(idp, "ada", "openid reports:read", resource=API)
    vic = _user_token(idp, "vic", "openid reports:read", resource=API)
    machine = _client_token(idp, "reports:read", resource=API)
    paths = ("/reports", "/admin", "/staff")
    assert [_get(api, p, ada) for p in paths] == [200, 200, 200]
    assert [_get(api, p, vic) for p in paths] == [200, 403, 403]
    assert [_get(api, p, machine) for p in paths] == [200, 403, 403]


def test_roles_and_groups_follow_the_scenario(idps: list[MockIdP]) -> None:
    """The same user, given the role in a changed scenario, is let in: nothing but the
    scenario decides."""
    idp = _idp("keycloak")
    idps.append(idp)
    api = _api(idp, {"admin": lambda c: "ROLE_admin" in _spring_authorities(c, APP)})
    assert _get(api, "/admin", _user_token(idp, "vic", "openid")) == 403
    promoted = [dict(USERS[1], roles=["admin"])]
    idp.use_scenario(
        {"preset": "keycloak", "users": promoted, "clients": CLIENTS, "default_user": "vic"}
    )
    assert _get(api, "/admin", _user_token(idp, "vic", "openid")) == 200
