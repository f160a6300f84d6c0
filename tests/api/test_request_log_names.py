"""The request log reads like the app's code: endpoints by name or URL path, unknown
names and criteria refused with a did-you-mean, a repr that lists the last requests, and
one order (oldest first) for the Python log and the control API."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from mockidp.requestlog import RequestLog, RequestRecord
from mockidp.testing import MockIdP


@pytest.fixture
def idp() -> Iterator[MockIdP]:
    provider = MockIdP.in_process()
    provider.issue_tokens()
    provider.client.post(
        "/token",
        data={"grant_type": "client_credentials"},
        auth=("mockidp-client", "mockidp-secret"),
    )
    provider.client.get("/.well-known/jwks.json")
    yield provider
    provider.close()


@pytest.mark.parametrize("name", ["token", "/token", "/token/"])
def test_an_endpoint_by_name_or_path(idp: MockIdP, name: str) -> None:
    [record] = idp.requests.assert_called(name, grant_type="client_credentials")
    assert record.endpoint == "token"


def test_the_url_s_last_segment_names_the_endpoint(idp: MockIdP) -> None:
    idp.requests.assert_not_called("authorize")  # the log says "authorization"
    idp.requests.assert_not_called("introspect")
    assert idp.requests.endpoint_named("authorize") == "authorization"
    assert idp.requests.endpoint_named("introspect") == "introspection"


def test_a_preset_s_paths_name_its_endpoints() -> None:
    idp = MockIdP.in_process({"preset": "superoffice"})
    try:
        assert idp.requests.endpoint_named("tokens") == "token"  # /login/common/oauth/tokens
        assert idp.requests.endpoint_named("/login/common/oauth/tokens") == "token"
        idp.requests.assert_not_called("userinfo")  # a generic name: never called here
    finally:
        idp.close()


@pytest.mark.parametrize(
    ("name", "hint"),
    [("tokens", "did you mean 'token'"), ("/tokn", "did you mean '/token'"), ("zzz", "")],
)
def test_an_unknown_endpoint_is_refused(idp: MockIdP, name: str, hint: str) -> None:
    with pytest.raises(ValueError, match=f"no endpoint {name!r}; {hint}") as raised:
        idp.requests.assert_called(name)
    assert "endpoints: authorization, " in str(raised.value)
    with pytest.raises(ValueError, match="no endpoint"):
        idp.requests.assert_not_called(name)


def test_an_unknown_criterion_is_refused_with_a_did_you_mean(idp: MockIdP) -> None:
    with pytest.raises(ValueError, match="no criterion 'grant': did you mean 'grant_type'"):
        idp.requests.assert_called("token", grant="client_credentials")
    with pytest.raises(ValueError, match="no criterion 'stauts': did you mean 'status'"):
        idp.requests.filter(stauts=200)


def test_a_parameter_some_request_sent_is_a_criterion() -> None:
    log = RequestLog()
    log.record(
        RequestRecord("GET", "/x", "userinfo", 200, 1.0, params={"x_vendor": "1"})  # type: ignore[arg-type]
    )
    log.assert_called("userinfo", x_vendor="1")
    log.assert_not_called("userinfo", x_vendor="2")
    log.assert_not_called(scope="openid")  # a known parameter, sent by none


def test_endpoint_as_a_keyword(idp: MockIdP) -> None:
    idp.requests.assert_called(endpoint="/.well-known/jwks.json", times=1)


def test_repr_lists_the_last_requests_oldest_first(idp: MockIdP) -> None:
    text = repr(idp.requests)
    assert text.startswith("<RequestLog: 2 requests, oldest first\n")
    lines = text.splitlines()
    assert "POST /token" in lines[1] and "client_credentials" in lines[1]
    assert "GET /.well-known/jwks.json" in lines[2]
    for _ in range(11):
        idp.client.get("/.well-known/jwks.json")
    lines = repr(idp.requests).splitlines()
    assert lines[1] == "  ... 3 older"
    assert len(lines) == 12
    assert repr(RequestLog()) == "<RequestLog: no requests>"


def test_the_control_api_lists_the_log_in_the_same_order(idp: MockIdP) -> None:
    listed = idp.client.get("/_mockidp/requests").json()["requests"]
    assert [r["path"] for r in listed] == [r.path for r in idp.requests]
    assert listed[-1]["endpoint"] == "jwks"
    last = idp.client.get("/_mockidp/requests", params={"limit": 1}).json()["requests"]
    assert [r["endpoint"] for r in last] == ["jwks"]  # the newest: the last one
