"""Scenario keys: ``keys``, ``signing_key`` and the ``key_rotation`` timeline.

The timeline runs on the provider's clock from when the scenario was loaded; the tests
freeze the clock and move it, then look at what a relying party sees: the JWKS behind
jwks_uri, the kid in issued tokens' headers, and whether older tokens still verify.
Tests taking ``idp`` run in-process (ASGI) and against the live uvicorn server.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from joserfc import jws
from joserfc.errors import JoseError
from joserfc.jwk import ECKey, KeySet

import mockidp.keys.material
from mockidp import KeyRing, Provider, ScenarioError, load_scenario
from tests.conftest import IdP
from tests.support import e2e as e2e_support
from tests.support.e2e import (
    PUBLIC,
    AsyncOAuth2Client,
    decode_jwt,
    default_scenario_mapping,
    discover,
    oauth_client,
    sign_in,
)

pytestmark = pytest.mark.anyio

ROOT = Path(__file__).resolve().parents[2]
T0 = 1_900_000_000.0
OLD, NEW = "key-2024", "key-2025"
ROTATION: dict[str, Any] = {
    "keys": [
        {"kid": OLD, "packaged": "rsa-1", "alg": "RS256"},
        {"kid": NEW, "packaged": "rsa-2", "alg": "RS256"},
    ],
    "key_rotation": [
        {"after": 60, "publish": NEW},
        {"after": 120, "sign_with": NEW},
        {"after": 180, "retire": OLD},
    ],
    "clock": {"at": T0, "frozen": True},
}
# (seconds since load, kids in the JWKS, kid that signs)
TIMELINE = [
    (0, [OLD], OLD),
    (59, [OLD], OLD),
    (60, [OLD, NEW], OLD),
    (119, [OLD, NEW], OLD),
    (120, [NEW, OLD], NEW),
    (179, [NEW, OLD], NEW),
    (180, [NEW], NEW),
    (10_000, [NEW], NEW),
]


def _kids(jwks: dict[str, Any]) -> list[str]:
    return [key["kid"] for key in jwks["keys"]]


def _header(token: str) -> dict[str, Any]:
    return dict(jws.extract_compact(token.encode()).protected)


async def _signed_in(
    client: AsyncOAuth2Client, idp: IdP
) -> tuple[e2e_support.Provider, dict[str, Any]]:
    """Discover afresh (JWKS included), then sign alice in; the ID token is validated."""
    provider = await discover(client)
    signed = await sign_in(client, provider, clock=idp.provider.clock)
    return provider, signed.token


def _verifies(token: str, jwks: dict[str, Any]) -> bool:
    try:
        decode_jwt(token, KeySet.import_key_set(jwks), _header(token)["alg"])  # type: ignore[arg-type]
    except (JoseError, ValueError):
        return False
    return True


# -- without keys: the packaged key for signing_alg ----------------------------------------


@pytest.mark.parametrize("alg", ["RS256", "ES256", "EdDSA"])
def test_without_keys_the_packaged_key_for_signing_alg_signs(alg: str) -> None:
    provider = Provider(default_scenario_mapping(signing_alg=alg))
    packaged = KeyRing.packaged(alg)
    assert provider.jwks() == packaged.jwks()
    assert provider.keys.kid == packaged.kid
    assert provider.keys.alg == alg
    assert provider.metadata("http://op.test")["id_token_signing_alg_values_supported"] == [alg]


def test_the_schema_offers_exactly_the_packaged_keys() -> None:
    # The model names them for the schema without importing keys/ (a tier above it).
    from mockidp.model.scenario import PACKAGED_KEYS

    assert tuple(mockidp.keys.material.PACKAGED_ALG) == PACKAGED_KEYS


# -- keys and signing_key -------------------------------------------------------------------


def test_keys_by_name_and_jwk_publish_every_key_and_sign_with_signing_key() -> None:
    jwk = ECKey.generate_key("P-256", private=True).as_dict(private=True)
    provider = Provider(
        default_scenario_mapping(
            keys=[
                {"kid": "spare-ed", "packaged": "ed25519-1", "alg": "EdDSA"},
                {"kid": "main-ec", "jwk": jwk, "alg": "ES256"},
            ],
            signing_key="main-ec",
        )
    )
    jwks = provider.jwks()
    assert _kids(jwks) == ["main-ec", "spare-ed"]  # the signing key first
    assert [(k["kty"], k["crv"], k["alg"], k["use"]) for k in jwks["keys"]] == [
        ("EC", "P-256", "ES256", "sig"),
        ("OKP", "Ed25519", "EdDSA", "sig"),
    ]
    assert not any("d" in key for key in jwks["keys"])
    token = provider.keys.sign({"sub": "alice"})
    assert _header(token) == {"alg": "ES256", "kid": "main-ec", "typ": "JWT"}
    assert _verifies(token, jwks)
    # Only algorithms of keys that sign are advertised for ID tokens.
    meta = provider.metadata("http://op.test")
    assert meta["id_token_signing_alg_values_supported"] == ["ES256"]


def test_the_first_key_signs_by_default_and_alg_defaults_to_the_keys_own() -> None:
    provider = Provider(default_scenario_mapping(keys=[{"kid": "ec", "packaged": "ec-p256-1"}]))
    assert (provider.keys.kid, provider.keys.alg) == ("ec", "ES256")
    assert _kids(provider.jwks()) == ["ec"]


async def test_an_id_token_from_a_scenario_key_verifies_end_to_end(idp: IdP) -> None:
    idp.provider.use_scenario(
        default_scenario_mapping(keys=[{"kid": "the-ec-key", "packaged": "ec-p256-1"}])
    )
    async with oauth_client(idp, PUBLIC, scope="openid email") as client:
        provider, token = await _signed_in(client, idp)
    assert provider.metadata["id_token_signing_alg_values_supported"] == ["ES256"]
    assert _kids(provider.jwks) == ["the-ec-key"]
    assert _header(token["id_token"])["kid"] == "the-ec-key"
    assert _header(token["access_token"]) == {"alg": "ES256", "kid": "the-ec-key", "typ": "at+jwt"}


# -- the rotation timeline --------------------------------------------------------------


@pytest.mark.parametrize(("elapsed", "published", "signer"), TIMELINE)
def test_timeline_decides_the_jwks_and_the_signing_kid(
    elapsed: int, published: list[str], signer: str
) -> None:
    provider = Provider(default_scenario_mapping(**ROTATION))
    provider.clock.advance(elapsed)
    assert _kids(provider.jwks()) == published
    assert provider.keys.published_kids() == tuple(published)
    assert provider.keys.kid == signer
    assert _header(provider.keys.sign({"sub": "alice"}))["kid"] == signer


async def test_relying_party_sees_each_rotation_step(idp: IdP) -> None:
    idp.provider.use_scenario(default_scenario_mapping(**ROTATION))
    clock = idp.provider.clock
    issued: dict[int, dict[str, Any]] = {}
    async with oauth_client(idp, PUBLIC, scope="openid") as client:
        for at, published, signer in [
            (0, [OLD], OLD),
            (60, [OLD, NEW], OLD),
            (120, [NEW, OLD], NEW),
        ]:
            clock.set(T0 + at, frozen=True)
            provider, token = await _signed_in(client, idp)
            assert _kids(provider.jwks) == published, at
            assert _header(token["id_token"])["kid"] == signer, at
            assert _header(token["access_token"])["kid"] == signer, at
            issued[at] = token
        # Tokens signed by the old key still verify while it is published ...
        assert _verifies(issued[0]["id_token"], provider.jwks)
        assert _verifies(issued[60]["id_token"], provider.jwks)
        # ... and stop verifying once it is retired.
        clock.set(T0 + 180, frozen=True)
        provider, token = await _signed_in(client, idp)
    assert _kids(provider.jwks) == [NEW]
    assert _header(token["id_token"])["kid"] == NEW
    assert not _verifies(issued[0]["id_token"], provider.jwks)
    assert not _verifies(issued[60]["access_token"], provider.jwks)
    assert _verifies(issued[120]["id_token"], provider.jwks)


async def test_a_relying_party_with_a_stale_jwks_meets_an_unknown_kid(idp: IdP) -> None:
    idp.provider.use_scenario(default_scenario_mapping(**ROTATION))
    async with oauth_client(idp, PUBLIC, scope="openid") as client:
        cached = await discover(client)  # fetched at 0s: key-2024 only
        idp.provider.clock.advance(120)
        _, token = await _signed_in(client, idp)
    assert _header(token["id_token"])["kid"] == NEW
    assert not _verifies(token["id_token"], cached.jwks)


async def test_the_timeline_restarts_when_the_scenario_is_loaded_again(idp: IdP) -> None:
    idp.provider.use_scenario(default_scenario_mapping(**ROTATION))
    idp.provider.clock.advance(500)
    async with idp.client() as http:
        assert _kids((await http.get("/.well-known/jwks.json")).json()) == [NEW]
        idp.provider.use_scenario(default_scenario_mapping(**ROTATION))
        assert _kids((await http.get("/.well-known/jwks.json")).json()) == [OLD]
    assert idp.provider.keys.kid == OLD


def test_the_timeline_counts_from_load_on_a_running_clock() -> None:
    scenario = {**ROTATION, "clock": {"at": T0}}  # running from T0, not frozen
    provider = Provider(default_scenario_mapping(**scenario))
    assert abs(provider.clock.now() - T0) < 5
    assert provider.keys.kid == OLD
    provider.clock.advance(120)
    assert provider.keys.kid == NEW


def test_steps_apply_in_order_of_after_and_at_zero_at_once() -> None:
    provider = Provider(
        default_scenario_mapping(
            keys=[{"kid": "a", "packaged": "rsa-1"}, {"kid": "b", "packaged": "rsa-2"}],
            key_rotation=[
                {"after": 30, "retire": "a"},
                {"after": 0, "publish": "b"},
                {"after": 10, "sign_with": "b"},
            ],
            clock={"frozen": True},
        )
    )
    assert (provider.keys.kid, _kids(provider.jwks())) == ("a", ["a", "b"])
    provider.clock.advance(10)
    assert (provider.keys.kid, _kids(provider.jwks())) == ("b", ["b", "a"])
    provider.clock.advance(20)
    assert (provider.keys.kid, _kids(provider.jwks())) == ("b", ["b"])
    provider.clock.advance(-1000)  # before the scenario was loaded: its first phase
    assert (provider.keys.kid, _kids(provider.jwks())) == ("a", ["a", "b"])


def test_discovery_lists_the_alg_of_every_key_that_signs_over_the_timeline() -> None:
    provider = Provider(
        default_scenario_mapping(
            keys=[
                {"kid": "rsa", "packaged": "rsa-1"},
                {"kid": "ec", "packaged": "ec-p256-1"},
                {"kid": "ed", "packaged": "ed25519-1"},  # published, never signs
            ],
            key_rotation=[{"after": 60, "sign_with": "ec"}],
            clock={"frozen": True},
        )
    )
    doc = provider.metadata("http://op.test")
    assert doc["id_token_signing_alg_values_supported"] == ["RS256", "ES256"]
    provider.clock.advance(60)
    assert provider.metadata("http://op.test") == doc  # stable across the timeline
    assert (provider.keys.kid, provider.keys.alg) == ("ec", "ES256")


async def test_an_alg_changing_rotation_signs_valid_id_tokens(idp: IdP) -> None:
    idp.provider.use_scenario(
        default_scenario_mapping(
            keys=[{"kid": "rsa", "packaged": "rsa-1"}, {"kid": "ec", "packaged": "ec-p256-1"}],
            key_rotation=[{"after": 60, "sign_with": "ec"}],
            clock={"at": T0, "frozen": True},
        )
    )
    async with oauth_client(idp, PUBLIC, scope="openid") as client:
        for alg, kid in [("RS256", "rsa"), ("ES256", "ec")]:
            found = await discover(client)
            # sign_in validates with the first advertised alg: advertise the current one.
            meta = {**found.metadata, "id_token_signing_alg_values_supported": [alg]}
            signed = await sign_in(
                client, e2e_support.Provider(meta, found.jwks), clock=idp.provider.clock
            )
            assert _header(signed.token["id_token"]) == {"alg": alg, "kid": kid, "typ": "JWT"}
            assert "at_hash" in signed.id_token  # checked by Authlib with the header's alg
            idp.provider.clock.advance(60)


# -- id_token_hint at end_session ---------------------------------------------------------


async def test_end_session_accepts_a_hint_signed_by_any_published_key(idp: IdP) -> None:
    idp.provider.use_scenario(default_scenario_mapping(**ROTATION))
    async with oauth_client(idp, PUBLIC, scope="openid") as client:
        provider, token = await _signed_in(client, idp)  # signed by key-2024
    logout = provider.endpoint("end_session_endpoint")
    params = {
        "id_token_hint": token["id_token"],
        "post_logout_redirect_uri": "http://localhost:8080/",
    }
    async with idp.client() as http:
        idp.provider.clock.advance(150)  # key-2025 signs, key-2024 still published
        accepted = await http.get(logout, params=params)
        idp.provider.clock.advance(30)  # key-2024 retired
        refused = await http.get(logout, params=params)
    assert accepted.status_code == 302
    assert accepted.headers["location"] == "http://localhost:8080/"
    assert refused.status_code == 400
    assert "id_token_hint is not an ID token from this provider" in refused.text


# -- signing stays cheap ----------------------------------------------------------------


def test_signing_and_publishing_import_no_key_after_load(monkeypatch: pytest.MonkeyPatch) -> None:
    provider = Provider(default_scenario_mapping(**ROTATION))

    def refuse(*args: Any, **kwargs: Any) -> Any:
        raise AssertionError("a key was imported after the scenario was loaded")

    monkeypatch.setattr(mockidp.keys.material, "_import_key_now", refuse)
    monkeypatch.setattr(KeySet, "import_key_set", refuse)
    for elapsed, published, signer in TIMELINE:
        provider.clock.set(T0 + elapsed, frozen=True)
        token = provider.keys.sign({"sub": "alice"}, typ="at+jwt")
        assert _header(token)["kid"] == signer
        assert _kids(provider.jwks()) == published
        assert provider.keys.verify(token)[1] == {"sub": "alice"}
        assert provider.jwks() is provider.jwks()  # one prepared document per phase


# -- KeyRing API for deliberately broken tokens ----------------------------------------------


def test_sign_with_a_ring_key_that_is_not_published_yet() -> None:
    provider = Provider(default_scenario_mapping(**ROTATION))
    ring = provider.keys
    assert ring.kids == (OLD, NEW)
    assert ring.upcoming_kid() == NEW
    early = ring.sign_with(NEW, {"sub": "alice"}, typ="at+jwt")
    assert _header(early) == {"alg": "RS256", "kid": NEW, "typ": "at+jwt"}
    assert not _verifies(early, ring.jwks())
    provider.clock.advance(60)
    assert ring.upcoming_kid() is None
    assert _verifies(early, ring.jwks())  # published now


def test_retiring_kid_is_the_published_non_signing_key_the_timeline_retires_next() -> None:
    provider = Provider(default_scenario_mapping(**ROTATION))
    ring = provider.keys
    seen = []
    for elapsed in (0, 60, 120, 180):
        provider.clock.set(T0 + elapsed, frozen=True)
        seen.append(ring.retiring_kid())
    assert seen == [None, None, OLD, None]
    provider.clock.set(T0 + 120, frozen=True)
    about_to_go = ring.sign_with(OLD, {"sub": "alice"})
    assert _verifies(about_to_go, ring.jwks())
    provider.clock.advance(60)
    assert not _verifies(about_to_go, ring.jwks())


@pytest.mark.parametrize("alg", ["RS256", "ES256", "EdDSA"])
def test_unpublished_key_is_never_in_the_jwks(alg: str) -> None:
    provider = Provider(
        default_scenario_mapping(
            keys=[
                {"kid": "r1", "packaged": "rsa-1"},
                {"kid": "r2", "packaged": "rsa-2"},
                {"kid": "ec", "packaged": "ec-p256-1"},
                {"kid": "ed", "packaged": "ed25519-1"},
            ]
        )
    )
    ring = provider.keys
    outsider = ring.unpublished_key(alg)
    assert outsider["alg"] == alg
    assert outsider["kid"] not in ring.kids
    token = ring.sign_with(outsider, {"sub": "alice"})
    assert _header(token) == {"alg": alg, "kid": outsider["kid"], "typ": "JWT"}
    assert not _verifies(token, ring.jwks())
    assert ring.unpublished_key(alg) == outsider  # the same key every time


def test_sign_with_another_kid_in_the_header_gives_a_bad_signature() -> None:
    ring = Provider(default_scenario_mapping()).keys
    forged = ring.sign_with(ring.unpublished_key(), {"sub": "alice"}, kid=ring.kid)
    assert _header(forged)["kid"] == ring.kid
    assert not _verifies(forged, ring.jwks())
    with pytest.raises(ValueError, match="no key with kid 'nope'"):
        ring.sign_with("nope", {"sub": "alice"})


# -- validation of the sections -----------------------------------------------------------


def _problems(**sections: Any) -> list[str]:
    with pytest.raises(ScenarioError) as caught:
        load_scenario(default_scenario_mapping(**sections))
    return [f"{p.location}: {p.message}" for p in caught.value.problems]


KEYS_AB = [{"kid": "a", "packaged": "rsa-1"}, {"kid": "b", "packaged": "rsa-2"}]


@pytest.mark.parametrize(
    ("sections", "expected"),
    [
        (
            {"keys": [{"kid": "a", "packaged": "rsa-1", "alg": "ES256"}]},
            "keys[0].alg: ES256 needs an EC key on curve P-256",
        ),
        (
            {"keys": [{"kid": "a", "jwk": {"kty": "EC", "crv": "P-256", "x": "AA", "y": "AA"}}]},
            "keys[0].jwk: not a usable JWK",
        ),
        (
            {"keys": [{"kid": "a", "jwk": KeyRing.packaged("ES256").jwks()["keys"][0]}]},
            "keys[0].jwk: a signing key must be a private JWK",
        ),
        (
            {
                "keys": KEYS_AB,
                "key_rotation": [{"after": 10, "sign_with": "b"}, {"after": 20, "publish": "b"}],
            },
            "key_rotation[0].sign_with: 'b' is not published at 10s; publish it first",
        ),
        (
            {"keys": KEYS_AB, "key_rotation": [{"after": 10, "retire": "a"}]},
            "key_rotation[0].retire: retires 'a' while it signs; switch with sign_with first",
        ),
        (
            {"keys": KEYS_AB, "key_rotation": [{"after": 10, "publish": "a"}]},
            "keys[0]: signing key 'a' is not published at 0s",
        ),
        (
            {
                "keys": KEYS_AB,
                "key_rotation": [{"after": 10, "retire": "b"}, {"after": 20, "retire": "b"}],
            },
            "key_rotation[1].retire: 'b' is not published at 20s",
        ),
        (
            {"keys": [{"packaged": "rsa-1"}, {"packaged": "rsa-1"}]},
            "keys[1]: duplicate kid",
        ),
    ],
)
def test_incoherent_keys_are_refused_at_load(sections: dict[str, Any], expected: str) -> None:
    problems = _problems(**sections)
    assert len(problems) == 1, problems
    assert problems[0].startswith(expected), problems


# -- the example file ---------------------------------------------------------------------


async def test_example_key_rotation_does_what_its_comment_says(idp: IdP) -> None:
    idp.provider.clock.freeze()  # the file has no clock section: the frozen clock stays
    idp.provider.use_scenario(ROOT / "scenarios" / "key-rotation.yaml")
    async with idp.client() as http:
        for published, signer in [([OLD], OLD), ([OLD, NEW], OLD), ([NEW, OLD], NEW), ([NEW], NEW)]:
            response = await http.get("/.well-known/jwks.json")
            assert _kids(response.json()) == published
            assert idp.provider.keys.kid == signer
            idp.provider.clock.advance(60)


def test_rings_of_the_packaged_key_share_nothing_a_caller_can_change() -> None:
    """Packaged rings are prepared once per process; one provider's changes (a revealed
    key, a test editing the JWKS it got) never reach another's."""
    from mockidp.keys.ring import KeyRing

    first, second = KeyRing.packaged(), KeyRing.packaged()
    first.reveal(first.unpublished_key())
    got = first.jwks()
    got["keys"][0]["kid"] = "edited"
    got["keys"].append({"kid": "added"})
    assert [k["kid"] for k in second.jwks()["keys"]] == [second.kid]
    assert [k["kid"] for k in KeyRing.packaged().jwks()["keys"]] == [second.kid]
