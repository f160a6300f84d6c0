"""Dynamic client registration (RFC 7591), its management protocol (RFC 7592) and the
OpenID Connect Dynamic Client Registration 1.0 rules, end to end over HTTP."""

from __future__ import annotations

import base64
import re
from html import unescape
from typing import Any
from urllib.parse import parse_qs, urlsplit

import httpx
import pytest
from authlib.integrations.httpx_client import AsyncOAuth2Client
from authlib.oauth2.rfc7523 import PrivateKeyJWT
from joserfc import jwt
from joserfc.jwk import KeySet, RSAKey

from mockidp import Provider as CoreProvider
from mockidp import create_app
from mockidp.errors import OAuthError as CoreOAuthError
from mockidp.store import MemoryStore
from tests.conftest import IdP
from tests.oauth.sessions.test_logout_channels import serve_receiver
from tests.support.dynamodb import mock_aws_store, needs_moto
from tests.support.e2e import (
    REDIRECT_URI,
    OAuthError,
    Provider,
    default_scenario_mapping,
    discover,
    oauth_client,
    sign_in,
)
from tests.support.flows import PKCE_CHALLENGE as CHALLENGE
from tests.support.flows import PKCE_VERIFIER as VERIFIER
from tests.support.flows import code_request
from tests.support.grants import (
    JWT_BEARER,
    TOKEN_EXCHANGE,
    TOKEN_TYPE,
    dpop_proof,
    ec_key,
    public_jwks,
    sign,
)
from tests.support.transports import asgi_transport_for

pytestmark = pytest.mark.anyio

DEVICE_GRANT = "urn:ietf:params:oauth:grant-type:device_code"

ORIGIN = "http://mockidp.test"
WEB = {
    "redirect_uris": [REDIRECT_URI],
    "client_name": "Registered web app",
    "grant_types": ["authorization_code", "refresh_token"],
    "scope": "openid profile email offline_access",
}


def _asgi(scenario: Any = None, *, store: MemoryStore | None = None) -> httpx.AsyncClient:
    app = create_app(scenario, store=store)
    return httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url=ORIGIN)


async def _metadata(http: httpx.AsyncClient) -> dict[str, Any]:
    response = await http.get("/.well-known/openid-configuration")
    assert response.status_code == 200
    data: dict[str, Any] = response.json()
    return data


async def _register(http: httpx.AsyncClient, metadata: dict[str, Any], **kw: Any) -> httpx.Response:
    endpoint = (await _metadata(http))["registration_endpoint"]
    return await http.post(endpoint, json=metadata, **kw)


async def _registered(http: httpx.AsyncClient, metadata: dict[str, Any]) -> dict[str, Any]:
    response = await _register(http, metadata)
    assert response.status_code == 201, response.text
    data: dict[str, Any] = response.json()
    return data


def _bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


# -- register, then sign in -----------------------------------------------------------------


async def test_register_then_sign_in_and_refresh_with_authlib(idp: IdP) -> None:
    async with idp.client() as http:
        response = await _register(http, WEB)
    assert response.status_code == 201
    assert response.headers["cache-control"] == "no-store"
    info = response.json()
    assert info["client_secret"] and info["client_secret_expires_at"] == 0
    assert info["client_id_issued_at"] == int(idp.provider.clock.now())
    assert info["registration_client_uri"] == f"{idp.base_url}/register/{info['client_id']}"
    assert info["registration_access_token"]
    # every registered value comes back, defaults included (RFC 7591 3.2.1)
    assert info["redirect_uris"] == [REDIRECT_URI]
    assert info["client_name"] == "Registered web app"
    assert info["token_endpoint_auth_method"] == "client_secret_basic"
    assert info["response_types"] == ["code"]
    assert info["application_type"] == "web"
    async with oauth_client(
        idp, info["client_id"], client_secret=info["client_secret"], scope="openid offline_access"
    ) as client:
        provider = await discover(client)
        signed = await sign_in(client, provider, clock=idp.provider.clock)
        assert signed.id_token["aud"] == info["client_id"]
        refreshed = await client.refresh_token(
            provider.endpoint("token_endpoint"), refresh_token=signed.token["refresh_token"]
        )
    assert refreshed["access_token"] != signed.token["access_token"]


async def test_public_native_client_signs_in_on_any_loopback_port(idp: IdP) -> None:
    metadata = {
        "application_type": "native",
        "token_endpoint_auth_method": "none",
        "redirect_uris": ["http://127.0.0.1/callback", "com.example.app:/oauth2redirect"],
    }
    async with idp.client() as http:
        info = await _registered(http, metadata)
    assert "client_secret" not in info and "client_secret_expires_at" not in info
    async with oauth_client(
        idp, info["client_id"], redirect_uri="http://127.0.0.1:53117/callback", scope="openid"
    ) as client:
        provider = await discover(client)
        signed = await sign_in(client, provider, clock=idp.provider.clock)
    assert signed.id_token["aud"] == info["client_id"]


