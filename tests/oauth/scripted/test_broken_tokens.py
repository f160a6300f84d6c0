"""broken_tokens: ID and access tokens issued with one defect each.

Every defect is checked the way a relying party checks tokens: the signature with
joserfc against the published JWKS, the ID token's claims with Authlib's CodeIDToken,
an access token's claims as RFC 9068 says (iss, aud, exp, nbf, iat). Each must fail in
exactly the named way, and pass once that one thing is put right.
"""

from __future__ import annotations

import base64
import json
from typing import Any, cast

import pytest
from authlib.oidc.core import CodeIDToken
from joserfc.errors import (
    BadSignatureError,
    ClaimError,
    ExpiredTokenError,
    InvalidClaimError,
    InvalidKeyIdError,
    JoseError,
    UnsupportedAlgorithmError,
)
from joserfc.jwk import KeySet, RSAKey
from joserfc.jwt import JWTClaimsRegistry

from mockidp.errors import ScenarioError
from mockidp.keys.material import resolve_key
from mockidp.keys.ring import half_hash
from mockidp.oauth.scripted.defects import SKEW, WRONG_AUDIENCE
from mockidp.scenario.loader import load_scenario
from tests.conftest import IdP
from tests.support.e2e import CONFIDENTIAL, PUBLIC, decode_jwt, provider_key_set, validated_id_token
from tests.support.issuance import (
    Tokens,
    code_flow,
    introspect,
    load_example,
    make_idp,
    password_grant,
    refresh,
    scenario,
    second_confidential_client,
    userinfo,
)

pytestmark = pytest.mark.anyio

ID_TOKEN_LIFETIME = 3600


def _broken(*rules: dict[str, Any], **sections: Any) -> dict[str, Any]:
    data = scenario(broken_tokens=list(rules), **sections)
    data["clients"].append(second_confidential_client())
    return data


def _validate_id_token(idp: IdP, tokens: Tokens) -> CodeIDToken:
    """The relying party's whole check (e2e_support): signature, then Authlib's claims check."""
    return validated_id_token(
        tokens.id_token,
        tokens.provider,
        client_id=tokens.client_id,
        nonce=tokens.nonce,
        access_token=tokens.access_token,
        now=idp.provider.clock.now(),
    )


def _claims_check(
    idp: IdP, tokens: Tokens, header: dict[str, Any], claims: dict[str, Any], now: float
) -> None:
    """Authlib's CodeIDToken check alone, as validated_id_token runs it."""
    CodeIDToken(
        claims,
        header,
        options={
            "iss": {"essential": True, "value": tokens.provider.issuer},
            "aud": {"essential": True, "value": tokens.client_id},
        },
        params={
            "nonce": tokens.nonce,
            "access_token": tokens.access_token,
            "client_id": tokens.client_id,
        },
    ).validate(now=int(now))


def _unverified(token: str) -> tuple[dict[str, Any], dict[str, Any], str]:
    head, payload, signature = token.split(".")
    return _b64json(head), _b64json(payload), signature


def _b64json(part: str) -> dict[str, Any]:
    loaded: dict[str, Any] = json.loads(base64.urlsafe_b64decode(part + "=" * (-len(part) % 4)))
    return loaded


# -- ID token defects in the claims ------------------------------------------------------

CLAIM_DEFECTS: dict[str, tuple[type[ClaimError], str]] = {
    "expired": (ExpiredTokenError, "exp"),
    "not_yet_valid": (InvalidClaimError, "nbf"),
    "wrong_audience": (InvalidClaimError, "aud"),
    "wrong_issuer": (InvalidClaimError, "iss"),
    "wrong_nonce": (InvalidClaimError, "nonce"),
    "wrong_at_hash": (InvalidClaimError, "at_hash"),
}


