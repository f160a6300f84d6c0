"""Scenario ``endpoints``: switch an endpoint off (null) or move it (a path).

A switched-off endpoint answers 404 with the OAuth-shaped ``not_found`` body and is
absent from discovery; a moved one is listed at its new URL and its old path 404s.
Tests taking ``idp`` run in-process (ASGI) and against the live uvicorn server.
"""

from __future__ import annotations

import re
from pathlib import Path
from types import MappingProxyType
from typing import Any

import httpx
import pytest
from authlib.oauth2.rfc7523 import ClientSecretJWT

from mockidp import Layout, MockIdPApp, Provider, ScenarioError, load_scenario
from mockidp.model.layout import GENERIC_PATHS
from mockidp.scenario.loader import default_scenario
from tests.conftest import IdP
from tests.support.e2e import (
    CONFIDENTIAL,
    DISCOVERY_PATH,
    PUBLIC,
    SECRET,
    callback_params,
    default_scenario_mapping,
    discover,
    oauth_client,
    sign_in,
)

pytestmark = pytest.mark.anyio

ROOT = Path(__file__).resolve().parents[2]
RFC8414_PATH = "/.well-known/oauth-authorization-server"
HMAC_CLIENT = "hmac-client"
HMAC_SECRET = "a-long-shared-secret-for-hs256-client-assertions"


def _not_found(path: str) -> dict[str, str]:
    return {
        "error": "not_found",
        "error_description": f"no endpoint at {path}; see the discovery document",
    }


# -- switched off -------------------------------------------------------------------------


async def _assert_no_userinfo(idp: IdP) -> None:
    async with oauth_client(idp, PUBLIC, scope="openid profile email") as client:
        provider = await discover(client)
        signed = await sign_in(client, provider, clock=idp.provider.clock)
        get = await client.get("/userinfo")  # with the access token, as Bearer
        post = await client.post("/userinfo")
        rfc8414 = (await client.request("GET", RFC8414_PATH, withhold_token=True)).json()
    assert "userinfo_endpoint" not in provider.metadata
    assert "userinfo_endpoint" not in rfc8414
    for response in (get, post):
        assert response.status_code == 404
        assert response.headers["content-type"] == "application/json"
        assert response.json() == _not_found("/userinfo")
    # The claims the scopes grant still come in the ID token.
    assert signed.id_token["name"] == "Alice Anderson"
    assert signed.id_token["email"] == "alice@example.com"


async def test_switched_off_userinfo_404s_and_is_absent_from_discovery(idp: IdP) -> None:
    idp.provider.use_scenario(default_scenario_mapping(endpoints={"userinfo": None}))
    await _assert_no_userinfo(idp)


async def test_example_no_userinfo_does_what_its_comment_says(idp: IdP) -> None:
    idp.provider.use_scenario(ROOT / "scenarios" / "no-userinfo.yaml")
    await _assert_no_userinfo(idp)


@pytest.mark.parametrize(
    ("name", "absent"),
    [
        (
            "introspection",
            {
                "introspection_endpoint",
                "introspection_endpoint_auth_methods_supported",
                "introspection_endpoint_auth_signing_alg_values_supported",
                "introspection_signing_alg_values_supported",
            },
        ),
        (
            "revocation",
            {
                "revocation_endpoint",
                "revocation_endpoint_auth_methods_supported",
                "revocation_endpoint_auth_signing_alg_values_supported",
            },
        ),
        (
            "end_session",
            {
                "end_session_endpoint",
                # logout.py: both channels run at RP-initiated logout only
                "frontchannel_logout_supported",
                "frontchannel_logout_session_supported",
                "backchannel_logout_supported",
                "backchannel_logout_session_supported",
            },
        ),
        ("jwks", {"jwks_uri"}),
    ],
)
async def test_a_switched_off_endpoint_leaves_discovery_and_404s(
    client: httpx.AsyncClient, app: MockIdPApp, name: str, absent: set[str]
) -> None:
    before = (await client.get(DISCOVERY_PATH)).json()
    assert absent <= set(before)
    app.provider.use_scenario(default_scenario_mapping(endpoints={name: None}))
    after = (await client.get(DISCOVERY_PATH)).json()
    assert set(before) - set(after) == absent
    response = await client.post(GENERIC_PATHS[name])
    assert (response.status_code, response.json()) == (404, _not_found(GENERIC_PATHS[name]))


async def test_discovery_itself_can_be_switched_off(
    client: httpx.AsyncClient, app: MockIdPApp
) -> None:
    app.provider.use_scenario(default_scenario_mapping(endpoints={"discovery": None, "home": None}))
    assert (await client.get(DISCOVERY_PATH)).status_code == 404
    assert (await client.get("/")).status_code == 404
    assert (await client.get(RFC8414_PATH)).status_code == 200


# -- moved --------------------------------------------------------------------------------


async def test_moved_token_endpoint_serves_a_discovery_driven_client(idp: IdP) -> None:
    idp.provider.use_scenario(default_scenario_mapping(endpoints={"token": "/oauth/token"}))
    async with oauth_client(
        idp, CONFIDENTIAL, client_secret=SECRET, scope="openid offline_access"
    ) as client:
        provider = await discover(client)
        signed = await sign_in(client, provider, clock=idp.provider.clock)
        refreshed = await client.refresh_token(
            provider.endpoint("token_endpoint"), refresh_token=signed.token["refresh_token"]
        )
        old = await client.request(
            "POST", "/token", data={"grant_type": "client_credentials"}, withhold_token=True
        )
    assert provider.endpoint("token_endpoint") == idp.base_url + "/oauth/token"
    assert signed.id_token["sub"] == "alice"
    assert refreshed["access_token"] != signed.token["access_token"]
    assert (old.status_code, old.json()) == (404, _not_found("/token"))


