"""What each ``broken_tokens`` defect does to a token: exactly one thing, and nothing else.

Claim defects (:func:`damage`) change one claim; signature defects (:func:`sign`) change
how the token is signed and nothing in its claims. The header a test's token hook wrote is
kept; a signature defect changes only its own member of it (``alg``, ``kid``, ``jwk``...).
docs/audit.md names the audit case each defect serves.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import secrets
from collections.abc import Callable

from mockidp.keys.ring import KeyRing, half_hash
from mockidp.types import JSONObject

SKEW = 600
"""Seconds beyond the token's validity window: more than any usual clock-skew leeway."""

WRONG_AUDIENCE = "urn:mockidp:wrong-audience"
UNTRUSTED_AUDIENCE = "urn:mockidp:untrusted-audience"
OTHER_SUBJECT = "mockidp-someone-else"
"""The ``sub`` a ``wrong_sub`` token names: nobody the scenario lists."""
ATTACKER_PATH = "/_mockidp/attacker"
"""Where a ``jku`` / ``x5u`` header points (under the issuer): the attacker's key."""

LOGOUT_TOKEN_ONLY = frozenset({"no_events", "wrong_event", "with_nonce"})
WRONG_EVENT = "https://schemas.openid.net/secevent/risc/event-type/sessions-revoked"
"""A Security Event that is not Back-Channel Logout's (a RISC event)."""

ID_TOKEN_ONLY = frozenset(
    {"wrong_nonce", "missing_nonce", "wrong_at_hash", "missing_at_hash"}
    | {"wrong_c_hash", "missing_c_hash"}
)

_MISSING = {
    "missing_issuer": "iss",
    "missing_audience": "aud",
    "missing_iat": "iat",
    "missing_sub": "sub",
    "missing_nonce": "nonce",
    "missing_at_hash": "at_hash",
    "missing_c_hash": "c_hash",
}


def _other_hash(alg: str) -> str:
    return half_hash("not-the-hashed-value-" + secrets.token_urlsafe(16), alg)


def damage(claims: JSONObject, defect: str | None, *, now: int, alg: str) -> JSONObject:
    """``claims`` with the claim-level part of ``defect`` applied (a copy)."""
    out = dict(claims)
    if defect is None:
        return out
    if defect in _MISSING:
        out.pop(_MISSING[defect], None)
    elif defect == "expired":
        out["exp"] = now - SKEW
    elif defect == "not_yet_valid":  # first, so validators report "not yet valid"
        out = {"nbf": now + SKEW, **out}
    elif defect == "issued_in_future":
        out["iat"] = now + SKEW
    elif defect == "wrong_audience":
        out["aud"] = WRONG_AUDIENCE
    elif defect == "extra_audience":  # Core 3.1.3.7 (3): an audience the client does not trust
        ours = out.get("aud")
        out["aud"] = [*(ours if isinstance(ours, list) else [ours]), UNTRUSTED_AUDIENCE]
        out.pop("azp", None)
    elif defect == "wrong_sub":  # Core 12.2: a refreshed ID token about someone else
        out["sub"] = OTHER_SUBJECT
    elif defect == "wrong_issuer":
        out["iss"] = str(out["iss"]).rstrip("/") + "/wrong-issuer"
    elif defect == "wrong_nonce" and "nonce" in out:  # no nonce requested: nothing to get wrong
        out["nonce"] = "wrong-" + secrets.token_urlsafe(16)
    elif defect == "wrong_at_hash":
        out["at_hash"] = _other_hash(alg)
    elif defect == "wrong_c_hash":
        out["c_hash"] = _other_hash(alg)
    elif defect == "no_events":
        out.pop("events", None)
    elif defect == "wrong_event":  # Back-Channel Logout 2.4: the one event it must carry
        out["events"] = {WRONG_EVENT: {}}
    elif defect == "with_nonce":  # Back-Channel Logout 2.4: a logout token has no nonce
        out["nonce"] = secrets.token_urlsafe(16)
    return out


def sign(
    keys: KeyRing,
    claims: JSONObject,
    *,
    typ: str,
    defect: str | None,
    header: JSONObject | None = None,
    secret: str | None = None,
) -> str:
    """The compact JWS of ``claims`` with the signature-level part of ``defect`` applied.

    ``header`` is a token hook's JOSE header (None: the key ring's); ``secret`` the
    client's secret (``bad_signature_hs256`` MACs with it, as an HS256 client expects).
    """
    base = dict(header) if header is not None else keys.header(typ=typ)
    signer = _SIGNERS.get(defect or "")
    if signer is None:
        return keys.sign_exactly(claims, base)
    return signer(keys, claims, base, secret)


Signer = Callable[[KeyRing, JSONObject, JSONObject, "str | None"], str]


def _bad_signature(keys: KeyRing, claims: JSONObject, header: JSONObject, _: str | None) -> str:
    return alter_signature(keys.sign_exactly(claims, header))


def _bad_hs256(keys: KeyRing, claims: JSONObject, header: JSONObject, secret: str | None) -> str:
    key = (secret or secrets.token_urlsafe(32)).encode("utf-8")
    head = {k: v for k, v in header.items() if k not in ("kid", "x5t")}
    return alter_signature(hmac_jws(claims, head, key))