@pytest.mark.parametrize("defect", list(CLAIM_DEFECTS))
async def test_id_token_claim_defects_fail_exactly_as_named(defect: str) -> None:
    idp = make_idp(_broken({"token": "id_token", "defect": defect}))
    tokens = await code_flow(idp)
    error, claim = CLAIM_DEFECTS[defect]
    with pytest.raises(error) as caught:
        _validate_id_token(idp, tokens)
    assert caught.value.claim == claim

    # the signature is good; putting the one claim right makes the token valid
    header, claims = decode_jwt(tokens.id_token, provider_key_set(idp), "RS256")
    now = idp.provider.clock.now()
    repaired = dict(claims)
    if defect == "expired":  # exp alone moves: iat stays when it was issued
        assert claims["exp"] <= now - SKEW
        assert claims["iat"] == int(now)
        repaired["exp"] = claims["iat"] + ID_TOKEN_LIFETIME
    elif defect == "not_yet_valid":  # nbf alone is added: iat and exp are as issued
        assert claims["nbf"] >= int(now) + SKEW
        assert claims["iat"] == int(now)
        assert claims["exp"] - claims["iat"] == ID_TOKEN_LIFETIME
        assert list(claims).index("nbf") == 0
        del repaired["nbf"]
    elif defect == "wrong_audience":
        assert claims["aud"] == WRONG_AUDIENCE
        repaired["aud"] = tokens.client_id
    elif defect == "wrong_issuer":
        assert claims["iss"] == tokens.provider.issuer + "/wrong-issuer"
        repaired["iss"] = tokens.provider.issuer
    elif defect == "wrong_nonce":
        assert claims["nonce"] != tokens.nonce
        repaired["nonce"] = tokens.nonce
    else:
        repaired["at_hash"] = half_hash(tokens.access_token, "RS256")
    _claims_check(idp, tokens, header, repaired, now)


async def test_wrong_nonce_adds_no_nonce_when_the_request_sent_none() -> None:
    idp = make_idp(_broken({"token": "id_token", "defect": "wrong_nonce"}))
    body = await password_grant(idp, "alice")
    _, claims = decode_jwt(body["id_token"], provider_key_set(idp), "RS256")
    assert "nonce" not in claims  # a nonce never requested is not checked: nothing to break


# -- ID token defects in the signature ---------------------------------------------------


async def test_bad_signature_keeps_the_structure_and_the_published_kid() -> None:
    idp = make_idp(_broken({"token": "id_token", "defect": "bad_signature"}))
    tokens = await code_flow(idp)
    with pytest.raises(BadSignatureError):
        _validate_id_token(idp, tokens)
    header, claims, signature = _unverified(tokens.id_token)
    assert header == {"alg": "RS256", "kid": idp.provider.keys.kid, "typ": "JWT"}
    assert len(base64.urlsafe_b64decode(signature + "==")) == 256  # an RS256 signature's size
    _claims_check(idp, tokens, header, claims, idp.provider.clock.now())


async def test_alg_none_is_unsigned() -> None:
    idp = make_idp(_broken({"token": "id_token", "defect": "alg_none"}))
    tokens = await code_flow(idp)
    with pytest.raises(UnsupportedAlgorithmError):
        _validate_id_token(idp, tokens)
    header, claims, signature = _unverified(tokens.id_token)
    assert header == {"alg": "none", "kid": idp.provider.keys.kid, "typ": "JWT"}
    assert signature == ""
    # the claims are as issued, at_hash too: with the header's alg put right, they pass
    assert claims["at_hash"] == half_hash(tokens.access_token, "RS256")
    _claims_check(idp, tokens, {**header, "alg": "RS256"}, claims, idp.provider.clock.now())


