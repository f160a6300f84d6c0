"""Each defect changes exactly one thing: the claims or the header differ from a good
token's in that one place, and the signature verifies (or not) as the defect says."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
from typing import Any

import pytest
from joserfc import jws, jwt
from joserfc.errors import BadSignatureError
from joserfc.jwk import KeySet

from mockidp.keys.ring import KeyRing
from mockidp.oauth.scripted.effects import (
    ATTACKER_PATH,
    SKEW,
    UNTRUSTED_AUDIENCE,
    damage,
    sign,
)

NOW = 1_800_000_000
CLAIMS: dict[str, Any] = {
    "iss": "https://idp.example",
    "sub": "alice",
    "aud": "client",
    "azp": "client",
    "iat": NOW,
    "exp": NOW + 3600,
    "nonce": "n-0S6",
    "at_hash": "77QmUPtjPfzWtF2AnpK9RQ",
    "c_hash": "LDktKdoQak3Pk0cnXxCltA",
}


def _parts(token: str) -> tuple[dict[str, Any], dict[str, Any], bytes]:
    head, payload, signature = token.split(".")

    def raw(text: str) -> bytes:
        return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))

    return json.loads(raw(head)), json.loads(raw(payload)), raw(signature)


def _changed(before: dict[str, Any], after: dict[str, Any]) -> set[str]:
    return {k for k in before.keys() | after.keys() if before.get(k) != after.get(k)}


@pytest.mark.parametrize(
    ("defect", "claim"),
    [
        ("expired", "exp"),
        ("not_yet_valid", "nbf"),
        ("issued_in_future", "iat"),
        ("wrong_audience", "aud"),
        ("wrong_issuer", "iss"),
        ("wrong_nonce", "nonce"),
        ("wrong_at_hash", "at_hash"),
        ("wrong_c_hash", "c_hash"),
        ("missing_issuer", "iss"),
        ("missing_audience", "aud"),
        ("missing_iat", "iat"),
        ("missing_sub", "sub"),
        ("wrong_sub", "sub"),
        ("missing_nonce", "nonce"),
        ("missing_at_hash", "at_hash"),
        ("missing_c_hash", "c_hash"),
    ],
)
def test_a_claim_defect_changes_its_one_claim(defect: str, claim: str) -> None:
    out = damage(CLAIMS, defect, now=NOW, alg="RS256")
    assert _changed(CLAIMS, out) == {claim}
    if defect.startswith("missing_"):
        assert claim not in out
    if defect in ("expired", "not_yet_valid", "issued_in_future"):
        assert abs(out[claim] - NOW) == SKEW


def test_an_extra_audience_keeps_the_client_and_drops_azp() -> None:
    out = damage(CLAIMS, "extra_audience", now=NOW, alg="RS256")
    assert out["aud"] == ["client", UNTRUSTED_AUDIENCE]
    assert "azp" not in out
    assert _changed(CLAIMS, out) == {"aud", "azp"}


def test_wrong_nonce_adds_none_the_request_never_sent() -> None:
    without = {k: v for k, v in CLAIMS.items() if k != "nonce"}
    assert damage(without, "wrong_nonce", now=NOW, alg="RS256") == without


RING = KeyRing.packaged()
HOOKED = {**RING.header(typ="JWT"), "x-hook": "kept"}


def _verify(token: str, keys: KeyRing = RING) -> dict[str, Any]:
    lenient = jws.JWSRegistry(strict_check_header=False)  # the hook's own header member
    return dict(jwt.decode(token, KeySet.import_key_set(keys.jwks()), registry=lenient).claims)


def test_a_good_token_keeps_a_hooks_header() -> None:
    header, _, _ = _parts(sign(RING, CLAIMS, typ="JWT", defect=None, header=HOOKED))
    assert header == HOOKED


def test_bad_signature_keeps_the_hooks_header_and_alters_the_signature() -> None:
    token = sign(RING, CLAIMS, typ="JWT", defect="bad_signature", header=HOOKED)
    header, claims, _ = _parts(token)
    assert (header, claims) == (HOOKED, CLAIMS)
    with pytest.raises(BadSignatureError):
        _verify(token)


def test_alg_none_changes_the_alg_alone() -> None:
    header, claims, signature = _parts(
        sign(RING, CLAIMS, typ="JWT", defect="alg_none", header=HOOKED)
    )
    assert header == {**HOOKED, "alg": "none"}
    assert (claims, signature) == (CLAIMS, b"")


def test_no_kid_drops_the_kid_and_verifies_with_the_one_key() -> None:
    token = sign(RING, CLAIMS, typ="JWT", defect="no_kid")
    header, _, _ = _parts(token)
    assert header == {k: v for k, v in RING.header(typ="JWT").items() if k != "kid"}
    key = KeySet.import_key_set(RING.jwks()).keys[0]
    assert dict(jwt.decode(token, key).claims) == CLAIMS


def test_hs256_bad_signature_is_keyed_by_the_client_secret() -> None:
    token = sign(RING, CLAIMS, typ="JWT", defect="bad_signature_hs256", secret="s3cret")
    header, claims, mac = _parts(token)
    assert header["alg"] == "HS256" and "kid" not in header and claims == CLAIMS
    signing_input = token.rsplit(".", 1)[0].encode("ascii")
    good = hmac.new(b"s3cret", signing_input, hashlib.sha256).digest()
    assert mac != good and len(mac) == len(good)
    assert sum(a != b for a, b in zip(mac, good, strict=True)) == 1  # one byte altered


def test_key_confusion_is_an_hmac_keyed_with_the_public_pem() -> None:
    token = sign(RING, CLAIMS, typ="JWT", defect="key_confusion")
    header, _, mac = _parts(token)
    assert header == {**RING.header(typ="JWT"), "alg": "HS256"}
    signing_input = token.rsplit(".", 1)[0].encode("ascii")
    assert mac == hmac.new(RING.public_pem(), signing_input, hashlib.sha256).digest()


@pytest.mark.parametrize("member", ["jwk", "jku", "x5u"])
def test_attacker_headers_name_a_key_the_jwks_does_not_publish(member: str) -> None:
    token = sign(RING, CLAIMS, typ="JWT", defect=f"{member}_header")
    header, claims, _ = _parts(token)
    assert claims == CLAIMS
    assert header["kid"] not in {k["kid"] for k in RING.jwks()["keys"]}
    if member == "jwk":  # the embedded key verifies it: only a trusting verifier accepts
        roomy = jws.JWSRegistry()
        roomy.max_header_length = 8192  # an RSA key in the header is past joserfc's limit
        embedded = KeySet.import_key_set({"keys": [header["jwk"]]})
        assert dict(jwt.decode(token, embedded, registry=roomy).claims) == CLAIMS
        assert "d" not in header["jwk"]
    else:
        assert header[member].startswith(f"https://idp.example{ATTACKER_PATH}/")


def test_fresh_key_is_published_from_its_token_on() -> None:
    ring = KeyRing.packaged()
    before = {k["kid"] for k in ring.jwks()["keys"]}
    token = sign(ring, CLAIMS, typ="JWT", defect="fresh_key")
    header, _, _ = _parts(token)
    assert header["kid"] not in before
    assert {k["kid"] for k in ring.jwks()["keys"]} == before | {header["kid"]}
    assert _verify(token, ring) == CLAIMS


LOGOUT: dict[str, Any] = {
    "iss": "https://idp.example",
    "aud": "client",
    "iat": NOW,
    "jti": "j",
    "sid": "s",
    "events": {"http://schemas.openid.net/event/backchannel-logout": {}},
}


@pytest.mark.parametrize(
    ("defect", "claim"),
    [("no_events", "events"), ("wrong_event", "events"), ("with_nonce", "nonce")],
)
def test_a_logout_token_defect_changes_its_one_claim(defect: str, claim: str) -> None:
    out = damage(LOGOUT, defect, now=NOW, alg="RS256")
    assert _changed(LOGOUT, out) == {claim}
    if defect == "wrong_event":
        assert "http://schemas.openid.net/event/backchannel-logout" not in out["events"]


def test_wrong_alg_is_a_valid_hs256_mac_keyed_by_the_client_secret() -> None:
    token = sign(RING, LOGOUT, typ="logout+jwt", defect="wrong_alg", secret="s3cret")
    header, claims, mac = _parts(token)
    assert header == {"typ": "logout+jwt", "alg": "HS256"} and claims == LOGOUT
    signing_input = token.rsplit(".", 1)[0].encode("ascii")
    assert mac == hmac.new(b"s3cret", signing_input, hashlib.sha256).digest()


@pytest.mark.parametrize("alg", ["RS256", "ES256"])
@pytest.mark.parametrize("attack", ["unknown_kid", "jku_header", "x5u_header", "jwk_header"])
def test_once_fresh_key_published_its_key_the_attackers_tokens_still_verify_with_none(
    alg: str, attack: str
) -> None:
    """fresh_key publishes its key from the token it signs on. The tokens that must fail
    (an unknown kid, a header pointing at the attacker's key) must still verify with no
    published key, even for an app that tries every key whatever the kid."""
    from joserfc.jwk import import_key

    from mockidp.keys.ring import KeyRing
    from mockidp.oauth.scripted import effects

    ring = KeyRing.packaged(alg)
    # a jwk header is larger than joserfc's default limit; the header is not what is checked
    registry = jws.JWSRegistry(algorithms=[alg], strict_check_header=False)
    registry.max_header_length = 4096
    claims = {"iss": "https://idp.example", "sub": "alice"}
    effects.sign(ring, claims, typ="JWT", defect="fresh_key")
    published = ring.jwks()["keys"]
    assert any(k["kid"].startswith("mockidp-fresh-") for k in published)
    token = effects.sign(ring, claims, typ="JWT", defect=attack)
    for key in published:
        with pytest.raises(BadSignatureError):
            jws.deserialize_compact(token, import_key(key), registry=registry)
