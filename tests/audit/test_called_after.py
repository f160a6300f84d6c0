"""The audit records whether the app went on to call UserInfo (or the token endpoint)
after a bad ID token reached it, as the OpenID suite does."""

from __future__ import annotations

from collections.abc import Callable

import httpx

from mockidp.audit.cases import by_name
from mockidp.audit.report import render
from mockidp.audit.runner import HttpSignIn, Provider, called_after_token, run
from tests.audit.sample_app import SampleApp
from tests.conftest import LiveServer


def test_only_calls_after_the_last_good_token_request_count() -> None:
    log = [
        {"endpoint": "userinfo", "status": 200},
        {"endpoint": "token", "status": 400},
        {"endpoint": "token", "status": 200},
        {"endpoint": "jwks", "status": 200},
        {"endpoint": "userinfo", "status": 401},
    ]
    assert called_after_token(log) == ("userinfo",)
    assert called_after_token(log[:4]) == ()
    assert called_after_token([{"endpoint": "userinfo", "status": 200}]) == ()


def test_an_app_calling_userinfo_before_validating_is_reported(
    live: LiveServer, serve_app: Callable[[SampleApp], str]
) -> None:
    cases = [by_name("aud-invalid")]
    eager = serve_app(SampleApp(live.url, userinfo_first=True))
    careful = serve_app(SampleApp(live.url))
    with httpx.Client(base_url=live.url) as idp:
        (flagged,) = run(Provider(idp), cases, HttpSignIn(f"{eager}/login", f"{eager}/me"))
        (clean,) = run(Provider(idp), cases, HttpSignIn(f"{careful}/login", f"{careful}/me"))
    assert (flagged.verdict, flagged.called_after) == ("pass", ("userinfo",))
    assert (clean.verdict, clean.called_after) == ("pass", ())
    assert render([flagged], "text").splitlines()[1].endswith("; then called userinfo")
    assert "then called" not in render([clean], "text")
