"""The crypto seam: the only module that imports joserfc.

A :class:`KeyRing` holds the provider's signing keys. Fixed test keys ship as package
data (``keydata/``) so start-up never generates RSA keys and every process, container
and restart signs with the same key.
"""

from __future__ import annotations

import base64
import hashlib
import json
import warnings
from collections.abc import Callable, Iterable, Sequence
from functools import cache
from importlib import resources
from typing import Any, cast

from joserfc import jws, jwt
from joserfc.errors import JoseError, SecurityWarning
from joserfc.jwk import ECKey, KeySet, OctKey, OKPKey, RSAKey

from mockidp.types import JSONObject

SIGNING_ALGORITHMS: tuple[str, ...] = ("RS256", "ES256", "EdDSA")
"""Algorithms a scenario may choose for the tokens the provider signs."""

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
)
"""Algorithms accepted on private_key_jwt client assertions."""

CLIENT_SECRET_JWT_ALGORITHMS: tuple[str, ...] = ("HS256", "HS384", "HS512")
"""Algorithms accepted on client_secret_jwt client assertions."""

_PACKAGED_KEY_FOR_ALG = {"RS256": "rsa-1", "ES256": "ec-p256-1", "EdDSA": "ed25519-1"}

_Key = RSAKey | ECKey | OKPKey


class TokenVerificationError(Exception):
    """A JWT that is malformed, signed with an unknown key, or badly signed."""


@cache
def _packaged_key_dict(name: str) -> JSONObject:
    data = (
        resources.files("mockidp").joinpath("keydata").joinpath(f"{name}.json").read_text("utf-8")
    )
    loaded: JSONObject = json.loads(data)
    return loaded


def _import_private_key(data: JSONObject) -> _Key:
    kty = data.get("kty")
    importer: Callable[[JSONObject], _Key]
    if kty == "RSA":
        importer = RSAKey.import_key
    elif kty == "EC":
        importer = ECKey.import_key
    elif kty == "OKP":
        importer = OKPKey.import_key
    else:
        raise ValueError(f"unsupported key type {kty!r}")
    return importer(data)


def _hash_for_alg(alg: str) -> Callable[[bytes], Any]:
    if alg == "EdDSA":  # OpenID Connect Core errata: Ed25519 hashes with SHA-512
        return hashlib.sha512
    bits = alg[2:]
    return {"256": hashlib.sha256, "384": hashlib.sha384, "512": hashlib.sha512}[bits]


def half_hash(value: str, alg: str) -> str:
    """The left half of the hash of ``value``, base64url: at_hash and c_hash (OIDC 3.1.3.6)."""
    digest = _hash_for_alg(alg)(value.encode("ascii")).digest()
    return base64.urlsafe_b64encode(digest[: len(digest) // 2]).rstrip(b"=").decode("ascii")


class KeyRing:
    """The provider's keys: the one that signs, and every one the JWKS publishes."""

    def __init__(self, signing_key: JSONObject, *, published: Sequence[JSONObject] = ()) -> None:
        self._signing = _import_private_key(signing_key)
        self.alg: str = str(signing_key["alg"])
        if self.alg not in SIGNING_ALGORITHMS:
            raise ValueError(f"signing algorithm must be one of {SIGNING_ALGORITHMS}")
        self.kid: str = str(signing_key.get("kid") or self._signing.thumbprint())
        all_keys = [signing_key, *[k for k in published if k.get("kid") != self.kid]]
        self._public_jwks: JSONObject = {"keys": [_public_jwk(k) for k in all_keys]}
        self._verify_set = KeySet.import_key_set(cast(Any, self._public_jwks))
        self._header_base: JSONObject = {"alg": self.alg, "kid": self.kid}

    @classmethod
    def packaged(cls, alg: str = "RS256") -> KeyRing:
        """The fixed test key shipped with mockidp for ``alg``."""
        name = _PACKAGED_KEY_FOR_ALG.get(alg)
        if name is None:
            raise ValueError(f"signing algorithm must be one of {SIGNING_ALGORITHMS}")
        return cls(_packaged_key_dict(name))

    def jwks(self) -> JSONObject:
        """The public JWK Set (RFC 7517), private members stripped."""
        return self._public_jwks

    def sign(self, claims: JSONObject, *, typ: str = "JWT") -> str:
        """A compact JWS over ``claims`` with this ring's signing key."""
        header = {**self._header_base, "typ": typ}
        if self.alg != "EdDSA":
            return jwt.encode(header, claims, self._signing, algorithms=[self.alg])
        # joserfc warns that RFC 9864 deprecates "EdDSA"; scenarios still ask for it.
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", SecurityWarning)
            return jwt.encode(header, claims, self._signing, algorithms=[self.alg])

    def verify(self, token: str) -> tuple[JSONObject, JSONObject]:
        """Header and claims of a JWT signed by one of this ring's keys (claims unchecked)."""
        return verify_jwt(token, self._verify_set, [self.alg])


def _public_jwk(data: JSONObject) -> JSONObject:
    public = dict(_import_private_key(data).as_dict(private=False))
    for member in ("kid", "alg", "use"):
        if member in data:
            public[member] = data[member]
    return public


def verify_jwt(
    token: str, keys: KeySet | OctKey, algorithms: Iterable[str]
) -> tuple[JSONObject, JSONObject]:
    """Verify a compact JWS and return its header and claims (claims are not validated)."""
    algs = list(algorithms)
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", SecurityWarning)
            decoded = jwt.decode(token, keys, algorithms=algs)
    except (JoseError, ValueError, TypeError, KeyError) as exc:
        raise TokenVerificationError(str(exc) or type(exc).__name__) from exc
    return dict(decoded.header), dict(decoded.claims)


def client_key_set(jwks: JSONObject) -> KeySet:
    """A client's registered public keys (private_key_jwt)."""
    try:
        return KeySet.import_key_set(cast(Any, jwks))
    except (JoseError, ValueError, TypeError, KeyError) as exc:
        raise TokenVerificationError(f"unusable client jwks: {exc}") from exc


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
