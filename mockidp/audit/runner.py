"""Running the audit: for each case, script the provider, sign in, and judge what the app did.

The provider is a running mockidp reached through its test-control API (``/_mockidp/``):
the audit reads the scenario in force once, and for each case resets the provider (fresh
sessions and request log) and puts that scenario back with the case's rule added; at the
end it puts the scenario back as it found it. A sign-in is a function that says whether
the user ended up signed in (:class:`~mockidp.audit.browser.HttpSignIn` drives an app over
HTTP, and also refreshes and logs out for the cases that need it).

What the app asked for is read from the provider's request log: the ``response_type`` of
its authorization request (a case about ``at_hash`` or ``c_hash`` applies only to an ID
token the authorization endpoint hands out), whether it called UserInfo, what it sent to
the end_session endpoint. A case the app's flow gives no occasion to is "not applicable"
(``n/a``), never failed.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Literal

import httpx
from msgspec import Struct

from mockidp.audit.browser import Attempt, HttpSignIn
from mockidp.audit.cases import Case
from mockidp.types import JSONObject

__all__ = [
    "CONTROL",
    "Attempt",
    "AuditError",
    "HttpSignIn",
    "Outcome",
    "Provider",
    "SignIn",
    "Verdict",
    "called_after",
    "called_after_token",
    "judge",
    "run",
    "run_case",
]

Verdict = Literal["pass", "fail", "lenient", "error", "n/a"]
Observed = Literal["accepted", "rejected", "error", "n/a"]
CONTROL = "/_mockidp"

SignIn = Callable[[], Attempt | bool]
"""Signs in once (a fresh browser), and says whether the user is signed in now."""


class Outcome(Struct, frozen=True):
    """One case's result."""

    case: Case
    observed: Observed
    verdict: Verdict
    evidence: str
    called_after: tuple[str, ...] = ()
    """Endpoints the app called after a bad ID token reached it (userinfo, ...)."""

    @property
    def failed(self) -> bool:
        return self.verdict in ("fail", "error")


def judge(case: Case, accepted: bool, *, tls: bool) -> Verdict:
    """The verdict on ``case`` when the app accepted (or rejected) the sign-in.

    ``tls``: the ID token came straight from the token endpoint over TLS, so accepting a
    bad signature on it is allowed (Core 3.1.3.7 (6)), though lenient.
    """
    if case.expected == "either":
        return "pass"
    if case.expected == "accept":
        return "pass" if accepted else "fail"
    if not accepted:
        return "pass"
    return "lenient" if case.lenient_over_tls and tls else "fail"


class Provider:
    """A running mockidp, scripted through its control API by ``client``."""

    def __init__(self, client: httpx.Client, base: JSONObject | None = None) -> None:
        self.client = client
        self.found = self._get(f"{CONTROL}/scenario")
        self.base = base if base is not None else self.found
        self.tls = str(client.base_url).startswith("https:")

    def _get(self, path: str) -> JSONObject:
        response = self.client.get(path)
        if response.status_code != 200:
            raise AuditError(
                f"GET {path} answered {response.status_code}: is this a mockidp with its "
                "control API (and, if it asks for one, the admin token)?"
            )
        body: JSONObject = response.json()
        return body

    def put(self, scenario: JSONObject) -> None:
        response = self.client.put(f"{CONTROL}/scenario", json=scenario)
        if response.status_code != 200:
            raise AuditError(f"the provider refused the scenario: {response.text[:500]}")

    def prepare(self, case: Case, backchannel: str | None = None) -> None:
        """Fresh state and request log, and the scenario with ``case``'s rule; every client
        registers the case's metadata and, for a back-channel logout case, ``backchannel``
        as its ``backchannel_logout_uri``."""
        self.client.post(f"{CONTROL}/reset", json={})
        merged = {**self.base, **case.scenario_patch()}
        extra = dict(case.clients or {})
        if "userinfo_signed_response_alg" in extra and merged.get("signing_alg"):
            # the suite registers RS256; a scenario signing otherwise has only its own key
            extra["userinfo_signed_response_alg"] = merged["signing_alg"]
        if case.logout and backchannel:
            extra["backchannel_logout_uri"] = backchannel
        if extra:
            merged["clients"] = [{**c, **extra} for c in merged.get("clients") or []]
        self.put({key: value for key, value in merged.items() if value is not None})

    def end_session(self) -> str:
        """The provider's end_session endpoint (RP-initiated logout), from its discovery."""
        document = self._get("/.well-known/openid-configuration")
        endpoint = document.get("end_session_endpoint")
        if not isinstance(endpoint, str):
            raise AuditError("the provider's discovery names no end_session_endpoint")
        return endpoint

    def requests(self) -> list[JSONObject]:
        """The request log, oldest first (as the control API lists it)."""
        records: list[JSONObject] = self._get(f"{CONTROL}/requests?limit=1000")["requests"]
        return records

    def publish(self, report: JSONObject, *, one_case: bool = False) -> str | None:
        """Leave ``report`` (:func:`mockidp.audit.report.as_json`) with the provider, for
        its inspector's audit page; ``one_case``: add one case's row to the last audit.
        None when done, else why not (an older mockidp, say): the audit still stands."""
        path = f"{CONTROL}/audit/cases" if one_case else f"{CONTROL}/audit"
        try:
            answer = self.client.request("POST" if one_case else "PUT", path, json=report)
        except httpx.HTTPError as exc:
            return f"the provider did not keep the report ({exc})"
        if answer.status_code == 200:
            return None
        return f"the provider did not keep the report ({answer.status_code})"

    def restore(self) -> None:
        self.put(self.found)


