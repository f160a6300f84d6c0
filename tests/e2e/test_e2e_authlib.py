"""End to end with Authlib: discovery, authorization code + PKCE sign-in, ID token checks.

Every test runs in-process (ASGI) and against the live uvicorn server via ``idp``.
"""

from __future__ import annotations

import json
from typing import Any

import httpx
import pytest
from joserfc.errors import BadSignatureError, InvalidClaimError, JoseError
from joserfc.jwk import RSAKey

from tests.conftest import IdP
from tests.support.e2e import (
    CONFIDENTIAL,
    DISCOVERY_PATH,
    PUBLIC,
    REDIRECT_URI,
    SECRET,
    OAuthError,
    Provider,
    decode_jwt,
    default_scenario_mapping,
    discover,
    new_verifier,
    oauth_client,
    recording_hooks,
    sign_in,
    start_authorization,
    validated_id_token,
)

pytestmark = pytest.mark.anyio

ENDPOINT_KEYS = (
    "authorization_endpoint",
    "token_endpoint",
    "userinfo_endpoint",
    "jwks_uri",
    "introspection_endpoint",
    "revocation_endpoint",
    "end_session_endpoint",
)


# -- discovery ---------------------------------------------------------------------------


async def test_openid_configuration_lists_working_endpoints_under_the_issuer(idp: IdP) -> None:
    async with oauth_client(idp, PUBLIC) as client:
        provider = await discover(client)
    meta = provider.metadata
    assert meta["issuer"] == idp.base_url
    for key in ENDPOINT_KEYS:
        assert meta[key].startswith(idp.base_url + "/"), (key, meta[key])
    assert "code" in meta["response_types_supported"]
    assert "S256" in meta["code_challenge_methods_supported"]
    assert meta["id_token_signing_alg_values_supported"] == ["RS256"]
    assert meta["authorization_response_iss_parameter_supported"] is True
    assert {"client_secret_basic", "client_secret_post", "private_key_jwt", "none"} <= set(
        meta["token_endpoint_auth_methods_supported"]
    )
    # The JWKS behind jwks_uri holds public RSA keys only, each with a kid.
    keys = provider.jwks["keys"]
    assert keys and all(k["kty"] == "RSA" and k["kid"] for k in keys)
    assert not any("d" in k or "p" in k for k in keys)
    assert len(provider.keys.keys) == len(keys)  # usable as a key set


async def test_oauth_authorization_server_metadata_matches_openid_configuration(idp: IdP) -> None:
    async with idp.client() as http:
        oidc = (await http.get(DISCOVERY_PATH)).json()
        response = await http.get("/.well-known/oauth-authorization-server")
    assert response.status_code == 200
    rfc8414 = response.json()
    assert rfc8414["issuer"] == idp.base_url  # RFC 8414 3.3: must equal the issuer used
    for key in ENDPOINT_KEYS:
        assert rfc8414[key] == oidc[key]
    assert rfc8414["grant_types_supported"] == oidc["grant_types_supported"]


# -- sign-in with the authorization code flow ---------------------------------------------


async def test_public_client_signs_alice_in_with_pkce_s256(idp: IdP) -> None:
    async with oauth_client(idp, PUBLIC, scope="openid profile email") as client:
        provider = await discover(client)
        signed = await sign_in(client, provider, clock=idp.provider.clock)
        userinfo = await client.get(provider.endpoint("userinfo_endpoint"))
    claims = signed.id_token
    assert claims["sub"] == "alice"
    assert claims["aud"] == PUBLIC
    assert claims["name"] == "Alice Anderson"
    assert claims["email"] == "alice@example.com"
    assert abs(claims["iat"] - idp.provider.clock.now()) < 60
    assert claims["exp"] - claims["iat"] == idp.provider.scenario.lifetimes.id_token
    assert signed.token["token_type"] == "Bearer"
    assert signed.token["scope"] == "openid profile email"
    assert "refresh_token" not in signed.token  # no offline_access asked for
    assert userinfo.status_code == 200
    assert userinfo.json()["sub"] == "alice"
    assert userinfo.json()["email"] == "alice@example.com"


