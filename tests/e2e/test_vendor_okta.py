"""okta-jwt-verifier (Okta's own Python library) against the okta preset, over HTTPS.

The library refuses an issuer that is not https ("Your Okta URL must start with
'https'"), so the tests use ``mockidp_https_server``; it fetches keys with requests,
which trusts the local CA through ``REQUESTS_CA_BUNDLE`` (requests' documented
setting). Validation is the library's own: signature, ``iss``, ``aud``, ``exp``, and
for ID tokens the client id and nonce.
"""

from __future__ import annotations

import base64
import json

import pytest
import requests

from mockidp.testing import MockIdP
from tests.support.optional import missing
from tests.support.vendors import CLIENT, SECRET, two_clients

try:
    from okta_jwt_verifier import AccessTokenVerifier, IDTokenVerifier
    from okta_jwt_verifier.exceptions import JWTValidationException
except ImportError as exc:  # the interop extra
    missing(exc)

pytestmark = pytest.mark.mockidp(preset="okta", clients=two_clients())


@pytest.fixture
def okta(mockidp_https_server: MockIdP, monkeypatch: pytest.MonkeyPatch) -> MockIdP:
    assert mockidp_https_server.ca_file is not None
    monkeypatch.setenv("REQUESTS_CA_BUNDLE", str(mockidp_https_server.ca_file))
    return mockidp_https_server


def _claims(token: str) -> dict[str, object]:
    payload = token.split(".")[1]
    decoded: dict[str, object] = json.loads(base64.urlsafe_b64decode(payload + "=" * 4))
    return decoded


def test_access_and_id_tokens_verify(okta: MockIdP) -> None:
    assert okta.issuer.startswith("https://127.0.0.1:") and okta.issuer.endswith("/oauth2/default")
    tokens = okta.login("alice", scope="openid profile email offline_access", nonce="n-0S6")
    AccessTokenVerifier(issuer=okta.issuer, audience="api://default").verify_sync(
        tokens["access_token"]
    )
    assert _claims(tokens["access_token"])["cid"] == CLIENT
    IDTokenVerifier(issuer=okta.issuer, client_id=CLIENT).verify_sync(
        tokens["id_token"], nonce="n-0S6"
    )
    refreshed = requests.post(
        okta.issuer + "/v1/token",
        data={
            "grant_type": "refresh_token",
            "refresh_token": tokens["refresh_token"],
            "client_id": CLIENT,
            "client_secret": SECRET,
        },
        timeout=10,
    ).json()
    AccessTokenVerifier(issuer=okta.issuer, audience="api://default").verify_sync(
        refreshed["access_token"]
    )


@pytest.mark.mockidp(path_params={"auth_server": "aus1payments"})
def test_custom_server_audience(okta: MockIdP) -> None:
    tokens = okta.issue_tokens(user="alice")
    assert okta.issuer.endswith("/oauth2/aus1payments")
    AccessTokenVerifier(issuer=okta.issuer, audience="api://aus1payments").verify_sync(
        tokens["access_token"]
    )


def test_wrong_audience_is_refused_by_the_library(okta: MockIdP) -> None:
    tokens = okta.issue_tokens(user="alice")
    with pytest.raises(JWTValidationException):
        AccessTokenVerifier(issuer=okta.issuer, audience="api://other").verify_sync(
            tokens["access_token"]
        )