class AuditError(Exception):
    """The audit could not run (the provider or the app is not what it should be)."""


def called_after_token(log: Sequence[JSONObject]) -> tuple[str, ...]:
    """Endpoints the app called after its last successful token request."""
    last = max(
        (i for i, r in enumerate(log) if r.get("endpoint") == "token" and r.get("status") == 200),
        default=None,
    )
    return _later(log, last)


def called_after(log: Sequence[JSONObject], *, front_channel: bool) -> tuple[str, ...]:
    """Endpoints the app called after a bad ID token reached it: after its last
    successful token request, or (``front_channel``: implicit, hybrid) after the
    authorization response that carried it."""
    if not front_channel:
        return called_after_token(log)
    last = max((i for i, r in enumerate(log) if r.get("endpoint") == "authorization"), default=None)
    return _later(log, last)


def _later(log: Sequence[JSONObject], last: int | None) -> tuple[str, ...]:
    if last is None:
        return ()
    later = [str(r.get("endpoint")) for r in log[last + 1 :] if r.get("endpoint")]
    return tuple(dict.fromkeys(e for e in later if e in ("userinfo", "token")))


def response_type(log: Sequence[JSONObject]) -> list[str]:
    """The response_type of the app's last authorization request (empty: none)."""
    asked = [r for r in log if r.get("endpoint") == "authorization"]
    params = asked[-1].get("params") if asked else None
    value = params.get("response_type") if isinstance(params, dict) else None
    return str(value).split() if value else []


def not_applicable(case: Case, log: Sequence[JSONObject]) -> str | None:
    """Why the sign-in gave ``case`` no occasion to apply, or None when it did."""
    asked = response_type(log)
    if case.front_channel is not None and not {"id_token", case.front_channel} <= set(asked):
        what = "an access token" if case.front_channel == "token" else "a code"
        flows = "implicit or hybrid" if case.front_channel == "token" else "hybrid"
        return (
            f"the app asked for response_type={' '.join(asked) or '(none)'}: no ID token "
            f"from the authorization endpoint beside {what} ({flows} flows only)"
        )
    if case.userinfo and not any(r.get("endpoint") == "userinfo" for r in log):
        return "the app never called UserInfo"
    return None


def run_case(
    provider: Provider, case: Case, sign_in: SignIn, *, backchannel: str | None = None
) -> Outcome:
    """Script ``case``, sign in as often as it takes, and judge the last sign-in (a logout
    case: sign in, log out at the provider, and judge whether the app signed the user out;
    a refresh case: sign in, then refresh; an RP-initiated logout case: sign in, then log
    out through the app)."""
    try:
        provider.prepare(case, backchannel)
    except AuditError as exc:  # this case's scenario only: the other cases still run
        return Outcome(case, "error", "error", str(exc))
    if case.needs:
        if not isinstance(sign_in, HttpSignIn):
            raise AuditError(f"{case.name}: this case needs an HttpSignIn (a browser)")
        missing = {"refresh": sign_in.refresh, "rp_logout": sign_in.logout}
        if case.needs in missing and missing[case.needs] is None:
            flag = "--refresh" if case.needs == "refresh" else "--logout"
            return Outcome(case, "error", "error", f"no URL of the app's for it ({flag})")
        return _JOURNEYS[case.needs](provider, case, sign_in)
    attempt = Attempt(False)
    try:
        for _ in range(case.sign_ins):
            result = sign_in()
            attempt = result if isinstance(result, Attempt) else Attempt(bool(result))
    except (httpx.HTTPError, OSError) as exc:
        return Outcome(case, "error", "error", f"the sign-in failed: {exc}")
    log = provider.requests()
    skipped = not_applicable(case, log)
    if skipped is not None:
        return Outcome(case, "n/a", "n/a", skipped)
    front = "id_token" in response_type(log)  # no leniency: it never came over TLS alone
    bad_id_token = case.defect is not None and case.expected == "reject"
    called = called_after(log, front_channel=front) if bad_id_token else ()
    observed: Observed = "accepted" if attempt.signed_in else "rejected"
    verdict = judge(case, attempt.signed_in, tls=provider.tls and not front)
    return Outcome(case, observed, verdict, attempt.evidence, called)


