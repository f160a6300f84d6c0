"""@azure/msal-browser (tests/interop's pinned version) in headless Chromium against the
entra preset, over HTTPS.

msal-browser refuses an authority that is not https. mockidp serves HTTPS with its
local CA (the ``mockidp_https_server`` fixture), which Chromium trusts through an NSS
database in its ``$HOME`` (``certutil``; certificate errors are not ignored). The app is
served from its own loopback origin (http on loopback is a secure context), pointed with
``authority="https://127.0.0.1:PORT/{tenant}"`` and ``knownAuthorities`` (msal-browser's
documented option for authorities outside Microsoft's cloud, which skips instance
discovery). loginRedirect with PKCE, handleRedirectPromise (state, nonce, ID token
issuer, audience and times checked, ``client_info`` read), then acquireTokenSilent
forced to the network: a refresh for another resource.
"""

from __future__ import annotations

import base64
import json
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

from mockidp.presets.entra import TENANT
from mockidp.testing import MockIdP
from tests.support.browser import launch_chromium, nss_home, unavailable
from tests.support.spa import Spa, html, script

if TYPE_CHECKING:
    from playwright.sync_api import Browser

MSAL_JS = (
    Path(__file__).parents[1] / "interop/node_modules/@azure/msal-browser/lib/msal-browser.min.js"
)
CLIENT = "11111111-2222-3333-4444-555555555555"
USERS = [{"sub": "alice", "claims": {"email": "alice@example.com", "name": "Alice"}}]
_CONFIG: dict[str, object] = {}

_INDEX = """<!doctype html><html><head><meta charset="utf-8"><title>spa</title>
<script src="/msal-browser.js"></script></head><body>
<script>
window.events = [];
const app = new msal.PublicClientApplication(%(config)s);
window.app = app;
window.ready = app.initialize()
  .then(() => app.handleRedirectPromise())
  .then((result) => { window.result = result ? {account: result.account.homeAccountId,
                                                  idTokenClaims: result.idTokenClaims,
                                                  accessToken: result.accessToken,
                                                  scopes: result.scopes} : null; },
        (error) => { window.initError = String(error && (error.errorCode || error.message)); });
</script></body></html>"""


def _payload(jwt: str) -> dict[str, object]:
    part = jwt.split(".")[1]
    return dict(json.loads(base64.urlsafe_b64decode(part + "=" * (-len(part) % 4))))


@pytest.fixture(scope="module")
def spa() -> Iterator[Spa]:
    if not MSAL_JS.is_file():
        unavailable("@azure/msal-browser is not installed (npm ci --prefix tests/interop)")
    app = Spa(
        {
            "/": html(lambda: _INDEX % {"config": json.dumps(_CONFIG)}),
            "/msal-browser.js": script(MSAL_JS),
        }
    )
    yield app
    app.close()


@pytest.fixture
def idp(mockidp_https_server: MockIdP, spa: Spa) -> MockIdP:
    idp = mockidp_https_server
    idp.use_scenario(
        preset="entra",
        users=USERS,
        clients=[
            {
                "client_id": CLIENT,
                "token_endpoint_auth_method": "none",
                "redirect_uris": [spa.origin + "/"],
                "grant_types": ["authorization_code", "refresh_token"],
            }
        ],
    )
    host = idp.url.split("://", 1)[1]
    _CONFIG.clear()
    _CONFIG.update(
        {
            "auth": {
                "clientId": CLIENT,
                "authority": f"{idp.url}/{TENANT}",
                "knownAuthorities": [host],
                "redirectUri": spa.origin + "/",
            },
            "cache": {"cacheLocation": "sessionStorage"},
        }
    )
    return idp


@pytest.fixture
def browser(idp: MockIdP, tmp_path: Path) -> Iterator[Browser]:
    assert idp.ca_file is not None
    with launch_chromium(env=nss_home(idp.ca_file, tmp_path)) as chromium:
        yield chromium


def test_login_redirect_and_silent_refresh(idp: MockIdP, spa: Spa, browser: Browser) -> None:
    page = browser.new_page()
    page.goto(spa.origin + "/")
    page.wait_for_function("window.result !== undefined || window.initError")
    assert page.evaluate("window.initError") is None
    with page.expect_navigation(url=lambda url: url.rstrip("/") == spa.origin):
        page.evaluate("() => { window.app.loginRedirect({scopes: ['User.Read']}); }")
    page.wait_for_function("window.result !== undefined || window.initError")
    assert page.evaluate("window.initError") is None
    result = page.evaluate("window.result")
    assert result is not None
    claims = result["idTokenClaims"]
    assert (claims["iss"], claims["aud"], claims["tid"]) == (
        f"{idp.url}/{TENANT}/v2.0",
        CLIENT,
        TENANT,
    )
    # the account is keyed by client_info: "<uid>.<utid>", the user's oid and the tenant
    assert result["account"] == f"{claims['oid']}.{TENANT}"

    silent = page.evaluate(
        """async (scope) => {
          const account = window.app.getAllAccounts()[0];
          const r = await window.app.acquireTokenSilent({
            account, scopes: [scope], forceRefresh: true});
          return {accessToken: r.accessToken, scopes: r.scopes, fromCache: r.fromCache};
        }""",
        f"api://{CLIENT}/.default",
    )
    assert silent["fromCache"] is False
    assert _payload(silent["accessToken"])["aud"] == f"api://{CLIENT}"
    refreshes = [r for r in idp.requests if r.grant_type == "refresh_token"]
    assert [r.status for r in refreshes] == [200]


def test_a_browser_not_trusting_the_ca_gets_no_further(idp: MockIdP, spa: Spa) -> None:
    """Without the CA, the TLS handshake fails: msal-browser reports it, nothing is answered."""
    with launch_chromium() as untrusting:
        page = untrusting.new_page()
        page.goto(spa.origin + "/")
        page.wait_for_function("window.result !== undefined || window.initError")
        error = page.evaluate(
            """async () => {
              try { await window.app.loginRedirect({scopes: ['User.Read']}); return null; }
              catch (e) { return e.errorCode || String(e); }
            }"""
        )
        assert error == "endpoints_resolution_error"  # discovery never answered
        assert page.url.startswith(spa.origin)
    assert list(idp.requests) == []  # no request got through the handshake
