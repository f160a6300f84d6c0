"""The login, consent and form_post pages driven in a real browser (headless Chromium).

One Chromium runs for the whole session, with a fresh browser context (cookies and all)
per test. The relying party is a tiny real HTTP server on loopback that records every
request and answers "landed": the browser ends up on the redirect URI and the test reads
the authorization response from the URL (or, for form_post, from the recorded POST).

Why a real server and not ``page.route()`` on a URI nobody listens on: Playwright calls a
route handler only for the first URL of a redirect chain, and every authorization
response here *is* a redirect, so the redirect target would reach the network (and fail).

Without Chromium or Playwright these tests skip locally; under CI (CI=true) they fail.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any
from urllib.parse import parse_qs, urlencode, urlsplit

import httpx
import pytest
from joserfc import jwt
from joserfc.jwk import KeySet

from tests.conftest import LiveServer
from tests.support.browser import RelyingParty, single
from tests.support.session_state import assert_session_state

if TYPE_CHECKING:
    from playwright.sync_api import Browser, BrowserContext, ConsoleMessage, Dialog, Page

pytestmark = pytest.mark.browser

CLIENT_ID = "browser-app"
CLIENT_SECRET = "browser-secret"
CLIENT_NAME = "Browser Test App"
DEFAULT_CLIENT = ("mockidp-client", "mockidp-secret")
SESSION_COOKIE = "mockidp_session"
XSS = '"><script>alert(1)</script>'


# -- the relying party (its server: tests/e2e/conftest.py) ----------------------------


@pytest.fixture
def rp(relying_party_server: RelyingParty) -> Iterator[RelyingParty]:
    """The relying party, with no requests recorded yet."""
    relying_party_server.hits.clear()
    yield relying_party_server
    relying_party_server.hits.clear()


# -- one test's world ------------------------------------------------------------------


@dataclass
class World:
    """The live provider, the relying party, and a page in a fresh browser context."""

    live: LiveServer
    rp: RelyingParty
    context: BrowserContext
    page: Page
    dialogs: list[str] = field(default_factory=list)
    console_errors: list[str] = field(default_factory=list)
    failed_requests: list[str] = field(default_factory=list)


@pytest.fixture
def world(browser: Browser, live: LiveServer, rp: RelyingParty) -> Iterator[World]:
    """A fresh browser context on the live provider (default scenario: login auto)."""
    context = browser.new_context()
    context.set_default_timeout(10_000)
    page = context.new_page()
    w = World(live, rp, context, page)

    def on_dialog(dialog: Dialog) -> None:
        w.dialogs.append(dialog.message)
        dialog.dismiss()

    def on_console(message: ConsoleMessage) -> None:
        if message.type == "error":
            w.console_errors.append(message.text)

    page.on("dialog", on_dialog)
    page.on("console", on_console)
    page.on("requestfailed", lambda r: w.failed_requests.append(f"{r.url} {r.failure}"))
    yield w
    context.close()


@pytest.fixture
def pages(world: World) -> World:
    """``world`` on a scenario that shows both the login and the consent page."""
    world.live.provider.use_scenario(
        {
            "login": "page",
            "consent": "page",
            "clients": [
                {
                    "client_id": CLIENT_ID,
                    "client_secret": CLIENT_SECRET,
                    "name": CLIENT_NAME,
                    "redirect_uris": [world.rp.callback],
                    "post_logout_redirect_uris": [world.rp.logged_out],
                }
            ],
            "users": [
                {"sub": "alice", "claims": {"name": "Alice Anderson", "email": "a@example.com"}},
                {"sub": "bob", "claims": {"name": "Bob Brown", "email": "b@example.com"}},
            ],
        }
    )
    return world


# -- helpers ---------------------------------------------------------------------------


def authorize_url(w: World, **params: str) -> str:
    query = {
        "response_type": "code",
        "client_id": CLIENT_ID,
        "redirect_uri": w.rp.callback,
        "scope": "openid profile email",
        "state": "state-123",
        "nonce": "nonce-456",
        **params,
    }
    return f"{w.live.url}/authorize?{urlencode(query)}"


def wait_for_landing(w: World, target: str | None = None) -> dict[str, str]:
    """Wait until the browser is on ``target`` (the callback); return its query."""
    prefix = target or w.rp.callback
    w.page.wait_for_url(lambda url: url.startswith(prefix))
    assert w.page.locator("body").inner_text().strip() == "landed"
    assert w.failed_requests == []  # landed at the first attempt, not after an error page
    return single(parse_qs(urlsplit(w.page.url).query, keep_blank_values=True))


def on_login_page(w: World, client_name: str = CLIENT_NAME) -> None:
    heading = w.page.locator("h1")
    heading.wait_for()
    assert heading.inner_text() == f"Sign in to {client_name}"
    assert w.page.url.startswith(w.live.url)


def on_consent_page(w: World, sub: str) -> None:
    w.page.locator("#approve").wait_for()
    assert w.page.locator("h1").inner_text() == f"{CLIENT_NAME} wants access"
    assert w.page.locator("strong").first.inner_text() == sub
    assert w.page.url.startswith(w.live.url)


def redeem(
    w: World,
    code: str,
    *,
    client: tuple[str, str] = (CLIENT_ID, CLIENT_SECRET),
) -> dict[str, Any]:
    """Exchange ``code`` at the token endpoint; return the verified ID token's claims."""
    with httpx.Client(base_url=w.live.url, timeout=10) as http:
        response = http.post(
            "/token",
            auth=client,
            data={
                "grant_type": "authorization_code",
                "code": code,
                "redirect_uri": w.rp.callback,
            },
        )
        assert response.status_code == 200, response.text
        tokens = response.json()
        assert tokens["token_type"].lower() == "bearer"
        keys = KeySet.import_key_set(http.get("/.well-known/jwks.json").json())
    claims: dict[str, Any] = dict(jwt.decode(tokens["id_token"], keys).claims)
    claims["_id_token"] = tokens["id_token"]
    return claims