def _logout_case(provider: Provider, case: Case, sign_in: HttpSignIn) -> Outcome:
    try:
        attempt = sign_in.through_logout(provider.end_session())
    except (httpx.HTTPError, OSError) as exc:
        return Outcome(case, "error", "error", f"the sign-in or logout failed: {exc}")
    if attempt is None:
        return Outcome(case, "error", "error", "the sign-in before the logout failed")
    signed_out = not attempt.signed_in
    observed: Observed = "accepted" if signed_out else "rejected"
    posts = [r for r in provider.requests() if r.get("endpoint") == "backchannel_logout"]
    evidence = attempt.evidence
    if posts:  # the app's own answer to the Logout Token
        evidence += f"; the app answered the Logout Token {posts[-1].get('status')}"
    else:
        evidence += "; no Logout Token was sent (did the app sign in with that client?)"
    return Outcome(case, observed, judge(case, signed_out, tls=False), evidence)


def _refresh_case(provider: Provider, case: Case, sign_in: HttpSignIn) -> Outcome:
    try:
        attempt = sign_in.through_refresh()
    except (httpx.HTTPError, OSError) as exc:
        return Outcome(case, "error", "error", f"the sign-in or refresh failed: {exc}")
    if attempt is None:
        return Outcome(case, "error", "error", "the sign-in before the refresh failed")
    log = provider.requests()
    if not any(r.get("grant_type") == "refresh_token" for r in log):
        evidence = f"{attempt.evidence}; the app made no refresh_token request"
        return Outcome(case, "error", "error", evidence)
    observed: Observed = "accepted" if attempt.signed_in else "rejected"
    verdict = judge(case, attempt.signed_in, tls=provider.tls)
    called = called_after_token(log) if case.expected == "reject" else ()
    return Outcome(case, observed, verdict, attempt.evidence, called)


def _rp_logout_case(provider: Provider, case: Case, sign_in: HttpSignIn) -> Outcome:
    try:
        landing = sign_in.through_rp_logout()
    except (httpx.HTTPError, OSError) as exc:
        return Outcome(case, "error", "error", f"the sign-in or logout failed: {exc}")
    if landing is None:
        return Outcome(case, "error", "error", "the sign-in before the logout failed")
    ended = [r for r in provider.requests() if r.get("endpoint") == "end_session"]
    if not ended:
        evidence = f"{landing.evidence}; the app's logout never reached end_session"
        return Outcome(case, "error", "error", evidence)
    params = ended[-1].get("params")
    if case.fault is not None and not (isinstance(params, dict) and params.get("state")):
        return Outcome(case, "n/a", "n/a", "the app sent end_session no state to change")
    if landing.status >= 500:  # whatever the state, the app must not fail on it
        return Outcome(case, "error", "fail", f"{landing.evidence}; a server error")
    accepted = landing.status < 400
    observed: Observed = "accepted" if accepted else "rejected"
    return Outcome(case, observed, judge(case, accepted, tls=False), landing.evidence)


_JOURNEYS: dict[str, Callable[[Provider, Case, HttpSignIn], Outcome]] = {
    "backchannel": _logout_case,
    "refresh": _refresh_case,
    "rp_logout": _rp_logout_case,
}


def run(
    provider: Provider,
    cases: Sequence[Case],
    sign_in: SignIn,
    *,
    backchannel: str | None = None,
) -> list[Outcome]:
    """Every case in order, then the scenario the provider had is put back."""
    try:
        return [run_case(provider, c, sign_in, backchannel=backchannel) for c in cases]
    finally:
        provider.restore()
