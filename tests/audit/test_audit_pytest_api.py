"""The pytest form: one test per case, on an app in-process (its browser side through an
ASGI transport) that signs in with the mockidp_server fixture's provider."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from mockidp.audit import Case, HttpSignIn, audit_cases, check_case
from mockidp.audit.cases import select
from mockidp.testing.double import MockIdP
from mockidp.testing.serving import SyncASGITransport
from tests.audit.sample_app import SampleApp

APP = "http://127.0.0.1:9"  # never dialled: the browser reaches the app in-process
HASH_CASES = "at-hash-*,c-hash-*"


def _sign_in(app: SampleApp) -> Iterator[HttpSignIn]:
    transport = SyncASGITransport(app.asgi)  # type: ignore[arg-type]  # any ASGI app
    try:
        yield HttpSignIn(
            f"{APP}/login",
            f"{APP}/me",
            refresh=f"{APP}/refresh",
            logout=f"{APP}/logout",
            mounts={APP: transport},
        )
    finally:
        transport.close()
        app.http.close()


@pytest.fixture
def correct(mockidp_server: MockIdP) -> Iterator[HttpSignIn]:
    yield from _sign_in(SampleApp(mockidp_server.issuer))


@pytest.fixture
def hybrid(mockidp_server: MockIdP) -> Iterator[HttpSignIn]:
    yield from _sign_in(SampleApp(mockidp_server.issuer, response_type="code id_token token"))


@pytest.fixture
def no_audience_check(mockidp_server: MockIdP) -> Iterator[HttpSignIn]:
    yield from _sign_in(SampleApp(mockidp_server.issuer, flaw="audience"))


CODE_FLOW_CASES = [
    p for p in audit_cases(refresh=True, rp_logout=True) if p.values[0] not in select(HASH_CASES)
]


@pytest.mark.parametrize("case", CODE_FLOW_CASES)
def test_the_correct_app_passes(mockidp_server: MockIdP, correct: HttpSignIn, case: Case) -> None:
    outcome = check_case(mockidp_server, case, correct)
    assert outcome.verdict == "pass"


@pytest.mark.parametrize("case", audit_cases(HASH_CASES))
def test_a_case_the_apps_flow_gives_no_occasion_to_is_skipped(
    mockidp_server: MockIdP, correct: HttpSignIn, hybrid: HttpSignIn, case: Case
) -> None:
    with pytest.raises(pytest.skip.Exception, match="response_type=code: no ID token"):
        check_case(mockidp_server, case, correct)
    assert check_case(mockidp_server, case, hybrid).verdict == "pass"  # form_post, in-process


def test_the_cases_beyond_a_sign_in_are_asked_for() -> None:
    names = {p.values[0].name for p in audit_cases()}
    assert not names & {"refresh-valid", "rp-logout", "logout-valid"}
    assert {"refresh-valid"} <= {p.values[0].name for p in audit_cases(refresh=True)}
    assert {"rp-logout"} <= {p.values[0].name for p in audit_cases(rp_logout=True)}


@pytest.mark.parametrize("case", audit_cases("valid,aud-*,sig-rs256-invalid"))
def test_a_flawed_app_fails_its_cases_with_a_replayable_rule(
    mockidp_server: MockIdP, no_audience_check: HttpSignIn, case: Case
) -> None:
    if not case.name.startswith("aud-"):
        check_case(mockidp_server, case, no_audience_check)
        return
    with pytest.raises(AssertionError) as failed:
        check_case(mockidp_server, case, no_audience_check)
    message = str(failed.value)
    assert message.startswith(f"{case.name} ({case.checks}): expected reject, the app accepted")
    assert f"'defect': '{case.defect}'" in message


def test_each_case_leaves_its_row_with_the_provider(
    mockidp_server: MockIdP, no_audience_check: HttpSignIn
) -> None:
    (case,) = [p.values[0] for p in audit_cases("aud-missing")]
    with pytest.raises(AssertionError):
        check_case(mockidp_server, case, no_audience_check)
    kept = mockidp_server.client.get("/_mockidp/audit").json()
    row = next(c for c in kept["cases"] if c["case"] == "aud-missing")
    assert (row["verdict"], row["observed"]) == ("fail", "accepted")
    assert row["rule"] == {"token": "id_token", "defect": "missing_audience"}


def test_a_plain_function_can_say_signed_in(mockidp_server: MockIdP, correct: HttpSignIn) -> None:
    (case,) = [p.values[0] for p in audit_cases("aud-invalid")]
    outcome = check_case(mockidp_server, case, lambda: correct().signed_in)
    assert (outcome.observed, outcome.evidence) == ("rejected", "")
