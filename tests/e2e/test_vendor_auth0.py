"""auth0-python (Auth0's own Python SDK) against the auth0 preset, over HTTPS.

``GetToken`` redeems codes, refreshes, signs in with the password-realm grant and gets
client-credentials tokens, each with ``audience``; ``TokenVerifier`` with
``AsymmetricSignatureVerifier`` checks the ID tokens. The SDK builds
``https://{domain}/...`` URLs from a domain (``protocol`` defaults to https), so the
domain is the HTTPS server's ``127.0.0.1:PORT``; requests trusts the local CA through
``REQUESTS_CA_BUNDLE``.
"""

from __future__ import annotations

import base64
import json
from typing import Any
from urllib.parse import urlsplit

import pytest

from mockidp.testing import MockIdP
from tests.support.optional import missing
from tests.support.vendors import CLIENT, OTHER, OTHER_SECRET, SECRET, two_clients

try:
    from auth0.authentication import GetToken
    from auth0.authentication.exceptions import Auth0Error
    from auth0.authentication.token_verifier import AsymmetricSignatureVerifier, TokenVerifier
except ImportError as exc:  # the interop extra
    missing(exc)

API = "https://api.example.com/"
REALM = "Username-Password-Authentication"
SPA = "auth0-spa"  # a public client: authorization_code_pkce sends no secret
pytestmark = pytest.mark.mockidp(
    preset="auth0",
    clients=[
        *two_clients(),
        {
            "client_id": SPA,
            "grant_types": ["authorization_code", "refresh_token"],
            "redirect_uris": ["http://localhost:8080/callback"],
            "token_endpoint_auth_method": "none",
        },
    ],
    resources=[API, "https://billing.example.com/"],
)


@pytest.fixture
def auth0(mockidp_https_server: MockIdP, monkeypatch: pytest.MonkeyPatch) -> MockIdP:
    assert mockidp_https_server.ca_file is not None
    monkeypatch.setenv("REQUESTS_CA_BUNDLE", str(mockidp_https_server.ca_file))
    return mockidp_https_server


def _domain(idp: MockIdP) -> str:
    return urlsplit(idp.url).netloc


def _aud(token: str) -> Any:
    payload = token.split(".")[1]
    return json.loads(base64.urlsafe_b64decode(payload + "=" * 4))["aud"]


def _verify_id_token(
    idp: MockIdP, token: str, *, audience: str = CLIENT, **kwargs: Any
) -> dict[str, Any]:
    assert idp.issuer == idp.url + "/"  # Auth0's issuer ends with a slash
    verifier = TokenVerifier(
        signature_verifier=AsymmetricSignatureVerifier(idp.url + "/.well-known/jwks.json"),
        issuer=idp.issuer,
        audience=audience,
    )
    claims: dict[str, Any] = verifier.verify(token, **kwargs)
    return claims


def test_code_with_audience_then_refresh(auth0: MockIdP) -> None:
    code = auth0.authorize(
        "alice",
        client=SPA,
        scope="openid profile email offline_access",
        audience=API,
        nonce="n-1",
    )
    tokens = GetToken(_domain(auth0), SPA).authorization_code_pkce(
        code_verifier=code.code_verifier, code=code.code, redirect_uri=code.redirect_uri
    )
    # with openid, Auth0's access token is also for its /userinfo
    assert _aud(tokens["access_token"]) == [API, auth0.url + "/userinfo"]
    _verify_id_token(auth0, tokens["id_token"], nonce="n-1", audience=SPA)
    refreshed = GetToken(_domain(auth0), SPA).refresh_token(tokens["refresh_token"])
    assert _aud(refreshed["access_token"]) == [API, auth0.url + "/userinfo"]


def test_password_realm_and_client_credentials(auth0: MockIdP) -> None:
    get_token = GetToken(_domain(auth0), CLIENT, client_secret=SECRET)
    tokens = get_token.login(
        username="alice", password="alice", realm=REALM, audience=API, scope="openid profile"
    )
    assert _aud(tokens["access_token"]) == [API, auth0.url + "/userinfo"]
    assert _verify_id_token(auth0, tokens["id_token"])["sub"]
    app = get_token.client_credentials(audience=API)
    assert _aud(app["access_token"]) == API


def test_refusals_in_auth0_shape(auth0: MockIdP) -> None:
    get_token = GetToken(_domain(auth0), CLIENT, client_secret=SECRET)
    with pytest.raises(Auth0Error) as wrong_password:
        get_token.login(username="alice", password="nope", realm=REALM)
    assert (wrong_password.value.status_code, wrong_password.value.error_code) == (
        403,
        "invalid_grant",
    )
    with pytest.raises(Auth0Error) as unknown_realm:
        get_token.login(username="alice", password="alice", realm="google-oauth2")
    assert unknown_realm.value.status_code == 400
    assert "google-oauth2" in unknown_realm.value.message
    with pytest.raises(Auth0Error) as unknown_api:
        get_token.client_credentials(audience="https://unknown.example.com/")
    assert (unknown_api.value.status_code, unknown_api.value.error_code) == (403, "access_denied")
    assert unknown_api.value.message == "Service not found"

    tokens = get_token.login(
        username="alice", password="alice", realm=REALM, scope="openid offline_access"
    )
    with pytest.raises(Auth0Error) as stolen:
        GetToken(_domain(auth0), OTHER, client_secret=OTHER_SECRET).refresh_token(
            tokens["refresh_token"]
        )
    assert (stolen.value.status_code, stolen.value.error_code) == (403, "invalid_grant")
    assert get_token.refresh_token(tokens["refresh_token"])["access_token"]  # still works