@pytest.mark.parametrize(
    ("redirect_uri", "allowed"),
    [
        ("http://127.0.0.1:53117/callback", True),  # RFC 8252 7.3: only the port may vary
        ("http://127.0.0.1/callback", True),
        ("http://127.0.0.1:53117/elsewhere", False),
        ("http://127.0.0.1:53117/callback?x=1", False),
        ("http://localhost:53117/callback", False),
        ("http://[::1]:53117/callback", False),
        ("https://127.0.0.1:53117/callback", False),
    ],
)
async def test_a_registered_native_clients_redirect_uri_is_matched_but_for_the_port(
    idp: IdP, redirect_uri: str, allowed: bool
) -> None:
    metadata = {
        "application_type": "native",
        "token_endpoint_auth_method": "none",
        "redirect_uris": ["http://127.0.0.1/callback"],
    }
    async with idp.client() as http:
        info = await _registered(http, metadata)
        query = {
            "response_type": "code",
            "client_id": info["client_id"],
            "redirect_uri": redirect_uri,
            "scope": "openid",
            "code_challenge": "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM",
            "code_challenge_method": "S256",
        }
        answer = await http.get("/authorize", params=query)
    if allowed:
        assert answer.status_code == 302, answer.text
        assert answer.headers["location"].startswith(redirect_uri + "?code=")
    else:  # never sent anywhere: an error page (RFC 6749 4.1.2.1)
        assert answer.status_code == 400, answer.text
        assert "location" not in answer.headers


async def test_private_key_jwt_client_registers_its_keys_and_authenticates() -> None:
    key = RSAKey.generate_key(2048, parameters={"kid": "reg-1", "alg": "RS256", "use": "sig"})
    metadata = {
        "grant_types": ["client_credentials"],
        "token_endpoint_auth_method": "private_key_jwt",
        "token_endpoint_auth_signing_alg": "RS256",
        "jwks": {"keys": [key.as_dict(private=False)]},
    }
    transport = httpx.ASGITransport(app=create_app())
    async with httpx.AsyncClient(transport=transport, base_url=ORIGIN) as http:
        info = await _registered(http, metadata)
        token_endpoint = (await _metadata(http))["token_endpoint"]
    assert "client_secret" not in info and info["response_types"] == []
    client = AsyncOAuth2Client(
        client_id=info["client_id"],
        client_secret=key,
        token_endpoint_auth_method="private_key_jwt",
        transport=asgi_transport_for(AsyncOAuth2Client, transport.app),
        base_url=ORIGIN,
    )
    client.register_client_auth_method(PrivateKeyJWT(token_endpoint, alg="RS256"))
    async with client:
        token = await client.fetch_token(token_endpoint, grant_type="client_credentials")
    assert token["access_token"]


async def test_unknown_members_are_ignored_and_known_ones_echoed() -> None:
    metadata = {
        **WEB,
        "logo_uri": "https://app.example/logo.png",
        "contacts": ["ops@app.example"],
        "client_name#ja-Jpan-JP": "クライアント名",
        "software_id": "4NRB1-0XZABZI9E6-5SM3R",
        "default_max_age": 3600,
        "x_vendor_thing": {"nested": True},
        "client_id": "chosen-by-the-client",
        "client_secret": "chosen-secret",
    }
    async with _asgi() as http:
        info = await _registered(http, metadata)
    assert info["logo_uri"] == "https://app.example/logo.png"
    assert info["contacts"] == ["ops@app.example"]
    assert info["client_name#ja-Jpan-JP"] == "クライアント名"
    assert info["software_id"] == "4NRB1-0XZABZI9E6-5SM3R"
    assert info["default_max_age"] == 3600
    assert "x_vendor_thing" not in info
    assert info["client_id"] != "chosen-by-the-client"
    assert info["client_secret"] != "chosen-secret"


# -- validation -----------------------------------------------------------------------------