async def test_unknown_kid_is_signed_by_a_key_the_jwks_does_not_publish() -> None:
    idp = make_idp(_broken({"token": "id_token", "defect": "unknown_kid"}))
    tokens = await code_flow(idp)
    with pytest.raises(InvalidKeyIdError):
        _validate_id_token(idp, tokens)
    header, _, _ = _unverified(tokens.id_token)
    published = {key["kid"] for key in idp.provider.jwks()["keys"]}
    assert header["kid"] not in published
    # a good signature by the packaged rsa-2 key, which this scenario does not publish
    rsa2 = RSAKey.import_key(cast(Any, resolve_key(packaged="rsa-2", kid=header["kid"])))
    _, claims = decode_jwt(tokens.id_token, KeySet([rsa2]), "RS256")
    _claims_check(idp, tokens, header, claims, idp.provider.clock.now())


TWO_KEYS = [{"packaged": "rsa-1", "kid": "primary"}, {"packaged": "rsa-2", "kid": "secondary"}]


async def test_rotating_key_without_rotation_signs_with_the_published_second_key() -> None:
    idp = make_idp(_broken({"token": "id_token", "defect": "rotating_key"}, keys=TWO_KEYS))
    tokens = await code_flow(idp)
    assert [key["kid"] for key in tokens.provider.jwks["keys"]] == ["primary", "secondary"]
    claims = _validate_id_token(idp, tokens)  # a relying party that picks the key by kid
    assert claims.header["kid"] == "secondary"
    first_only = RSAKey.import_key(tokens.provider.jwks["keys"][0])
    with pytest.raises(BadSignatureError):  # one that takes the first key of the JWKS
        decode_jwt(tokens.id_token, cast(Any, first_only), "RS256")
    header, _ = decode_jwt(tokens.access_token, provider_key_set(idp), "RS256")
    assert header["kid"] == "primary"  # only the ID token was broken


async def test_rotating_key_is_the_key_the_rotation_retires() -> None:
    idp = make_idp(
        _broken(
            {"token": "id_token", "defect": "rotating_key"},
            keys=TWO_KEYS,
            signing_key="secondary",
            key_rotation=[{"after": 1800, "retire": "primary"}],
        )
    )
    tokens = await code_flow(idp)
    claims = _validate_id_token(idp, tokens)
    assert claims.header["kid"] == "primary"
    assert idp.provider.keys.kid == "secondary"

    idp.provider.clock.advance(1800)  # the rotation retires the key; a fresh JWKS lacks it
    assert [key["kid"] for key in idp.provider.jwks()["keys"]] == ["secondary"]
    with pytest.raises(InvalidKeyIdError):
        decode_jwt(tokens.id_token, provider_key_set(idp), "RS256")


# -- access token defects (RFC 9068 validation by a resource server) --------------------


def _validate_access_token(idp: IdP, token: str, issuer: str, audience: str) -> dict[str, Any]:
    header, claims = decode_jwt(token, provider_key_set(idp), "RS256")
    assert header["typ"] == "at+jwt"
    JWTClaimsRegistry(
        now=int(idp.provider.clock.now()),
        iss={"essential": True, "value": issuer},
        aud={"essential": True, "value": audience},
        exp={"essential": True},
    ).validate(claims)
    return claims


ACCESS_DEFECTS: dict[str, tuple[type[JoseError], str | None]] = {
    "expired": (ExpiredTokenError, "exp"),
    "not_yet_valid": (InvalidClaimError, "nbf"),
    "wrong_audience": (InvalidClaimError, "aud"),
    "wrong_issuer": (InvalidClaimError, "iss"),
    "bad_signature": (BadSignatureError, None),
    "alg_none": (UnsupportedAlgorithmError, None),
    "unknown_kid": (InvalidKeyIdError, None),
}


