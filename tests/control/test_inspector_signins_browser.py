"""The inspector's sign-in diagrams in headless Chromium, at 1200 px, light and dark:
an authorization code sign-in with refresh and logout, a device sign-in, a faulted one.

Each is checked by its SVG's text and saved as a screenshot (under pytest's tmp_path;
``--basetemp`` keeps them where a person can look)."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

from mockidp.testing import MockIdP
from tests.support.signins import device_sign_in, faulted_sign_in, sign_in_refresh_logout

if TYPE_CHECKING:
    from playwright.sync_api import Browser, Page

# every label inside the drawing: nothing is cut off at its right edge
OUTSIDE = """svg => [...svg.querySelectorAll('text')]
    .filter(t => { const b = t.getBBox(); return b.x < 0 || b.x + b.width > 1160; })
    .map(t => t.textContent)"""


@pytest.fixture(scope="module")
def live() -> Iterator[MockIdP]:
    idp = MockIdP.serve()
    yield idp
    idp.close()
    if idp.server is not None:
        idp.server.stop()


def _drawn(browser: Browser, idp: MockIdP, scheme: str) -> Page:
    page = browser.new_page(
        viewport={"width": 1200, "height": 900}, device_scale_factor=1, color_scheme=scheme
    )
    page.set_default_timeout(5000)
    page.goto(f"{idp.url}/_mockidp/inspector")
    assert page.locator("svg.seq").count() == 1
    return page


FLOWS: dict[str, tuple[Callable[[MockIdP], None], list[str], list[str]]] = {
    "code-refresh-logout": (
        sign_in_refresh_logout,
        ["discovery", "authorization", "login", "token", "userinfo", "token", "end_session"],
        [
            "GET authorization client_id=mockidp-client response_type=code",
            "200 page",
            "302 code",
            "grant_type=authorization_code",
            "grant_type=refresh_token",
            "7. GET end_session",
        ],
    ),
    "device": (
        device_sign_in,
        ["device_authorization", "token", "device", "device", "device", "token"],
        [
            "1. POST device_authorization client_id=mockidp-public",
            "400 authorization_pending",
            "GET device",
            "grant_type=urn:ietf:params:oauth:grant-type:device_code",
        ],
    ),
    "fault": (
        faulted_sign_in,
        ["authorization", "login", "token"],
        ["400 invalid_grant", "⚠ fault: fail_next token"],
    ),
}


@pytest.mark.browser
@pytest.mark.parametrize("flow", list(FLOWS))
@pytest.mark.parametrize("scheme", ["light", "dark"])
def test_a_sign_in_is_drawn(
    browser: Browser, live: MockIdP, tmp_path: Path, flow: str, scheme: str
) -> None:
    drive, steps, labels = FLOWS[flow]
    live.reset()
    live.use_scenario(login="page")
    drive(live)
    page = _drawn(browser, live, scheme)
    try:
        svg = page.locator("#signin-1-svg")
        svg.screenshot(path=str(tmp_path / f"signin-{flow}-{scheme}.png"))
        drawn = svg.locator("g.step").evaluate_all("gs => gs.map(g => g.dataset.endpoint)")
        assert drawn == steps
        text = svg.text_content() or ""
        for label in labels:
            assert label in text, (label, text)
        assert svg.evaluate(OUTSIDE) == []
        assert page.evaluate("document.documentElement.scrollWidth") <= 1200
        heads = svg.locator("g.head").evaluate_all("gs => gs.map(g => g.dataset.lifeline)")
        assert heads == ["browser", "app", "idp"]  # a device's user signs in in a browser
        # the colours follow the scheme: light text on dark, dark on light
        fill = svg.locator("text.request").first.evaluate("t => getComputedStyle(t).fill")
        channels = [int(c) for c in fill[fill.index("(") + 1 : -1].split(",")[:3]]
        assert (sum(channels) > 384) is (scheme == "dark"), fill
    finally:
        page.close()


@pytest.mark.browser
def test_a_token_arrow_leads_to_its_decoded_token(browser: Browser, live: MockIdP) -> None:
    live.reset()
    sign_in_refresh_logout(live)
    page = _drawn(browser, live, "light")
    try:
        link = page.locator('#signin-1-svg a.token-link[data-kind="id_token"]').first
        link.click()
        target = page.evaluate("location.hash")
        assert target.startswith("#token-")
        section = page.locator(f"section.token{target}")
        assert section.get_attribute("data-kind") == "id_token"
        assert "alice" in section.inner_text()
        mermaid = page.locator("#signin-1-mermaid")
        assert not mermaid.is_visible()  # folded until asked for
        page.click("#signin-1 details.mermaid > summary")
        assert (mermaid.inner_text()).startswith("sequenceDiagram")
    finally:
        page.close()
