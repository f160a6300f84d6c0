"""A public JWK (RFC 7517) as a base64 SubjectPublicKeyInfo (RFC 5280 4.1.2.7), the
form Keycloak's realm document gives its ``public_key`` in (PEM without its armour)."""

from __future__ import annotations

import base64

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec, ed25519, rsa
from cryptography.hazmat.primitives.asymmetric.types import PublicKeyTypes

from mockidp.types import JSONObject

_CURVES: dict[str, ec.EllipticCurve] = {
    "P-256": ec.SECP256R1(),
    "P-384": ec.SECP384R1(),
    "P-521": ec.SECP521R1(),
}


def _int(value: object) -> int:
    text = str(value)
    return int.from_bytes(base64.urlsafe_b64decode(text + "=" * (-len(text) % 4)), "big")


def _bytes(value: object) -> bytes:
    text = str(value)
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def spki_base64(jwk: JSONObject) -> str:
    """The key's DER SubjectPublicKeyInfo, base64 (ValueError for a key type it lacks)."""
    key: PublicKeyTypes
    kty = jwk.get("kty")
    if kty == "RSA":
        key = rsa.RSAPublicNumbers(_int(jwk["e"]), _int(jwk["n"])).public_key()
    elif kty == "EC" and jwk.get("crv") in _CURVES:
        curve = _CURVES[str(jwk["crv"])]
        key = ec.EllipticCurvePublicNumbers(_int(jwk["x"]), _int(jwk["y"]), curve).public_key()
    elif kty == "OKP" and jwk.get("crv") == "Ed25519":
        key = ed25519.Ed25519PublicKey.from_public_bytes(_bytes(jwk["x"]))
    else:
        raise ValueError(f"no SubjectPublicKeyInfo for a {kty} key")
    der = key.public_bytes(
        serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    return base64.b64encode(der).decode("ascii")
