"""The audit records whether the app went on to call UserInfo (or the token endpoint)
after a bad ID token reached it, as the OpenID suite does."""

from __future__ import annotations

from collections.abc import Callable

import httpx
import pytest

from mockidp.audit.cases import by_name
from mockidp.audit.report import render
from mockidp.audit.runner import (
    HttpSignIn,
    Provider,
    called_after,
    called_after_token,
    not_applicable,
    response_type,
    run,
)
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


def test_after_a_front_channel_id_token_every_later_call_counts() -> None:
    log = [
        {"endpoint": "authorization", "status": 200, "params": {"response_type": "code id_token"}},
        {"endpoint": "jwks", "status": 200},
        {"endpoint": "token", "status": 200},
        {"endpoint": "userinfo", "status": 200},
    ]
    assert called_after(log, front_channel=True) == ("token", "userinfo")
    assert called_after(log, front_channel=False) == ("userinfo",)
    assert response_type(log) == ["code", "id_token"]


@pytest.mark.parametrize(
    ("case", "asked", "applies"),
    [
        ("at-hash-invalid", "code", False),
        ("at-hash-invalid", "code id_token", False),  # no access token beside the ID token
        ("at-hash-invalid", "id_token token", True),
        ("at-hash-missing", "code id_token token", True),
        ("c-hash-invalid", "code", False),
        ("c-hash-invalid", "id_token token", False),  # no code beside the ID token
        ("c-hash-missing", "code id_token", True),
        ("aud-invalid", "code", True),
    ],
)
def test_a_hash_case_applies_only_to_an_id_token_beside_what_it_hashes(
    case: str, asked: str, applies: bool
) -> None:
    log = [
        {"endpoint": "authorization", "params": {"response_type": asked}},
        {"endpoint": "userinfo"},
    ]
    assert (not_applicable(by_name(case), log) is None) is applies


def test_a_userinfo_case_applies_only_to_an_app_that_calls_userinfo() -> None:
    signed_in = [{"endpoint": "authorization", "params": {"response_type": "code"}}]
    for name in ("userinfo-signed", "userinfo-invalid-sub"):
        assert not_applicable(by_name(name), signed_in) == "the app never called UserInfo"
        assert not_applicable(by_name(name), [*signed_in, {"endpoint": "userinfo"}]) is None
