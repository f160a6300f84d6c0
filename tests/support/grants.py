"""Helpers for the token exchange, JWT bearer, DPoP and resource indicator tests.

Keys are generated once per process (EC P-256 is cheap); DPoP proofs and assertions
are signed with joserfc, as a client library would.
"""

from __future__ import annotations

import base64
import hashlib
import secrets
from functools import cache
from typing import Any

import httpx
from joserfc import jwt
from joserfc.jwk import ECKey

from tests.support.e2e import DISCOVERY_PATH, SECRET

JWT_BEARER = "urn:ietf:params:oauth:grant-type:jwt-bearer"
TOKEN_EXCHANGE = "urn:ietf:params:oauth:grant-type:token-exchange"
TOKEN_TYPE = "urn:ietf:params:oauth:token-type:"
CONFIDENTIAL_AUTH = ("mockidp-client", SECRET)


@cache
def ec_key(name: str) -> ECKey:
    """A private P-256 key, one per ``name`` per process."""
    return ECKey.generate_key("P-256", parameters={"kid": name})


def public_jwks(*names: str) -> dict[str, Any]:
    return {"keys": [dict(ec_key(n).as_dict(private=False)) for n in names]}


def sign(claims: dict[str, Any], key: ECKey, **header: Any) -> str:
    head = {"alg": "ES256", **header}
    return jwt.encode(head, claims, key, algorithms=[head["alg"]])


def thumbprint(key: ECKey) -> str:
    return str(key.thumbprint())


def ath(token: str) -> str:
    digest = hashlib.sha256(token.encode("ascii")).digest()
    return base64.urlsafe_b64encode(digest).rstrip(b"=").decode("ascii")


def dpop_proof(
    key: ECKey,
    htu: str,
    *,
    now: float,
    htm: str = "POST",
    header: dict[str, Any] | None = None,
    **claims: Any,
) -> str:
    """A DPoP proof (RFC 9449 4.2) signed by ``key``, its public JWK in the header."""
    head: dict[str, Any] = {
        "typ": "dpop+jwt",
        "alg": "ES256",
        "jwk": dict(key.as_dict(private=False)),
    }
    head.update(header or {})
    head = {k: v for k, v in head.items() if v is not None}
    body: dict[str, Any] = {"jti": secrets.token_urlsafe(12), "htm": htm, "htu": htu}
    body["iat"] = int(now)
    body.update(claims)
    body = {k: v for k, v in body.items() if v is not None}
    return jwt.encode(head, body, key, algorithms=[head["alg"]])


async def metadata(http: httpx.AsyncClient) -> dict[str, Any]:
    response = await http.get(DISCOVERY_PATH)
    assert response.status_code == 200
    data: dict[str, Any] = response.json()
    return data


def assert_error(response: httpx.Response, error: str, status: int = 400, says: str = "") -> None:
    """An RFC 6749 5.2 error of ``error`` whose description mentions ``says``."""
    assert response.status_code == status, response.text
    body = response.json()
    assert body["error"] == error, body
    assert says in body.get("error_description", ""), body


def claims_of(token: str) -> dict[str, Any]:
    """A JWT's claims, unverified (the tests that need signatures check them elsewhere)."""
    payload = token.split(".")[1]
    import json

    decoded: dict[str, Any] = json.loads(
        base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4))
    )
    return decoded