def sign_in_with_pages(w: World, sub: str, **params: str) -> dict[str, str]:
    """Run the whole login + consent flow for ``sub``; return the authorization response."""
    w.page.goto(authorize_url(w, **params))
    on_login_page(w)
    w.page.click(f'button[data-user="{sub}"]')
    on_consent_page(w, sub)
    w.page.click("#approve")
    return wait_for_landing(w)


def cookie_names(w: World) -> set[str]:
    return {c["name"] for c in w.context.cookies(w.live.url)}


# -- login and consent -----------------------------------------------------------------


def test_pick_user_then_approve_lands_on_redirect_uri_with_a_working_code(pages: World) -> None:
    page = pages.page
    page.goto(authorize_url(pages))
    on_login_page(pages)
    assert page.locator("button[data-user]").all_inner_texts() == [
        "Alice Anderson (alice)",
        "Bob Brown (bob)",
    ]

    page.click('button[data-user="bob"]')
    on_consent_page(pages, "bob")
    assert page.locator("li code").all_inner_texts() == ["openid", "profile", "email"]

    page.click("#approve")
    response = wait_for_landing(pages)
    assert set(response) == {"code", "state", "iss", "session_state"}
    assert_session_state(response)
    assert response["state"] == "state-123"
    assert response["iss"] == pages.live.url
    assert [(hit.method, hit.url) for hit in pages.rp.hits] == [("GET", page.url)]

    claims = redeem(pages, response["code"])
    assert claims["sub"] == "bob"
    assert claims["nonce"] == "nonce-456"
    assert claims["aud"] in (CLIENT_ID, [CLIENT_ID])
    assert claims["iss"] == pages.live.url
    assert pages.dialogs == []


def test_deny_on_the_consent_page_returns_access_denied_with_state(pages: World) -> None:
    pages.page.goto(authorize_url(pages, state="deny-me"))
    on_login_page(pages)
    pages.page.click('button[data-user="alice"]')
    on_consent_page(pages, "alice")
    pages.page.click("#deny")

    response = wait_for_landing(pages)
    assert response["error"] == "access_denied"
    assert response["state"] == "deny-me"
    assert response["iss"] == pages.live.url
    assert "code" not in response


def test_cancel_on_the_login_page_returns_access_denied_with_state(pages: World) -> None:
    pages.page.goto(authorize_url(pages, state="cancel-me"))
    on_login_page(pages)
    pages.page.click("#cancel")

    response = wait_for_landing(pages)
    assert response["error"] == "access_denied"
    assert response["state"] == "cancel-me"
    assert "code" not in response
    assert SESSION_COOKIE not in cookie_names(pages)


def test_typing_an_arbitrary_subject_signs_that_subject_in(pages: World) -> None:
    pages.page.goto(authorize_url(pages))
    on_login_page(pages)
    pages.page.fill("#login", "carol-42")
    pages.page.click("#login-submit")
    on_consent_page(pages, "carol-42")
    pages.page.click("#approve")

    response = wait_for_landing(pages)
    assert response["state"] == "state-123"
    assert redeem(pages, response["code"])["sub"] == "carol-42"


