"""The last relying-party audit kept by the control API (/_mockidp/audit) and shown by the
inspector (/_mockidp/inspector/audit): what is kept, what is refused, what is escaped."""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from mockidp import create_app
from mockidp.asgi import MockIdPApp
from mockidp.control.inspector.audits import MAX_CASES

pytestmark = pytest.mark.anyio

ORIGIN = "http://mockidp.test"
AUDIT = "/_mockidp/audit"
PAGE = "/_mockidp/inspector/audit"
HOSTILE = "<script>alert(1)</script>"


def _row(case: str, verdict: str = "pass", **extra: Any) -> dict[str, Any]:
    return {
        "case": case,
        "expected": "reject",
        "observed": "rejected" if verdict == "pass" else "accepted",
        "verdict": verdict,
        "evidence": "GET /me -> 401",
        **extra,
    }


def _client(app: MockIdPApp, **headers: str) -> httpx.AsyncClient:
    transport = httpx.ASGITransport(app=app)
    return httpx.AsyncClient(transport=transport, base_url=ORIGIN, headers=headers)


async def test_a_report_is_kept_until_the_next_one_and_a_reset_keeps_it() -> None:
    async with _client(create_app()) as http:
        assert (await http.get(AUDIT)).status_code == 404
        report = {"source": "mockidp audit", "cases": [_row("valid"), _row("aud-invalid", "fail")]}
        put = await http.put(AUDIT, json={**report, "summary": "ignored", "failed": 9})
        assert put.status_code == 200, put.text
        kept = (await http.get(AUDIT)).json()
        assert kept["summary"] == "2 cases, 1 failed" and kept["failed"] == 1
        assert [c["case"] for c in kept["cases"]] == ["valid", "aud-invalid"]
        assert kept["cases"][1]["called_after"] == [] and kept["source"] == "mockidp audit"
        assert (await http.post("/_mockidp/reset", json={})).status_code == 204
        assert (await http.get(AUDIT)).json()["cases"] == kept["cases"]
        await http.put(AUDIT, json={"cases": [_row("sig-none")]})
        assert [c["case"] for c in (await http.get(AUDIT)).json()["cases"]] == ["sig-none"]
        assert (await http.delete(AUDIT)).status_code == 204
        assert (await http.get(AUDIT)).status_code == 404


async def test_the_pytest_api_adds_rows_one_case_at_a_time() -> None:
    async with _client(create_app()) as http:
        assert (await http.post(f"{AUDIT}/cases", json=_row("valid"))).status_code == 200
        await http.post(f"{AUDIT}/cases", json=_row("c-hash-invalid", "n/a", observed="n/a"))
        again = await http.post(f"{AUDIT}/cases", json=_row("valid", "fail"))  # rerun: replaced
        kept = again.json()
        assert kept["source"] == "pytest"
        assert [(c["case"], c["verdict"]) for c in kept["cases"]] == [
            ("c-hash-invalid", "n/a"),
            ("valid", "fail"),
        ]
        assert kept["summary"] == "2 cases, 1 failed, 1 not applicable"


@pytest.mark.parametrize(
    "body",
    [
        [],
        "cases",
        {"cases": "valid"},
        {"cases": [_row("valid", "maybe")]},
        {"cases": [{**_row("valid"), "observed": "shrugged"}]},
        {"cases": [_row("valid"), _row("valid")]},
        {"cases": [_row("x" * 201)]},
        {"cases": [{**_row("valid"), "evidence": "e" * 4001}]},
        {"cases": [_row(f"case-{i}") for i in range(MAX_CASES + 1)]},
        {"cases": [{k: v for k, v in _row("valid").items() if k != "verdict"}]},
    ],
)
async def test_a_report_of_the_wrong_shape_is_an_oauth_style_400(body: Any) -> None:
    async with _client(create_app()) as http:
        answer = await http.put(AUDIT, json=body)
        assert answer.status_code == 400, answer.text
        assert answer.json()["error"] == "invalid_request"
        one = await http.post(f"{AUDIT}/cases", json=body)
        assert one.status_code == 400 and one.json()["error"] == "invalid_request"
        bytes_ = await http.put(
            AUDIT, content=b"\xff{", headers={"content-type": "application/json"}
        )
        assert bytes_.status_code == 400
        assert (await http.get(AUDIT)).status_code == 404  # nothing half-kept


async def test_the_audit_needs_the_admin_token_like_the_rest() -> None:
    async with _client(create_app(admin_token="t0k3n")) as http:
        assert (await http.put(AUDIT, json={"cases": [_row("valid")]})).status_code == 401
        assert (await http.get(AUDIT)).status_code == 401
        page = await http.get(PAGE)  # the inspector's own sign-in, posting to inspector/login
        assert page.status_code == 401 and 'action="login"' in page.text
    async with _client(create_app(admin_token="t0k3n"), authorization="Bearer t0k3n") as http:
        assert (await http.put(AUDIT, json={"cases": [_row("valid")]})).status_code == 200
        assert 'data-case="valid"' in (await http.get(PAGE)).text


async def test_the_page_lists_each_case_and_escapes_what_the_audit_sent() -> None:
    async with _client(create_app()) as http:
        empty = await http.get(PAGE)
        assert empty.status_code == 200 and 'id="no-audit"' in empty.text
        rule = {"token": "id_token", "defect": "wrong_audience"}
        rows = [
            _row("aud-invalid", "fail", rule=rule, oidf="oidcc-client-test-invalid-aud"),
            _row(HOSTILE, "pass", evidence=HOSTILE, checks=HOSTILE, called_after=["userinfo"]),
        ]
        await http.put(AUDIT, json={"source": HOSTILE, "cases": rows})
        page = await http.get(PAGE)
        html = page.text
        assert page.headers["content-security-policy"].startswith("default-src 'none'")
        assert HOSTILE not in html and "&lt;script&gt;alert(1)&lt;/script&gt;" in html
        assert 'data-case="aud-invalid" data-verdict="fail"' in html
        assert '<td class="short verdict bad">fail</td>' in html
        assert "oidcc-client-test-invalid-aud" in html
        assert "broken_tokens: [{&quot;token&quot;: &quot;id_token&quot;" in html
        assert "then called userinfo" in html
        assert 'id="audit-link"' in (await http.get("/_mockidp/inspector")).text
        assert (await http.post(PAGE)).status_code == 405
