"""Running the audit: for each case, script the provider, sign in, and judge what the app did.

The provider is a running mockidp reached through its test-control API (``/_mockidp/``):
the audit reads the scenario in force once, and for each case resets the provider (fresh
sessions and request log) and puts that scenario back with the case's rule added; at the
end it puts the scenario back as it found it. A sign-in is a function that says whether
the user ended up signed in (:class:`HttpSignIn` drives an app over HTTP).
"""

from __future__ import annotations

import ssl
from collections.abc import Callable, Sequence
from typing import Literal

import httpx
from msgspec import Struct

from mockidp.audit.cases import Case
from mockidp.types import JSONObject

Verdict = Literal["pass", "fail", "lenient", "error"]
CONTROL = "/_mockidp"


class Attempt(Struct, frozen=True):
    """What one sign-in showed: signed in or not, and the request that showed it."""

    signed_in: bool
    evidence: str = ""


SignIn = Callable[[], Attempt | bool]
"""Signs in once (a fresh browser), and says whether the user is signed in now."""


class Outcome(Struct, frozen=True):
    """One case's result."""

    case: Case
    observed: Literal["accepted", "rejected", "error"]
    verdict: Verdict
    evidence: str
    called_after: tuple[str, ...] = ()
    """Endpoints the app called after a bad ID token reached it (userinfo, ...)."""

    @property
    def failed(self) -> bool:
        return self.verdict in ("fail", "error")


def judge(case: Case, accepted: bool, *, tls: bool) -> Verdict:
    """The verdict on ``case`` when the app accepted (or rejected) the sign-in.

    ``tls``: the token endpoint is reached over TLS, so accepting a bad signature on an
    ID token from it is allowed (Core 3.1.3.7 (6)), though lenient.
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
        """Fresh state and request log, and the scenario with ``case``'s rule; for a logout
        case, every client registers ``backchannel`` as its ``backchannel_logout_uri``."""
        self.client.post(f"{CONTROL}/reset", json={})
        merged = {**self.base, **case.scenario_patch()}
        if case.logout and backchannel:
            clients = merged.get("clients") or []
            merged["clients"] = [{**c, "backchannel_logout_uri": backchannel} for c in clients]
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
    if last is None:
        return ()
    later = [str(r.get("endpoint")) for r in log[last + 1 :] if r.get("endpoint")]
    return tuple(dict.fromkeys(e for e in later if e in ("userinfo", "token")))


def run_case(
    provider: Provider, case: Case, sign_in: SignIn, *, backchannel: str | None = None
) -> Outcome:
    """Script ``case``, sign in as often as it takes, and judge the last sign-in (a logout
    case: sign in, log out at the provider, and judge whether the app signed the user out)."""
    try:
        provider.prepare(case, backchannel)
    except AuditError as exc:  # this case's scenario only: the other cases still run
        return Outcome(case, "error", "error", str(exc))
    if case.logout:
        return _logout_case(provider, case, sign_in)
    attempt = Attempt(False)
    try:
        for _ in range(case.sign_ins):
            result = sign_in()
            attempt = result if isinstance(result, Attempt) else Attempt(bool(result))
    except (httpx.HTTPError, OSError) as exc:
        return Outcome(case, "error", "error", f"the sign-in failed: {exc}")
    bad_id_token = case.defect is not None and case.expected == "reject"
    called = called_after_token(provider.requests()) if bad_id_token else ()
    observed: Literal["accepted", "rejected"] = "accepted" if attempt.signed_in else "rejected"
    verdict = judge(case, attempt.signed_in, tls=provider.tls)
    return Outcome(case, observed, verdict, attempt.evidence, called)


def _logout_case(provider: Provider, case: Case, sign_in: SignIn) -> Outcome:
    if not isinstance(sign_in, HttpSignIn):
        raise AuditError(f"{case.name}: logout cases need an HttpSignIn (a browser to log out)")
    try:
        attempt = sign_in.through_logout(provider.end_session())
    except (httpx.HTTPError, OSError) as exc:
        return Outcome(case, "error", "error", f"the sign-in or logout failed: {exc}")
    if attempt is None:
        return Outcome(case, "error", "error", "the sign-in before the logout failed")
    signed_out = not attempt.signed_in
    observed: Literal["accepted", "rejected"] = "accepted" if signed_out else "rejected"
    posts = [r for r in provider.requests() if r.get("endpoint") == "backchannel_logout"]
    evidence = attempt.evidence
    if posts:  # the app's own answer to the Logout Token
        evidence += f"; the app answered the Logout Token {posts[-1].get('status')}"
    else:
        evidence += "; no Logout Token was sent (did the app sign in with that client?)"
    return Outcome(case, observed, judge(case, signed_out, tls=False), evidence)


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


class HttpSignIn:
    """Signs in to an app over HTTP: GET ``start`` following redirects with a fresh
    cookie jar (the provider signs in by itself), then GET ``check``: 2xx is signed in."""

    def __init__(
        self,
        start: str,
        check: str,
        *,
        verify: bool | str = True,
        mounts: dict[str, httpx.BaseTransport] | None = None,
    ) -> None:
        self.start = start
        self.check = check
        # one TLS context for every sign-in: loading the CA store costs more than a sign-in
        self.verify: ssl.SSLContext | bool = verify if verify is False else _tls(verify)
        self.mounts = mounts
        """Transports by URL prefix (httpx ``mounts``): an in-process app's, say."""

    def _browser(self) -> httpx.Client:
        return httpx.Client(
            follow_redirects=True, verify=self.verify, timeout=10, mounts=self.mounts
        )

    def through_logout(self, end_session: str) -> Attempt | None:
        """Sign in, log out at the provider (it POSTs the Logout Token to the app), and
        say whether the user is still signed in; None when the sign-in failed."""
        path = httpx.URL(self.check).path
        with self._browser() as browser:
            browser.get(self.start)
            if not browser.get(self.check, follow_redirects=False).is_success:
                return None
            ended = browser.get(end_session, follow_redirects=False)
            checked = browser.get(self.check, follow_redirects=False)
        shown = f"GET {path} -> {checked.status_code} (after the provider's logout -> {ended.status_code})"
        return Attempt(checked.is_success, shown)

    def __call__(self) -> Attempt:
        with self._browser() as browser:
            callback = browser.get(self.start)
            checked = browser.get(self.check, follow_redirects=False)
        landed = f"{callback.request.method} {callback.request.url.path} -> {callback.status_code}"
        if not callback.is_success and callback.text.strip():  # the app's own words, if any
            landed += ": " + " ".join(callback.text.split())[:80]
        shown = f"GET {httpx.URL(self.check).path} -> {checked.status_code} (after {landed})"
        return Attempt(checked.is_success, shown)


def _tls(verify: bool | str) -> ssl.SSLContext:
    return ssl.create_default_context(cafile=None if verify is True else str(verify))
