"""Deviations openid-client found (tests/e2e/test_interop_openid_client.py), pinned in
Python so they stay fixed where Node is not installed.

- DPoP proofs with an RSA key of 2048 bits or more were refused: their header (with the
  public key) is over joserfc's default 512-byte cap.
- DPoP proofs and client assertions signed with ``alg: Ed25519`` (RFC 9864's
  fully-specified name, what oauth4webapi signs Ed25519 keys with) were refused.
"""

from __future__ import annotations

import secrets
from typing import Any

import httpx
import pytest
from joserfc import jwt
from joserfc.jwk import OKPKey, RSAKey

from tests.conftest import IdP
from tests.support.e2e import default_scenario_mapping

pytestmark = pytest.mark.anyio

SECRET_AUTH = ("mockidp-client", "mockidp-secret")
RSA_2048 = RSAKey.generate_key(2048)
RSA_4096 = RSAKey.generate_key(4096)
ED25519 = OKPKey.generate_key("Ed25519")


def _proof(key: RSAKey | OKPKey, alg: str, htu: str, now: float) -> str:
    header = {"typ": "dpop+jwt", "alg": alg, "jwk": dict(key.as_dict(private=False))}
    claims = {"jti": secrets.token_urlsafe(12), "htm": "POST", "htu": htu, "iat": int(now)}
    return jwt.encode(header, claims, key, algorithms=[alg])


async def _metadata(http: httpx.AsyncClient) -> dict[str, Any]:
    response = await http.get("/.well-known/openid-configuration")
    assert response.status_code == 200
    body: dict[str, Any] = response.json()
    return body


@pytest.mark.parametrize(
    ("key", "alg"),
    [(RSA_2048, "RS256"), (RSA_2048, "PS256"), (RSA_4096, "RS256"), (ED25519, "Ed25519")],
    ids=["rsa2048-RS256", "rsa2048-PS256", "rsa4096-RS256", "ed25519-Ed25519"],
)
async def test_dpop_proof_with_the_key_in_a_large_or_new_alg_header_binds_the_token(
    idp: IdP, http: httpx.AsyncClient, key: RSAKey | OKPKey, alg: str
) -> None:
    url = (await _metadata(http))["token_endpoint"]
    proof = _proof(key, alg, url, idp.provider.clock.now())
    response = await http.post(
        url, data={"grant_type": "client_credentials"}, auth=SECRET_AUTH, headers={"DPoP": proof}
    )
    assert response.status_code == 200, response.text
    assert response.json()["token_type"] == "DPoP"


async def test_discovery_lists_ed25519_for_dpop_and_client_assertions(
    http: httpx.AsyncClient,
) -> None:
    meta = await _metadata(http)
    assert "Ed25519" in meta["dpop_signing_alg_values_supported"]
    assert "Ed25519" in meta["token_endpoint_auth_signing_alg_values_supported"]


async def test_private_key_jwt_assertion_signed_ed25519_authenticates(
    idp: IdP, http: httpx.AsyncClient
) -> None:
    scenario = default_scenario_mapping()
    scenario["clients"] = [
        *scenario["clients"],
        {
            "client_id": "okp-client",
            "token_endpoint_auth_method": "private_key_jwt",
            "jwks": {"keys": [{**ED25519.as_dict(private=False), "kid": "okp-1"}]},
            "grant_types": ["client_credentials"],
        },
    ]
    idp.provider.use_scenario(scenario)
    url = (await _metadata(http))["token_endpoint"]
    now = int(idp.provider.clock.now())
    assertion = jwt.encode(
        {"alg": "Ed25519", "kid": "okp-1"},
        {"iss": "okp-client", "sub": "okp-client", "aud": url, "jti": secrets.token_urlsafe(12),
         "iat": now, "exp": now + 60},
        ED25519,
        algorithms=["Ed25519"],
    )  # fmt: skip
    response = await http.post(
        url,
        data={
            "grant_type": "client_credentials",
            "client_id": "okp-client",
            "client_assertion_type": "urn:ietf:params:oauth:client-assertion-type:jwt-bearer",
            "client_assertion": assertion,
        },
    )
    assert response.status_code == 200, response.text
