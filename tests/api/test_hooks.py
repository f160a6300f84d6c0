"""Per-request hooks from test code: on_token (claims and header before signing) and
on_response (a response before it is sent), in-process and on the live server; scoped
to the test; a hook that raises answers a 500 naming it, and the log records it."""

from __future__ import annotations

import base64
import json
from typing import Any

import pytest

from mockidp.testing import HookRequest, MockIdP, ResponseDraft, ResponseRequest, TokenDraft

CLIENT = ("mockidp-client", "mockidp-secret")


def _part(token: str, index: int) -> dict[str, Any]:
    segment = token.split(".")[index]
    decoded: dict[str, Any] = json.loads(
        base64.urlsafe_b64decode(segment + "=" * (-len(segment) % 4))
    )
    return decoded


def _password_grant(idp: MockIdP) -> Any:
    return idp.client.post(
        "/token",
        data={"grant_type": "password", "username": "bob", "password": "bob", "scope": "openid"},
        auth=CLIENT,
    )


def test_a_token_hook_changes_claims_and_header_before_signing(mockidp: MockIdP) -> None:
    seen: list[tuple[str, str, str | None]] = []

    @mockidp.on_token
    def add_roles(token: TokenDraft, request: HookRequest) -> None:
        seen.append((token.kind, request.grant_type, request.user))
        token.claims["roles"] = ["admin"] if request.user == "bob" else []
        token.header["x-test"] = token.kind

    body = _password_grant(mockidp).json()
    assert sorted(seen) == [("access_token", "password", "bob"), ("id_token", "password", "bob")]
    for kind in ("id_token", "access_token"):
        assert _part(body[kind], 1)["roles"] == ["admin"]
        assert _part(body[kind], 0)["x-test"] == kind
    # signed after the change: the provider's own verification accepts the access token
    info = mockidp.client.post("/introspect", data={"token": body["access_token"]}, auth=CLIENT)
    assert info.json()["active"] is True


def test_a_token_hook_cannot_change_the_algorithm(mockidp: MockIdP) -> None:
    mockidp.on_token(lambda token, request: token.header.update(alg="none"))
    body = _password_grant(mockidp).json()
    assert _part(body["id_token"], 0)["alg"] == "RS256"


def test_a_response_hook_changes_a_response_before_it_is_sent(mockidp: MockIdP) -> None:
    def rename(response: ResponseDraft, request: ResponseRequest) -> None:
        data = response.json()
        data["extra"] = request.params.get("grant_type")
        response.set_json(data)
        response.headers["X-Hooked"] = "yes"

    mockidp.on_response("token", rename)
    response = _password_grant(mockidp)
    assert response.headers["x-hooked"] == "yes"
    assert response.json()["extra"] == "password"
    assert "access_token" in response.json()
    discovery = mockidp.client.get("/.well-known/openid-configuration")
    assert "x-hooked" not in discovery.headers  # only the endpoint it was registered for


def test_a_response_hook_may_change_the_status(mockidp: MockIdP) -> None:
    def unavailable(response: ResponseDraft, request: ResponseRequest) -> None:
        response.status = 503

    mockidp.on_response("*", unavailable)
    assert mockidp.client.get("/.well-known/jwks.json").status_code == 503


def test_an_unknown_endpoint_name_is_refused_with_a_suggestion(mockidp: MockIdP) -> None:
    with pytest.raises(ValueError, match="did you mean 'token'"):
        mockidp.on_response("tokn", lambda response, request: None)


def test_a_token_hook_that_raises_answers_a_500_naming_it(mockidp: MockIdP) -> None:
    def broken_hook(token: TokenDraft, request: HookRequest) -> None:
        raise KeyError("nope")

    mockidp.on_token(broken_hook)
    response = _password_grant(mockidp)
    assert response.status_code == 500
    assert "broken_hook" in response.json()["hook"]
    assert "broken_hook" in response.json()["error_description"]
    mockidp.requests.assert_called("token", status=500, error="server_error", times=1)


def test_a_token_hook_that_raises_at_the_authorization_endpoint_is_not_redirected(
    mockidp: MockIdP,
) -> None:
    mockidp.on_token(lambda token, request: 1 / 0)
    response = mockidp.client.get(
        "/authorize",
        params={
            "client_id": "mockidp-client",
            "response_type": "id_token",
            "scope": "openid",
            "nonce": "n",
            "redirect_uri": "http://127.0.0.1:8080/callback",
        },
    )
    assert response.status_code == 500
    assert "ZeroDivisionError" in response.json()["error_description"]


def test_a_response_hook_that_raises_answers_a_500_naming_it(mockidp: MockIdP) -> None:
    def failing_response_hook(response: ResponseDraft, request: ResponseRequest) -> None:
        raise RuntimeError("boom")

    mockidp.on_response("userinfo", failing_response_hook)
    response = mockidp.client.get("/userinfo")
    assert response.status_code == 500
    assert "failing_response_hook" in response.json()["hook"]
    [record] = mockidp.requests.assert_called("userinfo", times=1)
    assert (record.status, record.error) == (500, "server_error")


def test_reset_clears_the_hooks(mockidp: MockIdP) -> None:
    mockidp.on_token(lambda token, request: token.claims.update(hooked=True))
    mockidp.on_response("token", lambda response, request: response.headers.update(h="1"))
    mockidp.reset()
    response = _password_grant(mockidp)
    assert "h" not in response.headers
    assert "hooked" not in _part(response.json()["id_token"], 1)


def test_hooks_work_on_the_live_server_and_end_with_the_test(
    pytester: pytest.Pytester,
) -> None:
    pytester.makepyfile(
        """
        def test_first(mockidp_server):
            mockidp_server.on_token(lambda t, r: t.claims.update(hooked=True))
            body = mockidp_server.issue_tokens(user="bob")
            import base64, json
            payload = body["access_token"].split(".")[1]
            claims = json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))
            assert claims["hooked"] is True

        def test_second(mockidp_server):
            assert not mockidp_server.provider.deps.hooks
            assert not mockidp_server.app.response_hooks
        """
    )
    pytester.runpytest_subprocess("-q").assert_outcomes(passed=2)
