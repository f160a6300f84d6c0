"""Keycloak's browser-session pages (http/vendors/keycloak.py; quirk keycloak_login_status).

The 3p-cookies pages and the login-status iframe may be framed, ``/init`` checks the
origin against the client's web origins, and the iframe agrees with the core: it
recomputes the browser state the core keeps in the cookie
(oauth/sessions/session_management.py) from a token's ``sid``. The iframe's page is
fetched as served and its script run under Node (tests/support/iframe.py);
tests/e2e/test_vendor_keycloak_js.py drives it all with keycloak-js in Chromium."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from mockidp.oauth.sessions.session_management import browser_state
from mockidp.oauth.signin.session import public_sid
from mockidp.testing import MockIdP
from tests.support.iframe import NODE, page_script, talk

needs_node = pytest.mark.skipif(NODE is None, reason="node is not installed")

APP = SPA = "http://127.0.0.1:5173"
STRANGER = "http://127.0.0.1:6666"
CLIENTS: list[dict[str, Any]] = [
    {
        "client_id": "spa",
        "token_endpoint_auth_method": "none",
        "redirect_uris": [APP + "/callback"],
        "grant_types": ["authorization_code", "refresh_token"],
    },
    {
        "client_id": "api",
        "client_secret": "api-secret",
        "redirect_uris": [APP + "/other"],
        "grant_types": ["client_credentials"],
    },
]
OIDC = "/realms/mockidp/protocol/openid-connect"
COOKIE = "mockidp_browser_state"


@pytest.fixture
def keycloak() -> Iterator[MockIdP]:
    idp = MockIdP.in_process({"preset": "keycloak", "clients": CLIENTS})
    try:
        yield idp
    finally:
        idp.close()


@pytest.fixture(scope="module")
def script() -> str:
    idp = MockIdP.in_process({"preset": "keycloak", "clients": CLIENTS})
    try:
        page = idp.client.get(OIDC + "/login-status-iframe.html")
    finally:
        idp.close()
    assert page.status_code == 200
    return page_script(page.text)


def test_login_status_init_checks_the_origin(keycloak: MockIdP) -> None:
    init = OIDC + "/login-status-iframe.html/init"
    cases = {
        (("client_id", "spa"), ("origin", APP)): 204,
        (("client_id", "spa"), ("origin", STRANGER)): 403,
        (("client_id", "spa"), ("origin", APP + "/callback")): 403,  # a URL, not an origin
        (("client_id", "nobody"), ("origin", APP)): 403,
        (("client_id", "spa"),): 403,
        (): 403,
    }
    for params, status in cases.items():
        answer = keycloak.client.get(init, params=dict(params))
        assert answer.status_code == status, params
        assert answer.content == b""


def test_session_pages_may_be_framed(keycloak: MockIdP) -> None:
    discovery = keycloak.client.get("/realms/mockidp/.well-known/openid-configuration").json()
    assert discovery["check_session_iframe"] == keycloak.issuer.replace(
        "/realms/mockidp", OIDC + "/login-status-iframe.html"
    )
    for page in ("/login-status-iframe.html", "/3p-cookies/step1.html", "/3p-cookies/step2.html"):
        answer = keycloak.client.get(OIDC + page)
        assert answer.status_code == 200, page
        assert answer.headers["content-type"].startswith("text/html")
        assert "x-frame-options" not in answer.headers
        csp = answer.headers["content-security-policy"]
        assert "frame-ancestors *" in csp and "connect-src 'self'" in csp


def test_session_pages_are_off_with_the_quirk(keycloak: MockIdP) -> None:
    keycloak.use_scenario(
        {"preset": "keycloak", "clients": CLIENTS, "quirks": {"keycloak_login_status": False}}
    )
    for page in ("/3p-cookies/step1.html", "/login-status-iframe.html/init"):
        assert keycloak.client.get(OIDC + page).status_code == 404, page
    standard = keycloak.client.get(OIDC + "/login-status-iframe.html")  # Session Management's
    assert standard.status_code == 200
    assert "connect-src" not in standard.headers["content-security-policy"]


@needs_node
def test_the_sid_of_the_session_in_the_cookie_is_unchanged(script: str) -> None:
    cookie = f"{COOKIE}={browser_state('session-1')}"
    messages = [(f"spa {public_sid('session-1')}", SPA), (f"spa {public_sid('session-2')}", SPA)]
    replies, fetched = talk(script, messages, cookie=cookie, parent=SPA)
    assert replies == ["unchanged", "changed"]
    assert fetched == ["/frame/init?client_id=spa&origin=http%3A%2F%2F127.0.0.1%3A5173"]


@needs_node
def test_without_the_cookie_a_sid_has_ended(script: str) -> None:
    replies, _ = talk(script, [(f"spa {public_sid('session-1')}", SPA)], cookie="", parent=SPA)
    assert replies == ["changed"]


@needs_node
def test_an_origin_refused_by_init_gets_error(script: str) -> None:
    cookie = f"{COOKIE}={browser_state('session-1')}"
    message = (f"spa {public_sid('session-1')}", SPA)
    replies, _ = talk(script, [message], cookie=cookie, parent=SPA, init_status=403)
    assert replies == ["error"]
