"""The audit over HTTP, as `mockidp audit` runs it, on sample apps served on real ports:
the correct app passes every case, each flawed app fails exactly its flaw's cases; the
code-flow app has no at_hash / c_hash case to answer (not applicable), a hybrid one does."""

from __future__ import annotations

from collections.abc import Callable

import httpx
import pytest

from mockidp.audit.browser import HttpSignIn
from mockidp.audit.cases import ALL_CASES, CASES, SIGNATURE
from mockidp.audit.runner import Outcome, Provider, run
from tests.audit.sample_app import FLAWS, FRONT_CHANNEL_FLAWS, SampleApp
from tests.conftest import LiveServer

HYBRID = "code id_token token"
HASH_CASES = {"at-hash-invalid", "at-hash-missing", "c-hash-invalid", "c-hash-missing"}
FLAW_CASES: dict[str | None, set[str]] = {
    None: set(),
    "signature": {c.name for c in CASES if c.group == SIGNATURE} | {"sig-none"},
    "audience": {"aud-invalid", "aud-missing", "aud-untrusted-extra"},
    "nonce": {"nonce-invalid", "nonce-missing"},
    "alg_none": {"sig-none"},
    "jwks_cache": {"kid-selects-key", "key-rotation-before-signing", "key-rotation"},
    "logout_signature": {"logout-sig-none", "logout-sig-invalid", "logout-wrong-alg"},
    "userinfo_sub": {"userinfo-invalid-sub"},
    "userinfo_json": {"userinfo-signed"},
    "refresh_sub": {"refresh-sub-invalid"},
    "logout_state": {"rp-logout-other-state", "rp-logout-no-state"},
    "at_hash": {"at-hash-invalid", "at-hash-missing"},
    "c_hash": {"c-hash-invalid", "c-hash-missing"},
}
APPS = [
    *(("code", flaw) for flaw in (None, *FLAWS) if flaw not in FRONT_CHANNEL_FLAWS),
    *((HYBRID, flaw) for flaw in (None, "signature", *FRONT_CHANNEL_FLAWS)),
]


def test_every_flaw_of_the_sample_app_names_its_cases() -> None:
    assert set(FLAW_CASES) == {None, *FLAWS}
    names = {c.name for c in ALL_CASES}
    assert all(cases <= names and cases for flaw, cases in FLAW_CASES.items() if flaw)


def _audit(live: LiveServer, app: str) -> list[Outcome]:
    sign_in = HttpSignIn(
        f"{app}/login", f"{app}/me", refresh=f"{app}/refresh", logout=f"{app}/logout"
    )
    with httpx.Client(base_url=live.url) as idp:
        return run(Provider(idp), ALL_CASES, sign_in, backchannel=f"{app}/backchannel_logout")


@pytest.mark.parametrize(("response_type", "flaw"), APPS)
def test_the_audit_flags_exactly_the_apps_flaw(
    live: LiveServer,
    serve_app: Callable[[SampleApp], str],
    response_type: str,
    flaw: str | None,
) -> None:
    app = serve_app(SampleApp(live.url, flaw=flaw, response_type=response_type))
    before = httpx.get(f"{live.url}/_mockidp/scenario").json()
    outcomes = _audit(live, app)
    failed = {o.case.name for o in outcomes if o.failed}
    assert failed == FLAW_CASES[flaw], [o.evidence for o in outcomes if o.failed]
    assert [o.case.name for o in outcomes] == [c.name for c in ALL_CASES]
    skipped = {o.case.name for o in outcomes if o.verdict == "n/a"}
    assert skipped == (HASH_CASES if response_type == "code" else set())
    for outcome in outcomes:
        assert outcome.verdict != "lenient"  # the provider is plain HTTP: no leniency
        _shows_how_it_was_rejected(outcome, failed)
    assert httpx.get(f"{live.url}/_mockidp/scenario").json() == before  # put back


def _shows_how_it_was_rejected(outcome: Outcome, failed: set[str]) -> None:
    case = outcome.case
    if case.expected != "reject" or case.name in failed or outcome.verdict == "n/a":
        return
    if case.logout:  # still signed in: the app refused the Logout Token
        assert outcome.evidence.startswith("GET /me -> 200")
        assert outcome.evidence.endswith("the app answered the Logout Token 400")
    elif case.journey == "refresh":  # the app's refresh URL refused the new tokens
        assert outcome.evidence.startswith("GET /refresh -> 401: rejected")
    else:  # the check URL showed it
        assert outcome.evidence.startswith("GET /me -> 401")


def test_a_hybrid_apps_unchecked_c_hash_is_reported_with_what_it_called_next(
    live: LiveServer, serve_app: Callable[[SampleApp], str]
) -> None:
    app = serve_app(SampleApp(live.url, flaw="c_hash", response_type="code id_token"))
    outcomes = {o.case.name: o for o in _audit(live, app)}
    bad = outcomes["c-hash-invalid"]
    assert (bad.observed, bad.verdict) == ("accepted", "fail")
    assert bad.called_after == ("token", "userinfo")  # the suite flags these calls too
    # the form_post page was submitted to the app, which answered for itself
    assert outcomes["nonce-invalid"].evidence == (
        "GET /me -> 401 (after POST /callback -> 401: rejected: wrong nonce)"
    )
    # "code id_token": no access token beside the ID token, so at_hash has nothing to check
    assert {n for n, o in outcomes.items() if o.verdict == "n/a"} == {
        "at-hash-invalid",
        "at-hash-missing",
    }
    assert "response_type=code id_token" in outcomes["at-hash-missing"].evidence


def test_a_logout_state_crash_is_a_failure_whatever_the_verdict(
    live: LiveServer, serve_app: Callable[[SampleApp], str]
) -> None:
    app = serve_app(SampleApp(live.url, flaw="logout_state"))
    sign_in = HttpSignIn(f"{app}/login", f"{app}/me", logout=f"{app}/logout")
    with httpx.Client(base_url=live.url) as idp:
        outcomes = run(Provider(idp), [c for c in ALL_CASES if c.journey == "rp_logout"], sign_in)
    shown = {o.case.name: (o.observed, o.verdict, o.evidence) for o in outcomes}
    assert shown["rp-logout"][:2] == ("accepted", "pass")
    for name in ("rp-logout-other-state", "rp-logout-no-state"):
        observed, verdict, evidence = shown[name]
        assert (observed, verdict) == ("error", "fail")
        assert evidence.startswith("GET /logged-out -> 500")
        assert "/end_session 302" in evidence and evidence.endswith("; a server error")
