"""docs/testing-your-app.md, FastAPI with Authlib: the app of docs/examples/fastapi_authlib,
unchanged, with its production issuer, tested in-process through mockidp.intercept."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from starlette.testclient import TestClient

from mockidp.testing import MockIdP
from tests.support.optional import missing

try:
    from fastapi_authlib.app import ISSUER, app  # type: ignore[import-not-found]
except ImportError as exc:  # the interop extra's framework
    missing(exc)

pytestmark = pytest.mark.mockidp(intercept=True, issuer=ISSUER)


@pytest.fixture
def client() -> Iterator[TestClient]:
    with TestClient(app) as test_client:
        yield test_client


def test_sign_in(mockidp: MockIdP, client: TestClient) -> None:
    response = mockidp.sign_in(client, "/login", user="bob")
    assert response.status_code == 200
    assert response.json() == {"signed_in": True, "sub": "bob", "name": "Bob Brown"}
    mockidp.requests.assert_called("token", grant_type="authorization_code", status=200)


@pytest.mark.mockidp(consent="page")
def test_consent_denied(mockidp: MockIdP, client: TestClient) -> None:
    response = mockidp.sign_in(client, "/login", user="alice", consent=False)
    assert response.status_code == 401
    assert response.json() == {"error": "access_denied"}
    mockidp.requests.assert_not_called("token")


def test_a_broken_id_token_is_refused(mockidp: MockIdP) -> None:
    @mockidp.on_token
    def wrong_audience(token, request):  # type: ignore[no-untyped-def]
        if token.kind == "id_token":
            token.claims["aud"] = "someone-else"

    with TestClient(app, raise_server_exceptions=False) as client:
        response = mockidp.sign_in(client, "/login", user="alice")
        assert response.status_code == 500  # Authlib raises; the app does not sign in
        assert client.get("/").status_code == 401


def test_the_token_endpoint_failing_once(mockidp: MockIdP, client: TestClient) -> None:
    mockidp.fail_next("token", "invalid_grant")  # a 400: Authlib raises OAuthError
    first = mockidp.sign_in(client, "/login", user="alice")
    assert first.status_code == 401
    assert first.json() == {"error": "invalid_grant"}
    assert mockidp.sign_in(client, "/login", user="alice").status_code == 200


def test_a_token_endpoint_outage_is_not_an_oauth_error(mockidp: MockIdP) -> None:
    mockidp.fail_next("token", "temporarily_unavailable")  # a 503 with Retry-After: 1
    with TestClient(app, raise_server_exceptions=False) as client:
        # Authlib raises httpx's HTTPStatusError on a 5xx, which this app does not catch.
        assert mockidp.sign_in(client, "/login", user="alice").status_code == 500
    mockidp.requests.assert_called("token", status=503, fault="fail_next token")


def test_refresh_after_expiry(mockidp: MockIdP, client: TestClient) -> None:
    pytest.importorskip("time_machine")
    mockidp.sign_in(client, "/login", user="alice")
    assert client.get("/api/data").json() == {"refreshed": False}
    mockidp.travel(3601)  # the app's clock and the provider's: the access token expired
    assert client.get("/api/data").json() == {"refreshed": True}
    mockidp.requests.assert_called("token", grant_type="refresh_token", status=200)


@pytest.mark.mockidp(login="page")
def test_logout(mockidp: MockIdP, client: TestClient) -> None:
    mockidp.sign_in(client, "/login", user="alice")
    mockidp.sign_in(client, "/login", user="alice")  # the provider's session: no login page
    mockidp.requests.assert_called("login", method="POST", times=1)
    response = mockidp.follow(client, "/logout")
    assert response.status_code == 401  # back home, signed out
    mockidp.requests.assert_called("end_session", status=302)
    # The provider's session ended too: the next sign-in shows the login page again.
    assert mockidp.sign_in(client, "/login", user="bob").json()["sub"] == "bob"
    mockidp.requests.assert_called("login", method="POST", times=2)
