"""End to end with Authlib's synchronous requests client against the live server.

A web app in a thread-per-request framework would use exactly this client; it talks
to the uvicorn server over real HTTP.
"""

from __future__ import annotations

import secrets
from collections.abc import Iterator
from typing import Any

import pytest
import requests
from authlib.integrations.requests_client import OAuth2Session
from authlib.oauth2.rfc7523 import PrivateKeyJWT
from joserfc.jwk import RSAKey

from tests.conftest import LiveServer
from tests.support.e2e import (
    CONFIDENTIAL,
    DISCOVERY_PATH,
    PUBLIC,
    REDIRECT_URI,
    SECRET,
    OAuthError,
    Provider,
    callback_params,
    default_scenario_mapping,
    new_verifier,
    validated_id_token,
)


def _session(live: LiveServer, client_id: str, **kwargs: Any) -> Any:
    kwargs.setdefault("redirect_uri", REDIRECT_URI)
    kwargs.setdefault("code_challenge_method", "S256")
    return OAuth2Session(client_id, **kwargs)


def _discover(session: Any, live: LiveServer) -> Provider:
    metadata = session.get(live.url + DISCOVERY_PATH, withhold_token=True).json()
    jwks = session.get(metadata["jwks_uri"], withhold_token=True).json()
    return Provider(metadata, jwks)


@pytest.fixture
def public_session(live: LiveServer) -> Iterator[Any]:
    with _session(live, PUBLIC, scope="openid profile offline_access") as session:
        yield session


def test_public_client_code_flow_refresh_and_revoke_over_requests(
    live: LiveServer, public_session: Any
) -> None:
    session = public_session
    provider = _discover(session, live)
    assert provider.issuer == live.url
    verifier, nonce = new_verifier(), secrets.token_urlsafe(16)
    url, state = session.create_authorization_url(
        provider.endpoint("authorization_endpoint"),
        code_verifier=verifier,
        nonce=nonce,
        login_hint="bob",
    )
    response = session.get(url, withhold_token=True, allow_redirects=False)
    assert response.status_code == 302
    location = response.headers["Location"]
    assert location.startswith(REDIRECT_URI + "?")
    assert callback_params(location)["iss"] == provider.issuer
    token = session.fetch_token(
        provider.endpoint("token_endpoint"),
        authorization_response=location,
        state=state,
        code_verifier=verifier,
    )
    claims = validated_id_token(
        token["id_token"],
        provider,
        client_id=PUBLIC,
        nonce=nonce,
        access_token=token["access_token"],
        now=live.provider.clock.now(),
    )
    assert claims["sub"] == "bob"
    userinfo = session.get(provider.endpoint("userinfo_endpoint"))
    assert userinfo.json()["name"] == "Bob Brown"

    old_refresh = token["refresh_token"]
    refreshed = session.refresh_token(provider.endpoint("token_endpoint"))
    assert refreshed["refresh_token"] != old_refresh
    assert session.get(provider.endpoint("userinfo_endpoint")).status_code == 200

    revoked = session.revoke_token(
        provider.endpoint("revocation_endpoint"), token=refreshed["refresh_token"]
    )
    assert revoked.status_code == 200
    after = requests.get(
        provider.endpoint("userinfo_endpoint"),
        headers={"Authorization": f"Bearer {refreshed['access_token']}"},
        timeout=10,
    )
    assert after.status_code == 401


@pytest.mark.parametrize("method", ["client_secret_basic", "client_secret_post"])
def test_confidential_client_over_requests(live: LiveServer, method: str) -> None:
    with _session(
        live, CONFIDENTIAL, client_secret=SECRET, token_endpoint_auth_method=method, scope="openid"
    ) as session:
        provider = _discover(session, live)
        verifier, nonce = new_verifier(), secrets.token_urlsafe(16)
        url, state = session.create_authorization_url(
            provider.endpoint("authorization_endpoint"), code_verifier=verifier, nonce=nonce
        )
        location = session.get(url, withhold_token=True, allow_redirects=False).headers["Location"]
        token = session.fetch_token(
            provider.endpoint("token_endpoint"),
            authorization_response=location,
            state=state,
            code_verifier=verifier,
        )
        introspected = session.introspect_token(
            provider.endpoint("introspection_endpoint"), token=token["access_token"]
        ).json()
    claims = validated_id_token(
        token["id_token"],
        provider,
        client_id=CONFIDENTIAL,
        nonce=nonce,
        access_token=token["access_token"],
        now=live.provider.clock.now(),
    )
    assert claims["sub"] == "alice"
    assert introspected["active"] is True
    assert introspected["sub"] == "alice"


def test_private_key_jwt_over_requests(live: LiveServer) -> None:
    key = RSAKey.generate_key(2048, parameters={"kid": "requests-key", "alg": "RS256"})
    scenario = default_scenario_mapping()
    scenario["clients"] = [
        *scenario["clients"],
        {
            "client_id": "sync-key-client",
            "token_endpoint_auth_method": "private_key_jwt",
            "jwks": {"keys": [key.as_dict(private=False)]},
            "grant_types": ["client_credentials"],
        },
    ]
    live.provider.use_scenario(scenario)
    with _session(
        live, "sync-key-client", client_secret=key, token_endpoint_auth_method="private_key_jwt"
    ) as session:
        provider = _discover(session, live)
        token_url = provider.endpoint("token_endpoint")
        session.register_client_auth_method(PrivateKeyJWT(token_url, claims={"jti": "once"}))
        token = session.fetch_token(token_url, grant_type="client_credentials")
        with pytest.raises(OAuthError) as replay:
            session.fetch_token(token_url, grant_type="client_credentials")
    assert token["token_type"] == "Bearer"
    assert replay.value.error == "invalid_client"