@pytest.mark.parametrize("method", ["client_secret_basic", "client_secret_post"])
async def test_confidential_client_signs_in_with_its_secret(idp: IdP, method: str) -> None:
    sent: list[httpx.Request] = []
    async with oauth_client(
        idp,
        CONFIDENTIAL,
        client_secret=SECRET,
        token_endpoint_auth_method=method,
        scope="openid email",
        event_hooks=recording_hooks(sent),
    ) as client:
        provider = await discover(client)
        signed = await sign_in(client, provider, clock=idp.provider.clock)
    assert signed.id_token["sub"] == "alice"
    assert signed.id_token["aud"] == CONFIDENTIAL
    token_request = next(r for r in sent if str(r.url) == provider.endpoint("token_endpoint"))
    body = dict(httpx.QueryParams(token_request.content.decode()))
    assert body["grant_type"] == "authorization_code"
    assert body["redirect_uri"] == REDIRECT_URI
    if method == "client_secret_basic":
        assert token_request.headers["authorization"].startswith("Basic ")
        assert "client_secret" not in body
    else:
        assert "authorization" not in token_request.headers
        assert body["client_secret"] == SECRET


async def test_login_hint_signs_bob_in(idp: IdP) -> None:
    async with oauth_client(idp, PUBLIC, scope="openid profile") as client:
        provider = await discover(client)
        signed = await sign_in(client, provider, clock=idp.provider.clock, login_hint="bob")
    assert signed.id_token["sub"] == "bob"
    assert signed.id_token["name"] == "Bob Brown"
    assert "email" not in signed.id_token  # the email scope was not asked for


async def test_a_code_is_redeemed_once(idp: IdP) -> None:
    async with oauth_client(idp, PUBLIC, scope="openid") as client:
        provider = await discover(client)
        verifier = new_verifier()
        response, state = await start_authorization(client, provider, verifier=verifier, nonce="n")
        location = response.headers["location"]
        first = await client.fetch_token(
            provider.endpoint("token_endpoint"),
            authorization_response=location,
            state=state,
            code_verifier=verifier,
        )
        with pytest.raises(OAuthError) as replay:
            await client.fetch_token(
                provider.endpoint("token_endpoint"),
                authorization_response=location,
                state=state,
                code_verifier=verifier,
            )
        assert replay.value.error == "invalid_grant"
        # RFC 6749 4.1.2: the tokens issued for a replayed code should be revoked.
        userinfo = await client.get(
            provider.endpoint("userinfo_endpoint"), auth=_bearer(first["access_token"])
        )
    assert userinfo.status_code == 401


async def test_pkce_code_verifier_must_match_the_s256_challenge(idp: IdP) -> None:
    async with oauth_client(idp, PUBLIC, scope="openid") as client:
        provider = await discover(client)
        response, state = await start_authorization(
            client, provider, verifier=new_verifier(), nonce="n"
        )
        assert "code_challenge_method=S256" in str(response.request.url)
        with pytest.raises(OAuthError) as mismatch:
            await client.fetch_token(
                provider.endpoint("token_endpoint"),
                authorization_response=response.headers["location"],
                state=state,
                code_verifier=new_verifier(),  # not the one the challenge was made from
            )
    assert mismatch.value.error == "invalid_grant"


def _bearer(token: str) -> Any:
    def auth(request: httpx.Request) -> httpx.Request:
        request.headers["Authorization"] = f"Bearer {token}"
        return request

    return auth


# -- ID token validation ------------------------------------------------------------------


