"""google-auth (Google's own Python library) against the google preset.

The sign-in is the browser's part (``mockidp_server.authorize``); the code is redeemed
the way google-auth-oauthlib does (a form POST to ``token_uri``); google-auth then
refreshes (``google.oauth2.credentials.Credentials.refresh``) and verifies the ID token
(``google.oauth2.id_token.verify_token`` with ``certs_url``, its documented option for
keys that are not Google's). Plain http: google-auth does not insist on https.
"""

from __future__ import annotations

from typing import Any

import pytest
import requests

from mockidp.testing import MockIdP
from tests.support.optional import missing
from tests.support.vendors import CLIENT, OTHER, OTHER_SECRET, SECRET, two_clients

try:
    import google.auth.transport.requests
    from google.auth.exceptions import RefreshError
    from google.oauth2 import id_token
    from google.oauth2.credentials import Credentials
except ImportError as exc:  # the interop extra
    missing(exc)

pytestmark = pytest.mark.mockidp(preset="google", clients=two_clients())
SCOPE = "openid email profile"


def _sign_in(idp: MockIdP, **params: str) -> dict[str, Any]:
    code = idp.authorize("alice", scope=SCOPE, **params)
    response = requests.post(
        idp.url + "/token",
        data={
            "grant_type": "authorization_code",
            "code": code.code,
            "redirect_uri": code.redirect_uri,
            "code_verifier": code.code_verifier,
            "client_id": CLIENT,
            "client_secret": SECRET,
        },
        timeout=10,
    )
    assert response.status_code == 200, response.text
    tokens: dict[str, Any] = response.json()
    return tokens


def test_offline_access_refresh_and_id_token(mockidp_server: MockIdP) -> None:
    idp = mockidp_server
    tokens = _sign_in(idp, access_type="offline")
    assert "refresh_token" in tokens
    request = google.auth.transport.requests.Request()
    claims = id_token.verify_token(
        tokens["id_token"], request, audience=CLIENT, certs_url=idp.url + "/oauth2/v3/certs"
    )
    assert claims["iss"] == idp.issuer and claims["sub"]
    credentials = Credentials(
        token=None,
        refresh_token=tokens["refresh_token"],
        token_uri=idp.url + "/token",
        client_id=CLIENT,
        client_secret=SECRET,
    )
    credentials.refresh(request)
    assert credentials.valid and credentials.token != tokens["access_token"]
    assert credentials.id_token is not None
    info = requests.get(
        idp.url + "/v1/userinfo",
        headers={"Authorization": f"Bearer {credentials.token}"},
        timeout=10,
    )
    assert info.json()["sub"] == claims["sub"]


def test_offline_refresh_token_only_at_first_consent_or_prompt_consent(
    mockidp_server: MockIdP,
) -> None:
    idp = mockidp_server
    assert "refresh_token" not in _sign_in(idp)  # online access: no refresh token
    assert "refresh_token" in _sign_in(idp, access_type="offline")  # first consent
    assert "refresh_token" not in _sign_in(idp, access_type="offline")  # already consented
    again = _sign_in(idp, access_type="offline", prompt="consent")
    assert "refresh_token" in again


def test_refresh_token_of_another_client_is_refused(mockidp_server: MockIdP) -> None:
    idp = mockidp_server
    tokens = _sign_in(idp, access_type="offline")
    credentials = Credentials(
        token=None,
        refresh_token=tokens["refresh_token"],
        token_uri=idp.url + "/token",
        client_id=OTHER,
        client_secret=OTHER_SECRET,
    )
    with pytest.raises(RefreshError, match="invalid_grant"):
        credentials.refresh(google.auth.transport.requests.Request())
    own = Credentials(
        token=None,
        refresh_token=tokens["refresh_token"],
        token_uri=idp.url + "/token",
        client_id=CLIENT,
        client_secret=SECRET,
    )
    own.refresh(google.auth.transport.requests.Request())  # untouched by the refusal
    assert own.valid
