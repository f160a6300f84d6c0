"""OpenID Connect Session Management 1.0: session_state and the check_session iframe.

The HTTP tests run in-process and live (``idp``); the iframe is driven in headless
Chromium: a relying party page on another loopback port (same site, another origin)
frames the OP iframe and posts ``client_id session_state`` to it, as an RP's own
iframe would.
"""

from __future__ import annotations

import hashlib
import re
from typing import TYPE_CHECKING, Any
from urllib.parse import parse_qs, quote, urlencode, urlsplit

import httpx
import pytest

from mockidp.oauth.sessions.session_management import session_state
from mockidp.oauth.urls import origin
from tests.conftest import IdP, LiveServer
from tests.support.browser import RelyingParty, single

if TYPE_CHECKING:
    from playwright.sync_api import Browser, Page

CLIENT_ID = "session-app"
CALLBACK = "http://127.0.0.1:8080/callback"
STATE_COOKIE = "mockidp_browser_state"


def scenario(
    redirect_uri: str = CALLBACK, *, check_session: bool = True, sessions: bool = True
) -> dict[str, Any]:
    """The generic layout serves check_session; ``check_session=False`` switches it off."""
    doc: dict[str, Any] = {
        "users": [{"sub": "alice"}, {"sub": "bob"}],
        "default_user": "alice",
        "clients": [
            {
                "client_id": CLIENT_ID,
                "client_secret": "session-secret",
                "redirect_uris": [redirect_uri],
                "post_logout_redirect_uris": [redirect_uri.replace("/callback", "/logged-out")],
            }
        ],
    }
    if not check_session:
        doc["endpoints"] = {"check_session": None}
    if not sessions:
        doc["sessions"] = False
    return doc


def authorize_query(redirect_uri: str = CALLBACK, **extra: str) -> str:
    params = {
        "client_id": CLIENT_ID,
        "redirect_uri": redirect_uri,
        "response_type": "code",
        "scope": "openid",
        **extra,
    }
    return urlencode(params)


def answer(response: httpx.Response) -> dict[str, str]:
    assert response.status_code == 302, response.text
    return single(parse_qs(urlsplit(response.headers["location"]).query))


def expected_state(state: str, browser_state: str, redirect_origin: str) -> str:
    _digest, salt = state.split(".")
    text = f"{CLIENT_ID} {redirect_origin} {browser_state} {salt}"
    return hashlib.sha256(text.encode()).hexdigest() + "." + salt


# -- units ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("uri", "expected"),
    [
        ("http://127.0.0.1:8080/callback?x=1", "http://127.0.0.1:8080"),
        ("HTTPS://App.Example:443/cb", "https://app.example"),
        ("http://app.example:80/cb", "http://app.example"),
        ("https://[::1]:8443/cb", "https://[::1]:8443"),
        ("com.example.app:/callback", "null"),
    ],
)
def test_origin_is_serialized_as_browsers_do(uri: str, expected: str) -> None:
    assert origin(uri) == expected


def test_session_state_is_a_salted_hash_without_spaces() -> None:
    value = session_state(CLIENT_ID, CALLBACK, "state-1", salt="abc")
    text = f"{CLIENT_ID} http://127.0.0.1:8080 state-1 abc"
    assert value == hashlib.sha256(text.encode()).hexdigest() + ".abc"
    fresh = {session_state(CLIENT_ID, CALLBACK, "state-1") for _ in range(3)}
    assert len(fresh) == 3 and not any(" " in v for v in fresh)


# -- HTTP -----------------------------------------------------------------------------


@pytest.mark.anyio
async def test_session_state_matches_the_browser_state_cookie(
    idp: IdP, http: httpx.AsyncClient
) -> None:
    idp.provider.use_scenario(scenario())
    response = await http.get(f"/authorize?{authorize_query(state='s')}")
    params = answer(response)
    assert set(params) == {"code", "state", "iss", "session_state"}
    cookies = response.headers.get_list("set-cookie")
    [state_cookie] = [c for c in cookies if c.startswith(STATE_COOKIE + "=")]
    assert "httponly" not in state_cookie.lower()  # the iframe's script reads it
    assert any(c.startswith("mockidp_session=") and "HttpOnly" in c for c in cookies)
    browser_state = state_cookie.split(";")[0].split("=", 1)[1]
    assert browser_state
    state = params["session_state"]
    assert state == expected_state(state, browser_state, "http://127.0.0.1:8080")
    again = answer(await http.get(f"/authorize?{authorize_query()}"))  # same session
    assert again["session_state"] == expected_state(
        again["session_state"], browser_state, "http://127.0.0.1:8080"
    )
    assert again["session_state"] != state  # a fresh salt each time


@pytest.mark.anyio
async def test_an_error_response_carries_session_state_too(
    idp: IdP, http: httpx.AsyncClient
) -> None:
    idp.provider.use_scenario(scenario())
    params = answer(await http.get(f"/authorize?{authorize_query(prompt='none')}"))
    assert params["error"] == "login_required"
    # no session yet: the empty browser state, which the iframe compares after a sign-in
    assert params["session_state"] == expected_state(
        params["session_state"], "", "http://127.0.0.1:8080"
    )


