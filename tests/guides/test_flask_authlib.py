"""docs/testing-your-app.md, Flask with Authlib (requests underneath): the app of
docs/examples/flask_authlib, unchanged, tested in-process through mockidp.intercept."""

from __future__ import annotations

from typing import Any

import pytest

from mockidp.testing import MockIdP
from tests.support.optional import missing

try:
    from flask_authlib.app import ISSUER, app  # type: ignore[import-not-found]
except ImportError as exc:  # the interop extra's framework
    missing(exc)

pytestmark = pytest.mark.mockidp(intercept=True, issuer=ISSUER)


@pytest.fixture
def client() -> Any:
    return app.test_client()


def test_sign_in(mockidp: MockIdP, client: Any) -> None:
    response = mockidp.sign_in(client, "/login", user="bob")
    assert response.status_code == 200
    assert response.get_json() == {"signed_in": True, "sub": "bob"}
    mockidp.requests.assert_called("token", grant_type="authorization_code", status=200)


@pytest.mark.mockidp(consent="page")
def test_consent_denied(mockidp: MockIdP, client: Any) -> None:
    response = mockidp.sign_in(client, "/login", user="alice", consent=False)
    assert response.status_code == 401
    assert response.get_json() == {"error": "access_denied"}


def test_the_token_endpoint_failing_once(mockidp: MockIdP, client: Any) -> None:
    mockidp.fail_next("token", "invalid_grant")
    assert mockidp.sign_in(client, "/login", user="alice").get_json() == {"error": "invalid_grant"}
    assert mockidp.sign_in(client, "/login", user="alice").status_code == 200
