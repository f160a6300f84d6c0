"""Client authentication at the token, introspection and revocation endpoints.

RFC 6749 2.3 (client_secret_basic / client_secret_post), RFC 7523 and OpenID Connect
Core 9 (client_secret_jwt / private_key_jwt), and none for public clients.
"""

from __future__ import annotations

import base64
import hmac
from collections.abc import Callable
from urllib.parse import unquote_plus

from msgspec import Struct

from mockidp.errors import InvalidClient, InvalidRequest, OAuthError
from mockidp.keys.verify import (
    CLIENT_ASSERTION_ALGORITHMS,
    CLIENT_SECRET_JWT_ALGORITHMS,
    TokenVerificationError,
    client_key_set,
    secret_key,
    unverified_claims,
    verify_jwt,
)
from mockidp.model.scenario import Client
from mockidp.oauth import records
from mockidp.oauth.deps import ClientSource
from mockidp.oauth.records import AssertionJti
from mockidp.store.state import State
from mockidp.types import JSONObject, Params

JWT_BEARER_ASSERTION = "urn:ietf:params:oauth:client-assertion-type:jwt-bearer"
SECRET_METHODS_ACCEPTED = frozenset({"client_secret_basic", "client_secret_post"})


class Credentials(Struct, frozen=True):
    """How a request tried to authenticate its client."""

    method: str
    client_id: str
    secret: str | None = None
    assertion: str | None = None


def read_credentials(authorization: str | None, params: Params) -> Credentials | None:
    """The credentials in a request, or None when it names no client at all."""
    basic = _basic(authorization) if authorization else None
    assertion = params.get("client_assertion")
    secret = params.get("client_secret")
    used = [
        name
        for name, present in (
            ("Basic", basic),
            ("client_secret", secret),
            ("client_assertion", assertion),
        )
        if present is not None
    ]
    if len(used) > 1:
        raise InvalidRequest(f"use one client authentication method, not {' and '.join(used)}")
    body_id = params.get("client_id")
    if basic is not None:
        if body_id is not None and body_id != basic[0]:
            raise InvalidRequest("client_id in the body differs from the Basic credentials")
        return Credentials("client_secret_basic", basic[0], secret=basic[1])
    if assertion is not None:
        if params.get("client_assertion_type") != JWT_BEARER_ASSERTION:
            raise InvalidRequest(f"client_assertion_type must be {JWT_BEARER_ASSERTION}")
        try:
            claims = unverified_claims(assertion)
        except TokenVerificationError as exc:
            raise InvalidClient(f"client_assertion is not a valid JWT: {exc}") from None
        subject = claims.get("sub")
        if not isinstance(subject, str) or (body_id is not None and body_id != subject):
            raise InvalidClient("client_assertion sub must be the client_id")
        return Credentials("jwt", subject, assertion=assertion)
    if body_id is None:
        return None
    if secret is not None:
        return Credentials("client_secret_post", body_id, secret=secret)
    return Credentials("none", body_id)


class ClientCredentials:
    """A request's client credentials, read on first need and then remembered, so the
    provider authenticating the client and the request log naming the method share one
    reading (a reading that failed fails the same way again)."""

    def __init__(self, authorization: str | None, params: Params) -> None:
        self._authorization = authorization
        self._params = params
        self._read: tuple[Credentials | None, OAuthError | None] | None = None

    def read(self) -> Credentials | None:
        """The credentials (:func:`read_credentials`), or the error reading them raised."""
        if self._read is None:
            try:
                self._read = (read_credentials(self._authorization, self._params), None)
            except OAuthError as exc:
                self._read = (None, exc)
        found, error = self._read
        if error is not None:
            raise error
        return found


def _basic(header: str) -> tuple[str, str] | None:
    scheme, _, value = header.partition(" ")
    if scheme.lower() != "basic":
        return None
    try:
        decoded = base64.b64decode(value.strip(), validate=True).decode("utf-8")
    except ValueError:  # binascii.Error, UnicodeDecodeError, and non-ASCII header text
        raise InvalidClient("the Basic credentials are not valid base64 of UTF-8") from None
    user, sep, password = decoded.partition(":")
    if not sep:
        raise InvalidClient("the Basic credentials have no ':' between client_id and secret")
    # RFC 6749 2.3.1: both parts are form-urlencoded before base64.
    return unquote_plus(user), unquote_plus(password)


