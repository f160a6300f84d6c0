"""The presets beyond the vendor documents (auth0, okta, okta-org, keycloak, entra, cognito,
google):
each layout as providers.md gives it, and a discovery-driven Authlib sign-in from the
issuer URL alone, strict issuer validation included."""

from __future__ import annotations

from typing import Any

import pytest

from tests.support.e2e import CONFIDENTIAL, SECRET, validated_id_token
from tests.support.presets import (
    BASE,
    app_for,
    authorization_code,
    discover_issuer,
    http_for,
    jwt_parts,
    oauth_for,
)

pytestmark = pytest.mark.anyio

ENTRA_TENANT = "9188040d-6c67-4c5b-b112-36a304b66dad"

# preset -> (issuer, the endpoint URLs discovery must list, endpoints it must not list)
LAYOUTS: dict[str, tuple[str, dict[str, str], tuple[str, ...]]] = {
    "auth0": (
        BASE + "/",
        {
            "authorization_endpoint": "/authorize",
            "token_endpoint": "/oauth/token",
            "userinfo_endpoint": "/userinfo",
            "jwks_uri": "/.well-known/jwks.json",
            "revocation_endpoint": "/oauth/revoke",
            "end_session_endpoint": "/oidc/logout",
        },
        ("introspection_endpoint",),
    ),
    "okta": (
        BASE + "/oauth2/default",
        {
            "authorization_endpoint": "/oauth2/default/v1/authorize",
            "token_endpoint": "/oauth2/default/v1/token",
            "userinfo_endpoint": "/oauth2/default/v1/userinfo",
            "jwks_uri": "/oauth2/default/v1/keys",
            "introspection_endpoint": "/oauth2/default/v1/introspect",
            "revocation_endpoint": "/oauth2/default/v1/revoke",
            "end_session_endpoint": "/oauth2/default/v1/logout",
        },
        (),
    ),
    "okta-org": (
        BASE,
        {
            "authorization_endpoint": "/oauth2/v1/authorize",
            "token_endpoint": "/oauth2/v1/token",
            "userinfo_endpoint": "/oauth2/v1/userinfo",
            "jwks_uri": "/oauth2/v1/keys",
            "introspection_endpoint": "/oauth2/v1/introspect",
            "revocation_endpoint": "/oauth2/v1/revoke",
            "end_session_endpoint": "/oauth2/v1/logout",
        },
        (),
    ),
    "keycloak": (
        BASE + "/realms/mockidp",
        {
            "authorization_endpoint": "/realms/mockidp/protocol/openid-connect/auth",
            "token_endpoint": "/realms/mockidp/protocol/openid-connect/token",
            "userinfo_endpoint": "/realms/mockidp/protocol/openid-connect/userinfo",
            "jwks_uri": "/realms/mockidp/protocol/openid-connect/certs",
            "introspection_endpoint": "/realms/mockidp/protocol/openid-connect/token/introspect",
            "revocation_endpoint": "/realms/mockidp/protocol/openid-connect/revoke",
            "end_session_endpoint": "/realms/mockidp/protocol/openid-connect/logout",
        },
        (),
    ),
    "entra": (
        f"{BASE}/{ENTRA_TENANT}/v2.0",
        {
            "authorization_endpoint": f"/{ENTRA_TENANT}/oauth2/v2.0/authorize",
            "token_endpoint": f"/{ENTRA_TENANT}/oauth2/v2.0/token",
            "end_session_endpoint": f"/{ENTRA_TENANT}/oauth2/v2.0/logout",
            "jwks_uri": f"/{ENTRA_TENANT}/discovery/v2.0/keys",
            "userinfo_endpoint": "/oidc/userinfo",
        },
        ("introspection_endpoint", "revocation_endpoint"),
    ),
    "cognito": (
        BASE + "/us-east-1_mockidp",
        {
            "authorization_endpoint": "/oauth2/authorize",
            "token_endpoint": "/oauth2/token",
            "userinfo_endpoint": "/oauth2/userInfo",
            "revocation_endpoint": "/oauth2/revoke",
            "jwks_uri": "/us-east-1_mockidp/.well-known/jwks.json",
        },
        ("end_session_endpoint", "introspection_endpoint"),
    ),
    "google": (
        BASE,
        {
            "authorization_endpoint": "/o/oauth2/v2/auth",
            "token_endpoint": "/token",
            "userinfo_endpoint": "/v1/userinfo",
            "jwks_uri": "/oauth2/v3/certs",
            "revocation_endpoint": "/revoke",
        },
        ("end_session_endpoint", "introspection_endpoint"),
    ),
}


