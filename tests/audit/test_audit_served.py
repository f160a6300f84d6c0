"""The audit over HTTP, as `mockidp audit` runs it, on sample apps served on real ports:
the correct app passes every case, each flawed app fails exactly its flaw's cases."""

from __future__ import annotations

from collections.abc import Callable

import httpx
import pytest

from mockidp.audit.cases import ALL_CASES, CASES, SIGNATURE
from mockidp.audit.runner import HttpSignIn, Provider, run
from tests.audit.sample_app import FLAWS, SampleApp
from tests.conftest import LiveServer

FLAW_CASES: dict[str | None, set[str]] = {
    None: set(),
    "signature": {c.name for c in CASES if c.group == SIGNATURE} | {"sig-none"},
    "audience": {"aud-invalid", "aud-missing", "aud-untrusted-extra"},
    "nonce": {"nonce-invalid", "nonce-missing"},
    "alg_none": {"sig-none"},
    "jwks_cache": {"kid-selects-key", "key-rotation-before-signing", "key-rotation"},
    "logout_signature": {"logout-sig-none", "logout-sig-invalid", "logout-wrong-alg"},
    "userinfo_sub": {"userinfo-invalid-sub"},
}


def test_every_flaw_of_the_sample_app_names_its_cases() -> None:
    assert set(FLAW_CASES) == {None, *FLAWS}
    names = {c.name for c in ALL_CASES}
    assert all(cases <= names and cases for flaw, cases in FLAW_CASES.items() if flaw)


@pytest.mark.parametrize("flaw", [None, *FLAWS])
def test_the_audit_flags_exactly_the_apps_flaw(
    live: LiveServer, serve_app: Callable[[SampleApp], str], flaw: str | None
) -> None:
    app = serve_app(SampleApp(live.url, flaw=flaw))
    before = httpx.get(f"{live.url}/_mockidp/scenario").json()
    sign_in = HttpSignIn(f"{app}/login", f"{app}/me")
    with httpx.Client(base_url=live.url) as idp:
        outcomes = run(Provider(idp), ALL_CASES, sign_in, backchannel=f"{app}/backchannel_logout")
    failed = {o.case.name for o in outcomes if o.failed}
    assert failed == FLAW_CASES[flaw], [o.evidence for o in outcomes if o.failed]
    assert [o.case.name for o in outcomes] == [c.name for c in ALL_CASES]
    for outcome in outcomes:
        assert outcome.verdict != "lenient"  # the provider is plain HTTP: no leniency
        if outcome.case.expected == "reject" and outcome.case.name not in failed:
            if outcome.case.logout:  # still signed in: the app refused the Logout Token
                assert outcome.evidence.startswith("GET /me -> 200")
                assert outcome.evidence.endswith("the app answered the Logout Token 400")
            else:  # the check URL showed it
                assert outcome.evidence.startswith("GET /me -> 401")
    assert httpx.get(f"{live.url}/_mockidp/scenario").json() == before  # put back
