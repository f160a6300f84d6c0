"""`mockidp audit`: the report in each format, the exit status, and clear errors."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from xml.etree import ElementTree

import httpx
import pytest

import mockidp
from mockidp.cli import main
from tests.audit.sample_app import SampleApp
from tests.conftest import LiveServer


def _audit(live: LiveServer, app: str, *extra: str) -> list[str]:
    return ["audit", "--idp", live.url, "--start", f"{app}/login", "--check", f"{app}/me", *extra]


def test_a_correct_app_passes_and_the_table_says_so(
    live: LiveServer, serve_app: Callable[[SampleApp], str], capsys: pytest.CaptureFixture[str]
) -> None:
    app = serve_app(SampleApp(live.url))
    assert main(_audit(live, app, "--cases", "valid,aud-*")) == 0
    out = capsys.readouterr().out
    lines = out.splitlines()
    assert lines[0].split()[:4] == ["case", "expected", "observed", "verdict"]
    assert lines[1].split()[:4] == ["valid", "accept", "accepted", "pass"]
    assert lines[2].split()[:4] == ["aud-invalid", "reject", "rejected", "pass"]
    assert "GET /me -> 401" in lines[2]
    assert lines[-1] == "4 cases, 0 failed"


def test_an_accepted_must_reject_case_fails_the_run(
    live: LiveServer,
    serve_app: Callable[[SampleApp], str],
    capsys: pytest.CaptureFixture[str],
    tmp_path: Path,
) -> None:
    app = serve_app(SampleApp(live.url, flaw="nonce"))
    assert main(_audit(live, app, "--cases", "valid,nonce-*", "--format", "json")) == 1
    report = json.loads(capsys.readouterr().out)
    verdicts = {c["case"]: c["verdict"] for c in report["cases"]}
    assert verdicts == {"valid": "pass", "nonce-invalid": "fail", "nonce-missing": "fail"}
    invalid = report["cases"][1]
    assert invalid["oidf"] == "oidcc-client-test-nonce-invalid"
    assert invalid["rule"] == {"token": "id_token", "defect": "wrong_nonce"}

    out = tmp_path / "audit.xml"
    code = main(
        _audit(live, app, "--cases", "nonce-invalid", "--format", "junit", "--output", str(out))
    )
    assert code == 1
    suite = ElementTree.parse(out).getroot()
    assert (suite.get("tests"), suite.get("failures")) == ("1", "1")
    assert suite.find("testcase/failure") is not None

    assert main(_audit(live, app, "--cases", "nonce-invalid", "--format", "markdown")) == 1
    table = capsys.readouterr().out.splitlines()
    assert table[0] == "| case | expected | observed | verdict | evidence |"
    assert table[2].startswith("| nonce-invalid | reject | accepted | fail |")


def test_a_pattern_matching_no_case_is_an_error(
    live: LiveServer, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(_audit(live, "http://127.0.0.1:9", "--cases", "no-such-*")) == 2
    assert "no case matches 'no-such-*'" in capsys.readouterr().err


def test_an_unreachable_provider_is_a_clear_error(capsys: pytest.CaptureFixture[str]) -> None:
    args = ["audit", "--idp", "http://127.0.0.1:9", "--start", "http://127.0.0.1:9/login"]
    assert main([*args, "--check", "http://127.0.0.1:9/me"]) == 2
    err = capsys.readouterr().err
    assert err.startswith("mockidp audit: ") and "Traceback" not in err


def test_a_server_that_is_not_mockidp_is_a_clear_error(
    live: LiveServer, serve_app: Callable[[SampleApp], str], capsys: pytest.CaptureFixture[str]
) -> None:
    app = serve_app(SampleApp(live.url))
    assert main(["audit", "--idp", app, "--start", f"{app}/login", "--check", f"{app}/me"]) == 2
    assert "is this a mockidp with its control API" in capsys.readouterr().err


def test_a_broken_scenario_file_is_a_clear_error(
    live: LiveServer, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    bad = tmp_path / "bad.yaml"
    bad.write_text("clients: 3\n", encoding="utf-8")
    assert main(_audit(live, "http://127.0.0.1:9", "--scenario", str(bad))) == 2
    err = capsys.readouterr().err
    assert "clients" in err and "Traceback" not in err


def test_a_case_whose_scenario_the_provider_refuses_is_an_error_row(
    live: LiveServer,
    serve_app: Callable[[SampleApp], str],
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    # signing_key names a packaged RSA key; the ES256 case swaps the keys for an EC one
    scenario = tmp_path / "two-keys.yaml"
    default = (Path(mockidp.__file__).parent / "scenarios" / "default.yaml").read_text("utf-8")
    keys = "keys: [{packaged: rsa-1, kid: one}, {packaged: rsa-2, kid: two}]\nsigning_key: two\n"
    scenario.write_text(default + "\n" + keys, encoding="utf-8")
    app = serve_app(SampleApp(live.url))
    args = _audit(live, app, "--scenario", str(scenario), "--cases", "valid,sig-es256-invalid")
    assert main([*args, "--format", "json"]) == 1
    cases = json.loads(capsys.readouterr().out)["cases"]
    assert [c["verdict"] for c in cases] == ["pass", "error"]
    assert cases[1]["evidence"].startswith("the provider refused the scenario")


def test_an_unwritable_output_is_a_clear_error(
    live: LiveServer,
    serve_app: Callable[[SampleApp], str],
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    app = serve_app(SampleApp(live.url))
    out = tmp_path / "missing" / "audit.xml"
    assert main(_audit(live, app, "--cases", "valid", "--output", str(out))) == 2
    assert capsys.readouterr().err.startswith(f"mockidp audit: cannot write {out}")


def test_the_refresh_and_logout_cases_run_when_the_app_names_its_urls(
    live: LiveServer, serve_app: Callable[[SampleApp], str], capsys: pytest.CaptureFixture[str]
) -> None:
    app = serve_app(SampleApp(live.url, flaw="refresh_sub"))
    journeys = "refresh-*,rp-logout*"
    assert main(_audit(live, app, "--cases", journeys)) == 2  # none without their URLs
    assert "no case matches" in capsys.readouterr().err
    urls = ["--refresh", f"{app}/refresh", "--logout", f"{app}/logout"]
    assert main([*_audit(live, app, "--cases", journeys, "--format", "json"), *urls]) == 1
    report = json.loads(capsys.readouterr().out)
    verdicts = {c["case"]: c["verdict"] for c in report["cases"]}
    assert verdicts == {
        "refresh-valid": "pass",
        "refresh-iss-invalid": "pass",
        "refresh-sub-invalid": "fail",
        "rp-logout": "pass",
        "rp-logout-other-state": "pass",
        "rp-logout-no-state": "pass",
    }
    sub = next(c for c in report["cases"] if c["case"] == "refresh-sub-invalid")
    assert sub["rule"] == {
        "token": "id_token",
        "defect": "wrong_sub",
        "match": {"grant_type": "refresh_token"},
    }
    assert sub["evidence"] == "GET /refresh -> 200"
    other = next(c for c in report["cases"] if c["case"] == "rp-logout-other-state")
    assert other["observed"] == "rejected"  # the app refused the unknown state, and coped
    assert other["evidence"].startswith("GET /logged-out -> 400: this logout was not started")


def test_a_case_that_does_not_apply_is_skipped_never_failed(
    live: LiveServer,
    serve_app: Callable[[SampleApp], str],
    capsys: pytest.CaptureFixture[str],
    tmp_path: Path,
) -> None:
    app = serve_app(SampleApp(live.url))  # the code flow: no ID token beside a code
    assert main(_audit(live, app, "--cases", "c-hash-*")) == 0
    out = capsys.readouterr().out.splitlines()
    assert out[1].split()[:4] == ["c-hash-invalid", "reject", "n/a", "n/a"]
    assert out[-1] == "2 cases, 0 failed, 2 not applicable"
    junit = tmp_path / "audit.xml"
    args = _audit(live, app, "--cases", "c-hash-*", "--format", "junit", "--output", str(junit))
    assert main(args) == 0
    suite = ElementTree.parse(junit).getroot()
    assert (suite.get("failures"), suite.get("skipped")) == ("0", "2")
    skipped = suite.find("testcase/skipped")
    assert skipped is not None and "response_type=code" in str(skipped.get("message"))


def test_the_report_is_left_with_the_provider_for_its_inspector(
    live: LiveServer, serve_app: Callable[[SampleApp], str], capsys: pytest.CaptureFixture[str]
) -> None:
    app = serve_app(SampleApp(live.url, flaw="nonce"))
    assert main(_audit(live, app, "--cases", "valid,nonce-invalid")) == 1
    err = capsys.readouterr().err
    assert (
        err
        == f"mockidp audit: the inspector shows this report at {live.url}/_mockidp/inspector/audit\n"
    )
    kept = httpx.get(f"{live.url}/_mockidp/audit").json()
    assert (kept["source"], kept["summary"]) == ("mockidp audit", "2 cases, 1 failed")
    assert [(c["case"], c["verdict"]) for c in kept["cases"]] == [
        ("valid", "pass"),
        ("nonce-invalid", "fail"),
    ]
    page = httpx.get(f"{live.url}/_mockidp/inspector/audit").text
    assert 'data-case="nonce-invalid" data-verdict="fail"' in page