async def test_client_assertions_are_for_the_moved_token_endpoint(idp: IdP) -> None:
    scenario = default_scenario_mapping(endpoints={"token": "/oauth/token"})
    scenario["clients"] = [
        *scenario["clients"],
        {
            "client_id": HMAC_CLIENT,
            "client_secret": HMAC_SECRET,
            "token_endpoint_auth_method": "client_secret_jwt",
            "grant_types": ["client_credentials"],
        },
    ]
    idp.provider.use_scenario(scenario)
    async with oauth_client(
        idp, HMAC_CLIENT, client_secret=HMAC_SECRET, token_endpoint_auth_method="client_secret_jwt"
    ) as client:
        token_url = (await discover(client)).endpoint("token_endpoint")
        client.register_client_auth_method(ClientSecretJWT(token_url))  # aud: the moved URL
        token = await client.fetch_token(token_url, grant_type="client_credentials")
    assert token_url.endswith("/oauth/token")
    assert token["token_type"] == "Bearer"


async def test_the_app_routes_by_the_layout_of_the_scenario_in_force(
    client: httpx.AsyncClient, app: MockIdPApp
) -> None:
    async def status(path: str) -> int:
        return (await client.post(path, data={"grant_type": "nonsense"})).status_code

    assert (await status("/token"), await status("/oauth/token")) == (400, 404)
    app.provider.use_scenario(default_scenario_mapping(endpoints={"token": "/oauth/token"}))
    assert (await status("/token"), await status("/oauth/token")) == (404, 400)
    app.provider.use_scenario(default_scenario())
    assert (await status("/token"), await status("/oauth/token")) == (400, 404)


def _form_actions(html: str) -> set[str]:
    return set(re.findall(r'<form method="post" action="([^"]+)"', html))


async def test_login_and_consent_pages_post_to_their_moved_paths(idp: IdP) -> None:
    idp.provider.use_scenario(
        default_scenario_mapping(
            login="page",
            consent="page",
            endpoints={"login": "/u/login", "consent": "/u/consent"},
        )
    )
    params = {
        "response_type": "code",
        "client_id": CONFIDENTIAL,
        "redirect_uri": "http://localhost:8080/callback",
        "scope": "openid",
        "state": "xyz",
    }
    async with idp.client() as web:
        login = await web.get("/authorize", params=params)
        assert login.status_code == 200
        assert _form_actions(login.text) == {idp.base_url + "/u/login"}
        iid = re.search(r'name="interaction" value="([^"]+)"', login.text)
        assert iid is not None
        form = {"interaction": iid.group(1), "login": "alice"}
        assert (await web.post("/interaction/login", data=form)).status_code == 404
        consent = await web.post("/u/login", data=form)
        assert consent.status_code == 200
        assert _form_actions(consent.text) == {idp.base_url + "/u/consent"}
        decision = {"interaction": iid.group(1), "decision": "approve"}
        done = await web.post("/u/consent", data=decision)
    assert done.status_code == 302
    assert "code" in callback_params(done.headers["location"])


# -- the layout seam ------------------------------------------------------------------------


def test_the_scenario_overlays_the_providers_base_layout() -> None:
    base = Layout(MappingProxyType({**GENERIC_PATHS, "token": "/api/token"}))
    provider = Provider(
        default_scenario_mapping(endpoints={"userinfo": None, "revocation": "/api/revoke"}),
        layout=base,
    )
    assert provider.base_layout is base
    assert dict(provider.layout.paths) == {
        **{k: v for k, v in GENERIC_PATHS.items() if k != "userinfo"},
        "token": "/api/token",
        "revocation": "/api/revoke",
    }
    provider.use_scenario(default_scenario())
    assert provider.layout is base


def test_a_scenario_clashing_with_the_base_layout_is_refused() -> None:
    base = Layout(MappingProxyType({**GENERIC_PATHS, "token": "/api/token"}))
    with pytest.raises(ScenarioError) as caught:
        Provider(default_scenario_mapping(endpoints={"userinfo": "/api/token"}), layout=base)
    [problem] = caught.value.problems
    assert problem.location == "endpoints"
    assert "share the path '/api/token'" in problem.message


@pytest.mark.parametrize(
    ("endpoints", "expected"),
    [
        (
            {"token": "/userinfo"},
            "endpoints: endpoints 'token' and 'userinfo' share the path '/userinfo'",
        ),
        ({"token": "/token?x=1"}, "endpoints.token: a path has no query or fragment"),
        ({"tokens": "/t"}, "endpoints.tokens: unknown endpoint 'tokens'; did you mean 'token'?"),
    ],
)
def test_bad_endpoint_sections_are_refused_at_load(
    endpoints: dict[str, Any], expected: str
) -> None:
    with pytest.raises(ScenarioError) as caught:
        load_scenario(default_scenario_mapping(endpoints=endpoints))
    problems = [f"{p.location}: {p.message}" for p in caught.value.problems]
    assert len(problems) == 1, problems
    assert problems[0].startswith(expected), problems
