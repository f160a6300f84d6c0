"""Keycloak's login-status iframe (http/vendors/keycloak.py) agrees with the core: it
recomputes the browser state the core keeps in the cookie
(oauth/sessions/session_management.py) from a token's ``sid``, after Keycloak's ``/init``
origin check. The page is fetched as served and its script run under Node
(tests/support/iframe.py); tests/e2e/test_vendor_keycloak_js.py drives it with
keycloak-js in Chromium."""

from __future__ import annotations

import pytest

from mockidp.oauth.sessions.session_management import browser_state
from mockidp.oauth.signin.flow import public_sid
from mockidp.testing import MockIdP
from tests.support.iframe import NODE, page_script, talk

pytestmark = pytest.mark.skipif(NODE is None, reason="node is not installed")

SPA = "http://127.0.0.1:5173"
OIDC = "/realms/mockidp/protocol/openid-connect"
COOKIE = "mockidp_browser_state"


@pytest.fixture(scope="module")
def script() -> str:
    clients = [{"client_id": "spa", "token_endpoint_auth_method": "none",
                "redirect_uris": [SPA + "/cb"]}]  # fmt: skip
    idp = MockIdP.in_process({"preset": "keycloak", "clients": clients})
    try:
        page = idp.client.get(OIDC + "/login-status-iframe.html")
    finally:
        idp.close()
    assert page.status_code == 200
    assert "connect-src 'self'" in page.headers["content-security-policy"]
    return page_script(page.text)


def test_the_sid_of_the_session_in_the_cookie_is_unchanged(script: str) -> None:
    cookie = f"{COOKIE}={browser_state('session-1')}"
    messages = [(f"spa {public_sid('session-1')}", SPA), (f"spa {public_sid('session-2')}", SPA)]
    replies, fetched = talk(script, messages, cookie=cookie, parent=SPA)
    assert replies == ["unchanged", "changed"]
    assert fetched == ["/frame/init?client_id=spa&origin=http%3A%2F%2F127.0.0.1%3A5173"]


def test_without_the_cookie_a_sid_has_ended(script: str) -> None:
    replies, _ = talk(script, [(f"spa {public_sid('session-1')}", SPA)], cookie="", parent=SPA)
    assert replies == ["changed"]


def test_an_origin_refused_by_init_gets_error(script: str) -> None:
    cookie = f"{COOKIE}={browser_state('session-1')}"
    message = (f"spa {public_sid('session-1')}", SPA)
    replies, _ = talk(script, [message], cookie=cookie, parent=SPA, init_status=403)
    assert replies == ["error"]
