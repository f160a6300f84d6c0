"""The device verification page (RFC 8628 3.3) in a real browser (headless Chromium).

The device's side (device authorization request, polling) is plain httpx against the
live server; the user's side is Chromium typing the code, signing in and answering.
Without Chromium or Playwright these tests skip locally; under CI (CI=true) they fail.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING, Any

import httpx
import pytest

from tests.conftest import LiveServer
from tests.support.e2e import PUBLIC, default_scenario_mapping

if TYPE_CHECKING:
    from playwright.sync_api import Browser, ConsoleMessage, Page

pytestmark = pytest.mark.browser

DEVICE_GRANT = "urn:ietf:params:oauth:grant-type:device_code"


@pytest.fixture
def page(browser: Browser, live: LiveServer) -> Iterator[Page]:
    """A page in a fresh browser context; the test fails on any console error."""
    context = browser.new_context()
    context.set_default_timeout(10_000)
    tab = context.new_page()
    errors: list[str] = []

    def on_console(message: ConsoleMessage) -> None:
        if message.type == "error":
            errors.append(message.text)

    tab.on("console", on_console)
    yield tab
    context.close()
    assert errors == []


def _start(live: LiveServer) -> dict[str, Any]:
    with httpx.Client(base_url=live.url, timeout=10) as http:
        response = http.post(
            "/device_authorization", data={"client_id": PUBLIC, "scope": "openid profile"}
        )
    assert response.status_code == 200, response.text
    grant: dict[str, Any] = response.json()
    return grant


def _poll(live: LiveServer, device_code: str) -> httpx.Response:
    with httpx.Client(base_url=live.url, timeout=10) as http:
        return http.post(
            "/token",
            data={"grant_type": DEVICE_GRANT, "device_code": device_code, "client_id": PUBLIC},
        )


def test_typing_the_code_and_approving(page: Page, live: LiveServer) -> None:
    grant = _start(live)
    page.goto(grant["verification_uri"])
    typed = grant["user_code"].replace("-", "").lower()  # as a user might type it
    page.fill("#user_code", typed)
    page.click("#continue")
    page.locator("#approve").wait_for()
    assert page.locator("#user-code").inner_text() == grant["user_code"]
    assert page.locator("#user").inner_text() == "alice"  # login: auto, default user
    page.click("#approve")
    page.locator("#result").wait_for()
    assert page.locator("#result").get_attribute("data-approved") == "true"
    token = _poll(live, grant["device_code"])
    assert token.status_code == 200, token.text
    assert token.json()["id_token"]


def test_complete_uri_sign_in_as_someone_and_deny(page: Page, live: LiveServer) -> None:
    live.provider.use_scenario(default_scenario_mapping(login="page"))
    grant = _start(live)
    page.goto(grant["verification_uri_complete"])
    page.locator('[data-user="bob"]').click()
    page.locator("#deny").wait_for()
    assert page.locator("#user").inner_text() == "bob"
    page.click("#deny")
    page.locator("#result").wait_for()
    assert page.locator("#result").get_attribute("data-approved") == "false"
    denied = _poll(live, grant["device_code"])
    assert denied.status_code == 400
    assert denied.json()["error"] == "access_denied"
    # Opening the link again offers nothing to answer: the code is used up.
    page.goto(grant["verification_uri_complete"])
    assert page.locator("#notice").inner_text() == "That code was already used."
    assert page.locator("#approve").count() == 0
    assert _poll(live, grant["device_code"]).json()["error"] == "access_denied"