def authenticate(
    scenario: ClientSource,
    creds: Credentials | None,
    *,
    audiences: tuple[str, ...],
    now: float,
    claim_jti: Callable[[str, str, float], bool],
) -> Client:
    """The authenticated client, or InvalidClient saying what is wrong.

    ``audiences`` are the values an assertion's ``aud`` may hold (the token endpoint URL
    and the issuer); ``claim_jti(client_id, jti, exp)`` records a used assertion id and
    returns False when it was seen before.
    """
    if creds is None:
        raise InvalidClient("no client authentication: send client_id (and a secret or assertion)")
    client = scenario.client(creds.client_id)
    if client is None:
        raise InvalidClient(f"unknown client_id {creds.client_id!r}", reason="client_unknown")
    registered = client.token_endpoint_auth_method
    if registered == "none":
        if (
            creds.method not in ("none", "client_secret_post", "client_secret_basic")
            or creds.secret
        ):
            raise InvalidClient("this is a public client: send client_id alone, no secret")
        return client
    if registered in SECRET_METHODS_ACCEPTED and creds.method in SECRET_METHODS_ACCEPTED:
        if (
            creds.secret
            and client.client_secret
            and hmac.compare_digest(
                creds.secret.encode("utf-8"), client.client_secret.encode("utf-8")
            )
        ):
            return client
        raise InvalidClient("wrong client_secret", reason="client_secret")
    if registered in ("private_key_jwt", "client_secret_jwt") and creds.method == "jwt":
        assert creds.assertion is not None
        _check_assertion(client, creds.assertion, audiences=audiences, now=now, claim_jti=claim_jti)
        return client
    raise InvalidClient(f"this client authenticates with {registered}, not {creds.method}")


def _check_assertion(
    client: Client,
    assertion: str,
    *,
    audiences: tuple[str, ...],
    now: float,
    claim_jti: Callable[[str, str, float], bool],
) -> None:
    try:
        if client.token_endpoint_auth_method == "private_key_jwt":
            _, claims = verify_jwt(
                assertion, client_key_set(client.jwks or {"keys": []}), CLIENT_ASSERTION_ALGORITHMS
            )
        else:
            _, claims = verify_jwt(
                assertion, secret_key(client.client_secret or ""), CLIENT_SECRET_JWT_ALGORITHMS
            )
    except TokenVerificationError as exc:
        raise InvalidClient(f"client_assertion signature does not verify: {exc}") from None
    _check_assertion_claims(
        client.client_id, claims, audiences=audiences, now=now, claim_jti=claim_jti
    )


def _check_assertion_claims(
    client_id: str,
    claims: JSONObject,
    *,
    audiences: tuple[str, ...],
    now: float,
    claim_jti: Callable[[str, str, float], bool],
) -> None:
    if claims.get("iss") != client_id or claims.get("sub") != client_id:
        raise InvalidClient("client_assertion iss and sub must both be the client_id")
    aud = claims.get("aud")
    aud_values = aud if isinstance(aud, list) else [aud]
    if not any(a in audiences for a in aud_values):
        raise InvalidClient(f"client_assertion aud must be one of {', '.join(audiences)}")
    exp = claims.get("exp")
    if not isinstance(exp, int | float) or exp <= now - 30:
        raise InvalidClient("client_assertion is expired or has no exp")
    jti = claims.get("jti")
    if not isinstance(jti, str) or not jti:
        raise InvalidClient("client_assertion needs a jti")
    if not claim_jti(client_id, jti, float(exp)):
        raise InvalidClient("client_assertion jti was already used")


def claim_jti(state: State, client_id: str, jti: str, exp: float) -> bool:
    """Record a client assertion's ``jti`` until it expires; False: it was used before
    (RFC 7523 3, item 7: an assertion is not replayed)."""
    ttl = max(exp - state.now(), 0) + 60
    return records.add(state, f"{client_id}:{jti}", AssertionJti(), ttl=ttl)
