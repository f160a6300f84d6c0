"""How a verdict is reached from what the app did, and the catalogue's own promises."""

from __future__ import annotations

import pytest

from mockidp.audit.cases import ALL_CASES, SIGNATURE, by_name, select
from mockidp.audit.runner import judge
from mockidp.model.scenario import TOKEN_DEFECTS
from mockidp.scenario.dump import dump_scenario
from mockidp.scenario.loader import load_scenario


@pytest.mark.parametrize(
    ("name", "accepted", "tls", "verdict"),
    [
        ("aud-invalid", True, False, "fail"),
        ("aud-invalid", True, True, "fail"),  # TLS excuses a signature, never a claim
        ("aud-invalid", False, False, "pass"),
        ("sig-rs256-invalid", True, True, "lenient"),  # Core 3.1.3.7 (6)
        ("sig-rs256-invalid", True, False, "fail"),
        ("sig-none", True, True, "fail"),  # unsigned is never TLS-excused for RS256 clients
        ("key-rotation", False, False, "fail"),
        ("key-rotation", True, False, "pass"),
        ("kid-absent-multiple-jwks", False, False, "pass"),
        ("kid-absent-multiple-jwks", True, False, "pass"),
    ],
)
def test_verdicts(name: str, accepted: bool, tls: bool, verdict: str) -> None:
    assert judge(by_name(name), accepted, tls=tls) == verdict


def test_every_case_is_a_rule_the_scenario_format_knows() -> None:
    names = [c.name for c in ALL_CASES]
    assert len(names) == len(set(names))
    for case in ALL_CASES:
        assert case.defect is None or case.defect in TOKEN_DEFECTS
        assert case.lenient_over_tls == (case.group == SIGNATURE)


def test_patterns_select_cases_and_logout_is_opt_in() -> None:
    assert [c.name for c in select("aud-*")] == [
        "aud-invalid",
        "aud-missing",
        "aud-untrusted-extra",
    ]
    assert not any(c.logout for c in select(None, logout=False))
    assert [c.name for c in select("logout-valid, nonce-invalid")] == [
        "nonce-invalid",
        "logout-valid",
    ]
    assert select("nothing-*") == ()


def test_every_case_loads_as_a_scenario_on_the_default_one() -> None:
    default = dump_scenario(load_scenario(None))
    for case in ALL_CASES:
        patched = {k: v for k, v in {**default, **case.scenario_patch()}.items() if v is not None}
        if case.clients:
            patched["clients"] = [{**c, **case.clients} for c in patched["clients"]]
        load_scenario(patched)  # raises ScenarioError, naming the problem


@pytest.mark.parametrize(
    ("name", "accepted", "verdict"),
    [
        ("rp-logout-other-state", True, "pass"),
        ("rp-logout-other-state", False, "pass"),  # a crash is judged before: see the runner
        ("refresh-sub-invalid", True, "fail"),
        ("refresh-valid", False, "fail"),
        ("userinfo-signed", False, "fail"),
    ],
)
def test_verdicts_beyond_a_sign_in(name: str, accepted: bool, verdict: str) -> None:
    assert judge(by_name(name), accepted, tls=False) == verdict


def test_the_journeys_beyond_a_sign_in_are_opt_in() -> None:
    assert not any(c.needs for c in select(None, logout=False, refresh=False, rp_logout=False))
    assert {c.needs for c in select(None)} == {"", "backchannel", "refresh", "rp_logout"}
    assert [c.name for c in select("refresh-*", refresh=False)] == []
