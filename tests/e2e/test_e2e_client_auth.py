"""End to end with Authlib: private_key_jwt and client_secret_jwt client authentication
(RFC 7523, OpenID Connect Core 9), including replayed assertions.

Every test runs in-process (ASGI) and against the live uvicorn server via ``idp``.
"""

from __future__ import annotations

from typing import Any

import httpx
import pytest
from authlib.oauth2.rfc7523 import ClientSecretJWT, PrivateKeyJWT
from joserfc import jwt
from joserfc.jwk import ECKey, OctKey, RSAKey

from tests.conftest import IdP
from tests.support.e2e import (
    AsyncOAuth2Client,
    OAuthError,
    Provider,
    decode_jwt,
    default_scenario_mapping,
    discover,
    oauth_client,
    recording_hooks,
    sign_in,
)

pytestmark = pytest.mark.anyio

KEY_CLIENT = "key-client"
HMAC_CLIENT = "hmac-client"
HMAC_SECRET = "a-long-shared-secret-for-hs256-client-assertions"
ASSERTION_TYPE = "urn:ietf:params:oauth:client-assertion-type:jwt-bearer"
GRANTS = ["authorization_code", "refresh_token", "client_credentials"]


def _private_key(alg: str) -> RSAKey | ECKey:
    parameters: Any = {"kid": f"test-{alg}", "alg": alg, "use": "sig"}
    if alg == "ES256":
        return ECKey.generate_key("P-256", parameters=parameters)
    return RSAKey.generate_key(2048, parameters=parameters)


def _use_jwt_clients(idp: IdP, public_jwk: dict[str, Any]) -> None:
    """The default scenario plus one private_key_jwt and one client_secret_jwt client."""
    scenario = default_scenario_mapping()
    scenario["clients"] = [
        *scenario["clients"],
        {
            "client_id": KEY_CLIENT,
            "token_endpoint_auth_method": "private_key_jwt",
            "jwks": {"keys": [public_jwk]},
            "grant_types": GRANTS,
            "redirect_uris": ["http://localhost:8080/callback"],
        },
        {
            "client_id": HMAC_CLIENT,
            "client_secret": HMAC_SECRET,
            "token_endpoint_auth_method": "client_secret_jwt",
            "grant_types": GRANTS,
            "redirect_uris": ["http://localhost:8080/callback"],
        },
    ]
    idp.provider.use_scenario(scenario)


def _form(request: httpx.Request) -> dict[str, str]:
    return dict(httpx.QueryParams(request.content.decode()))


def _key_client(
    idp: IdP, provider_url: str, key: RSAKey | ECKey, alg: str, **kwargs: Any
) -> AsyncOAuth2Client:
    client = oauth_client(
        idp,
        KEY_CLIENT,
        client_secret=key,
        token_endpoint_auth_method="private_key_jwt",
        **kwargs,
    )
    client.register_client_auth_method(PrivateKeyJWT(provider_url, alg=alg))
    return client


async def _discover(idp: IdP) -> Provider:
    async with oauth_client(idp, "any") as client:
        return await discover(client)


@pytest.mark.parametrize("alg", ["RS256", "ES256"])
async def test_private_key_jwt_client_signs_in_and_introspects(idp: IdP, alg: str) -> None:
    key = _private_key(alg)
    _use_jwt_clients(idp, key.as_dict(private=False))
    provider = await _discover(idp)
    token_url = provider.endpoint("token_endpoint")
    sent: list[httpx.Request] = []
    async with _key_client(
        idp, token_url, key, alg, scope="openid email", event_hooks=recording_hooks(sent)
    ) as client:
        signed = await sign_in(client, provider, clock=idp.provider.clock)
        introspected = await client.introspect_token(
            provider.endpoint("introspection_endpoint"), token=signed.token["access_token"]
        )
    assert signed.id_token["sub"] == "alice"
    assert signed.id_token["aud"] == KEY_CLIENT
    assert signed.id_token["email"] == "alice@example.com"
    assert introspected.status_code == 200
    assert introspected.json()["active"] is True
    assert introspected.json()["client_id"] == KEY_CLIENT
    # What Authlib sent: an assertion signed with the client's key, for the token endpoint.
    token_request = next(r for r in sent if str(r.url) == token_url)
    form = _form(token_request)
    assert "authorization" not in token_request.headers
    assert form["client_assertion_type"] == ASSERTION_TYPE
    header, claims = decode_jwt(form["client_assertion"], key, alg)  # type: ignore[arg-type]
    assert header["alg"] == alg
    assert claims["iss"] == claims["sub"] == KEY_CLIENT
    assert claims["aud"] == token_url
    assert claims["jti"]


