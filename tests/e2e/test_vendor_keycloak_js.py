"""keycloak-js (tests/interop's pinned version) in headless Chromium against the keycloak preset.

The single-page app is served from its own loopback port, so every call keycloak-js
makes to mockidp is cross-origin and the browser enforces CORS for real: its token
calls are credentialed (``credentials: 'include'``), which ``Access-Control-Allow-Origin:
*`` cannot answer. keycloak-js runs with its defaults, ``checkLoginIframe: true`` among
them (the 3p-cookies check, the login-status iframe and its ``/init`` origin check), and
its PKCE code flow: sign-in, tokens, refresh, the iframe seeing the session end, logout.
"""

from __future__ import annotations

import json
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING

import httpx
import pytest

from mockidp.testing import MockIdP
from tests.support.browser import launch_chromium, unavailable
from tests.support.spa import Spa, html, script

if TYPE_CHECKING:
    from playwright.sync_api import Browser, Page

KEYCLOAK_JS = Path(__file__).parents[1] / "interop/node_modules/keycloak-js/lib/keycloak.js"
CLIENT = "spa"
_CONFIG: dict[str, str] = {}
USERS = [{"sub": "alice", "claims": {"email": "alice@example.com", "name": "Alice"}}]

_INDEX = """<!doctype html><html><head><meta charset="utf-8"><title>spa</title></head><body>
<script type="module">
import Keycloak from "./keycloak.js";
const config = %(config)s;
const keycloak = new Keycloak(config);
window.events = [];
keycloak.onAuthLogout = () => window.events.push("logout");
keycloak.onAuthRefreshSuccess = () => window.events.push("refreshed");
window.keycloak = keycloak;
window.ready = keycloak.init({ onLoad: "check-sso", pkceMethod: "S256",
                               checkLoginIframeInterval: 1 })
  .then((authenticated) => { window.authenticated = authenticated; return authenticated; },
        (error) => { window.initError = String(error && (error.error || error.message || error)); });
</script></body></html>"""


@pytest.fixture(scope="module")
def spa() -> Iterator[Spa]:
    if not KEYCLOAK_JS.is_file():
        unavailable("keycloak-js is not installed (npm ci --prefix tests/interop)")
    if shutil.which("node") is None:
        unavailable("no node on PATH")
    app = Spa(
        {
            "/": html(lambda: _INDEX % {"config": json.dumps(_CONFIG)}),
            "/keycloak.js": script(KEYCLOAK_JS),
        }
    )
    yield app
    app.close()


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    with launch_chromium() as chromium:
        yield chromium


@pytest.fixture
def idp(mockidp_server: MockIdP, spa: Spa) -> MockIdP:
    mockidp_server.use_scenario(
        preset="keycloak",
        users=USERS,
        clients=[
            {
                "client_id": CLIENT,
                "token_endpoint_auth_method": "none",
                "redirect_uris": [spa.origin + "/"],
                "post_logout_redirect_uris": [spa.origin + "/"],
                "grant_types": ["authorization_code", "refresh_token"],
            }
        ],
    )
    _CONFIG.clear()
    _CONFIG.update({"url": mockidp_server.url, "realm": "mockidp", "clientId": CLIENT})
    return mockidp_server


def _signed_in(page: Page, spa: Spa) -> None:
    page.goto(spa.origin + "/")
    page.wait_for_function("window.authenticated !== undefined || window.initError")
    assert page.evaluate("window.initError") is None
    assert page.evaluate("window.authenticated") is False
    # the scenario's default user (alice) signs in without a login page
    with page.expect_navigation(url=lambda url: "#" not in url and url.startswith(spa.origin)):
        page.evaluate("() => { window.keycloak.login(); }")
    page.wait_for_function("window.authenticated !== undefined || window.initError")
    assert page.evaluate("window.initError") is None
    assert page.evaluate("window.authenticated") is True


def _paths(idp: MockIdP) -> list[tuple[str, str | None, int]]:
    return [(r.method, r.endpoint, r.status) for r in idp.requests]