@pytest.mark.parametrize("name", sorted(LAYOUTS))
async def test_discovery_lists_the_vendor_layout(name: str) -> None:
    issuer, endpoints, absent = LAYOUTS[name]
    app = app_for({"preset": name})
    async with http_for(app) as http:
        provider = await discover_issuer(http, issuer)  # strict: issuer == the URL used
        for member, path in endpoints.items():
            assert provider.metadata[member] == BASE + path, member
        for member in absent:
            assert member not in provider.metadata, member
        # The generic paths are not served where the vendor has none.
        for generic in ("/introspect", "/end_session"):
            assert (await http.get(generic)).status_code == 404, generic


@pytest.mark.parametrize("name", sorted(LAYOUTS))
async def test_authlib_signs_in_from_the_issuer_url(name: str) -> None:
    issuer, _, _ = LAYOUTS[name]
    app = app_for({"preset": name})
    async with oauth_for(app, CONFIDENTIAL, client_secret=SECRET, scope="openid profile") as client:
        provider = await discover_issuer(client, issuer)
        code, verifier, state = await authorization_code(
            client, provider, nonce="n-" + name, scope="openid profile"
        )
        token = await client.fetch_token(
            provider.endpoint("token_endpoint"), code=code, code_verifier=verifier, state=state
        )
        claims = validated_id_token(
            token["id_token"],
            provider,
            client_id=CONFIDENTIAL,
            nonce="n-" + name,
            access_token=token["access_token"],
            now=app.provider.clock.now(),
        )
        userinfo = await client.get(provider.endpoint("userinfo_endpoint"))
    assert claims["iss"] == issuer
    assert userinfo.status_code == 200, userinfo.text
    assert userinfo.json()["sub"] == claims["sub"]


async def _tokens(name: str, **scenario: Any) -> tuple[dict[str, Any], Any]:
    issuer, _, _ = LAYOUTS[name]
    app = app_for({"preset": name, **scenario})
    async with oauth_for(app, CONFIDENTIAL, client_secret=SECRET) as client:
        provider = await discover_issuer(client, issuer)
        code, verifier, state = await authorization_code(client, provider)
        token = await client.fetch_token(
            provider.endpoint("token_endpoint"), code=code, code_verifier=verifier, state=state
        )
    return dict(token), app


async def test_entra_id_tokens_carry_the_tenant_and_version() -> None:
    token, _ = await _tokens(
        "entra",
        users=[{"sub": "alice", "claims": {"oid": "00000000-0000-0000-0000-0000000000a1"}}],
        default_user="alice",
    )
    _, claims = jwt_parts(token["id_token"])
    assert claims["tid"] == ENTRA_TENANT
    assert claims["ver"] == "2.0"
    assert claims["oid"] == "00000000-0000-0000-0000-0000000000a1"
    assert claims["sub"] != "alice"  # pairwise, as Entra's subjects are


async def test_cognito_id_tokens_and_logout_uri() -> None:
    token, app = await _tokens("cognito")
    _, claims = jwt_parts(token["id_token"])
    assert claims["cognito:username"] == "alice" and claims["token_use"] == "id"
    async with http_for(app) as http:
        response = await http.get(
            "/logout", params={"client_id": CONFIDENTIAL, "logout_uri": "http://localhost:8080/"}
        )
    assert response.status_code == 302
    assert response.headers["location"] == "http://localhost:8080/"