INVALID = [
    ({"grant_types": ["authorization_code"]}, "invalid_redirect_uri", "redirect_uris is required"),
    ({"redirect_uris": "https://a.example/cb"}, "invalid_redirect_uri", "array"),
    ({"redirect_uris": ["https://a.example/cb#frag"]}, "invalid_redirect_uri", "fragment"),
    ({"redirect_uris": ["/relative/cb"]}, "invalid_redirect_uri", "absolute"),
    ({"redirect_uris": ["javascript:alert(1)"]}, "invalid_redirect_uri", "unsafe"),
    ({"redirect_uris": ["com.example.app:/cb"]}, "invalid_redirect_uri", "application_type native"),
    (
        {"application_type": "native", "redirect_uris": ["http://app.example/cb"]},
        "invalid_redirect_uri",
        "loopback",
    ),
    (
        {
            "redirect_uris": ["http://localhost:8080/cb"],
            "response_types": ["id_token"],
            "grant_types": ["implicit"],
        },
        "invalid_redirect_uri",
        "https",
    ),
    (
        {
            "redirect_uris": ["https://a.example/cb"],
            "response_types": ["code id_token"],
            "grant_types": ["authorization_code"],
        },
        "invalid_client_metadata",
        "needs grant_types implicit",
    ),
    (
        {
            "redirect_uris": ["https://a.example/cb"],
            "response_types": ["token"],
            "grant_types": ["authorization_code", "implicit"],
        },
        "invalid_client_metadata",
        "authorization_code needs a response_type with code",
    ),
    (
        {"redirect_uris": ["https://a.example/cb"], "response_types": ["code token_x"]},
        "invalid_client_metadata",
        "response_type 'code token_x' is not supported",
    ),
    ({"grant_types": ["urn:example:unknown"]}, "invalid_client_metadata", "not supported"),
    (
        {
            "redirect_uris": ["https://a.example/cb"],
            "token_endpoint_auth_method": "tls_client_auth",
        },
        "invalid_client_metadata",
        "token_endpoint_auth_method 'tls_client_auth' is not supported",
    ),
    (
        {
            "redirect_uris": ["https://a.example/cb"],
            "jwks": {"keys": []},
            "jwks_uri": "https://a.example/jwks",
        },
        "invalid_client_metadata",
        "not both",
    ),
    (
        {
            "redirect_uris": ["https://a.example/cb"],
            "token_endpoint_auth_method": "private_key_jwt",
            "jwks_uri": "https://a.example/jwks",
        },
        "invalid_client_metadata",
        "jwks",
    ),
    (
        {
            "redirect_uris": ["https://a.example/cb"],
            "jwks": {"keys": [{"kty": "oct", "k": "c2VjcmV0"}]},
        },
        "invalid_client_metadata",
        "public keys only",
    ),
    (
        {"redirect_uris": ["https://a.example/cb"], "scope": "openid launch_missiles"},
        "invalid_client_metadata",
        "launch_missiles",
    ),
    (
        {"redirect_uris": ["https://a.example/cb"], "id_token_signed_response_alg": "none"},
        "invalid_client_metadata",
        "id_token_signed_response_alg 'none' is not supported",
    ),
    (
        {"redirect_uris": ["https://a.example/cb"], "id_token_encrypted_response_alg": "RSA-OAEP"},
        "invalid_client_metadata",
        "encrypt",
    ),
    (
        {"redirect_uris": ["https://a.example/cb"], "subject_type": "pairwise"},
        "invalid_client_metadata",
        "subject_type",
    ),
    (
        {"redirect_uris": ["https://a.example/cb"], "application_type": "desktop"},
        "invalid_client_metadata",
        "application_type",
    ),
    (
        {"redirect_uris": ["https://a.example/cb"], "client_name": 7},
        "invalid_client_metadata",
        "client_name must be a string",
    ),
    (
        {"redirect_uris": ["https://a.example/cb"], "post_logout_redirect_uris": ["x#y"]},
        "invalid_client_metadata",
        "post_logout_redirect_uris",
    ),
    (
        {
            "redirect_uris": ["https://a.example/cb"],
            "token_endpoint_auth_method": "client_secret_basic",
            "token_endpoint_auth_signing_alg": "RS256",
        },
        "invalid_client_metadata",
        "client_secret_jwt or private_key_jwt",
    ),
]


@pytest.mark.parametrize(("metadata", "error", "words"), INVALID)
async def test_invalid_metadata_is_refused_with_the_rfc_7591_error(
    metadata: dict[str, Any], error: str, words: str
) -> None:
    async with _asgi() as http:
        response = await _register(http, metadata)
        assert response.status_code == 400, response.text
        body = response.json()
        assert body["error"] == error
        assert words in body["error_description"]
        assert response.headers["cache-control"] == "no-store"
        assert (await http.get("/_mockidp/requests")).json()["requests"][-1]["status"] == 400