def test_submitting_an_empty_subject_stays_on_the_login_page_with_a_notice(
    pages: World,
) -> None:
    page = pages.page
    page.goto(authorize_url(pages))
    on_login_page(pages)
    page.fill("#login", "   ")
    page.click("#login-submit")

    page.locator("p.notice").wait_for()
    on_login_page(pages)
    assert page.locator("p.notice").inner_text() == "Choose a user or type a subject."
    assert pages.rp.hits == []
    # The same interaction still works afterwards.
    page.click('button[data-user="alice"]')
    on_consent_page(pages, "alice")


# -- prompts, sessions, response modes, logout -----------------------------------------


def test_prompt_login_shows_the_login_page_even_when_login_is_auto(world: World) -> None:
    page = world.page
    assert world.live.provider.scenario.login == "auto"

    # Without a prompt the default scenario signs the default user in at once.
    page.goto(authorize_url(world, client_id=DEFAULT_CLIENT[0], state="auto"))
    response = wait_for_landing(world)
    assert response["state"] == "auto"
    assert redeem(world, response["code"], client=DEFAULT_CLIENT)["sub"] == "alice"

    # prompt=login asks again, although the browser already has a session.
    page.goto(authorize_url(world, client_id=DEFAULT_CLIENT[0], prompt="login", state="again"))
    on_login_page(world, "mockidp confidential client")
    page.click('button[data-user="bob"]')
    response = wait_for_landing(world)  # consent: auto, so no consent page
    assert response["state"] == "again"
    assert redeem(world, response["code"], client=DEFAULT_CLIENT)["sub"] == "bob"


def test_second_authorization_in_the_same_browser_reuses_the_session_cookie(
    pages: World,
) -> None:
    page = pages.page
    first = sign_in_with_pages(pages, "bob", state="first")
    assert first["state"] == "first"

    cookies = [c for c in pages.context.cookies(pages.live.url) if c["name"] == SESSION_COOKIE]
    assert len(cookies) == 1
    cookie = cookies[0]
    assert cookie["httpOnly"] is True
    assert cookie["sameSite"] == "Lax"
    assert cookie["path"] == "/"
    assert cookie["secure"] is False  # plain-http loopback issuer
    assert cookie["expires"] > 0  # persistent, for the scenario's session lifetime

    rendered: list[str] = []
    page.on(
        "response",
        lambda r: (
            rendered.append(r.url) if r.url.startswith(pages.live.url) and r.status == 200 else None
        ),
    )
    page.goto(authorize_url(pages, state="second", nonce="n2"))
    second = wait_for_landing(pages)
    assert rendered == []  # no login page, no consent page: straight back with a 302
    assert second["state"] == "second"
    assert second["code"] != first["code"]
    claims = redeem(pages, second["code"])
    assert claims["sub"] == "bob"
    assert claims["nonce"] == "n2"


def test_form_post_response_mode_auto_submits_to_the_redirect_uri(pages: World) -> None:
    page = pages.page
    state = 'a"b<c>&d é'
    page.goto(authorize_url(pages, response_mode="form_post", state=state))
    on_login_page(pages)
    page.click('button[data-user="alice"]')
    on_consent_page(pages, "alice")

    with page.expect_response(lambda r: r.url.endswith("/interaction/consent")) as consent:
        page.click("#approve")
    assert consent.value.status == 200
    assert "script-src 'nonce-" in consent.value.headers["content-security-policy"]

    page.wait_for_url(pages.rp.callback)  # exactly: nothing in the query
    assert page.locator("body").inner_text().strip() == "landed"
    assert len(pages.rp.hits) == 1
    hit = pages.rp.hits[0]
    assert hit.method == "POST"
    assert hit.url == pages.rp.callback
    assert set(hit.form) == {"code", "state", "iss", "session_state"}
    assert_session_state(hit.form)
    assert hit.form["state"] == state
    assert hit.form["iss"] == pages.live.url
    assert [e for e in pages.console_errors if "Content Security Policy" in e] == []
    assert redeem(pages, hit.form["code"])["sub"] == "alice"


def test_fragment_response_mode_puts_the_code_in_the_fragment(pages: World) -> None:
    page = pages.page
    page.goto(authorize_url(pages, response_mode="fragment", state="frag"))
    on_login_page(pages)
    page.click('button[data-user="alice"]')
    on_consent_page(pages, "alice")
    page.click("#approve")

    page.wait_for_url(lambda url: url.startswith(pages.rp.callback))
    parts = urlsplit(page.url)
    assert parts.query == ""
    assert [hit.url for hit in pages.rp.hits] == [pages.rp.callback]  # never sent to the server
    response = single(parse_qs(parts.fragment))
    assert response["state"] == "frag"
    assert redeem(pages, response["code"])["sub"] == "alice"


