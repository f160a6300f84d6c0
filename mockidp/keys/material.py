"""Key material: private JWKs imported (RFC 7517), the packaged test keys, certificates.

Fixed test keys ship as package data (``keydata/``) so start-up never generates RSA
keys and every process, container and restart signs with the same key. A key without a
``kid`` is named by its RFC 7638 thumbprint; a key published with a certificate carries
``x5c`` and ``x5t`` (RFC 7517 4.7 and 4.8).
"""

from __future__ import annotations

import base64
import hashlib
import json
from collections.abc import Callable
from functools import cache
from importlib import resources
from typing import Any, TypeAlias, cast

from joserfc.errors import JoseError
from joserfc.jwk import ECKey, OKPKey, RSAKey

from mockidp.types import JSONObject

SIGNING_ALGORITHMS: tuple[str, ...] = ("RS256", "ES256", "EdDSA")
"""Algorithms a scenario may choose for the tokens the provider signs."""

PACKAGED_KEY_FOR_ALG = {"RS256": "rsa-1", "ES256": "ec-p256-1", "EdDSA": "ed25519-1"}
"""The packaged key that signs by default for each signing algorithm."""

PACKAGED_ALG = {"rsa-1": "RS256", "rsa-2": "RS256", "ec-p256-1": "ES256", "ed25519-1": "EdDSA"}
"""Every packaged key (``keydata/<name>.json``) and the algorithm it signs with."""

Key: TypeAlias = RSAKey | ECKey | OKPKey  # explicit: mypy may meet it mid-import-cycle
"""An imported asymmetric key."""


@cache
def packaged_key_dict(name: str) -> JSONObject:
    """The private JWK of the packaged key ``name`` (read once per process)."""
    data = (
        resources.files("mockidp.keys")
        .joinpath("keydata")
        .joinpath(f"{name}.json")
        .read_text("utf-8")
    )
    loaded: JSONObject = json.loads(data)
    return loaded


_IMPORTED_KEYS: dict[str, Key] = {}
_IMPORTED_KEYS_MAX = 64


def import_private_key(data: JSONObject) -> Key:
    """The key in JWK ``data``, imported once per process for the same JWK.

    Importing an RSA private key validates it, which costs tens of milliseconds; test
    suites build a fresh provider (and key ring) per test, so the imported key, which is
    never mutated, is reused for a JWK of the same members in the same order.
    """
    try:
        cache_key = json.dumps(data)
    except (TypeError, ValueError):
        return _import_key_now(data)
    key = _IMPORTED_KEYS.get(cache_key)
    if key is None:
        key = _import_key_now(data)
        if len(_IMPORTED_KEYS) < _IMPORTED_KEYS_MAX:
            _IMPORTED_KEYS[cache_key] = key
    return key


_RSA_PRIVATE_MEMBERS = ("n", "e", "d", "p", "q", "dp", "dq", "qi")


def _packaged_rsa_key(data: JSONObject) -> RSAKey | None:
    """``data`` imported without OpenSSL's RSA key check when it is one of the packaged
    RSA keys (which tests/hosting/test_cold_start.py imports with the check), else None.

    The check costs tens of milliseconds, the largest part of a cold start (a Lambda
    container, a test session); a user's own keys are always checked.
    """
    for name, alg in PACKAGED_ALG.items():
        if alg != "RS256":
            continue
        packaged = packaged_key_dict(name)
        if all(data.get(m) == packaged.get(m) for m in _RSA_PRIVATE_MEMBERS):
            from cryptography.hazmat.primitives.asymmetric.rsa import (
                RSAPrivateNumbers,
                RSAPublicNumbers,
            )

            def number(member: str) -> int:
                return int.from_bytes(base64.urlsafe_b64decode(str(data[member]) + "=="), "big")

            numbers = RSAPrivateNumbers(
                p=number("p"),
                q=number("q"),
                d=number("d"),
                dmp1=number("dp"),
                dmq1=number("dq"),
                iqmp=number("qi"),
                public_numbers=RSAPublicNumbers(number("e"), number("n")),
            )
            RSAKey.validate_dict_key(cast(Any, data))
            raw = numbers.private_key(unsafe_skip_rsa_key_validation=True)
            return RSAKey(raw, data)
    return None


ASYMMETRIC_IMPORTERS: dict[str, Callable[[Any], Key]] = {
    "RSA": RSAKey.import_key,
    "EC": ECKey.import_key,
    "OKP": OKPKey.import_key,
}
"""joserfc's importer for each asymmetric ``kty``."""


def _import_key_now(data: JSONObject) -> Key:
    kty = data.get("kty")
    if kty == "RSA" and (packaged := _packaged_rsa_key(data)) is not None:
        return packaged
    importer = ASYMMETRIC_IMPORTERS.get(str(kty))
    if importer is None:
        raise ValueError(f"unsupported key type {kty!r}")
    return importer(data)