@pytest.mark.parametrize(
    ("content", "content_type", "words"),
    [
        (
            b'{"redirect_uris": ["https://a.example/cb"]}',
            "application/x-www-form-urlencoded",
            "application/json",
        ),
        (b"[1, 2]", "application/json", "JSON object"),
        (b"{not json", "application/json", "not valid"),
        (b'{"client_name": NaN}', "application/json", "not valid"),
        (b'{"client_name": "\\ud800"}', "application/json", "not valid"),
    ],
)
async def test_a_body_that_is_not_a_json_object_is_invalid_request(
    content: bytes, content_type: str, words: str
) -> None:
    async with _asgi() as http:
        response = await http.post(
            "/register", content=content, headers={"Content-Type": content_type}
        )
    assert response.status_code == 400
    assert response.json()["error"] == "invalid_request"
    assert words in response.json()["error_description"]


# -- RFC 7592: read, update, delete ---------------------------------------------------------


async def test_read_needs_the_registration_access_token(idp: IdP) -> None:
    async with idp.client() as http:
        info = await _registered(http, WEB)
        other = await _registered(http, WEB)
        uri = info["registration_client_uri"]
        read = await http.get(uri, headers=_bearer(info["registration_access_token"]))
        absent = await http.get(uri)
        wrong = await http.get(uri, headers=_bearer("not-the-token"))
        crossed = await http.get(uri, headers=_bearer(other["registration_access_token"]))
        unknown = await http.get(
            f"{idp.base_url}/register/nope", headers=_bearer(info["registration_access_token"])
        )
    assert read.status_code == 200
    assert read.json() == info
    assert absent.status_code == 401
    assert absent.headers["www-authenticate"] == 'Bearer realm="mockidp"'
    for response in (wrong, crossed, unknown):
        assert response.status_code == 401
        assert response.json()["error"] == "invalid_token"
        assert 'error="invalid_token"' in response.headers["www-authenticate"]


async def test_update_replaces_the_metadata_and_keeps_the_credentials() -> None:
    async with _asgi() as http:
        info = await _registered(http, {**WEB, "logo_uri": "https://a.example/logo.png"})
        uri, token = info["registration_client_uri"], info["registration_access_token"]
        new = {
            "client_id": info["client_id"],
            "client_secret": info["client_secret"],
            "redirect_uris": ["https://app.example/callback"],
            "client_name": "Renamed",
        }
        updated = await http.put(uri, json=new, headers=_bearer(token))
        assert updated.status_code == 200, updated.text
        body = updated.json()
        assert body["client_secret"] == info["client_secret"]
        assert body["registration_access_token"] == token
        assert body["redirect_uris"] == ["https://app.example/callback"]
        assert body["client_name"] == "Renamed"
        assert "logo_uri" not in body and "scope" not in body  # omitted: removed
        assert (await http.get(uri, headers=_bearer(token))).json() == body
        # the old redirect URI no longer works at the authorization endpoint
        old = await http.get(
            "/authorize",
            params={
                "client_id": info["client_id"],
                "redirect_uri": REDIRECT_URI,
                "response_type": "code",
                "scope": "openid",
            },
        )
        assert old.status_code == 400 and "not registered" in old.text


async def test_update_can_make_a_public_client_confidential_and_back() -> None:
    async with _asgi() as http:
        info = await _registered(http, {**WEB, "token_endpoint_auth_method": "none"})
        uri, token = info["registration_client_uri"], info["registration_access_token"]
        assert "client_secret" not in info
        body = {
            "client_id": info["client_id"],
            **WEB,
            "token_endpoint_auth_method": "client_secret_post",
        }
        confidential = (await http.put(uri, json=body, headers=_bearer(token))).json()
        assert confidential["client_secret"] and confidential["client_secret_expires_at"] == 0
        issued = await http.post(
            "/token",
            data={
                "grant_type": "refresh_token",
                "refresh_token": "unknown",
                "client_id": info["client_id"],
                "client_secret": confidential["client_secret"],
            },
        )
        assert issued.json()["error"] == "invalid_grant"  # authenticated: the secret works
        body["token_endpoint_auth_method"] = "none"
        public = (await http.put(uri, json=body, headers=_bearer(token))).json()
        assert "client_secret" not in public


