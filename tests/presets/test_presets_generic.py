"""The generic preset against reference 002: every endpoint its table lists, at its
path, answering the method the document gives, and listed in discovery."""

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

# Reference 002's table: endpoint path -> the discovery member that names it.
DOCUMENTED = {
    "/authorize": "authorization_endpoint",
    "/token": "token_endpoint",
    "/userinfo": "userinfo_endpoint",
    "/.well-known/jwks.json": "jwks_uri",
    "/introspect": "introspection_endpoint",
    "/check_session": "check_session_iframe",
    "/revoke": "revocation_endpoint",
    "/end_session": "end_session_endpoint",
    "/register": "registration_endpoint",
}


async def test_every_documented_endpoint_is_served_and_discovered() -> None:
    app = app_for({"preset": "generic"})  # the issue: every endpoint of the table
    async with http_for(app) as http:
        provider = await discover_issuer(http, BASE)
        for path, member in DOCUMENTED.items():
            assert provider.metadata[member] == BASE + path, member
        # The document's methods: redirects and pages by GET, back-channel calls by POST.
        for path in ("/authorize", "/end_session", "/check_session", "/.well-known/jwks.json"):
            assert (await http.get(path)).status_code != 404, path
        for path in ("/token", "/introspect", "/revoke", "/register"):
            assert (await http.post(path, data={"x": "y"})).status_code != 404, path
        unauthenticated = await http.get("/userinfo")
    assert unauthenticated.status_code == 401  # there, and wanting a token


async def test_no_preset_is_the_generic_layout() -> None:
    plain, generic = app_for({}), app_for({"preset": "generic"})
    assert plain.provider.layout.paths == generic.provider.layout.paths


async def test_authlib_signs_in_from_the_issuer_url() -> None:
    app = app_for({"preset": "generic"})
    async with oauth_for(app, CONFIDENTIAL, client_secret=SECRET) as client:
        provider = await discover_issuer(client, BASE)
        code, verifier, state = await authorization_code(client, provider, nonce="g")
        token = await client.fetch_token(
            provider.endpoint("token_endpoint"), code=code, code_verifier=verifier, state=state
        )
    validated_id_token(
        token["id_token"],
        provider,
        client_id=CONFIDENTIAL,
        nonce="g",
        access_token=token["access_token"],
        now=app.provider.clock.now(),
    )
