"""The inspector fits a 1200 px wide window: no table cell overflows, nothing scrolls
sideways, with long parameters and tokens in the log (headless Chromium)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

from mockidp.testing import MockIdP

if TYPE_CHECKING:
    from playwright.sync_api import Browser

OVERFLOWING = """() => [...document.querySelectorAll('td, th')]
    .filter(cell => cell.scrollWidth > cell.clientWidth + 1)
    .map(cell => cell.textContent.slice(0, 60))"""


@pytest.fixture(scope="module")
def busy_server() -> Iterator[MockIdP]:
    """A live mockidp whose log holds long parameters, errors and decoded tokens."""
    idp = MockIdP.serve()
    long_state = "state-" + "x" * 300
    idp.client.get(
        "/authorize",
        params={
            "client_id": "mockidp-client",
            "response_type": "code",
            "scope": "openid profile email nonsense",
            "redirect_uri": "http://127.0.0.1:8080/callback/" + "deep/" * 30,
            "state": long_state,
        },
    )
    for user in ("alice", "bob"):
        idp.issue_tokens(user=user)
    idp.client.post(
        "/token",
        data={"grant_type": "password", "username": "bob", "password": "bob", "scope": "openid"},
        auth=("mockidp-client", "mockidp-secret"),
    )
    yield idp
    idp.close()
    if idp.server is not None:
        idp.server.stop()


@pytest.mark.browser
def test_the_inspector_fits_1200_px(browser: Browser, busy_server: MockIdP, tmp_path: Path) -> None:
    page = browser.new_page(viewport={"width": 1200, "height": 900})
    try:
        page.goto(f"{busy_server.url}/_mockidp/inspector")
        page.wait_for_selector("#requests")
        page.screenshot(path=str(tmp_path / "inspector-1200.png"), full_page=True)
        assert page.evaluate(OVERFLOWING) == []
        assert page.evaluate("document.documentElement.scrollWidth") <= 1200
        assert page.locator("tr.request").count() >= 2
        # underscores stay visible: an inline code box wrapped over lines painted each
        # line's background over the underscores of the line above (one box: no overlap)
        wrapped = page.evaluate(
            "() => [...document.querySelectorAll('td code')]"
            ".filter(c => c.getClientRects().length > 1).length"
        )
        assert wrapped == 0
    finally:
        page.close()
