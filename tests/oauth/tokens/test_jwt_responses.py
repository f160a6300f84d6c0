"""Signed answers a client asks for: UserInfo as application/jwt (OpenID Connect Core
5.3.2, client metadata userinfo_signed_response_alg) and token introspection as
application/token-introspection+jwt (RFC 9701); signatures checked with joserfc against
the published JWKS."""

from __future__ import annotations

from typing import Any

import httpx
import pytest
from joserfc.jwk import KeySet

from tests.conftest import IdP
from tests.support.e2e import CONFIDENTIAL, SECRET, decode_jwt
from tests.support.flows import only_clients
from tests.support.negative import BASIC, REDIRECT_URI, get_code, redeem

pytestmark = pytest.mark.anyio

INTROSPECTION_JWT = "application/token-introspection+jwt"


def _scenario(keys: list[dict[str, Any]] | None = None, **client: Any) -> dict[str, Any]:
    base = {
        "client_id": CONFIDENTIAL,
        "client_secret": SECRET,
        "redirect_uris": [REDIRECT_URI],
        "grant_types": ["authorization_code", "client_credentials"],
    }
    return only_clients(base | client, **({"keys": keys} if keys is not None else {}))


async def _access_token(web: httpx.AsyncClient) -> str:
    response = await redeem(web, await get_code(web, scope="openid profile"))
    assert response.status_code == 200, response.text
    return str(response.json()["access_token"])


async def _keys(web: httpx.AsyncClient) -> KeySet:
    meta = (await web.get("/.well-known/openid-configuration")).json()
    return KeySet.import_key_set((await web.get(meta["jwks_uri"])).json())


async def test_discovery_lists_the_signing_algorithms(idp: IdP) -> None:
    async with idp.client() as web:
        meta = (await web.get("/.well-known/openid-configuration")).json()
    algs = meta["id_token_signing_alg_values_supported"]
    assert meta["userinfo_signing_alg_values_supported"] == algs
    assert meta["introspection_signing_alg_values_supported"] == algs


async def test_userinfo_is_json_unless_the_client_registered_an_alg(idp: IdP) -> None:
    async with idp.client() as web:
        token = await _access_token(web)
        response = await web.get("/userinfo", headers={"Authorization": f"Bearer {token}"})
    assert response.headers["content-type"].startswith("application/json")
    assert response.json()["sub"] == "alice"


async def test_userinfo_answers_a_signed_jwt(idp: IdP) -> None:
    idp.provider.use_scenario(_scenario(userinfo_signed_response_alg="RS256"))
    async with idp.client() as web:
        token = await _access_token(web)
        response = await web.get("/userinfo", headers={"Authorization": f"Bearer {token}"})
        keys = await _keys(web)
    assert response.status_code == 200, response.text
    assert response.headers["content-type"] == "application/jwt"
    assert response.headers["cache-control"] == "no-store"
    header, claims = decode_jwt(response.text, keys, "RS256")
    assert header["alg"] == "RS256"
    assert claims["iss"] == idp.base_url
    assert claims["aud"] == CONFIDENTIAL
    assert claims["sub"] == "alice"
    assert claims["name"] == "Alice Anderson"


async def test_userinfo_signs_with_a_published_key_of_the_registered_alg(idp: IdP) -> None:
    keys = [{"packaged": "rsa-1"}, {"packaged": "ec-p256-1"}]
    idp.provider.use_scenario(_scenario(keys, userinfo_signed_response_alg="ES256"))
    async with idp.client() as web:
        token = await _access_token(web)
        response = await web.post("/userinfo", headers={"Authorization": f"Bearer {token}"})
        header, claims = decode_jwt(response.text, await _keys(web), "ES256")
    assert header["alg"] == "ES256"
    assert claims["sub"] == "alice"


async def test_userinfo_alg_without_a_key_is_a_clear_server_error(idp: IdP) -> None:
    idp.provider.use_scenario(_scenario(userinfo_signed_response_alg="ES256"))
    async with idp.client() as web:
        token = await _access_token(web)
        response = await web.get("/userinfo", headers={"Authorization": f"Bearer {token}"})
    assert response.status_code == 500
    assert response.json()["error"] == "server_error"
    assert "ES256" in response.json()["error_description"]


async def test_signed_userinfo_still_refuses_a_bad_token(idp: IdP) -> None:
    idp.provider.use_scenario(_scenario(userinfo_signed_response_alg="RS256"))
    async with idp.client() as web:
        response = await web.get("/userinfo", headers={"Authorization": "Bearer nope"})
    assert response.status_code == 401
    assert "invalid_token" in response.headers["www-authenticate"]


async def _introspect(
    web: httpx.AsyncClient, token: str, accept: str | None, auth: tuple[str, str] = BASIC
) -> httpx.Response:
    headers = {"Accept": accept} if accept is not None else {}
    return await web.post("/introspect", data={"token": token}, auth=auth, headers=headers)


async def test_introspection_answers_a_jwt_when_asked(idp: IdP) -> None:
    async with idp.client() as web:
        token = await _access_token(web)
        response = await _introspect(web, token, INTROSPECTION_JWT)
        keys = await _keys(web)
    assert response.status_code == 200, response.text
    assert response.headers["content-type"] == INTROSPECTION_JWT
    assert response.headers["cache-control"] == "no-store"
    header, claims = decode_jwt(response.text, keys, "RS256")
    assert header["typ"] == "token-introspection+jwt"
    assert claims["iss"] == idp.base_url
    assert claims["aud"] == CONFIDENTIAL
    assert isinstance(claims["iat"], int)
    answer = claims["token_introspection"]
    assert answer["active"] is True
    assert answer["sub"] == "alice"
    assert answer["client_id"] == CONFIDENTIAL
    assert "sub" not in claims and "exp" not in claims  # RFC 9701 5: only in the answer


async def test_introspection_jwt_of_an_inactive_token(idp: IdP) -> None:
    async with idp.client() as web:
        response = await _introspect(web, "unknown", f"application/json;q=0.5, {INTROSPECTION_JWT}")
        _, claims = decode_jwt(response.text, await _keys(web), "RS256")
    assert claims["token_introspection"] == {"active": False}


@pytest.mark.parametrize("accept", [None, "application/json", f"{INTROSPECTION_JWT};q=0"])
async def test_introspection_is_json_otherwise(idp: IdP, accept: str | None) -> None:
    async with idp.client() as web:
        token = await _access_token(web)
        response = await _introspect(web, token, accept)
    assert response.headers["content-type"].startswith("application/json")
    assert response.json()["active"] is True


async def test_introspection_jwt_still_needs_client_authentication(idp: IdP) -> None:
    async with idp.client() as web:
        response = await _introspect(web, "x", INTROSPECTION_JWT, auth=(CONFIDENTIAL, "wrong"))
    assert response.status_code == 401
    assert response.json()["error"] == "invalid_client"