@pytest.mark.parametrize("defect", list(ACCESS_DEFECTS))
async def test_access_token_defects_fail_the_resource_servers_check(defect: str) -> None:
    idp = make_idp(_broken({"token": "access_token", "defect": defect}))
    tokens = await code_flow(idp)
    error, claim = ACCESS_DEFECTS[defect]
    with pytest.raises(error) as caught:
        _validate_access_token(idp, tokens.access_token, tokens.provider.issuer, CONFIDENTIAL)
    if claim is not None:
        assert isinstance(caught.value, ClaimError) and caught.value.claim == claim
    _validate_id_token(idp, tokens)  # the ID token is fine, its at_hash over the broken token

    # the provider honours what it issued, and describes the token as it was meant to be
    assert (await userinfo(idp, tokens.access_token)).status_code == 200
    record = await introspect(idp, tokens.access_token)
    assert record["active"] is True
    assert record["aud"] == CONFIDENTIAL and record["iss"] == tokens.provider.issuer
    assert record["exp"] - record["iat"] == tokens.response["expires_in"]


async def test_good_tokens_pass_the_same_checks() -> None:
    idp = make_idp(_broken())
    tokens = await code_flow(idp)
    _validate_id_token(idp, tokens)
    _validate_access_token(idp, tokens.access_token, tokens.provider.issuer, CONFIDENTIAL)


# -- which issuances a rule breaks -------------------------------------------------------


async def _id_token_ok(idp: IdP, username: str, client_id: str, secret: str) -> bool:
    body = await password_grant(idp, username, client_id=client_id, secret=secret)
    try:
        _, claims = decode_jwt(body["id_token"], provider_key_set(idp), "RS256")
        JWTClaimsRegistry(now=int(idp.provider.clock.now())).validate(claims)
    except JoseError:
        return False
    return True


async def test_match_by_client_and_user() -> None:
    idp = make_idp(
        _broken(
            {
                "token": "id_token",
                "defect": "expired",
                "match": {"client_id": CONFIDENTIAL, "user": "bob"},
            }
        )
    )
    assert not await _id_token_ok(idp, "bob", CONFIDENTIAL, "mockidp-secret")
    assert await _id_token_ok(idp, "alice", CONFIDENTIAL, "mockidp-secret")
    assert await _id_token_ok(idp, "bob", "other-client", "other-secret")


async def test_match_by_grant_type_and_scope() -> None:
    idp = make_idp(
        _broken(
            {
                "token": "id_token",
                "defect": "wrong_issuer",
                "match": {"grant_type": "refresh_token", "scope": ["email", "phone"]},
            }
        )
    )
    body = await password_grant(idp, "alice", scope="openid email offline_access")
    issuer = _validate_id_token_claims(idp, body["id_token"])["iss"]
    refreshed = (await refresh(idp, body["refresh_token"])).json()
    assert _validate_id_token_claims(idp, refreshed["id_token"])["iss"] == issuer + "/wrong-issuer"

    plain = await password_grant(idp, "alice", scope="openid profile offline_access")
    again = (await refresh(idp, plain["refresh_token"])).json()
    assert _validate_id_token_claims(idp, again["id_token"])["iss"] == issuer


def _validate_id_token_claims(idp: IdP, token: str) -> dict[str, Any]:
    return decode_jwt(token, provider_key_set(idp), "RS256")[1]


async def test_match_by_token_request_parameters() -> None:
    idp = make_idp(
        _broken(
            {"token": "id_token", "defect": "expired", "match": {"params": {"username": "bob"}}}
        )
    )
    assert not await _id_token_ok(idp, "bob", CONFIDENTIAL, "mockidp-secret")
    assert await _id_token_ok(idp, "alice", CONFIDENTIAL, "mockidp-secret")


async def test_only_matching_calls_count_toward_when() -> None:
    idp = make_idp(
        _broken(
            {
                "token": "id_token",
                "defect": "expired",
                "match": {"client_id": CONFIDENTIAL},
                "when": {"nth": 2},
            }
        )
    )
    seen = []
    for client_id, secret in [
        ("other-client", "other-secret"),
        (CONFIDENTIAL, "mockidp-secret"),  # matching call 1
        ("other-client", "other-secret"),
        (CONFIDENTIAL, "mockidp-secret"),  # matching call 2: broken
        (CONFIDENTIAL, "mockidp-secret"),  # matching call 3
    ]:
        seen.append(await _id_token_ok(idp, "alice", client_id, secret))
    assert seen == [True, True, True, False, True]


