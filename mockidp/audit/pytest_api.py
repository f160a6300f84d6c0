"""The audit from pytest: one test per case, so failures show in the suite's own report.

::

    from mockidp.audit import audit_cases, check_case

    @pytest.mark.parametrize("case", audit_cases())
    def test_my_app_rejects_bad_tokens(mockidp_server, case):
        check_case(mockidp_server, case, sign_in=my_sign_in)

``sign_in`` signs in once with a fresh browser and says whether the user is signed in
(True / False, or an :class:`~mockidp.audit.browser.Attempt` with the evidence).
:class:`~mockidp.audit.browser.HttpSignIn` is one: give it ``mounts`` to reach an
in-process app (``{"http://127.0.0.1:9": transport}``), and its ``refresh`` / ``logout``
URLs for the refresh and RP-initiated logout cases. A case the app's flow gives no
occasion to (``at_hash`` for a code-flow app, UserInfo for an app that never calls it)
is skipped. Each case's row is left with the provider, for its inspector's audit page. The app must reach the provider:
``mockidp_server`` serves it on a real port, so configure the app with its ``issuer``;
where ``mockidp.intercept(...)`` is available it can route the app's own HTTP client to
the in-process ``mockidp`` fixture instead.
"""

from __future__ import annotations

from typing import Any

import httpx

from mockidp.audit.cases import Case, select
from mockidp.audit.report import case_json
from mockidp.audit.runner import Outcome, Provider, SignIn, run_case


def audit_cases(
    pattern: str | None = None,
    *,
    logout: bool = False,
    refresh: bool = False,
    rp_logout: bool = False,
) -> list[Any]:
    """The cases as ``pytest.param`` values, each with its name as the test id;
    ``logout``: the back-channel logout cases too (they need an :class:`HttpSignIn` and
    ``check_case(..., backchannel=URL)``); ``refresh`` / ``rp_logout``: the refresh and
    RP-initiated logout cases (an :class:`HttpSignIn` with ``refresh`` / ``logout``)."""
    import pytest  # only a test suite calls this

    chosen = select(pattern, logout=logout, refresh=refresh, rp_logout=rp_logout)
    return [pytest.param(case, id=case.name) for case in chosen]


def check_case(idp: Any, case: Case, sign_in: SignIn, *, backchannel: str | None = None) -> Outcome:
    """Run ``case`` against the provider ``idp`` (a ``mockidp`` / ``mockidp_server``
    fixture, or an httpx.Client on a mockidp's URL); fail the test when the app accepted
    what it must reject or rejected what it must accept. The scenario is put back after.
    ``backchannel``: the app's ``backchannel_logout_uri``, for the logout cases."""
    client = idp if isinstance(idp, httpx.Client) else idp.client
    provider = Provider(client)
    try:
        outcome = run_case(provider, case, sign_in, backchannel=backchannel)
    finally:
        provider.restore()
    provider.publish(case_json(outcome), one_case=True)  # best effort: the verdict stands
    if outcome.verdict == "n/a":
        import pytest

        pytest.skip(f"{case.name} does not apply: {outcome.evidence}")
    if outcome.failed:
        rule = case.rule()
        replay = f"; replay it with {case.section}: [{rule}]" if rule else ""
        raise AssertionError(
            f"{case.name} ({case.checks}): expected {case.expected}, the app "
            f"{outcome.observed} it: {outcome.evidence}{replay}"
        )
    return outcome
