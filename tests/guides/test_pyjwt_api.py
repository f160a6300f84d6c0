"""docs/testing-your-app.md, an API checking bearer tokens with PyJWT's PyJWKClient (its
own urllib opener): docs/examples/pyjwt_api, unchanged, keys fetched through intercept."""

from __future__ import annotations

from collections.abc import Iterator

import jwt
import pyjwt_api.app  # type: ignore[import-not-found]
import pytest
from pyjwt_api.app import ISSUER, app  # type: ignore[import-not-found]
from starlette.testclient import TestClient

from mockidp.testing import MockIdP

pytestmark = pytest.mark.mockidp(intercept=True, issuer=ISSUER)


@pytest.fixture
def client(monkeypatch: pytest.MonkeyPatch) -> Iterator[TestClient]:
    # PyJWKClient caches the key set: each test starts with an empty cache.
    fresh = jwt.PyJWKClient(pyjwt_api.app.jwks_client.uri)
    monkeypatch.setattr(pyjwt_api.app, "jwks_client", fresh)
    with TestClient(app) as test_client:
        yield test_client


def _bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def test_an_id_token_is_accepted(mockidp: MockIdP, client: TestClient) -> None:
    token = mockidp.issue_tokens("bob")["id_token"]
    response = client.get("/api/me", headers=_bearer(token))
    assert response.status_code == 200, response.text
    assert response.json() == {"sub": "bob"}
    mockidp.requests.assert_called("jwks")


def test_a_broken_token_is_refused(mockidp: MockIdP, client: TestClient) -> None:
    @mockidp.on_token
    def other_issuer(token, request):  # type: ignore[no-untyped-def]
        token.claims["iss"] = "https://evil.example"

    response = client.get("/api/me", headers=_bearer(mockidp.issue_tokens()["id_token"]))
    assert response.status_code == 401
    assert "issuer" in response.json()["detail"].lower()


def test_an_expired_token_is_refused_after_travel(mockidp: MockIdP, client: TestClient) -> None:
    token = mockidp.issue_tokens()["id_token"]
    assert client.get("/api/me", headers=_bearer(token)).status_code == 200
    mockidp.travel(3 * 3600)  # past the ID token's lifetime, for the API and the provider
    response = client.get("/api/me", headers=_bearer(token))
    assert response.status_code == 401
    assert "expired" in response.json()["detail"].lower()


def test_the_keys_endpoint_failing(mockidp: MockIdP, client: TestClient) -> None:
    mockidp.respond_next("jwks", 503)
    response = client.get("/api/me", headers=_bearer(mockidp.issue_tokens()["id_token"]))
    assert response.status_code == 401
    mockidp.requests.assert_called("jwks", status=503)
