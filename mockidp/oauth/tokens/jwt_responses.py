"""Signed responses a client may ask for instead of JSON.

- UserInfo (OpenID Connect Core 5.3.2): a client registered with
  ``userinfo_signed_response_alg`` gets ``application/jwt``, the claims plus ``iss`` and
  ``aud`` (the payload is :func:`mockidp.oauth.tokens.shapes.userinfo_jwt_claims`, the same one a
  preset's ``userinfo_format: jwt_string`` uses).
- Token introspection (RFC 9701): a request with ``Accept:
  application/token-introspection+jwt`` gets a JWT typed ``token-introspection+jwt``
  whose ``token_introspection`` claim holds the RFC 7662 answer.

Which one a request asks for is HTTP's to read (:mod:`mockidp.http.endpoints`); here are
the payloads and their signing.

Both are signed with the provider's key that signs now, or for a UserInfo alg that
differs, with a published key of that algorithm.
"""

from __future__ import annotations

from mockidp.errors import ServerError
from mockidp.keys.ring import KeyRing
from mockidp.types import JSONObject

INTROSPECTION_TYP = "token-introspection+jwt"


def introspection_jwt(
    keys: KeyRing, answer: JSONObject, *, issuer: str, client_id: str, now: int
) -> str:
    """RFC 9701 5: iss, aud (the asking resource server), iat, and the answer as
    ``token_introspection`` (its claims are not repeated at the top level)."""
    claims: JSONObject = {
        "iss": issuer,
        "aud": client_id,
        "iat": now,
        "token_introspection": answer,
    }
    return keys.sign(claims, typ=INTROSPECTION_TYP)


def sign_as(keys: KeyRing, claims: JSONObject, *, typ: str, alg: str | None) -> str:
    """``claims`` signed with the key that signs now, or else a published key of ``alg``."""
    if alg is None or alg == keys.alg:
        return keys.sign(claims, typ=typ)
    for key in keys.jwks()["keys"]:
        if key.get("alg") == alg and isinstance(key.get("kid"), str):
            return keys.sign_with(str(key["kid"]), claims, typ=typ)
    raise ServerError(
        f"the scenario publishes no {alg} key for userinfo_signed_response_alg; "
        f"add one to its keys or register {keys.alg}"
    )