@pytest.mark.anyio
async def test_switching_check_session_off_removes_session_state_too(
    idp: IdP, http: httpx.AsyncClient
) -> None:
    idp.provider.use_scenario(scenario(check_session=False))
    response = await http.get(f"/authorize?{authorize_query()}")
    assert "session_state" not in answer(response)
    assert not any(c.startswith(STATE_COOKIE) for c in response.headers.get_list("set-cookie"))
    doc = (await http.get("/.well-known/openid-configuration")).json()
    assert "check_session_iframe" not in doc
    assert (await http.get("/check_session")).status_code == 404


@pytest.mark.anyio
async def test_without_sessions_there_is_no_iframe_and_no_session_state(
    idp: IdP, http: httpx.AsyncClient
) -> None:
    idp.provider.use_scenario(scenario(sessions=False))
    response = await http.get(f"/authorize?{authorize_query()}")
    assert set(answer(response)) == {"code", "iss"}
    doc = (await http.get("/.well-known/openid-configuration")).json()
    assert "check_session_iframe" not in doc
    assert (await http.get("/check_session")).status_code == 404


@pytest.mark.anyio
async def test_the_default_scenario_serves_session_management(http: httpx.AsyncClient) -> None:
    doc = (await http.get("/.well-known/openid-configuration")).json()
    assert doc["check_session_iframe"] == f"{doc['issuer']}/check_session"
    query = urlencode(
        {
            "client_id": "mockidp-client",
            "redirect_uri": "http://localhost:8080/callback",
            "response_type": "code",
            "scope": "openid",
        }
    )
    response = await http.get(f"/authorize?{query}")
    params = answer(response)
    assert set(params) == {"code", "iss", "session_state"}
    digest, salt = params["session_state"].split(".")
    browser_state = response.cookies[STATE_COOKIE]
    text = f"mockidp-client http://localhost:8080 {browser_state} {salt}"
    assert digest == hashlib.sha256(text.encode()).hexdigest()


@pytest.mark.anyio
async def test_discovery_and_the_iframe_page(idp: IdP, http: httpx.AsyncClient) -> None:
    idp.provider.use_scenario(scenario())
    doc = (await http.get("/.well-known/openid-configuration")).json()
    assert doc["check_session_iframe"] == f"{doc['issuer']}/check_session"
    page = await http.get("/check_session")
    assert page.status_code == 200
    assert "x-frame-options" not in page.headers  # relying parties frame it
    csp = page.headers["content-security-policy"]
    assert "frame-ancestors *" in csp
    nonce = re.search(r"'nonce-([^']+)'", csp)
    assert nonce is not None and f'nonce="{nonce.group(1)}"' in page.text


@pytest.mark.anyio
async def test_sessions_off_means_no_session_state(idp: IdP, http: httpx.AsyncClient) -> None:
    idp.provider.use_scenario({**scenario(), "sessions": False})
    assert "session_state" not in answer(await http.get(f"/authorize?{authorize_query()}"))


# -- the iframe in Chromium ---------------------------------------------------------------


_ASK = """([message, opOrigin]) => new Promise((resolve) => {
  window.addEventListener("message", (event) => {
    if (event.origin === opOrigin) { resolve(event.data); }
  });
  document.getElementById("victim").contentWindow.postMessage(message, opOrigin);
})"""


def ask(page: Page, rp: RelyingParty, live: LiveServer, message: str) -> str:
    """Frame the OP iframe in an RP page, post ``message``, and return its answer."""
    page.goto(f"{rp.url}/frame?src={quote(live.url + '/check_session', safe='')}")
    page.wait_for_load_state("load")  # the iframe too
    result = page.evaluate(_ASK, [message, live.url])
    assert isinstance(result, str)
    return result


def signed_in_state(
    page: Page, rp: RelyingParty, live: LiveServer, *, choose: str | None = None
) -> str:
    """Sign in (``choose``: on the login page, as that user) and return session_state."""
    extra = {"prompt": "login"} if choose else {}
    page.goto(f"{live.url}/authorize?{authorize_query(rp.callback, **extra)}")
    if choose:
        page.click(f'button[data-user="{choose}"]')
    page.wait_for_url(f"{rp.callback}?*")
    return single(parse_qs(urlsplit(page.url).query))["session_state"]


@pytest.mark.browser
def test_check_session_iframe_answers_unchanged_then_changed(
    browser: Browser, live: LiveServer, rp: RelyingParty
) -> None:
    live.provider.use_scenario(scenario(rp.callback))
    context = browser.new_context()
    context.set_default_timeout(10_000)
    page = context.new_page()
    try:
        state = signed_in_state(page, rp, live)
        assert ask(page, rp, live, f"{CLIENT_ID} {state}") == "unchanged"
        assert ask(page, rp, live, f"other-client {state}") == "changed"
        assert ask(page, rp, live, "no-session-state") == "error"
        assert ask(page, rp, live, f"{CLIENT_ID} no-salt") == "error"
        # a new sign-in (a new session) changes the browser state
        newer = signed_in_state(page, rp, live, choose="bob")
        assert ask(page, rp, live, f"{CLIENT_ID} {state}") == "changed"
        assert ask(page, rp, live, f"{CLIENT_ID} {newer}") == "unchanged"
        # and so does logout
        logout = urlencode({"client_id": CLIENT_ID})
        page.goto(f"{live.url}/end_session?{logout}")
        page.wait_for_selector("#signed-out")
        assert ask(page, rp, live, f"{CLIENT_ID} {newer}") == "changed"
    finally:
        context.close()
