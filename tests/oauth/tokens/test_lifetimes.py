"""Token lifetimes per kind, overridden per client and per user (user over client over
scenario), the refresh token's absolute lifetime, refresh_rotation: false and refresh_id_token."""

from __future__ import annotations

from typing import Any, cast

import pytest
from joserfc.jwk import KeySet

from mockidp.model.scenario import Lifetimes
from tests.conftest import IdP
from tests.support.e2e import CONFIDENTIAL, PUBLIC, decode_jwt
from tests.support.flows import code_of, code_request
from tests.support.issuance import (
    client_named,
    code_flow,
    introspect,
    make_idp,
    password_grant,
    refresh,
    scenario,
    second_confidential_client,
    token_request,
    user_named,
)

pytestmark = pytest.mark.anyio
DEFAULTS = Lifetimes()


def _overridden() -> dict[str, Any]:
    """mockidp-client and alice carry lifetimes; other-client and bob do not."""
    data = scenario(lifetimes={"access_token": 1800, "id_token": 900, "refresh_token": 7200})
    data["clients"].append(second_confidential_client())
    client_named(data, CONFIDENTIAL)["lifetimes"] = {
        "access_token": 120,
        "id_token": 300,
        "refresh_token": 600,
    }
    user_named(data, "alice")["lifetimes"] = {"access_token": 60}
    return data


async def _lifetimes_seen(idp: IdP, user: str, client_id: str, secret: str) -> dict[str, int]:
    body = await password_grant(idp, user, client_id=client_id, secret=secret)
    keys = KeySet.import_key_set(cast(Any, idp.provider.jwks()))
    _, access = decode_jwt(body["access_token"], keys, "RS256")
    _, id_claims = decode_jwt(body["id_token"], keys, "RS256")
    refresh_record = await introspect(idp, body["refresh_token"], client_id, secret)
    access_record = await introspect(idp, body["access_token"], client_id, secret)
    assert access_record["exp"] == access["exp"]
    return {
        "expires_in": body["expires_in"],
        "access_token": access["exp"] - access["iat"],
        "id_token": id_claims["exp"] - id_claims["iat"],
        "refresh_token": refresh_record["exp"] - refresh_record["iat"],
    }


async def test_user_overrides_client_overrides_scenario() -> None:
    idp = make_idp(_overridden())
    alice = await _lifetimes_seen(idp, "alice", CONFIDENTIAL, "mockidp-secret")
    assert alice == {"expires_in": 60, "access_token": 60, "id_token": 300, "refresh_token": 600}
    bob = await _lifetimes_seen(idp, "bob", CONFIDENTIAL, "mockidp-secret")
    assert bob == {"expires_in": 120, "access_token": 120, "id_token": 300, "refresh_token": 600}


async def test_other_clients_and_users_keep_the_scenarios_lifetimes() -> None:
    idp = make_idp(_overridden())
    bob = await _lifetimes_seen(idp, "bob", "other-client", "other-secret")
    assert bob == {"expires_in": 1800, "access_token": 1800, "id_token": 900, "refresh_token": 7200}
    alice = await _lifetimes_seen(idp, "alice", "other-client", "other-secret")
    assert alice["access_token"] == alice["expires_in"] == 60  # her own override still holds
    assert alice["id_token"] == 900


async def test_the_access_token_record_expires_with_its_lifetime() -> None:
    idp = make_idp(_overridden())
    body = await password_grant(idp, "alice")
    idp.provider.clock.advance(59)
    assert (await introspect(idp, body["access_token"]))["active"] is True
    idp.provider.clock.advance(2)
    assert await introspect(idp, body["access_token"]) == {"active": False}


