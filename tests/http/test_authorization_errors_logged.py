"""Authorization errors answered by redirect, fragment, form_post or an error page are
logged with their ``error`` (request log, console line, inspector, assert_called)."""

from __future__ import annotations

from html import escape
from typing import Any
from urllib.parse import parse_qsl, urlsplit

import pytest

from mockidp.testing import MockIdP

CLIENT = ("mockidp-client", "mockidp-secret")
REDIRECT = "http://127.0.0.1:8080/callback"
PARAMS = {
    "client_id": "mockidp-client",
    "response_type": "code",
    "scope": "openid",
    "redirect_uri": REDIRECT,
    "state": "s1",
}


def _authorize(mockidp: MockIdP, **changes: str) -> Any:
    return mockidp.client.get("/authorize", params={**PARAMS, **changes})


@pytest.mark.parametrize(
    ("mode", "status", "where"),
    [("query", 302, "location"), ("fragment", 302, "location"), ("form_post", 200, "body")],
)
def test_an_unknown_scope_is_logged_with_its_error_in_every_response_mode(
    mockidp: MockIdP, mode: str, status: int, where: str
) -> None:
    response = _authorize(mockidp, scope="openid nonsense", response_mode=mode)
    assert response.status_code == status
    sent = response.headers["location"] if where == "location" else response.text
    assert "invalid_scope" in sent
    [record] = mockidp.requests.assert_called("authorization", error="invalid_scope", times=1)
    assert record.status == status
    assert "error=invalid_scope" in record.line()


def test_a_denied_consent_is_logged_as_access_denied(mockidp: MockIdP) -> None:
    mockidp.use_scenario(consent="deny")
    response = _authorize(mockidp)
    assert "error=access_denied" in response.headers["location"]
    mockidp.requests.assert_called("authorization", error="access_denied", times=1)


@pytest.mark.parametrize(
    ("prompt_none", "error"),
    [
        ({"login": "login_required"}, "login_required"),
        ({"login": "interaction_required"}, "interaction_required"),
    ],
)
def test_prompt_none_without_a_session_is_logged_with_its_error(
    mockidp: MockIdP, prompt_none: dict[str, str], error: str
) -> None:
    mockidp.use_scenario(login="page", prompt_none=prompt_none)
    response = _authorize(mockidp, prompt="none")
    assert f"error={error}" in response.headers["location"]
    mockidp.requests.assert_called("authorization", error=error, times=1)


def test_an_error_page_is_logged_with_its_error(mockidp: MockIdP) -> None:
    response = _authorize(mockidp, client_id="nobody")
    assert response.status_code == 400
    [record] = mockidp.requests.assert_called("authorization", times=1)
    assert record.error is not None


def test_a_successful_redirect_has_no_error(mockidp: MockIdP) -> None:
    response = _authorize(mockidp)
    assert "code=" in response.headers["location"]
    mockidp.requests.assert_called("authorization", error=None, times=1)


def test_the_inspector_marks_an_error_redirect_as_failed(mockidp: MockIdP) -> None:
    _authorize(mockidp)  # a success, which the error filter leaves out
    _authorize(mockidp, scope="openid nonsense")
    page = mockidp.client.get("/_mockidp/inspector", params={"status": "error"}).text
    assert page.count('<tr class="request"') == 1
    assert '<td class="bad">302</td><td><span class="error">invalid_scope</span>' in page


def test_the_control_api_log_carries_the_error(mockidp: MockIdP) -> None:
    _authorize(mockidp, scope="openid nonsense")
    body = mockidp.client.get("/_mockidp/requests").json()
    records = body["requests"] if isinstance(body, dict) else body
    assert [r["error"] for r in records if r["endpoint"] == "authorization"] == ["invalid_scope"]


def test_the_description_is_logged_beside_the_error_everywhere(mockidp: MockIdP) -> None:
    response = _authorize(mockidp, scope="openid nonsense")
    sent = dict(parse_qsl(urlsplit(response.headers["location"]).query))
    description = sent["error_description"]
    [record] = mockidp.requests.assert_called(
        "authorization", error="invalid_scope", error_description=description
    )
    assert f"error=invalid_scope ({description})" in record.line()  # the console's line
    assert f"error_description={description!r}" in record.describe()
    body = mockidp.client.get("/_mockidp/requests").json()
    assert [r["error_description"] for r in body["requests"]] == [description]
    page = mockidp.client.get("/_mockidp/inspector").text
    assert f'<span class="description">{escape(description)}</span>' in page


def test_a_token_error_and_an_error_page_keep_their_descriptions(mockidp: MockIdP) -> None:
    answer = mockidp.client.post(
        "/token", data={"grant_type": "authorization_code", "code": "nope"}, auth=CLIENT
    ).json()
    _authorize(mockidp, client_id="nobody")
    token, page = mockidp.requests.records
    assert (token.error, token.error_description) == ("invalid_grant", answer["error_description"])
    assert page.error_description and "nobody" in page.error_description


def test_a_success_has_no_description(mockidp: MockIdP) -> None:
    _authorize(mockidp)
    [record] = mockidp.requests.records
    assert record.error_description is None
    assert "(" not in record.line().split("  ")[3]