async def test_client_secret_jwt_client_gets_client_credentials(idp: IdP) -> None:
    _use_jwt_clients(idp, _private_key("RS256").as_dict(private=False))
    provider = await _discover(idp)
    token_url = provider.endpoint("token_endpoint")
    sent: list[httpx.Request] = []
    async with oauth_client(
        idp,
        HMAC_CLIENT,
        client_secret=HMAC_SECRET,
        token_endpoint_auth_method="client_secret_jwt",
        scope="profile",
        event_hooks=recording_hooks(sent),
    ) as client:
        client.register_client_auth_method(ClientSecretJWT(token_url))
        token = await client.fetch_token(token_url, grant_type="client_credentials")
    alg = provider.metadata["id_token_signing_alg_values_supported"][0]
    _, at_claims = decode_jwt(token["access_token"], provider.keys, alg)
    assert at_claims["sub"] == at_claims["client_id"] == HMAC_CLIENT
    assert token["scope"] == "profile"
    form = _form(sent[-1])
    assert "client_secret" not in form  # the secret itself never travels
    assert jwt.decode(form["client_assertion"], OctKey.import_key(HMAC_SECRET)).header["alg"] == (
        "HS256"
    )


@pytest.mark.parametrize("method", ["private_key_jwt", "client_secret_jwt"])
async def test_a_replayed_client_assertion_is_refused(idp: IdP, method: str) -> None:
    key = _private_key("RS256")
    _use_jwt_clients(idp, key.as_dict(private=False))
    provider = await _discover(idp)
    token_url = provider.endpoint("token_endpoint")
    statuses: list[int] = []

    async def status(response: httpx.Response) -> None:
        statuses.append(response.status_code)

    hooks: dict[str, Any] = {"response": [status]}
    secret: RSAKey | ECKey | str
    if method == "private_key_jwt":
        client_id, secret = KEY_CLIENT, key
        fixed: Any = PrivateKeyJWT(token_url, claims={"jti": "one-time-only"})
        fresh: Any = PrivateKeyJWT(token_url)
    else:
        client_id, secret = HMAC_CLIENT, HMAC_SECRET
        fixed = ClientSecretJWT(token_url, claims={"jti": "one-time-only"})
        fresh = ClientSecretJWT(token_url)
    async with oauth_client(
        idp, client_id, client_secret=secret, token_endpoint_auth_method=method, event_hooks=hooks
    ) as client:
        client.register_client_auth_method(fixed)
        first = await client.fetch_token(token_url, grant_type="client_credentials")
        with pytest.raises(OAuthError) as replay:
            await client.fetch_token(token_url, grant_type="client_credentials")
        # A new jti is accepted again: only the replay was at fault.
        client.register_client_auth_method(fresh)
        again = await client.fetch_token(token_url, grant_type="client_credentials")
    assert first["access_token"] and again["access_token"] != first["access_token"]
    assert replay.value.error == "invalid_client"
    assert statuses == [200, 401, 200]


async def test_an_assertion_signed_with_an_unregistered_key_is_refused(idp: IdP) -> None:
    _use_jwt_clients(idp, _private_key("RS256").as_dict(private=False))
    provider = await _discover(idp)
    token_url = provider.endpoint("token_endpoint")
    impostor = _private_key("RS256")  # same kid, different key
    async with _key_client(idp, token_url, impostor, "RS256") as client:
        with pytest.raises(OAuthError) as refused:
            await client.fetch_token(token_url, grant_type="client_credentials")
    assert refused.value.error == "invalid_client"