async def test_auth0_takes_json_and_refuses_a_code_with_403() -> None:
    app = app_for({"preset": "auth0"})
    async with http_for(app) as http:
        response = await http.post(
            "/oauth/token",
            json={
                "grant_type": "authorization_code",
                "client_id": CONFIDENTIAL,
                "client_secret": SECRET,
                "code": "not-a-code",
                "redirect_uri": "http://localhost:8080/callback",
            },
        )
    assert response.status_code == 403
    assert response.json() == {
        "error": "invalid_grant",
        "error_description": "Invalid authorization code",
    }


@pytest.mark.parametrize(
    ("name", "params", "issuer"),
    [
        ("okta", {"auth_server": "aus1abc"}, BASE + "/oauth2/aus1abc"),
        ("keycloak", {"realm": "acme"}, BASE + "/realms/acme"),
        ("cognito", {"pool_id": "eu-west-1_AbC"}, BASE + "/eu-west-1_AbC"),
    ],
)
async def test_path_params_name_the_server_realm_or_pool(
    name: str, params: dict[str, str], issuer: str
) -> None:
    app = app_for({"preset": name, "path_params": params})
    async with http_for(app) as http:
        provider = await discover_issuer(http, issuer)
    assert provider.issuer == issuer


@pytest.mark.parametrize(
    ("name", "typ", "present", "absent"),
    [
        ("cognito", "at+jwt", {"token_use": "access", "username": "alice"}, ("aud",)),
        ("auth0", "JWT", {"azp": CONFIDENTIAL}, ()),
        (
            "keycloak",
            "JWT",
            {"typ": "Bearer", "azp": CONFIDENTIAL, "preferred_username": "alice"},
            (),
        ),
        ("entra", "JWT", {"tid": ENTRA_TENANT, "ver": "2.0", "azp": CONFIDENTIAL}, ()),
        ("okta", "at+jwt", {"cid": CONFIDENTIAL}, ()),
    ],
)
async def test_access_tokens_carry_the_vendor_claims(
    name: str, typ: str, present: dict[str, str], absent: tuple[str, ...]
) -> None:
    token, app = await _tokens(name)
    header, claims = jwt_parts(token["access_token"])
    assert header["typ"] == typ
    for claim, value in present.items():
        assert claims[claim] == value, claim
    for claim in absent:
        assert claim not in claims, claim
    async with http_for(app) as http:  # the provider still honours its own token
        userinfo = await http.get(
            LAYOUTS[name][1]["userinfo_endpoint"],
            headers={"Authorization": "Bearer " + token["access_token"]},
        )
    assert userinfo.status_code == 200, userinfo.text


async def test_google_iss_without_a_scheme_is_switchable() -> None:
    token, _ = await _tokens("google")
    assert jwt_parts(token["id_token"])[1]["iss"] == BASE
    token, _ = await _tokens("google", quirks={"id_token_iss_without_scheme": True})
    assert jwt_parts(token["id_token"])[1]["iss"] == "mockidp.test"


async def test_keycloak_token_responses_add_its_members() -> None:
    token, _ = await _tokens("keycloak")
    assert token["expires_in"] == 300
    assert token["refresh_expires_in"] == 1800 and "refresh_token" in token
    assert token["not-before-policy"] == 0
    _, id_claims = jwt_parts(token["id_token"])
    assert token["session_state"] == id_claims["sid"]


async def test_auth0_logs_out_at_v2_logout_with_return_to() -> None:
    app = app_for({"preset": "auth0"})
    async with http_for(app) as http:
        legacy = await http.get(
            "/v2/logout", params={"client_id": CONFIDENTIAL, "returnTo": "http://localhost:8080/"}
        )
        oidc = await http.get(
            "/oidc/logout",
            params={
                "client_id": CONFIDENTIAL,
                "post_logout_redirect_uri": "http://localhost:8080/",
            },
        )
        refused = await http.get(
            "/v2/logout", params={"client_id": CONFIDENTIAL, "returnTo": "https://evil.example/"}
        )
        discovery = (await http.get("/.well-known/openid-configuration")).json()
    assert legacy.status_code == 302 and legacy.headers["location"] == "http://localhost:8080/"
    assert oidc.status_code == 302 and oidc.headers["location"] == "http://localhost:8080/"
    assert refused.status_code == 400
    assert discovery["end_session_endpoint"] == BASE + "/oidc/logout"
