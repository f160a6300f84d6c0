"""Scripted sign-in behaviour in a real browser (headless Chromium): consent denied by
the scenario, login_hint-only login, and a provider that keeps no sessions.

The same set-up as ``test_browser.py``: one Chromium per module, a fresh browser
context per test, and a loopback relying party that records what reaches it and
answers "landed". Without Chromium or Playwright these tests skip locally; under CI
(CI=true) they fail.
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
from tests.support.browser import RelyingParty
from tests.support.session_state import assert_session_state

if TYPE_CHECKING:
    from playwright.sync_api import Browser, BrowserContext, Page

pytestmark = pytest.mark.browser

CLIENT_ID = "scenario-app"
CLIENT_SECRET = "scenario-secret"
CLIENT_NAME = "Scenario App"
SESSION_COOKIE = "mockidp_session"


# -- one test's world (browser: tests/conftest.py; relying party: tests/e2e/conftest.py) ---


@dataclass
class World:
    live: LiveServer
    rp: RelyingParty
    context: BrowserContext
    page: Page
    provider_pages: list[str] = field(default_factory=list)
    """URLs of the provider's HTML answers (200s): login or consent pages shown."""

    def use(self, **sections: Any) -> None:
        """A one-client scenario (this relying party), alice and bob, plus ``sections``."""
        self.live.provider.use_scenario(
            {
                "clients": [
                    {
                        "client_id": CLIENT_ID,
                        "client_secret": CLIENT_SECRET,
                        "name": CLIENT_NAME,
                        "redirect_uris": [self.rp.callback],
                    }
                ],
                "users": [
                    {"sub": "alice", "claims": {"name": "Alice Anderson"}},
                    {"sub": "bob", "claims": {"name": "Bob Brown", "email": "bob@example.com"}},
                ],
                **sections,
            }
        )


@pytest.fixture
def world(
    browser: Browser, live: LiveServer, relying_party_server: RelyingParty
) -> Iterator[World]:
    relying_party_server.hits.clear()
    context = browser.new_context()
    context.set_default_timeout(10_000)
    page = context.new_page()
    w = World(live, relying_party_server, context, page)
    page.on(
        "response",
        lambda r: (
            w.provider_pages.append(r.url)
            if r.url.startswith(live.url) and r.status == 200
            else None
        ),
    )
    yield w
    context.close()
    relying_party_server.hits.clear()


def authorize_url(w: World, **params: str) -> str:
    query = {
        "response_type": "code",
        "client_id": CLIENT_ID,
        "redirect_uri": w.rp.callback,
        "scope": "openid",
        "state": "state-1",
        "nonce": "nonce-1",
        **params,
    }
    return f"{w.live.url}/authorize?{urlencode(query)}"


def wait_for_landing(w: World) -> dict[str, str]:
    """Wait until the browser is on the callback; return its query (no repeated names)."""
    w.page.wait_for_url(lambda url: url.startswith(w.rp.callback))
    assert w.page.locator("body").inner_text().strip() == "landed"
    values = parse_qs(urlsplit(w.page.url).query, keep_blank_values=True)
    assert all(len(v) == 1 for v in values.values()), values
    return {k: v[0] for k, v in values.items()}


def on_login_page(w: World) -> None:
    heading = w.page.locator("h1")
    heading.wait_for()
    assert heading.inner_text() == f"Sign in to {CLIENT_NAME}"
    assert w.page.url.startswith(w.live.url)


def redeem_sub(w: World, code: str) -> str:
    with httpx.Client(base_url=w.live.url, timeout=10) as http:
        response = http.post(
            "/token",
            auth=(CLIENT_ID, CLIENT_SECRET),
            data={"grant_type": "authorization_code", "code": code, "redirect_uri": w.rp.callback},
        )
        assert response.status_code == 200, response.text
        keys = KeySet.import_key_set(http.get("/.well-known/jwks.json").json())
    return str(jwt.decode(response.json()["id_token"], keys).claims["sub"])


def session_cookies(w: World) -> list[str]:
    return [c["name"] for c in w.context.cookies(w.live.url) if c["name"] == SESSION_COOKIE]


# -- consent denied by the scenario --------------------------------------------------------


def test_scenario_consent_deny_lands_with_access_denied_and_no_page(world: World) -> None:
    world.use(login="auto", default_user="alice", consent="deny")
    world.page.goto(authorize_url(world, state="no-thanks"))

    response = wait_for_landing(world)
    assert set(response) == {"error", "error_description", "state", "iss", "session_state"}
    assert_session_state(response)  # Session Management 3: error responses carry one too
    assert response["error"] == "access_denied"
    assert response["state"] == "no-thanks"
    assert response["iss"] == world.live.url
    assert world.provider_pages == []  # no login page, no consent page
    assert [hit.url for hit in world.rp.hits] == [world.page.url]
    assert session_cookies(world) == [SESSION_COOKIE]  # alice signed in; consent was refused


def test_consent_rule_denies_one_scope_while_the_page_approves_the_rest(world: World) -> None:
    world.use(
        login="page",
        consent="page",
        consent_rules=[{"scopes": ["offline_access"], "decision": "deny"}],
    )
    page = world.page
    page.goto(authorize_url(world, state="plain"))
    on_login_page(world)
    page.click('button[data-user="bob"]')
    page.locator("#approve").wait_for()
    assert page.locator("strong").first.inner_text() == "bob"
    page.click("#approve")
    approved = wait_for_landing(world)
    assert approved["state"] == "plain"
    assert redeem_sub(world, approved["code"]) == "bob"

    # The session is reused, and the rule refuses offline_access without asking.
    shown_before = len(world.provider_pages)
    page.goto(authorize_url(world, scope="openid offline_access", state="offline"))
    refused = wait_for_landing(world)
    assert (refused["error"], refused["state"]) == ("access_denied", "offline")
    assert "code" not in refused
    assert len(world.provider_pages) == shown_before


# -- login: hint_only, and no sessions -------------------------------------------------------


def test_hint_only_signs_the_hinted_user_in_at_once_and_asks_otherwise(world: World) -> None:
    world.use(login="hint_only", default_user="alice")
    page = world.page
    page.goto(authorize_url(world, login_hint="bob@example.com", state="hinted"))
    hinted = wait_for_landing(world)
    assert hinted["state"] == "hinted"
    assert world.provider_pages == []  # straight back: no page
    assert redeem_sub(world, hinted["code"]) == "bob"

    # No hint, in a browser that has no session: the login page, despite default_user.
    world.context.clear_cookies()
    page.goto(authorize_url(world, state="unhinted"))
    on_login_page(world)
    assert page.locator("#login").input_value() == ""
    page.click('button[data-user="alice"]')
    unhinted = wait_for_landing(world)
    assert unhinted["state"] == "unhinted"
    assert redeem_sub(world, unhinted["code"]) == "alice"


def test_sessions_off_asks_again_in_the_same_browser_and_sets_no_cookie(world: World) -> None:
    world.use(login="page", sessions=False)
    page = world.page
    for state in ("first", "second"):
        page.goto(authorize_url(world, state=state))
        on_login_page(world)
        page.click('button[data-user="bob"]')
        response = wait_for_landing(world)
        assert response["state"] == state
        assert redeem_sub(world, response["code"]) == "bob"
        assert session_cookies(world) == []
