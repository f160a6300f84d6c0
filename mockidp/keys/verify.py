"""Verifying JWTs and keys that come from outside: client assertions (RFC 7523 3 and
RFC 7521 4.2), trusted issuers' assertions, DPoP proofs signed by the key in their own
header (RFC 9449 4.2, the key named by its RFC 7638 thumbprint), SuperOffice's signed
system tokens. Every failure is a :class:`TokenVerificationError`.
"""

from __future__ import annotations

import json
import warnings
from collections.abc import Iterable
from typing import Any, cast

from joserfc import jws, jwt
from joserfc.errors import JoseError, SecurityWarning
from joserfc.jwk import KeySet, OctKey, RSAKey

from mockidp.keys.material import ASYMMETRIC_IMPORTERS
from mockidp.types import JSONObject

CLIENT_ASSERTION_ALGORITHMS: tuple[str, ...] = (
    "RS256",
    "RS384",
    "RS512",
    "PS256",
    "PS384",
    "PS512",
    "ES256",
    "ES384",
    "ES512",
    "EdDSA",
    "Ed25519",  # RFC 9864's fully-specified name, which newer clients sign with
)
"""Algorithms accepted on private_key_jwt client assertions."""

DPOP_ALGORITHMS: tuple[str, ...] = CLIENT_ASSERTION_ALGORITHMS
"""Asymmetric algorithms a DPoP proof may use (RFC 9449 5.1), here so that discovery
lists them without importing :mod:`mockidp.oauth.tokens.dpop`."""

CLIENT_SECRET_JWT_ALGORITHMS: tuple[str, ...] = ("HS256", "HS384", "HS512")
"""Algorithms accepted on client_secret_jwt client assertions."""


class TokenVerificationError(Exception):
    """A JWT that is malformed, signed with an unknown key, or badly signed."""


def verify_jwt(
    token: str,
    keys: KeySet | OctKey,
    algorithms: Iterable[str],
    registry: jws.JWSRegistry | None = None,
) -> tuple[JSONObject, JSONObject]:
    """Verify a compact JWS and return its header and claims (claims are not validated)."""
    algs = list(algorithms)
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", SecurityWarning)
            decoded = jwt.decode(token, keys, algorithms=algs, registry=registry)
    except (JoseError, ValueError, TypeError, KeyError) as exc:
        raise TokenVerificationError(str(exc) or type(exc).__name__) from exc
    return dict(decoded.header), dict(decoded.claims)


def client_key_set(jwks: JSONObject) -> KeySet:
    """A client's registered public keys (private_key_jwt)."""
    try:
        return KeySet.import_key_set(cast(Any, jwks))
    except (JoseError, ValueError, TypeError, KeyError) as exc:
        raise TokenVerificationError(f"unusable client jwks: {exc}") from exc


def verify_rsa_sha256(jwks: JSONObject, data: bytes, signature: bytes) -> bool:
    """Whether an RSA key of ``jwks`` made ``signature`` (PKCS#1 v1.5, SHA-256) over ``data``:
    SuperOffice's signed system tokens."""
    from cryptography.exceptions import InvalidSignature
    from cryptography.hazmat.primitives import hashes
    from cryptography.hazmat.primitives.asymmetric import padding

    for key in client_key_set(jwks).keys:
        if not isinstance(key, RSAKey):
            continue
        public: Any = key.public_key
        try:
            public.verify(signature, data, padding.PKCS1v15(), hashes.SHA256())
        except InvalidSignature:
            continue
        return True
    return False


def secret_key(secret: str) -> OctKey:
    """A client secret as a symmetric key (client_secret_jwt)."""
    return OctKey.import_key(secret.encode("utf-8"))


def unverified_claims(token: str) -> JSONObject:
    """The payload of a compact JWS, without checking its signature (to find the signer)."""
    try:
        claims = json.loads(jws.extract_compact(token.encode("ascii")).payload)
    except (JoseError, ValueError, UnicodeError) as exc:
        raise TokenVerificationError(str(exc) or type(exc).__name__) from exc
    if not isinstance(claims, dict):
        raise TokenVerificationError("the payload is not a JSON object")
    return claims


_PRIVATE_MEMBERS = frozenset({"d", "p", "q", "dp", "dq", "qi", "oth", "k"})


def public_jwk_thumbprint(jwk: Any) -> str:
    """The RFC 7638 SHA-256 thumbprint of a public asymmetric JWK (DPoP ``jkt``).

    Raises TokenVerificationError for a private or symmetric key, or one that will not import.
    """
    if not isinstance(jwk, dict):
        raise TokenVerificationError("jwk must be a JSON object")
    if _PRIVATE_MEMBERS & set(jwk):
        raise TokenVerificationError("jwk must be a public key (it has private members)")
    kty = jwk.get("kty")
    importer = ASYMMETRIC_IMPORTERS.get(str(kty))
    if importer is None:
        raise TokenVerificationError(f"jwk kty {kty!r} is not an asymmetric key type")
    try:
        return importer(jwk).thumbprint()
    except (JoseError, ValueError, TypeError, KeyError) as exc:
        raise TokenVerificationError(f"jwk is not a usable key: {exc}") from None


HEADER_JWK_MAX = 4096
"""Header bytes read from a JWS that carries its key (a DPoP proof): joserfc's default cap
of 512 refuses every RSA key from 2048 bits up (RFC 9449 allows any asymmetric key)."""


def _header_jwk_registry(algorithms: Iterable[str] | None = None) -> jws.JWSRegistry:
    registry = jws.JWSRegistry(algorithms=None if algorithms is None else list(algorithms))
    registry.max_header_length = HEADER_JWK_MAX
    return registry


def unverified_header(token: str) -> JSONObject:
    """The protected header of a compact JWS, without checking its signature."""
    try:
        registry = _header_jwk_registry()
        header = jws.extract_compact(token.encode("ascii"), registry=registry).protected
    except (JoseError, ValueError, UnicodeError) as exc:
        raise TokenVerificationError(str(exc) or type(exc).__name__) from exc
    return dict(header)


def verify_with_header_jwk(
    token: str, algorithms: Iterable[str]
) -> tuple[JSONObject, JSONObject, str]:
    """Header, claims and key thumbprint of a JWS signed by the public key in its own
    ``jwk`` header (a DPoP proof, RFC 9449 4.2); claims are not validated."""
    header = unverified_header(token)
    thumbprint = public_jwk_thumbprint(header.get("jwk"))
    try:
        key = KeySet.import_key_set({"keys": [header["jwk"]]})
    except (JoseError, ValueError, TypeError, KeyError) as exc:
        raise TokenVerificationError(f"jwk is not a usable key: {exc}") from None
    algs = list(algorithms)
    verified_header, claims = verify_jwt(token, key, algs, _header_jwk_registry(algs))
    return verified_header, claims, thumbprint
