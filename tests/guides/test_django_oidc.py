"""docs/testing-your-app.md, Django with mozilla-django-oidc (requests underneath): the
project of docs/examples/django_oidc, unchanged, tested through mockidp.intercept."""

from __future__ import annotations

import os
from typing import Any

import pytest

from mockidp.testing import MockIdP
from tests.support.optional import missing

try:
    import django
    import django.core.management
    import django.test
    import mozilla_django_oidc  # noqa: F401 - the app's settings name it
except ImportError as exc:  # the interop extra's framework
    missing(exc)

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "django_oidc.settings")
django.setup()
os.environ.pop("DJANGO_SETTINGS_MODULE")  # loaded: the suite's subprocesses need not see it

call_command = django.core.management.call_command
Client = django.test.Client
from django_oidc.settings import ISSUER  # type: ignore[import-not-found]  # noqa: E402

pytestmark = pytest.mark.mockidp(intercept=True, issuer=ISSUER)


@pytest.fixture(scope="module", autouse=True)
def database() -> None:
    call_command("migrate", run_syncdb=True, verbosity=0)


@pytest.fixture
def client() -> Any:
    return Client()


def test_sign_in(mockidp: MockIdP, client: Any) -> None:
    response = mockidp.sign_in(client, "/oidc/authenticate/", user="bob")
    assert response.status_code == 200, response.content
    assert response.json() == {"signed_in": True, "email": "bob@example.com"}
    mockidp.requests.assert_called("token", grant_type="authorization_code", status=200)
    mockidp.requests.assert_called("userinfo", status=200)


@pytest.mark.mockidp(consent="page")
def test_consent_denied(mockidp: MockIdP, client: Any) -> None:
    response = mockidp.sign_in(client, "/oidc/authenticate/", user="alice", consent=False)
    assert response.json() == {"signed_in": False, "failed": True}
    mockidp.requests.assert_not_called("token")


def test_a_broken_id_token_is_refused(mockidp: MockIdP, client: Any) -> None:
    @mockidp.on_token
    def bad_signature_claims(token, request):  # type: ignore[no-untyped-def]
        if token.kind == "id_token":
            token.header["kid"] = "no-such-key"

    response = mockidp.sign_in(client, "/oidc/authenticate/", user="alice")
    assert response.status_code == 400  # its SuspiciousOperation: no key for that kid
    assert client.get("/").status_code == 401


def test_the_token_endpoint_failing_once(mockidp: MockIdP, client: Any) -> None:
    mockidp.fail_next("token", "invalid_grant")
    with pytest.raises(Exception, match="400"):  # requests' HTTPError: the library lets it out
        mockidp.sign_in(client, "/oidc/authenticate/", user="alice")
    assert mockidp.sign_in(client, "/oidc/authenticate/", user="alice").status_code == 200