def test_sign_in_refresh_iframe_logout(idp: MockIdP, spa: Spa, browser: Browser) -> None:
    context = browser.new_context()
    page = context.new_page()
    try:
        _signed_in(page, spa)
        parsed = page.evaluate("window.keycloak.tokenParsed")
        assert (parsed["iss"], parsed["azp"], parsed["sub"]) == (idp.issuer, CLIENT, "alice")
        assert page.evaluate("window.keycloak.refreshTokenParsed.typ") == "Refresh"
        assert page.evaluate("window.keycloak.idTokenParsed.email") == "alice@example.com"
        session = page.evaluate("window.keycloak.sessionId")
        assert session and session == parsed["sid"]

        # refresh: a credentialed token call from the SPA's origin
        old = page.evaluate("window.keycloak.token")
        assert page.evaluate("window.keycloak.updateToken(-1)") is True
        assert page.evaluate("window.keycloak.token") != old
        assert "refreshed" in page.evaluate("window.events")

        # the login-status iframe checked the SPA's origin and keeps saying "unchanged"
        assert ("GET", "login_status_init", 204) in _paths(idp)
        assert ("GET", "third_party_cookies_step2", 200) in _paths(idp)
        page.wait_for_function(
            "performance.getEntriesByType('resource').filter("
            "e => e.name.includes('login-status-iframe')).length > 0"
        )
        assert page.evaluate("window.events").count("logout") == 0

        # logout: keycloak-js sends the browser to the end-session endpoint and back
        page.evaluate("() => { window.keycloak.logout(); }")
        page.wait_for_url(spa.origin + "/**")
        page.wait_for_function("window.authenticated !== undefined || window.initError")
        assert page.evaluate("window.authenticated") is False
        assert ("GET", "end_session", 302) in _paths(idp)
    finally:
        context.close()


def test_iframe_sees_the_session_end(idp: MockIdP, spa: Spa, browser: Browser) -> None:
    """Signed out elsewhere (another tab): the iframe says "changed", keycloak-js drops its tokens."""
    context = browser.new_context()
    page = context.new_page()
    try:
        _signed_in(page, spa)
        other = context.new_page()
        other.goto(f"{idp.issuer}/protocol/openid-connect/logout")
        page.wait_for_function("window.events.includes('logout')")
        assert page.evaluate("window.keycloak.token") is None
    finally:
        context.close()


def test_token_cors_is_credentialed_for_web_origins_only(idp: MockIdP, spa: Spa) -> None:
    token_url = f"{idp.issuer}/protocol/openid-connect/token"
    body = {"grant_type": "refresh_token", "refresh_token": "nope", "client_id": CLIENT}
    allowed = httpx.post(token_url, data=body, headers={"Origin": spa.origin})
    assert allowed.headers["access-control-allow-origin"] == spa.origin
    assert allowed.headers["access-control-allow-credentials"] == "true"
    assert "Origin" in allowed.headers["vary"]

    stranger = httpx.post(token_url, data=body, headers={"Origin": "http://127.0.0.1:1"})
    assert stranger.status_code == allowed.status_code == 400  # answered all the same
    assert stranger.json() == allowed.json()
    assert stranger.headers["access-control-allow-origin"] == "*"
    assert "access-control-allow-credentials" not in stranger.headers

    init = f"{idp.issuer}/protocol/openid-connect/login-status-iframe.html/init"
    assert httpx.get(init, params={"client_id": CLIENT, "origin": spa.origin}).status_code == 204
    refused = httpx.get(init, params={"client_id": CLIENT, "origin": "http://127.0.0.1:1"})
    assert refused.status_code == 403
    unknown = httpx.get(init, params={"client_id": "nobody", "origin": spa.origin})
    assert unknown.status_code == 403


@pytest.fixture
def default_client(mockidp_server: MockIdP, spa: Spa) -> MockIdP:
    """The keycloak preset with the default scenario's clients: the SPA (on a random
    port) uses ``mockidp-public``, which lists none of its URIs but takes any loopback."""
    mockidp_server.use_scenario(preset="keycloak", users=USERS)
    _CONFIG.clear()
    _CONFIG.update({"url": mockidp_server.url, "realm": "mockidp", "clientId": "mockidp-public"})
    return mockidp_server


def test_the_default_public_client_from_any_local_port(
    default_client: MockIdP, spa: Spa, browser: Browser
) -> None:
    idp = default_client
    client = idp.provider.scenario.client("mockidp-public")
    assert client is not None and client.loopback_redirects
    assert not any(uri.startswith(spa.origin) for uri in client.redirect_uris)
    context = browser.new_context()
    page = context.new_page()
    try:
        _signed_in(page, spa)  # a credentialed code exchange from the SPA's origin
        assert page.evaluate("window.keycloak.tokenParsed.azp") == "mockidp-public"
        old = page.evaluate("window.keycloak.token")
        assert page.evaluate("window.keycloak.updateToken(-1)") is True
        assert page.evaluate("window.keycloak.token") != old
        assert ("GET", "login_status_init", 204) in _paths(idp)  # the iframe's origin check
        page.evaluate("() => { window.keycloak.logout(); }")
        page.wait_for_url(spa.origin + "/**")
        page.wait_for_function("window.authenticated !== undefined || window.initError")
        assert page.evaluate("window.authenticated") is False
        assert ("GET", "end_session", 302) in _paths(idp)
    finally:
        context.close()
