"""python-keycloak (``KeycloakOpenID``) against the keycloak preset, over HTTPS.

Its requests session trusts the local CA through ``REQUESTS_CA_BUNDLE`` (its
``verify=PATH`` option works as well, but the library also hands it to an httpx client,
which deprecates paths). The code flow, the
password grant, userinfo with the realm's default client scopes, ``decode_token``
(signature checked with the realm's certs), ``public_key()`` (the realm document),
refresh, and ``logout()`` by refresh token, which must end the grant's tokens.
"""

from __future__ import annotations

import pytest
from cryptography.hazmat.primitives import serialization

from mockidp.testing import MockIdP
from tests.support.optional import missing
from tests.support.vendors import CLIENT, OTHER, OTHER_SECRET, SECRET, two_clients

try:
    from jwcrypto import jwk
    from keycloak import KeycloakOpenID
    from keycloak.exceptions import KeycloakAuthenticationError, KeycloakPostError
except ImportError as exc:  # the interop extra
    missing(exc)

USERS = [
    {"sub": "alice", "password": "alice", "claims": {"email": "alice@example.com", "name": "Alice"}}
]
pytestmark = pytest.mark.mockidp(preset="keycloak", clients=two_clients(), users=USERS)


@pytest.fixture(autouse=True)
def _trust(mockidp_https_server: MockIdP, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("REQUESTS_CA_BUNDLE", str(mockidp_https_server.ca_file))


def _keycloak(idp: MockIdP, client: str = CLIENT, secret: str = SECRET) -> KeycloakOpenID:
    return KeycloakOpenID(
        server_url=idp.url,
        realm_name="mockidp",
        client_id=client,
        client_secret_key=secret,
    )


def test_code_userinfo_decode_refresh_logout(mockidp_https_server: MockIdP) -> None:
    idp = mockidp_https_server
    keycloak = _keycloak(idp)
    assert keycloak.well_known()["issuer"] == idp.issuer
    code = idp.authorize("alice", scope="openid")
    tokens = keycloak.token(
        grant_type="authorization_code",
        code=code.code,
        redirect_uri=code.redirect_uri,
        code_verifier=code.code_verifier,
    )
    assert set(tokens["scope"].split()) == {"openid", "profile", "email"}
    info = keycloak.userinfo(tokens["access_token"])
    assert (info["email"], info["name"]) == ("alice@example.com", "Alice")
    claims = keycloak.decode_token(tokens["access_token"])
    assert (claims["iss"], claims["azp"]) == (idp.issuer, CLIENT)

    # public_key(): the realm's signing key, which verifies its tokens too
    pem = f"-----BEGIN PUBLIC KEY-----\n{keycloak.public_key()}\n-----END PUBLIC KEY-----"
    key = jwk.JWK.from_pem(pem.encode())
    serialization.load_pem_public_key(pem.encode())
    assert keycloak.decode_token(tokens["id_token"], key=key)["sub"]

    refresh_claims = keycloak.decode_token(tokens["refresh_token"])  # a JWT, as Keycloak's
    assert (refresh_claims["typ"], refresh_claims["azp"]) == ("Refresh", CLIENT)
    refreshed = keycloak.refresh_token(tokens["refresh_token"])
    assert keycloak.userinfo(refreshed["access_token"])["sub"] == info["sub"]
    assert keycloak.logout(refreshed["refresh_token"]) == {}  # 204
    with pytest.raises(KeycloakPostError) as ended:
        keycloak.refresh_token(refreshed["refresh_token"])
    assert ended.value.response_code == 400
    with pytest.raises(KeycloakAuthenticationError):
        keycloak.userinfo(refreshed["access_token"])


def test_password_grant_and_logout_refusals(mockidp_https_server: MockIdP) -> None:
    idp = mockidp_https_server
    keycloak = _keycloak(idp)
    tokens = keycloak.token("alice", "alice")
    other = _keycloak(idp, OTHER, OTHER_SECRET)
    with pytest.raises(KeycloakPostError) as stolen:
        other.logout(tokens["refresh_token"])
    assert stolen.value.response_code == 400
    assert b"invalid_grant" in stolen.value.response_body
    with pytest.raises(KeycloakPostError) as unknown:
        keycloak.logout("not-a-refresh-token")
    assert unknown.value.response_code == 400
    assert keycloak.refresh_token(tokens["refresh_token"])["access_token"]  # unharmed
