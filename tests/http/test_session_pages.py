"""The check_session iframe's script (http/session_pages.py) agrees with the core: it
recomputes the ``session_state`` the core put in the authorization response
(oauth/sessions/session_management.py) from the browser-state cookie the core derives.
The page is fetched as served and its script run under Node (tests/support/iframe.py);
the browser test in test_session_management.py drives it in Chromium."""

from __future__ import annotations

import pytest

from mockidp.oauth.sessions.session_management import browser_state, session_state
from mockidp.testing import MockIdP
from tests.support.iframe import NODE, page_script, talk

pytestmark = pytest.mark.skipif(NODE is None, reason="node is not installed")

RP = "http://127.0.0.1:8080"
COOKIE = "mockidp_browser_state"


@pytest.fixture(scope="module")
def script() -> str:
    idp = MockIdP.in_process()
    try:
        page = idp.client.get("/check_session")
    finally:
        idp.close()
    assert page.status_code == 200
    return page_script(page.text)


def test_the_iframe_answers_unchanged_for_the_session_the_core_named(script: str) -> None:
    state = session_state("app", RP + "/callback", browser_state("session-1"))
    other = session_state("app", RP + "/callback", browser_state("session-2"))
    replies, _ = talk(
        script,
        [(f"app {state}", RP), (f"app {other}", RP), (f"other {state}", RP), ("app", RP)],
        cookie=f"{COOKIE}={browser_state('session-1')}",
        parent=RP,
    )
    assert replies == ["unchanged", "changed", "changed", "error"]


def test_after_logout_the_iframe_answers_changed(script: str) -> None:
    state = session_state("app", RP + "/callback", browser_state("session-1"))
    replies, _ = talk(script, [(f"app {state}", RP)], cookie="", parent=RP)
    assert replies == ["changed"]


def test_only_the_parent_origin_is_answered(script: str) -> None:
    state = session_state("app", RP + "/callback", browser_state("session-1"))
    cookie = f"{COOKIE}={browser_state('session-1')}"
    replies, _ = talk(script, [(f"app {state}", "http://evil.example")], cookie=cookie, parent=RP)
    assert replies == [None]