@pytest.mark.parametrize(
    ("change", "error", "words"),
    [
        ({"client_id": None}, "invalid_request", "client_id"),
        ({"client_id": "someone-else"}, "invalid_request", "client_id"),
        ({"client_secret": "my-own-choice"}, "invalid_request", "client_secret"),
        ({"registration_access_token": "x"}, "invalid_request", "registration_access_token"),
        ({"client_id_issued_at": 1}, "invalid_request", "client_id_issued_at"),
        ({"redirect_uris": ["https://a.example/#x"]}, "invalid_redirect_uri", "fragment"),
    ],
)
async def test_a_bad_update_is_refused_and_changes_nothing(
    change: dict[str, Any], error: str, words: str
) -> None:
    async with _asgi() as http:
        info = await _registered(http, WEB)
        uri, token = info["registration_client_uri"], info["registration_access_token"]
        body = {"client_id": info["client_id"], **WEB, **change}
        body = {k: v for k, v in body.items() if v is not None}
        response = await http.put(uri, json=body, headers=_bearer(token))
        assert response.status_code == 400
        assert response.json()["error"] == error
        assert words in response.json()["error_description"]
        assert (await http.get(uri, headers=_bearer(token))).json() == info
        unauthorized = await http.put(uri, json=body)
        assert unauthorized.status_code == 401


async def test_delete_stops_the_client_and_its_tokens(idp: IdP) -> None:
    async with idp.client() as http:
        info = await _registered(http, WEB)
    uri, rat = info["registration_client_uri"], info["registration_access_token"]
    async with oauth_client(
        idp, info["client_id"], client_secret=info["client_secret"], scope="openid offline_access"
    ) as client:
        provider: Provider = await discover(client)
        signed = await sign_in(client, provider, clock=idp.provider.clock)
        async with idp.client() as http:
            assert (await http.delete(uri)).status_code == 401
            deleted = await http.delete(uri, headers=_bearer(rat))
            assert deleted.status_code == 204 and deleted.content == b""
            assert (await http.get(uri, headers=_bearer(rat))).status_code == 401
            assert (await http.delete(uri, headers=_bearer(rat))).status_code == 401
            userinfo = await http.get(
                provider.endpoint("userinfo_endpoint"),
                headers=_bearer(signed.token["access_token"]),
            )
            assert userinfo.status_code == 401
            introspected = await http.post(
                provider.endpoint("introspection_endpoint"),
                data={"token": signed.token["access_token"]},
                auth=("mockidp-client", "mockidp-secret"),
            )
            assert introspected.json() == {"active": False}
        with pytest.raises(OAuthError) as refused:
            await client.refresh_token(
                provider.endpoint("token_endpoint"), refresh_token=signed.token["refresh_token"]
            )
        assert refused.value.error == "invalid_client"
        authorize = await client.get(
            provider.endpoint("authorization_endpoint"),
            params={"client_id": info["client_id"], "response_type": "code"},
        )
        assert authorize.status_code == 400 and "unknown client_id" in authorize.text


# -- settings, discovery, sharing -----------------------------------------------------------


async def test_initial_access_token_is_required_when_configured() -> None:
    scenario = default_scenario_mapping(registration={"initial_access_token": "let-me-in"})
    async with _asgi(scenario) as http:
        absent = await _register(http, WEB)
        wrong = await _register(http, WEB, headers=_bearer("guess"))
        right = await _register(http, WEB, headers=_bearer("let-me-in"))
    assert absent.status_code == 401
    assert absent.headers["www-authenticate"] == 'Bearer realm="mockidp"'
    assert wrong.status_code == 401 and wrong.json()["error"] == "invalid_token"
    assert right.status_code == 201


async def test_registration_switched_off_is_gone_everywhere() -> None:
    scenario = default_scenario_mapping(endpoints={"registration": None})
    async with _asgi(scenario) as http:
        meta = await _metadata(http)
        post = await http.post("/register", json=WEB)
        manage = await http.get("/register/abc", headers=_bearer("x"))
    assert "registration_endpoint" not in meta
    assert post.status_code == 404 and manage.status_code == 404


async def test_discovery_lists_the_endpoint_and_what_registration_accepts() -> None:
    async with _asgi() as http:
        meta = await _metadata(http)
        assert meta["registration_endpoint"] == f"{ORIGIN}/register"
        for method in meta["token_endpoint_auth_methods_supported"]:
            metadata = {**WEB, "token_endpoint_auth_method": method}
            if method == "private_key_jwt":
                key = RSAKey.generate_key(2048, parameters={"kid": "k"})
                metadata["jwks"] = {"keys": [key.as_dict(private=False)]}
            assert (await _register(http, metadata)).status_code == 201, method
        for scope in meta["scopes_supported"]:
            assert (await _register(http, {**WEB, "scope": scope})).status_code == 201, scope
        for alg in meta["id_token_signing_alg_values_supported"]:
            response = await _register(http, {**WEB, "id_token_signed_response_alg": alg})
            assert response.status_code == 201


