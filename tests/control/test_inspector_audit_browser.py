"""The inspector's audit page in headless Chromium, at 1200 px, light and dark: the last
`mockidp audit` of a flawed sample app, each case a row, the failures marked, reached from
the inspector's own page. A screenshot of each is saved under pytest's tmp_path."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING

import httpx
import pytest

from mockidp.cli import main
from mockidp.testing import MockIdP
from tests.audit.conftest import Served
from tests.audit.sample_app import SampleApp

if TYPE_CHECKING:
    from playwright.sync_api import Browser, Dialog

HOSTILE = "<img src=x onerror=alert(1)>"


@pytest.fixture(scope="module")
def audited() -> Iterator[MockIdP]:
    """A live mockidp that an app with no nonce check was just audited against."""
    idp = MockIdP.serve()
    app = SampleApp(idp.url, flaw="nonce")
    served = Served(app.asgi)
    try:
        args = ["audit", "--idp", idp.url, "--start", f"{served.url}/login"]
        args += ["--check", f"{served.url}/me", "--cases", "valid,aud-invalid,nonce-*,c-hash-*"]
        assert main(args) == 1  # nonce-invalid and nonce-missing fail
        yield idp
    finally:
        served.stop()
        app.http.close()
        idp.close()
        if idp.server is not None:
            idp.server.stop()


@pytest.mark.browser
@pytest.mark.parametrize("scheme", ["light", "dark"])
def test_the_last_audit_is_listed_case_by_case(
    browser: Browser, audited: MockIdP, tmp_path: Path, scheme: str
) -> None:
    page = browser.new_page(
        viewport={"width": 1200, "height": 900}, device_scale_factor=1, color_scheme=scheme
    )
    page.set_default_timeout(5000)
    try:
        page.goto(f"{audited.url}/_mockidp/inspector")
        page.click("#audit-link")
        assert page.url == f"{audited.url}/_mockidp/inspector/audit"
        page.screenshot(path=str(tmp_path / f"audit-{scheme}.png"), full_page=True)
        summary = page.locator("#audit-summary").inner_text()
        assert summary.startswith("6 cases, 2 failed, 2 not applicable · from mockidp audit")
        rows = page.locator("tr.case").evaluate_all(
            "rows => rows.map(r => [r.dataset.case, r.dataset.verdict])"
        )
        assert rows == [
            ["valid", "pass"],
            ["aud-invalid", "pass"],
            ["nonce-invalid", "fail"],
            ["nonce-missing", "fail"],
            ["c-hash-invalid", "n/a"],
            ["c-hash-missing", "n/a"],
        ]
        failed = page.locator('tr[data-case="nonce-invalid"]')
        assert "GET /me -> 200" in failed.inner_text()  # the request that showed it
        assert "oidcc-client-test-nonce-invalid / rp-nonce-invalid" in failed.inner_text()
        assert "broken_tokens" in failed.inner_text()  # the rule to replay it
        # a failure is red, a pass green, in either scheme
        colour = failed.locator("td.verdict").evaluate("td => getComputedStyle(td).color")
        red, green, blue = (int(c) for c in colour[colour.index("(") + 1 : -1].split(",")[:3])
        assert red > 150 and red > 2 * green and red > blue, colour
        passed = page.locator('tr[data-case="valid"] td.verdict')
        colour = passed.evaluate("td => getComputedStyle(td).color")
        red, green, _ = (int(c) for c in colour[colour.index("(") + 1 : -1].split(",")[:3])
        assert green > red, colour
        assert page.evaluate("document.documentElement.scrollWidth") <= 1200
        page.click("#back")
        assert page.url == f"{audited.url}/_mockidp/inspector"
    finally:
        page.close()


@pytest.mark.browser
def test_what_an_audit_sent_is_shown_never_run(browser: Browser, audited: MockIdP) -> None:
    row = {"case": "valid", "expected": "accept", "observed": "accepted", "verdict": "pass"}
    hostile = {**row, "case": "hostile", "evidence": HOSTILE, "checks": HOSTILE}
    kept = audited.client.post("/_mockidp/audit/cases", json=hostile)
    assert kept.status_code == 200
    page = browser.new_page()
    dialogs: list[str] = []

    def dismissed(dialog: Dialog) -> None:
        dialogs.append(dialog.message)
        dialog.dismiss()

    page.on("dialog", dismissed)
    try:
        page.goto(f"{audited.url}/_mockidp/inspector/audit")
        shown = page.locator('tr[data-case="hostile"]').inner_text()
        assert HOSTILE in shown  # as text
        assert page.locator("tr.case img").count() == 0
        assert dialogs == []
    finally:
        page.close()
        httpx.delete(f"{audited.url}/_mockidp/audit")
