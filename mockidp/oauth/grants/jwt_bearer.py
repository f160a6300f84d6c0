"""The JWT bearer assertion grant (RFC 7523 2.1, RFC 7521 4.1).

The ``assertion`` is a JWT signed by a key the scenario trusts: the authenticated
client's own ``jwks`` (``iss`` is its client_id), or a ``trusted_issuers`` entry's
(``iss`` is that issuer). Its claims are checked as RFC 7523 3 says: ``iss``, ``sub``
(a scenario user, or the client itself for a token of its own), ``aud`` (the issuer or
the token endpoint URL), ``exp``, ``nbf``, ``iat``, and ``jti`` is never accepted twice.
Every failure is ``invalid_grant`` saying which check failed.
"""

from __future__ import annotations

import hashlib
import math

from mockidp.errors import InvalidGrant, InvalidRequest, UnauthorizedClient
from mockidp.keys.verify import (
    CLIENT_ASSERTION_ALGORITHMS,
    TokenVerificationError,
    client_key_set,
    unverified_claims,
    verify_jwt,
)
from mockidp.model.scenario import JWT_BEARER_GRANT, Client, Scenario, User
from mockidp.oauth.context import TokenRequest
from mockidp.oauth.deps import Deps
from mockidp.oauth.tokens.issuance import issue, new_grant
from mockidp.oauth.tokens.minting import Authorization
from mockidp.oauth.tokens.scopes import requested_scopes
from mockidp.types import JSONObject

JWT_BEARER = JWT_BEARER_GRANT
SKEW = 30  # seconds of clock skew allowed on exp, nbf and iat (RFC 7523 3, items 4-6)


def trusted_keys(scenario: Scenario, client: Client | None, issuer: str) -> JSONObject | None:
    """The JWKS that signs ``issuer``'s JWTs: a trusted issuer's, or the client's own."""
    for trusted in scenario.trusted_issuers:
        if trusted.issuer == issuer:
            return trusted.jwks
    if client is not None and issuer == client.client_id and client.jwks is not None:
        return client.jwks
    return None


def verify_trusted_jwt(
    scenario: Scenario, client: Client | None, token: str, what: str
) -> JSONObject:
    """The claims of a JWT signed by a trusted issuer's key (signature checked only)."""
    try:
        issuer = unverified_claims(token).get("iss")
    except TokenVerificationError as exc:
        raise InvalidGrant(f"{what} is not a JWT: {exc}") from None
    if not isinstance(issuer, str):
        raise InvalidGrant(f"{what} has no iss")
    jwks = trusted_keys(scenario, client, issuer)
    if jwks is None:
        raise InvalidGrant(
            f"{what} iss {issuer!r} is not trusted: neither this client's client_id with "
            "registered jwks nor one of the scenario's trusted_issuers"
        )
    try:
        _, claims = verify_jwt(token, client_key_set(jwks), CLIENT_ASSERTION_ALGORITHMS)
    except TokenVerificationError as exc:
        raise InvalidGrant(
            f"{what} signature does not verify with {issuer!r}'s keys: {exc}"
        ) from None
    return claims


def check_times(claims: JSONObject, now: float, what: str, *, exp_required: bool) -> None:
    """RFC 7523 3 items 4-6: exp in the future, nbf and iat not (with SKEW seconds)."""
    exp = claims.get("exp")
    if exp is None and exp_required:
        raise InvalidGrant(f"{what} needs an exp claim")
    if exp is not None:
        if not _number(exp):
            raise InvalidGrant(f"{what} exp must be a number")
        if exp <= now - SKEW:
            raise InvalidGrant(f"{what} is expired (exp {exp})")
    nbf = claims.get("nbf")
    if nbf is not None and (not _number(nbf) or nbf > now + SKEW):
        raise InvalidGrant(f"{what} is not valid yet (nbf {nbf})")
    iat = claims.get("iat")
    if iat is not None and (not _number(iat) or iat > now + SKEW):
        raise InvalidGrant(f"{what} was issued in the future (iat {iat})")


def _number(value: object) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool) and math.isfinite(value)


def jwt_bearer(deps: Deps, client: Client, request: TokenRequest, issuer: str) -> JSONObject:
    """RFC 7523 2.1: an access token for the assertion's subject."""
    params = request.params
    if JWT_BEARER not in client.grant_types:
        raise UnauthorizedClient(f"client {client.client_id!r} may not use the {JWT_BEARER} grant")
    assertion = params.get("assertion")
    if assertion is None:
        raise InvalidRequest("assertion is missing")
    scenario = deps.scenario
    claims = verify_trusted_jwt(scenario, client, assertion, "assertion")
    iss = str(claims["iss"])
    sub = claims.get("sub")
    if not isinstance(sub, str) or not sub:
        raise InvalidGrant("assertion needs a sub claim")
    user: User | None = None
    if sub != client.client_id:
        user = scenario.user(sub)
        if user is None:
            raise InvalidGrant(
                f"assertion sub {sub!r} is neither a user of the scenario nor the client_id"
            )
    audiences = request.audiences or (issuer,)
    aud = claims.get("aud")
    aud_values = aud if isinstance(aud, list) else [aud]
    if not any(isinstance(a, str) and a in audiences for a in aud_values):
        raise InvalidGrant(f"assertion aud must name this server: one of {', '.join(audiences)}")
    now = deps.state.now()
    check_times(claims, now, "assertion", exp_required=True)
    jti = claims.get("jti")
    if jti is not None:
        if not isinstance(jti, str) or not jti:
            raise InvalidGrant("assertion jti must be a non-empty string")
        seen = hashlib.sha256(f"{iss}:{jti}".encode()).hexdigest()  # bounded store key
        if not request.claim_jti("jwt-bearer", seen, float(claims["exp"])):
            raise InvalidGrant("assertion jti was already used (RFC 7523 3 item 7)")
    scope = requested_scopes(scenario, client, params.get("scope"))
    if user is None and "openid" in scope:
        raise InvalidGrant("the openid scope needs a user; the assertion's sub is the client")
    auth = Authorization(
        client,
        user,
        scope,
        new_grant(deps, client, user),
        grant_type=JWT_BEARER,
        params=params,
        dpop_jkt=request.dpop_jkt,
    )
    # RFC 7521 4.1: the assertion is the grant; no refresh token stands in for it.
    return issue(deps, auth, issuer=issuer, id_token="openid" in scope, refresh_token=False)
