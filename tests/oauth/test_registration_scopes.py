"""A registered client's scopes (RFC 7591 2 lets the server decide what it may ask for):
held to those it registered, unless the scenario's registration.any_scope lets it ask
for any scope the provider knows (an SDK's step-up, as MCP clients do it)."""

from __future__ import annotations

from collections.abc import AsyncIterator

import httpx
import pytest

from mockidp import create_app
from mockidp.testing.double import scenario_for_test

pytestmark = pytest.mark.anyio

ORIGIN = "http://mockidp.test"
CALLBACK = "http://127.0.0.1:4000/callback"
CHALLENGE = "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM"


async def _http(any_scope: bool) -> AsyncIterator[httpx.AsyncClient]:
    scenario = scenario_for_test(registration={"any_scope": any_scope}, scopes=["files:write"])
    app = create_app(scenario)
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url=ORIGIN) as c:
        yield c


async def _authorize(http: httpx.AsyncClient, scope: str) -> dict[str, str]:
    registered = await http.post(
        "/register",
        json={
            "application_type": "native",
            "token_endpoint_auth_method": "none",
            "redirect_uris": [CALLBACK],
            "scope": "openid",
        },
    )
    assert registered.status_code == 201, registered.text
    query = {
        "response_type": "code",
        "client_id": registered.json()["client_id"],
        "redirect_uri": CALLBACK,
        "scope": scope,
        "state": "s",
        "code_challenge": CHALLENGE,
        "code_challenge_method": "S256",
    }
    answer = await http.get("/authorize", params=query)
    assert answer.status_code == 302, answer.text
    return dict(httpx.URL(answer.headers["location"]).params)


@pytest.mark.parametrize("any_scope", [False, True])
async def test_a_step_up_beyond_the_registered_scope(any_scope: bool) -> None:
    async for http in _http(any_scope):
        asked = await _authorize(http, "openid")
        wider = await _authorize(http, "openid files:write")
        unknown = await _authorize(http, "openid nonsense")
        assert "code" in asked
        assert unknown["error"] == "invalid_scope"  # only scopes the provider knows
        if any_scope:
            assert "code" in wider
        else:
            assert wider["error"] == "invalid_scope"