async def test_first_and_every_select_calls_and_each_rule_counts_its_own() -> None:
    idp = make_idp(
        _broken(
            {"token": "id_token", "defect": "expired", "when": {"first": 1}},
            {"token": "id_token", "defect": "not_yet_valid", "when": {"every": 2}},
        )
    )
    seen = []
    for _ in range(4):
        body = await password_grant(idp, "alice")
        claims = _validate_id_token_claims(idp, body["id_token"])
        now = idp.provider.clock.now()
        seen.append(
            "expired" if claims["exp"] < now else "future" if claims.get("nbf", 0) > now else "good"
        )
    # call 1: both rules pick it, the first listed wins; call 2: the second rule's 2nd call
    assert seen == ["expired", "future", "good", "future"]


async def test_probability_is_deterministic_per_seed() -> None:
    rule = {"token": "id_token", "defect": "expired", "when": {"probability": 0.5, "seed": 7}}
    runs = []
    for _ in range(2):
        idp = make_idp(_broken(rule))
        runs.append(
            [await _id_token_ok(idp, "alice", CONFIDENTIAL, "mockidp-secret") for _ in range(12)]
        )
    assert runs[0] == runs[1]
    assert True in runs[0] and False in runs[0]


async def test_a_broken_id_token_leaves_the_access_token_alone() -> None:
    idp = make_idp(_broken({"token": "id_token", "defect": "unknown_kid"}))
    tokens = await code_flow(idp)
    _validate_access_token(idp, tokens.access_token, tokens.provider.issuer, CONFIDENTIAL)
    assert "id_token" not in (await password_grant(idp, "alice", scope="profile"))


# -- what the loader refuses -------------------------------------------------------------


@pytest.mark.parametrize(
    ("sections", "message"),
    [
        (
            {"broken_tokens": [{"token": "access_token", "defect": "wrong_nonce"}]},
            "applies to id_token only",
        ),
        (
            {
                "access_token_format": "opaque",
                "broken_tokens": [{"token": "access_token", "defect": "expired"}],
            },
            "have no JWT to break",
        ),
        (
            {"broken_tokens": [{"token": "id_token", "defect": "rotating_key"}]},
            "at least two keys",
        ),
        (
            {"broken_tokens": [{"token": "id_token", "defect": "with_nonce"}]},
            "applies to logout_token only",
        ),
        (
            {"broken_tokens": [{"token": "logout_token", "defect": "wrong_c_hash"}]},
            "applies to id_token only",
        ),
    ],
)
def test_defects_a_token_cannot_carry_are_refused(sections: dict[str, Any], message: str) -> None:
    with pytest.raises(ScenarioError, match=message):
        load_scenario(scenario(**sections))


async def test_the_expired_id_token_example_breaks_what_its_comments_say() -> None:
    idp = make_idp(load_example("expired-id-token.yaml"))
    assert not await _id_token_ok(idp, "bob", CONFIDENTIAL, "mockidp-secret")
    assert await _id_token_ok(idp, "alice", CONFIDENTIAL, "mockidp-secret")
    tokens = await code_flow(idp, PUBLIC, None, login_hint="bob")
    _validate_id_token(idp, tokens)
    # mockidp-client's 3rd token request gets an access token with a bad signature
    third = await password_grant(idp, "alice")
    with pytest.raises(BadSignatureError):
        decode_jwt(third["access_token"], provider_key_set(idp), "RS256")
    fourth = await password_grant(idp, "alice")
    _validate_access_token(idp, fourth["access_token"], _issuer(fourth), CONFIDENTIAL)


def _issuer(body: dict[str, Any]) -> str:
    return str(_unverified(body["access_token"])[1]["iss"])