async def test_code_lifetime_follows_the_client_and_the_user() -> None:
    data = scenario()
    client_named(data, CONFIDENTIAL)["lifetimes"] = {"code": 30}
    user_named(data, "bob")["lifetimes"] = {"code": 90}
    idp = make_idp(data)
    clock = idp.provider.clock

    short = await _code(idp, CONFIDENTIAL, login_hint="alice")
    clock.advance(31)
    assert (await _redeem(idp, short, CONFIDENTIAL)).json()["error"] == "invalid_grant"

    bobs = await _code(idp, CONFIDENTIAL, login_hint="bob")  # the user's 90 beats the client's 30
    clock.advance(60)
    assert (await _redeem(idp, bobs, CONFIDENTIAL)).status_code == 200

    public = await _code(idp, PUBLIC, login_hint="alice")  # the scenario's 600
    clock.advance(DEFAULTS.code - 10)
    assert (await _redeem(idp, public, PUBLIC)).status_code == 200


async def _code(idp: IdP, client_id: str, **extra: str) -> str:
    params = code_request(client_id, "http://localhost:8080/callback", **extra)
    async with idp.client() as http:
        response = await http.get(str(idp.provider.layout.paths["authorization"]), params=params)
    return code_of(response)


async def _redeem(idp: IdP, code: str, client_id: str) -> Any:
    data = {
        "grant_type": "authorization_code",
        "code": code,
        "redirect_uri": "http://localhost:8080/callback",
        "code_verifier": "dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk",  # RFC 7636 appendix B
    }
    if client_id == PUBLIC:
        data["client_id"] = PUBLIC
        async with idp.client() as http:
            return await http.post(str(idp.provider.layout.paths["token"]), data=data)
    return await token_request(idp, data)


# -- refresh_token_absolute ---------------------------------------------------------------


def _absolute(**settings: Any) -> dict[str, Any]:
    return scenario(
        lifetimes={"refresh_token": 600, "refresh_token_absolute": 1000, "access_token": 300},
        **settings,
    )


async def test_refresh_tokens_stop_at_the_grants_absolute_lifetime_though_rotated() -> None:
    idp = make_idp(_absolute())
    clock = idp.provider.clock
    body = await password_grant(idp, "alice")
    first = await introspect(idp, body["refresh_token"])
    assert first["exp"] - first["iat"] == 600  # the absolute deadline is further away
    created = first["iat"]

    clock.advance(500)
    rotated = await refresh(idp, body["refresh_token"])
    assert rotated.status_code == 200, rotated.text
    second = rotated.json()["refresh_token"]
    record = await introspect(idp, second)
    assert record["exp"] == created + 1000  # capped: not iat + 600

    clock.advance(450)  # 950s into the grant
    third = await refresh(idp, second)
    assert third.status_code == 200, third.text
    last = third.json()["refresh_token"]
    assert (await introspect(idp, last))["exp"] == created + 1000

    clock.advance(50)  # 1000s: the grant's refresh tokens are done, rotated or not
    refused = await refresh(idp, last)
    assert refused.status_code == 400
    assert refused.json()["error"] == "invalid_grant"  # the capped token has expired
    assert await introspect(idp, last) == {"active": False}


async def test_absolute_lifetime_caps_a_refresh_token_that_never_rotates() -> None:
    idp = make_idp(
        scenario(
            refresh_rotation=False,
            lifetimes={"refresh_token": 5000, "refresh_token_absolute": 1000},
        )
    )
    body = await password_grant(idp, "alice")
    token = body["refresh_token"]
    record = await introspect(idp, token)
    assert record["exp"] - record["iat"] == 1000
    idp.provider.clock.advance(999)
    assert (await refresh(idp, token)).status_code == 200
    idp.provider.clock.advance(1)
    assert (await refresh(idp, token)).json()["error"] == "invalid_grant"


async def test_absolute_lifetime_is_checked_on_refresh_from_the_grants_creation() -> None:
    idp = make_idp(scenario(lifetimes={"refresh_token": 5000}))
    token = (await password_grant(idp, "alice"))["refresh_token"]
    idp.provider.clock.advance(150)
    # the scenario changes under a live grant: its creation time still counts
    idp.provider.use_scenario(scenario(lifetimes={"refresh_token_absolute": 100}))
    refused = await refresh(idp, token)
    assert refused.json()["error"] == "invalid_grant"
    assert "refresh_token_absolute" in refused.json()["error_description"]