async def test_a_registered_client_is_seen_by_a_second_app_on_the_same_store() -> None:
    store = MemoryStore()
    async with _asgi(store=store) as first, _asgi(store=store) as second:
        info = await _registered(first, {**WEB, "grant_types": ["client_credentials"]})
        token = await second.post(
            "/token",
            data={"grant_type": "client_credentials"},
            auth=(info["client_id"], info["client_secret"]),
        )
        assert token.status_code == 200, token.text
        read = await second.get(
            info["registration_client_uri"], headers=_bearer(info["registration_access_token"])
        )
        assert read.status_code == 200


async def test_control_reset_forgets_registered_clients() -> None:
    async with _asgi() as http:
        info = await _registered(http, WEB)
        assert (await http.post("/_mockidp/reset")).status_code == 204
        read = await http.get(
            info["registration_client_uri"], headers=_bearer(info["registration_access_token"])
        )
    assert read.status_code == 401


async def test_loginradius_hub_serves_registration_where_its_metadata_says() -> None:
    async with _asgi({"preset": "loginradius-hub"}) as http:
        meta = (await http.get("/service/oidc/myapp/.well-known/oauth-authorization-server")).json()
        assert meta["registration_endpoint"] == f"{ORIGIN}/api/oidc/myapp/register"
        response = await http.post(meta["registration_endpoint"], json=WEB)
        assert response.status_code == 201, response.text
        info = response.json()
        assert info["registration_client_uri"] == (
            f"{ORIGIN}/api/oidc/myapp/register/{info['client_id']}"
        )
        read = await http.get(
            info["registration_client_uri"], headers=_bearer(info["registration_access_token"])
        )
        assert read.status_code == 200


@needs_moto
def test_a_client_registered_in_one_process_works_in_another_on_dynamodb() -> None:
    with mock_aws_store() as store:
        first, second = CoreProvider(store=store), CoreProvider(store=store)
        info = first.register_client(
            {**WEB, "grant_types": ["client_credentials"]}, bearer=None, issuer=ORIGIN
        )
        auth = (
            "Basic "
            + base64.b64encode(f"{info['client_id']}:{info['client_secret']}".encode()).decode()
        )
        tokens = second.token(
            {"grant_type": "client_credentials"}, authorization=auth, issuer=ORIGIN
        )
        assert tokens["access_token"]
        read = second.registered_client(
            info["client_id"], bearer=info["registration_access_token"], issuer=ORIGIN
        )
        assert read == info
        second.delete_registered_client(info["client_id"], bearer=info["registration_access_token"])
        assert first.deps.client(info["client_id"]) is None
        with pytest.raises(CoreOAuthError):
            first.token({"grant_type": "client_credentials"}, authorization=auth, issuer=ORIGIN)


# -- metadata other features read, registered and then in effect ---------------------------

APP = "http://127.0.0.1:8080"
APP_CALLBACK = f"{APP}/callback"


async def _authorize(
    http: httpx.AsyncClient, client_id: str, redirect_uri: str = APP_CALLBACK, **extra: str
) -> httpx.Response:
    params = code_request(client_id, redirect_uri, nonce="n") | extra
    return await http.get("/authorize", params=params)


async def _signed_in_tokens(
    http: httpx.AsyncClient, info: dict[str, Any], **token_headers: str
) -> dict[str, Any]:
    """alice signs in to the registered client (the session cookie stays in ``http``)."""
    answer = await _authorize(http, info["client_id"])
    assert answer.status_code == 302, answer.text
    code = parse_qs(urlsplit(answer.headers["location"]).query)["code"][0]
    response = await http.post(
        "/token",
        data={
            "grant_type": "authorization_code",
            "code": code,
            "redirect_uri": APP_CALLBACK,
            "code_verifier": VERIFIER,
        },
        auth=(info["client_id"], info["client_secret"]),
        headers=token_headers,
    )
    assert response.status_code == 200, response.text
    tokens: dict[str, Any] = response.json()
    return tokens


def _web(**metadata: Any) -> dict[str, Any]:
    return {"redirect_uris": [APP_CALLBACK], **metadata}


async def test_a_registered_back_channel_logout_uri_gets_the_logout_token() -> None:
    with serve_receiver() as receiver:
        async with _asgi() as http:
            info = await _registered(
                http,
                _web(
                    backchannel_logout_uri=f"{receiver.url}/bc",
                    backchannel_logout_session_required=True,
                    post_logout_redirect_uris=[f"{APP}/bye"],
                ),
            )
            assert info["backchannel_logout_uri"] == f"{receiver.url}/bc"
            assert info["backchannel_logout_session_required"] is True
            assert info["post_logout_redirect_uris"] == [f"{APP}/bye"]
            tokens = await _signed_in_tokens(http, info)
            keys = KeySet.import_key_set((await http.get("/.well-known/jwks.json")).json())
            id_claims = jwt.decode(tokens["id_token"], keys).claims
            out = await http.get(
                "/end_session",
                params={
                    "id_token_hint": tokens["id_token"],
                    "post_logout_redirect_uri": f"{APP}/bye",
                },
            )
    assert out.status_code == 302 and out.headers["location"] == f"{APP}/bye"
    [(path, form)] = receiver.posts
    assert path == "/bc"
    claims = jwt.decode(form["logout_token"], keys).claims
    assert claims["aud"] == info["client_id"]
    assert claims["sid"] == id_claims["sid"]