async def test_id_token_validation_rejects_wrong_nonce_audience_at_hash_and_key(idp: IdP) -> None:
    """The checks in validated_id_token are live: each wrong input makes them fail."""
    async with oauth_client(idp, PUBLIC, scope="openid") as client:
        provider = await discover(client)
        signed = await sign_in(client, provider, clock=idp.provider.clock)
    id_token, access_token = signed.token["id_token"], signed.token["access_token"]
    now = idp.provider.clock.now()
    good: dict[str, Any] = {
        "client_id": PUBLIC,
        "nonce": signed.nonce,
        "access_token": access_token,
        "now": now,
    }
    validated_id_token(id_token, provider, **good)
    wrong: list[dict[str, Any]] = [
        {"nonce": "another-nonce"},
        {"client_id": CONFIDENTIAL},
        {"access_token": access_token + "x"},
        {"now": signed.id_token["exp"] + 1},  # expired
    ]
    for change in wrong:
        with pytest.raises(JoseError):
            validated_id_token(id_token, provider, **{**good, **change})
    other_issuer = Provider(
        {**provider.metadata, "issuer": "https://elsewhere.example"}, provider.jwks
    )
    with pytest.raises(InvalidClaimError):
        validated_id_token(id_token, other_issuer, **good)
    stranger = RSAKey.generate_key(2048, parameters={"kid": provider.jwks["keys"][0]["kid"]})
    stranger_jwks = {"keys": [stranger.as_dict(private=False)]}
    with pytest.raises(BadSignatureError):
        validated_id_token(id_token, Provider(provider.metadata, stranger_jwks), **good)


@pytest.mark.parametrize(
    ("alg", "kty", "crv"), [("ES256", "EC", "P-256"), ("EdDSA", "OKP", "Ed25519")]
)
async def test_scenario_signing_alg_signs_tokens_that_verify_against_the_jwks(
    idp: IdP, alg: str, kty: str, crv: str
) -> None:
    idp.provider.use_scenario(default_scenario_mapping(signing_alg=alg))
    async with oauth_client(idp, PUBLIC, scope="openid email offline_access") as client:
        provider = await discover(client)
        assert provider.metadata["id_token_signing_alg_values_supported"] == [alg]
        assert [(k["kty"], k["crv"]) for k in provider.jwks["keys"]] == [(kty, crv)]
        signed = await sign_in(client, provider, clock=idp.provider.clock)
        refreshed = await client.refresh_token(provider.endpoint("token_endpoint"))
    assert signed.id_token.header["alg"] == alg
    assert signed.id_token["email"] == "alice@example.com"
    # The access token is a JWT too (RFC 9068), signed with the same key.
    header, at_claims = decode_jwt(signed.token["access_token"], provider.keys, alg)
    assert header["typ"] == "at+jwt"
    assert at_claims["sub"] == "alice"
    assert at_claims["client_id"] == PUBLIC
    assert at_claims["iss"] == provider.issuer
    # A refreshed ID token verifies too, with at_hash over the new access token.
    again = validated_id_token(
        refreshed["id_token"],
        provider,
        client_id=PUBLIC,
        nonce=None,
        access_token=refreshed["access_token"],
        now=idp.provider.clock.now(),
    )
    assert again["sub"] == "alice"


# -- the claims request parameter ---------------------------------------------------------


async def test_claims_parameter_adds_individual_claims_to_id_token_and_userinfo(idp: IdP) -> None:
    claims_request = {
        "id_token": {"email": {"essential": True}},
        "userinfo": {"name": None, "phone_number": None},
    }
    async with oauth_client(idp, PUBLIC, scope="openid") as client:
        provider = await discover(client)
        assert provider.metadata["claims_parameter_supported"] is True
        signed = await sign_in(
            client, provider, clock=idp.provider.clock, claims=json.dumps(claims_request)
        )
        userinfo = (await client.get(provider.endpoint("userinfo_endpoint"))).json()
    assert signed.id_token["email"] == "alice@example.com"
    assert "email_verified" not in signed.id_token  # asked for email alone
    assert "name" not in signed.id_token  # asked for in userinfo only
    assert userinfo == {"sub": "alice", "name": "Alice Anderson", "phone_number": "+1 555 0100"}


async def test_id_token_iat_and_exp_follow_the_provider_clock(idp: IdP) -> None:
    idp.provider.clock.freeze(1_800_000_000)
    async with oauth_client(idp, PUBLIC, scope="openid") as client:
        provider = await discover(client)
        signed = await sign_in(client, provider, clock=idp.provider.clock)
    assert signed.id_token["iat"] == 1_800_000_000
    assert signed.id_token["auth_time"] == 1_800_000_000
    assert signed.id_token["exp"] == 1_800_000_000 + idp.provider.scenario.lifetimes.id_token