async def test_per_client_absolute_lifetime_caps_refresh_tokens() -> None:
    data = scenario(lifetimes={"refresh_token": 5000})
    client_named(data, CONFIDENTIAL)["lifetimes"] = {"refresh_token_absolute": 100}
    idp = make_idp(data)
    body = await password_grant(idp, "bob")
    record = await introspect(idp, body["refresh_token"])
    assert record["exp"] - record["iat"] == 100  # capped at issue
    idp.provider.clock.advance(99)
    assert (await refresh(idp, body["refresh_token"])).status_code == 200


async def test_without_absolute_lifetime_rotation_goes_on() -> None:
    idp = make_idp(scenario(lifetimes={"refresh_token": 600}))
    token = (await password_grant(idp, "alice"))["refresh_token"]
    for _ in range(3):
        idp.provider.clock.advance(500)
        response = await refresh(idp, token)
        assert response.status_code == 200, response.text
        token = response.json()["refresh_token"]


async def test_refresh_rotation_false_keeps_the_same_refresh_token() -> None:
    idp = make_idp(scenario(refresh_rotation=False))
    body = await password_grant(idp, "alice")
    token = body["refresh_token"]
    access_tokens = {body["access_token"]}
    for _ in range(3):
        response = await refresh(idp, token)
        assert response.status_code == 200, response.text
        assert "refresh_token" not in response.json()  # RFC 6749 5.1: the client keeps its own
        access_tokens.add(response.json()["access_token"])
    assert len(access_tokens) == 4
    assert (await introspect(idp, token))["active"] is True


@pytest.mark.parametrize("setting", [True, False, None])
async def test_refresh_id_token_says_whether_a_refresh_answers_an_id_token(
    setting: bool | None,
) -> None:
    data = scenario() if setting is None else scenario(refresh_id_token=setting)
    idp = make_idp(data)
    body = await password_grant(idp, "alice")
    assert "id_token" in body  # the first ID token comes either way
    response = await refresh(idp, body["refresh_token"])
    assert response.status_code == 200, response.text
    assert ("id_token" in response.json()) is (setting is not False)  # default: answered
    assert response.json()["refresh_token"] != body["refresh_token"]  # rotation unaffected


async def test_code_flow_tokens_carry_the_overridden_lifetimes() -> None:
    idp = make_idp(_overridden())
    tokens = await code_flow(idp, login_hint="alice")
    assert tokens.response["expires_in"] == 60


async def test_rotation_slides_the_grant_past_its_first_refresh_tokens_lifetime() -> None:
    """Without an absolute lifetime each rotated refresh token lives its full lifetime,
    even after the first one (and the grant as first recorded) would have expired."""
    idp = make_idp(scenario(lifetimes={"refresh_token": 600, "access_token": 60}))
    token = (await password_grant(idp, "alice"))["refresh_token"]
    for _ in range(4):  # 2000 s in all: far past 600 + 60
        idp.provider.clock.advance(500)
        response = await refresh(idp, token)
        assert response.status_code == 200, response.text
        token = response.json()["refresh_token"]
        access = response.json()["access_token"]
    assert (await introspect(idp, access))["active"] is True


def test_a_revoked_grant_is_not_revived_by_a_concurrent_extension() -> None:
    from mockidp.oauth import records
    from mockidp.oauth.records import Grant
    from mockidp.oauth.tokens.issuance import extend_grant, revoke_grant

    idp = make_idp(scenario())
    deps = idp.provider.deps
    records.put(deps.state, "g1", Grant(client_id=CONFIDENTIAL, sub=None, created=0), ttl=100)
    grant = records.get(deps.state, Grant, "g1")
    assert grant is not None
    revoke_grant(deps, "g1")  # lands between the refresh's read and its extension
    extend_grant(deps, "g1", grant, ttl=100)
    assert records.get(deps.state, Grant, "g1") is None
