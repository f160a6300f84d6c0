"""The pytest form: one test per case, on an app in-process (its browser side through an
ASGI transport) that signs in with the mockidp_server fixture's provider."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from mockidp.audit import Case, HttpSignIn, audit_cases, check_case
from mockidp.testing.double import MockIdP
from mockidp.testing.serving import SyncASGITransport
from tests.audit.sample_app import SampleApp

APP = "http://127.0.0.1:9"  # never dialled: the browser reaches the app in-process


def _sign_in(app: SampleApp) -> Iterator[HttpSignIn]:
    transport = SyncASGITransport(app.asgi)  # type: ignore[arg-type]  # any ASGI app
    try:
        yield HttpSignIn(f"{APP}/login", f"{APP}/me", mounts={APP: transport})
    finally:
        transport.close()
        app.http.close()


@pytest.fixture
def correct(mockidp_server: MockIdP) -> Iterator[HttpSignIn]:
    yield from _sign_in(SampleApp(mockidp_server.issuer))


@pytest.fixture
def no_audience_check(mockidp_server: MockIdP) -> Iterator[HttpSignIn]:
    yield from _sign_in(SampleApp(mockidp_server.issuer, flaw="audience"))


@pytest.mark.parametrize("case", audit_cases())
def test_the_correct_app_passes(mockidp_server: MockIdP, correct: HttpSignIn, case: Case) -> None:
    outcome = check_case(mockidp_server, case, correct)
    assert outcome.verdict == "pass"


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


def test_a_plain_function_can_say_signed_in(mockidp_server: MockIdP, correct: HttpSignIn) -> None:
    (case,) = [p.values[0] for p in audit_cases("aud-invalid")]
    outcome = check_case(mockidp_server, case, lambda: correct().signed_in)
    assert (outcome.observed, outcome.evidence) == ("rejected", "")
