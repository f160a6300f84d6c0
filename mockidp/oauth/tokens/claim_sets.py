"""Claim sets of the tokens the provider issues, and the random values behind them."""

from __future__ import annotations

from msgspec import Struct

from mockidp.keys.ring import half_hash
from mockidp.oauth.records import new_jti
from mockidp.types import JSONObject


class IdTokenInput(Struct, frozen=True):
    """What an ID token says, before signing."""

    issuer: str
    sub: str
    client_id: str
    now: int
    lifetime: int
    auth_time: int | None = None
    nonce: str | None = None
    access_token: str | None = None
    code: str | None = None
    sid: str | None = None
    extra: JSONObject | None = None


def id_token_claims(data: IdTokenInput, alg: str) -> JSONObject:
    """OpenID Connect Core 2: the ID token's claims (at_hash / c_hash per 3.3.2.11)."""
    claims: JSONObject = dict(data.extra or {})
    claims.update(
        {
            "iss": data.issuer,
            "sub": data.sub,
            "aud": data.client_id,
            "exp": data.now + data.lifetime,
            "iat": data.now,
        }
    )
    if data.auth_time is not None:
        claims["auth_time"] = data.auth_time
    if data.nonce is not None:
        claims["nonce"] = data.nonce
    if data.access_token is not None:
        claims["at_hash"] = half_hash(data.access_token, alg)
    if data.code is not None:
        claims["c_hash"] = half_hash(data.code, alg)
    if data.sid is not None:
        claims["sid"] = data.sid
    return claims


class AccessTokenInput(Struct, frozen=True):
    """What an access token grants."""

    issuer: str
    sub: str
    client_id: str
    audience: str | list[str]
    scope: str
    now: int
    lifetime: int
    auth_time: int | None = None


def access_token_claims(data: AccessTokenInput) -> JSONObject:
    """RFC 9068 section 2.2: the claims of a JWT access token."""
    claims: JSONObject = {
        "iss": data.issuer,
        "sub": data.sub,
        "aud": data.audience,
        "client_id": data.client_id,
        "exp": data.now + data.lifetime,
        "iat": data.now,
        "jti": new_jti(),
    }
    if data.scope:
        claims["scope"] = data.scope
    if data.auth_time is not None:
        claims["auth_time"] = data.auth_time
    return claims
