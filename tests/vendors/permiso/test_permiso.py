"""The permiso preset: Permiso's /oauth/... layout (reference 004)."""

from __future__ import annotations

import pytest

from tests.support.e2e import CONFIDENTIAL, SECRET, validated_id_token
from tests.support.presets import (
    BASE,
    app_for,
    authorization_code,
    discover_issuer,
    http_for,
    oauth_for,
)

pytestmark = pytest.mark.anyio


async def test_discovery_lists_the_documented_endpoints() -> None:
    app = app_for({"preset": "permiso"})
    async with http_for(app) as http:
        meta = (await http.get("/.well-known/openid-configuration")).json()
        assert meta["issuer"] == BASE
        assert meta["authorization_endpoint"] == BASE + "/oauth/authorize"
        assert meta["token_endpoint"] == BASE + "/oauth/token"
        assert meta["userinfo_endpoint"] == BASE + "/oauth/userinfo"
        assert meta["jwks_uri"] == BASE + "/.well-known/jwks.json"
        assert meta["end_session_endpoint"] == BASE + "/oauth/logout"
        for generic in ("/authorize", "/token", "/userinfo", "/end_session", "/introspect"):
            assert (await http.get(generic)).status_code == 404, generic


async def test_authlib_signs_in_and_reads_userinfo() -> None:
    app = app_for({"preset": "permiso"})
    async with oauth_for(app, CONFIDENTIAL, client_secret=SECRET, scope="openid profile") as client:
        provider = await discover_issuer(client, BASE)
        code, verifier, state = await authorization_code(
            client, provider, nonce="n", scope="openid profile"
        )
        token = await client.fetch_token(
            provider.endpoint("token_endpoint"), code=code, code_verifier=verifier, state=state
        )
        validated_id_token(
            token["id_token"],
            provider,
            client_id=CONFIDENTIAL,
            nonce="n",
            access_token=token["access_token"],
            now=app.provider.clock.now(),
        )
        userinfo = await client.get(provider.endpoint("userinfo_endpoint"))
    assert userinfo.status_code == 200
    assert userinfo.json()["sub"] == "alice" and userinfo.json()["name"] == "Alice Anderson"


async def test_logout_at_oauth_logout() -> None:
    app = app_for({"preset": "permiso"})
    async with http_for(app) as http:
        response = await http.get(
            "/oauth/logout",
            params={
                "client_id": CONFIDENTIAL,
                "post_logout_redirect_uri": "http://localhost:8080/",
            },
        )
    assert response.status_code == 302
    assert response.headers["location"] == "http://localhost:8080/"