_KEY_TYPE_FOR_ALG: dict[str, tuple[str, str | None]] = {
    "RS256": ("RSA", None),
    "ES256": ("EC", "P-256"),
    "EdDSA": ("OKP", "Ed25519"),
}


def default_key_alg(data: JSONObject) -> str:
    """The signing algorithm a JWK implies: its ``alg``, or else the one its type suits."""
    alg = data.get("alg")
    if isinstance(alg, str) and alg:
        return alg
    for candidate, (kty, crv) in _KEY_TYPE_FOR_ALG.items():
        if data.get("kty") == kty and (crv is None or data.get("crv") == crv):
            return candidate
    return "RS256"


def resolve_key(
    *,
    packaged: str | None = None,
    jwk: JSONObject | None = None,
    kid: str | None = None,
    alg: str | None = None,
) -> JSONObject:
    """A private signing JWK with its ``kid`` and ``alg`` set: a packaged key or ``jwk``.

    ``kid`` defaults to the JWK's own, else its RFC 7638 thumbprint; ``alg`` to the
    JWK's own, else the one its key type suits. Raises ValueError saying what is wrong
    (unknown packaged name, not a private key, an algorithm the key cannot do).
    """
    if (packaged is None) == (jwk is None):
        raise ValueError("give exactly one of packaged or jwk")
    if packaged is not None:
        if packaged not in PACKAGED_ALG:
            raise ValueError(f"no packaged key {packaged!r}; known: {', '.join(PACKAGED_ALG)}")
        data = dict(packaged_key_dict(packaged))
    else:
        data = dict(cast(JSONObject, jwk))
    data["alg"] = alg or default_key_alg(data)
    if data["alg"] not in SIGNING_ALGORITHMS:
        raise ValueError(f"alg must be one of {', '.join(SIGNING_ALGORITHMS)}")
    kty, crv = _KEY_TYPE_FOR_ALG[data["alg"]]
    if data.get("kty") != kty or (crv is not None and data.get("crv") != crv):
        need = f"{kty} key" + (f" on curve {crv}" if crv else "")
        raise ValueError(f"{data['alg']} needs an {need}")
    try:
        key = import_private_key(data)
    except (JoseError, ValueError, TypeError, KeyError) as exc:
        raise ValueError(f"not a usable JWK: {exc or type(exc).__name__}") from None
    if not key.is_private:
        raise ValueError("a signing key must be a private JWK")
    data["kid"] = kid or data.get("kid") or key.thumbprint()
    data.setdefault("use", "sig")
    return data


@cache
def generated_key(alg: str, purpose: str = "") -> JSONObject:
    """A private JWK for ``alg``, generated once per process for each ``purpose``."""
    key: Key
    if alg == "ES256":
        key = ECKey.generate_key("P-256")
    elif alg == "EdDSA":
        key = OKPKey.generate_key("Ed25519")
    else:
        key = RSAKey.generate_key(2048)
    return dict(key.as_dict(private=True))


def public_jwk(data: JSONObject) -> JSONObject:
    """The public half of the private JWK ``data``, with its ``kid``, ``alg`` and ``use``."""
    public = dict(import_private_key(data).as_dict(private=False))
    for member in ("kid", "alg", "use"):
        if member in data:
            public[member] = data[member]
    return public


def certificate_members(data: JSONObject, private: Key) -> tuple[str, JSONObject]:
    """A self-signed certificate for the key ``data`` (imported as ``private``): its
    uppercase hex SHA-1 thumbprint, and the JWK members that carry it, ``x5t`` and ``x5c``."""
    der = _certificate(json.dumps(data, sort_keys=True), private)
    digest = hashlib.sha1(der).digest()  # x5t is SHA-1 by definition (RFC 7515 4.1.7)
    x5t = base64.urlsafe_b64encode(digest).rstrip(b"=").decode("ascii")
    return digest.hex().upper(), {"x5t": x5t, "x5c": [base64.b64encode(der).decode("ascii")]}


_CERTIFICATES: dict[str, bytes] = {}


def _certificate(cache_key: str, private: Key) -> bytes:
    """A self-signed certificate (DER) for ``private``: fixed names, serial and validity,
    so an RSA key's certificate (and x5t) is the same in every process."""
    der = _CERTIFICATES.get(cache_key)
    if der is not None:
        return der
    from datetime import UTC, datetime

    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.x509.oid import NameOID

    key: Any = private.private_key
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "mockidp test signing key")])
    builder = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(1)
        .not_valid_before(datetime(2020, 1, 1, tzinfo=UTC))
        .not_valid_after(datetime(2050, 1, 1, tzinfo=UTC))
    )
    ed = isinstance(private, OKPKey)
    cert = builder.sign(key, None if ed else hashes.SHA256())
    der = cert.public_bytes(serialization.Encoding.DER)
    if len(_CERTIFICATES) < _IMPORTED_KEYS_MAX:
        _CERTIFICATES[cache_key] = der
    return der