def _wrong_alg(keys: KeyRing, claims: JSONObject, header: JSONObject, secret: str | None) -> str:
    """A valid HS256 MAC with the client's secret: an algorithm the client never asked for."""
    key = (secret or secrets.token_urlsafe(32)).encode("utf-8")
    return hmac_jws(claims, {k: v for k, v in header.items() if k not in ("kid", "x5t")}, key)


def _alg_none(keys: KeyRing, claims: JSONObject, header: JSONObject, _: str | None) -> str:
    return f"{_b64_json({**header, 'alg': 'none'})}.{_b64_json(claims)}."


def _unknown_kid(keys: KeyRing, claims: JSONObject, header: JSONObject, _: str | None) -> str:
    key = keys.unpublished_key()
    return keys.sign_exactly_with(key, claims, {**header, "kid": key["kid"]})


def _rotating_key(keys: KeyRing, claims: JSONObject, header: JSONObject, _: str | None) -> str:
    kid = rotating_kid(keys)
    if kid is None:
        return keys.sign_exactly(claims, header)
    return keys.sign_exactly(claims, {**header, "kid": kid}, key=kid)


def _fresh_key(keys: KeyRing, claims: JSONObject, header: JSONObject, _: str | None) -> str:
    """A key the JWKS lists only from this token on: a cached JWKS must be fetched again."""
    key = keys.fresh_key()
    keys.reveal(key)
    return keys.sign_exactly_with(key, claims, {**header, "kid": key["kid"]})


def _no_kid(keys: KeyRing, claims: JSONObject, header: JSONObject, _: str | None) -> str:
    return keys.sign_exactly(claims, {k: v for k, v in header.items() if k != "kid"})


def _key_confusion(keys: KeyRing, claims: JSONObject, header: JSONObject, _: str | None) -> str:
    """RFC 8725 2.1: HS256 keyed with the public key a verifier holds for RS256/ES256."""
    return hmac_jws(claims, {**header, "alg": "HS256"}, keys.public_pem())


def _attacker_header(member: str) -> Signer:
    """Signed by a key of the attacker's, which a header member offers as the key to use."""

    def signer(keys: KeyRing, claims: JSONObject, header: JSONObject, _: str | None) -> str:
        key = keys.unpublished_key()
        head: JSONObject = {**header, "kid": key["kid"]}
        if member == "jwk":
            head["jwk"] = {k: v for k, v in KeyRing.public_of(key).items() if k != "use"}
        else:
            name = "jwks.json" if member == "jku" else "cert.pem"
            head[member] = f"{str(claims.get('iss', '')).rstrip('/')}{ATTACKER_PATH}/{name}"
        return keys.sign_exactly_with(key, claims, head)

    return signer


_SIGNERS: dict[str, Signer] = {
    "bad_signature": _bad_signature,
    "bad_signature_hs256": _bad_hs256,
    "wrong_alg": _wrong_alg,
    "alg_none": _alg_none,
    "unknown_kid": _unknown_kid,
    "rotating_key": _rotating_key,
    "fresh_key": _fresh_key,
    "no_kid": _no_kid,
    "key_confusion": _key_confusion,
    "jwk_header": _attacker_header("jwk"),
    "jku_header": _attacker_header("jku"),
    "x5u_header": _attacker_header("x5u"),
}


def rotating_kid(keys: KeyRing) -> str | None:
    """The published, non-signing key a ``rotating_key`` token is signed with, if any.

    The key the rotation timeline retires next, else another published key; one of the
    signing key's algorithm first (so ``at_hash`` keeps its hash). None when the JWKS
    publishes only the signing key: the token is then signed normally.
    """
    signing = keys.kid
    algs = {str(k.get("kid")): k.get("alg") for k in keys.jwks()["keys"]}
    retiring = keys.retiring_kid()
    candidates = [kid for kid in (retiring, *keys.published_kids()) if kid and kid != signing]
    same_alg = [kid for kid in candidates if algs.get(kid) == keys.alg]
    chosen = same_alg or candidates
    return chosen[0] if chosen else None


def hmac_jws(claims: JSONObject, header: JSONObject, key: bytes) -> str:
    """A compact JWS MACed with HMAC-SHA-256 under ``key`` (header ``alg`` HS256)."""
    signing_input = f"{_b64_json({**header, 'alg': 'HS256'})}.{_b64_json(claims)}"
    mac = hmac.new(key, signing_input.encode("ascii"), hashlib.sha256).digest()
    return f"{signing_input}.{_b64encode(mac)}"


def unsigned_jwt(claims: JSONObject, *, typ: str) -> str:
    """An unsecured JWT (RFC 7519 6): ``alg: none`` and an empty signature."""
    return f"{_b64_json({'alg': 'none', 'typ': typ})}.{_b64_json(claims)}."


def alter_signature(token: str) -> str:
    """``token`` with one bit of its signature flipped: same structure and length."""
    head, payload, signature = token.split(".")
    raw = bytearray(_b64decode(signature))
    raw[len(raw) // 2] ^= 0x01
    return f"{head}.{payload}.{_b64encode(bytes(raw))}"


def _b64_json(value: JSONObject) -> str:
    return _b64encode(json.dumps(value, separators=(",", ":")).encode("utf-8"))


def _b64encode(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def _b64decode(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))