def test_rp_initiated_logout_ends_the_session_so_prompt_none_needs_login(pages: World) -> None:
    page = pages.page
    first = sign_in_with_pages(pages, "alice")
    id_token = redeem(pages, first["code"])["_id_token"]

    # While signed in, prompt=none succeeds silently.
    page.goto(authorize_url(pages, prompt="none", state="silent-1"))
    silent = wait_for_landing(pages)
    assert silent["state"] == "silent-1"
    assert "code" in silent

    session = [c for c in pages.context.cookies(pages.live.url) if c["name"] == SESSION_COOKIE]
    assert len(session) == 1

    logout = {
        "id_token_hint": id_token,
        "post_logout_redirect_uri": pages.rp.logged_out,
        "state": "bye",
    }
    page.goto(f"{pages.live.url}/end_session?{urlencode(logout)}")
    assert wait_for_landing(pages, pages.rp.logged_out) == {"state": "bye"}
    assert SESSION_COOKIE not in cookie_names(pages)

    page.goto(authorize_url(pages, prompt="none", state="silent-2"))
    response = wait_for_landing(pages)
    assert response["error"] == "login_required"
    assert response["state"] == "silent-2"
    assert "code" not in response

    # The session ended on the server too: the old cookie, put back, signs nobody in.
    old = session[0]
    pages.context.add_cookies([{"name": old["name"], "value": old["value"], "url": pages.live.url}])
    page.goto(authorize_url(pages, prompt="none", state="silent-3"))
    response = wait_for_landing(pages)
    assert response["error"] == "login_required"
    assert response["state"] == "silent-3"


# -- page security ---------------------------------------------------------------------


def assert_page_headers(headers: dict[str, str]) -> None:
    assert headers["x-frame-options"] == "DENY"
    assert headers["x-content-type-options"] == "nosniff"
    assert headers["referrer-policy"] == "no-referrer"
    assert "no-store" in headers["cache-control"]
    assert headers["content-type"].startswith("text/html")
    csp = [d.strip() for d in headers["content-security-policy"].split(";")]
    assert "default-src 'none'" in csp
    assert "frame-ancestors 'none'" in csp
    assert [d for d in csp if d.startswith("script-src")] == []  # no scripts on these pages


def test_login_and_consent_pages_send_security_headers(pages: World) -> None:
    login = pages.page.goto(authorize_url(pages))
    assert login is not None
    assert login.status == 200
    assert_page_headers(login.headers)

    with pages.page.expect_response(lambda r: r.url.endswith("/interaction/login")) as consent:
        pages.page.click('button[data-user="alice"]')
    assert consent.value.status == 200
    assert_page_headers(consent.value.headers)
    on_consent_page(pages, "alice")


def test_login_page_refuses_to_be_framed(pages: World) -> None:
    page = pages.page
    target = authorize_url(pages)
    with page.expect_response(lambda r: r.url.startswith(f"{pages.live.url}/authorize")) as shown:
        page.goto(f"{pages.rp.url}/frame?{urlencode({'src': target})}")
    assert shown.value.status == 200  # the server rendered it; the browser must not show it
    page.wait_for_timeout(300)
    victim = page.frame_locator("#victim")
    assert victim.locator("#login").count() == 0
    assert victim.locator("button[data-user]").count() == 0
    assert [f.url for f in page.frames if f.url.startswith(pages.live.url)] == []


def test_user_controlled_values_are_escaped_and_never_run(pages: World) -> None:
    page = pages.page
    page.goto(authorize_url(pages, login_hint=XSS, state=XSS))
    on_login_page(pages)
    assert page.locator("#login").input_value() == XSS  # round-trips as text
    assert page.locator("p.notice").inner_text() == f"No user {XSS!r} in this scenario."
    assert page.locator("script").count() == 0

    # Submitting the prefilled hint signs in a subject that is itself markup.
    page.click("#login-submit")
    on_consent_page(pages, XSS)
    assert page.locator("script").count() == 0
    page.click("#approve")

    response = wait_for_landing(pages)
    assert response["state"] == XSS
    assert redeem(pages, response["code"])["sub"] == XSS
    assert pages.dialogs == []


def test_error_page_escapes_an_untrusted_client_id(pages: World) -> None:
    page = pages.page
    shown = page.goto(authorize_url(pages, client_id=XSS))
    assert shown is not None
    assert shown.status >= 400
    assert_page_headers(shown.headers)
    assert page.url.startswith(pages.live.url)  # never redirected for an unknown client
    assert page.locator("#error").inner_text() == "invalid_client"
    assert XSS in page.locator("#error-description").inner_text()
    assert page.locator("script").count() == 0
    assert pages.rp.hits == []
    assert pages.dialogs == []
