"""mockidp.keys.compact: the provider's own tokens signed without joserfc's encoder,
byte for byte what joserfc writes, and verifiable by joserfc for every algorithm."""

from __future__ import annotations

import datetime

import pytest
from joserfc import jwt
from joserfc.jwk import ECKey, RSAKey

from mockidp.keys.compact import compact, raw_signer
from mockidp.keys.material import Key

CLAIMS = {"iss": "https://idp.example", "sub": "alice", "aud": ["app"], "exp": 1900000000}
HEADER = {"alg": "", "kid": "k1", "typ": "JWT"}

RSA = RSAKey.generate_key(2048)
KEYS: dict[str, Key] = {
    "RS256": RSA,
    "RS384": RSA,
    "RS512": RSA,
    "PS256": RSA,
    "PS512": RSA,
    "ES256": ECKey.generate_key("P-256"),
    "ES384": ECKey.generate_key("P-384"),
    "ES512": ECKey.generate_key("P-521"),
}


@pytest.mark.parametrize("alg", sorted(KEYS))
def test_joserfc_verifies_every_algorithm(alg: str) -> None:
    key = KEYS[alg]
    signer = raw_signer(key, alg)
    assert signer is not None
    token = compact({**HEADER, "alg": alg}, CLAIMS, signer)
    assert token is not None
    decoded = jwt.decode(token, key, algorithms=[alg])
    assert decoded.claims == CLAIMS
    assert decoded.header == {**HEADER, "alg": alg}


@pytest.mark.parametrize("alg", ["RS256", "RS512"])
def test_deterministic_signatures_match_joserfc_byte_for_byte(alg: str) -> None:
    claims = {**CLAIMS, "name": "Zoë Ñandú", "nested": {"a": [1, 2.5, None, True]}}
    header = {**HEADER, "alg": alg}
    ours = compact(header, claims, raw_signer(RSA, alg))  # type: ignore[arg-type]
    assert ours == jwt.encode(header, claims, RSA, algorithms=[alg])


def test_algorithms_left_to_joserfc_get_no_signer() -> None:
    assert raw_signer(RSA, "EdDSA") is None
    assert raw_signer(RSA, "HS256") is None
    assert raw_signer(RSA, "ES256") is None  # an RSA key cannot sign ES256


def test_datetimes_in_time_claims_are_left_to_joserfc() -> None:
    """joserfc writes a datetime ``exp`` as seconds; msgspec would write a string."""
    claims = {**CLAIMS, "exp": datetime.datetime(2030, 1, 1, tzinfo=datetime.UTC)}
    assert compact({**HEADER, "alg": "RS256"}, claims, raw_signer(RSA, "RS256")) is None  # type: ignore[arg-type]


def test_what_json_cannot_write_is_left_to_joserfc() -> None:
    assert compact({**HEADER, "alg": "RS256"}, {"x": object()}, raw_signer(RSA, "RS256")) is None  # type: ignore[arg-type]
