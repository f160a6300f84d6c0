"""RFC 7515 compact serialization for the provider's own headers, signed in one step.

joserfc's ``jwt.encode`` spends ~20 us a token around the signature (claims conversion,
two ``json.dumps``, registry checks, key look-ups); a grant signs one or two tokens on
every request. For the headers the provider writes itself (``alg``, ``kid``, ``typ``,
``x5t``) and plain JSON claims, this module writes the same bytes with msgspec and signs
them with the key's cryptography object directly. Anything else (a token hook's own
header members, claims msgspec cannot write exactly as ``json`` would) returns None, and
the caller signs through joserfc as before.
"""

from __future__ import annotations

import base64
import datetime
from collections.abc import Callable

import msgspec
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec, padding, rsa
from cryptography.hazmat.primitives.asymmetric.utils import decode_dss_signature

from mockidp.keys.material import Key
from mockidp.types import JSONObject

Signer = Callable[[bytes], bytes]

_HASHES: dict[str, type[hashes.HashAlgorithm]] = {
    "256": hashes.SHA256,
    "384": hashes.SHA384,
    "512": hashes.SHA512,
}
_ENCODE = msgspec.json.Encoder().encode
_TIMES = ("exp", "iat", "nbf")  # joserfc turns datetimes here into seconds; json never does


def raw_signer(key: Key, alg: str) -> Signer | None:
    """A function signing a JWS signing input with ``key`` for ``alg`` (RFC 7518 3.3-3.5),
    or None for an algorithm left to joserfc."""
    private = key.private_key
    family, bits = alg[:2], alg[2:]
    digest = _HASHES.get(bits)
    if digest is None:
        return None
    if family == "RS" and isinstance(private, rsa.RSAPrivateKey):
        return lambda data: private.sign(data, padding.PKCS1v15(), digest())
    if family == "PS" and isinstance(private, rsa.RSAPrivateKey):
        pss = padding.PSS(padding.MGF1(digest()), padding.PSS.DIGEST_LENGTH)  # RFC 7518 3.5
        return lambda data: private.sign(data, pss, digest())
    if family == "ES" and isinstance(private, ec.EllipticCurvePrivateKey):
        size = (private.curve.key_size + 7) // 8
        algorithm = ec.ECDSA(digest())

        def sign_ec(data: bytes) -> bytes:  # JWS wants r || s, not DER (RFC 7518 3.4)
            r, s = decode_dss_signature(private.sign(data, algorithm))
            return r.to_bytes(size, "big") + s.to_bytes(size, "big")

        return sign_ec
    return None


def compact(header: JSONObject, claims: JSONObject, signer: Signer) -> str | None:
    """``claims`` signed under ``header``, or None when only joserfc writes them exactly.

    The header's members come in joserfc's order (``typ`` first), so a token reads the
    same whichever path signed it.
    """
    if any(isinstance(claims.get(name), datetime.datetime) for name in _TIMES):
        return None
    try:
        signing_input = _b64(_ENCODE({"typ": "JWT", **header})) + b"." + _b64(_ENCODE(claims))
    except (TypeError, msgspec.EncodeError, OverflowError):
        return None
    return (signing_input + b"." + _b64(signer(signing_input))).decode("ascii")


def _b64(data: bytes) -> bytes:
    return base64.urlsafe_b64encode(data).rstrip(b"=")