async def test_a_registered_front_channel_logout_uri_is_framed_at_logout() -> None:
    async with _asgi() as http:
        info = await _registered(
            http,
            _web(
                frontchannel_logout_uri=f"{APP}/fc",
                frontchannel_logout_session_required=True,
            ),
        )
        assert info["frontchannel_logout_uri"] == f"{APP}/fc"
        assert info["frontchannel_logout_session_required"] is True
        tokens = await _signed_in_tokens(http, info)
        page = await http.get("/end_session", params={"id_token_hint": tokens["id_token"]})
    assert page.status_code == 200
    framed = re.findall(r'<iframe[^>]* src="([^"]+)"', page.text)
    assert len(framed) == 1, page.text
    uri = unescape(framed[0])
    assert uri.startswith(f"{APP}/fc?")
    assert parse_qs(urlsplit(uri).query)["iss"] == [ORIGIN]


@pytest.mark.parametrize(
    ("metadata", "words"),
    [
        (_web(frontchannel_logout_uri="https://elsewhere.example/fc"), "scheme, host and port"),
        (_web(frontchannel_logout_uri="com.example.app:/fc"), "http(s)"),
        (_web(backchannel_logout_uri="ftp://app.example/bc"), "http(s)"),
        (_web(backchannel_logout_session_required="yes"), "true or false"),
        (_web(post_logout_redirect_uris="https://app.example/"), "array"),
        (
            {
                "grant_types": ["urn:ietf:params:oauth:grant-type:jwt-bearer"],
                "token_endpoint_auth_method": "client_secret_basic",
            },
            "jwks",
        ),
    ],
)
async def test_logout_and_grant_metadata_is_checked_as_the_scenario_loader_does(
    metadata: dict[str, Any], words: str
) -> None:
    async with _asgi() as http:
        response = await _register(http, metadata)
    assert response.status_code == 400, response.text
    assert response.json()["error"] == "invalid_client_metadata"
    assert words in response.json()["error_description"]


async def test_a_registered_hybrid_client_gets_a_code_and_an_id_token_in_the_fragment() -> None:
    metadata = {
        "redirect_uris": ["https://app.example/cb"],
        "response_types": ["code id_token"],
        "grant_types": ["authorization_code", "implicit"],
    }
    async with _asgi() as http:
        info = await _registered(http, metadata)
        assert info["response_types"] == ["code id_token"]
        answer = await _authorize(
            http, info["client_id"], "https://app.example/cb", response_type="code id_token"
        )
        refused = await _authorize(
            http, info["client_id"], "https://app.example/cb", response_type="id_token token"
        )
    assert answer.status_code == 302, answer.text
    fragment = parse_qs(urlsplit(answer.headers["location"]).fragment)
    assert {"code", "id_token", "state"} <= set(fragment)
    assert refused.status_code == 302
    assert parse_qs(urlsplit(refused.headers["location"]).fragment)["error"] == [
        "unauthorized_client"
    ]


async def test_a_registered_client_requiring_par_is_refused_without_it() -> None:
    async with _asgi() as http:
        info = await _registered(http, _web(require_pushed_authorization_requests=True))
        assert info["require_pushed_authorization_requests"] is True
        direct = await _authorize(http, info["client_id"])
        pushed = await http.post(
            "/par",
            data={
                "redirect_uri": APP_CALLBACK,
                "response_type": "code",
                "scope": "openid",
                "code_challenge": CHALLENGE,
                "code_challenge_method": "S256",
            },
            auth=(info["client_id"], info["client_secret"]),
        )
        assert pushed.status_code == 201, pushed.text
        by_reference = await http.get(
            "/authorize",
            params={"client_id": info["client_id"], "request_uri": pushed.json()["request_uri"]},
        )
    assert direct.status_code == 302
    assert parse_qs(urlsplit(direct.headers["location"]).query)["error"] == ["invalid_request"]
    assert by_reference.status_code == 302
    assert "code" in parse_qs(urlsplit(by_reference.headers["location"]).query)


