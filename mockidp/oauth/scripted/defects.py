"""Broken tokens: an ID or access token issued with one scripted defect.

A scenario's ``broken_tokens`` rules name a token, a defect, the issuances they are
about (``match``: client, user, grant type, scopes, token request parameters) and which
of those calls (``when``, counted per rule over matching calls only), read by the rule
engine faults share (:mod:`mockidp.oauth.scripted.rules`). Each defect makes the token
fail a relying party's validation in exactly the named way and no other:

==============  ===========================================================================
expired         ``exp`` (and ``iat`` with it) :data:`SKEW` seconds in the past
not_yet_valid   ``nbf`` and ``iat`` :data:`SKEW` seconds in the future, ``exp`` a lifetime on
wrong_audience  ``aud`` is :data:`WRONG_AUDIENCE`
wrong_issuer    ``iss`` is the issuer with ``/wrong-issuer`` appended
wrong_nonce     ``nonce`` is a fresh random value (present even if the request sent none)
wrong_at_hash   ``at_hash`` is the hash of another value (ID tokens only)
bad_signature   a well-formed JWS whose signature bytes are altered
alg_none        unsigned: header ``{"alg": "none"}``, empty signature, no ``at_hash`` (it
                is hashed per ``alg``, and ``none`` has no hash; it is optional for codes)
unknown_kid     signed by a key the JWKS does not publish, under that key's own ``kid``
rotating_key    signed by a key the JWKS publishes now but that is not the current signing
                key: the key a ``key_rotation`` step retires, or else a published second key
==============  ===========================================================================

``rotating_key`` tokens verify against the JWKS published now, by ``kid``: a relying
party that picks the key by ``kid`` accepts them, one that verifies with the first key of
the JWKS (or the key earlier tokens carried) sees a bad signature. Once a rotation step
retires the key, a fresh JWKS no longer lists it and the token fails like
``unknown_kid``. Without such a step the key is the second published key of ``keys`` (the
loader requires two keys); when no other key is published at that moment, the token is
signed normally.

The provider itself honours what it issued: the record of a broken access token holds the
claims the token was meant to carry, so userinfo, introspection and revocation accept it
as a good one. The defects are for the relying party's (or resource server's) validation.
"""

from __future__ import annotations

import base64
import json
import secrets
from collections.abc import Collection, Mapping

from msgspec import Struct, field

from mockidp.keys.ring import KeyRing, half_hash
from mockidp.model.scenario import BrokenToken, Scenario, User
from mockidp.oauth.scripted.rules import applying
from mockidp.store.state import State
from mockidp.types import JSONObject

SKEW = 600
"""Seconds beyond the token's validity window: more than any usual clock-skew leeway."""

WRONG_AUDIENCE = "urn:mockidp:wrong-audience"
ID_TOKEN_ONLY = frozenset({"wrong_nonce", "wrong_at_hash"})


class Issuance(Struct, frozen=True):
    """An issuance of tokens as a rule's ``match`` sees it (:class:`rules.Facts`)."""

    endpoint: str
    grant_type: str
    client_id: str
    scopes: tuple[str, ...]
    user: User | None
    params: Mapping[str, str] = field(default_factory=dict)


def choose(
    state: State,
    scenario: Scenario,
    *,
    tokens: Collection[str],
    client_id: str,
    user: User | None,
    grant_type: str,
    scope: tuple[str, ...],
    params: Mapping[str, str],
    endpoint: str = "token",
) -> dict[str, str]:
    """The defect of each of ``tokens`` about to be issued, by token name.

    ``endpoint`` issues them: ``token``, or ``authorization`` for the tokens of an
    implicit or hybrid response (grant type ``implicit``).

    Every rule that matches counts the call (so ``when`` sees only matching calls; an
    issuance without the rule's token, say no ID token, is not a matching call); the
    first selected rule for a token decides its defect.
    """
    facts = Issuance(endpoint, grant_type, client_id, scope, user, params)
    rules = [
        (index, rule)
        for index, rule in enumerate(scenario.broken_tokens)
        if rule.token in tokens and _applies(rule, scenario)
    ]
    chosen: dict[str, str] = {}
    for rule in applying(state, scenario, "broken_tokens", rules, facts):
        chosen.setdefault(rule.token, rule.defect)
    return chosen


def _applies(rule: BrokenToken, scenario: Scenario) -> bool:
    """Whether the rule can break a token this scenario issues (opaque tokens have no JWS)."""
    if rule.token == "access_token":
        return scenario.access_token_format == "jwt" and rule.defect not in ID_TOKEN_ONLY
    return True


def damage(claims: JSONObject, defect: str | None, *, now: int, alg: str) -> JSONObject:
    """``claims`` with the claim-level part of ``defect`` applied (a copy)."""
    out = dict(claims)
    if defect is None:
        return out
    lifetime = int(out["exp"]) - int(out["iat"])
    if defect == "expired":
        out["exp"] = now - SKEW
        out["iat"] = out["exp"] - lifetime
    elif defect == "not_yet_valid":
        start = now + SKEW
        out = _with_nbf_before_iat(out, start)
        out["exp"] = start + lifetime
    elif defect == "wrong_audience":
        out["aud"] = WRONG_AUDIENCE
    elif defect == "wrong_issuer":
        out["iss"] = str(out["iss"]).rstrip("/") + "/wrong-issuer"
    elif defect == "wrong_nonce":
        out["nonce"] = "wrong-" + secrets.token_urlsafe(16)
    elif defect == "wrong_at_hash":
        out["at_hash"] = half_hash("not-the-access-token-" + secrets.token_urlsafe(16), alg)
    elif defect == "alg_none":  # at_hash is hashed per alg, and "none" has no hash: omitted
        out.pop("at_hash", None)
    return out


def _with_nbf_before_iat(claims: JSONObject, start: int) -> JSONObject:
    """Validators check claims in order: put ``nbf`` first so "not yet valid" is reported."""
    out: JSONObject = {}
    for name, value in claims.items():
        if name == "iat":
            out["nbf"] = start
            value = start
        out[name] = value
    return out


def sign(keys: KeyRing, claims: JSONObject, *, typ: str, defect: str | None) -> str:
    """The compact JWS of ``claims`` with the signature-level part of ``defect`` applied."""
    if defect == "alg_none":
        return unsigned_jwt(claims, typ=typ)
    if defect == "unknown_kid":
        return keys.sign_with(keys.unpublished_key(), claims, typ=typ)
    if defect == "rotating_key":
        kid = rotating_kid(keys)
        if kid is not None:
            return keys.sign_with(kid, claims, typ=typ)
    token = keys.sign(claims, typ=typ)
    if defect == "bad_signature":
        return alter_signature(token)
    return token


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