async def test_requiring_par_cannot_be_registered_where_par_is_off() -> None:
    scenario = default_scenario_mapping(endpoints={"pushed_authorization_request": None})
    async with _asgi(scenario) as http:
        response = await _register(http, _web(require_pushed_authorization_requests=True))
    assert response.status_code == 400
    assert response.json()["error"] == "invalid_client_metadata"
    assert "pushed authorization request endpoint" in response.json()["error_description"]


async def test_a_registered_dpop_bound_client_is_refused_without_a_proof() -> None:
    metadata = {"grant_types": ["client_credentials"], "dpop_bound_access_tokens": True}
    app = create_app()
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url=ORIGIN) as http:
        info = await _registered(http, metadata)
        assert info["dpop_bound_access_tokens"] is True
        auth = (info["client_id"], info["client_secret"])
        form = {"grant_type": "client_credentials"}
        bare = await http.post("/token", data=form, auth=auth)
        proof = dpop_proof(ec_key("registered"), f"{ORIGIN}/token", now=app.provider.clock.now())
        bound = await http.post("/token", data=form, auth=auth, headers={"DPoP": proof})
    assert bare.status_code == 400
    assert bare.json()["error"] == "invalid_dpop_proof"
    assert bound.status_code == 200, bound.text
    assert bound.json()["token_type"] == "DPoP"


async def test_a_registered_userinfo_signed_response_alg_signs_userinfo() -> None:
    async with _asgi() as http:
        info = await _registered(http, _web(userinfo_signed_response_alg="RS256"))
        assert info["userinfo_signed_response_alg"] == "RS256"
        tokens = await _signed_in_tokens(http, info)
        answer = await http.get(
            "/userinfo", headers={"Authorization": f"Bearer {tokens['access_token']}"}
        )
        keys = KeySet.import_key_set((await http.get("/.well-known/jwks.json")).json())
    assert answer.status_code == 200, answer.text
    assert answer.headers["content-type"].startswith("application/jwt")
    token = jwt.decode(answer.text, keys)
    assert token.header["alg"] == "RS256"
    assert token.claims["sub"] == "alice" and token.claims["aud"] == info["client_id"]


async def test_a_registered_device_client_runs_the_device_flow() -> None:
    metadata = {"grant_types": [DEVICE_GRANT], "token_endpoint_auth_method": "none"}
    async with _asgi() as http:
        info = await _registered(http, metadata)
        assert info["grant_types"] == [DEVICE_GRANT] and info["response_types"] == []
        started = await http.post(
            "/device_authorization", data={"client_id": info["client_id"], "scope": "openid"}
        )
        assert started.status_code == 200, started.text
        polled = await http.post(
            "/token",
            data={
                "grant_type": DEVICE_GRANT,
                "device_code": started.json()["device_code"],
                "client_id": info["client_id"],
            },
        )
        web = await _register(http, _web())  # the default: no device grant
        refused = await http.post(
            "/device_authorization",
            data={"client_id": web.json()["client_id"]},
            auth=(web.json()["client_id"], web.json()["client_secret"]),
        )
    assert polled.status_code == 400 and polled.json()["error"] == "authorization_pending"
    assert refused.status_code in (400, 401)
    assert refused.json()["error"] == "unauthorized_client"


async def test_a_registered_client_exchanges_tokens_and_presents_jwt_assertions() -> None:
    metadata = {
        "grant_types": [TOKEN_EXCHANGE, JWT_BEARER],
        "jwks": public_jwks("registered-assertions"),
    }
    app = create_app()
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url=ORIGIN) as http:
        info = await _registered(http, metadata)
        assert info["grant_types"] == [TOKEN_EXCHANGE, JWT_BEARER]
        auth = (info["client_id"], info["client_secret"])
        now = int(app.provider.clock.now())
        claims = {"iss": info["client_id"], "sub": "alice", "aud": f"{ORIGIN}/token"}
        claims.update({"iat": now, "exp": now + 300, "jti": "registered-1"})
        assertion = sign(claims, ec_key("registered-assertions"))
        asserted = await http.post(
            "/token", data={"grant_type": JWT_BEARER, "assertion": assertion}, auth=auth
        )
        assert asserted.status_code == 200, asserted.text
        exchanged = await http.post(
            "/token",
            data={
                "grant_type": TOKEN_EXCHANGE,
                "subject_token": asserted.json()["access_token"],
                "subject_token_type": TOKEN_TYPE + "access_token",
            },
            auth=auth,
        )
    assert exchanged.status_code == 200, exchanged.text
    assert exchanged.json()["issued_token_type"] == TOKEN_TYPE + "access_token"
