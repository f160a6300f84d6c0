"""Scenario ``clock`` and the provider's clock API: tokens follow the provider's time.

``clock: {at, frozen}`` sets the clock each time the scenario is loaded: ``at`` makes it
read that time (standing still if frozen, running on from it otherwise), ``frozen``
alone stops it where it is. Tests taking ``idp`` run in-process (ASGI) and against the
live uvicorn server.
"""

from __future__ import annotations

from datetime import datetime

import pytest

from mockidp import Clock, Provider
from tests.conftest import IdP
from tests.support.e2e import (
    CONFIDENTIAL,
    PUBLIC,
    SECRET,
    decode_jwt,
    default_scenario_mapping,
    discover,
    oauth_client,
    sign_in,
)
from tests.support.wall import START, Wall

pytestmark = pytest.mark.anyio

AT_ISO = "2031-05-17T09:30:00+02:00"
AT = datetime.fromisoformat(AT_ISO).timestamp()


# -- the clock section ---------------------------------------------------------------------


@pytest.mark.parametrize("at", [AT_ISO, AT, "2031-05-17T07:30:00Z"], ids=["iso", "epoch", "zulu"])
def test_at_and_frozen_stop_the_clock_at_that_time(at: str | float, wall: Wall) -> None:
    provider = Provider(default_scenario_mapping(clock={"at": at, "frozen": True}))
    assert provider.clock.frozen
    assert provider.clock.now() == AT
    wall.advance(3600)
    assert provider.clock.now() == AT


def test_at_alone_runs_the_clock_on_from_that_time(wall: Wall) -> None:
    provider = Provider(default_scenario_mapping(clock={"at": AT}))
    assert provider.clock.now() == AT
    wall.advance(7)
    assert not provider.clock.frozen
    assert provider.clock.now() == AT + 7


def test_frozen_alone_stops_the_clock_now(wall: Wall) -> None:
    provider = Provider(default_scenario_mapping(clock={"frozen": True}))
    wall.advance(3600)
    assert provider.clock.now() == START


def test_frozen_false_alone_lets_a_frozen_clock_run(wall: Wall) -> None:
    clock = Clock(frozen_at=AT)
    Provider(default_scenario_mapping(clock={"frozen": False}), clock=clock)
    assert not clock.frozen
    wall.advance(7)
    assert clock.now() == AT + 7


def test_the_section_sets_an_injected_clock_and_is_applied_on_every_load() -> None:
    clock = Clock()
    provider = Provider(default_scenario_mapping(clock={"at": AT, "frozen": True}), clock=clock)
    assert provider.clock is clock
    assert clock.now() == AT
    clock.advance(3600)
    provider.use_scenario(default_scenario_mapping(clock={"at": AT, "frozen": True}))
    assert clock.now() == AT


def test_a_scenario_without_a_clock_section_leaves_the_clock_alone() -> None:
    provider = Provider(default_scenario_mapping(clock={"at": AT, "frozen": True}))
    provider.clock.advance(90)
    provider.use_scenario(default_scenario_mapping())
    assert provider.clock.frozen
    assert provider.clock.now() == AT + 90


def test_clock_set_reads_the_given_time_frozen_or_running(wall: Wall) -> None:
    clock = Clock()
    clock.set(AT, frozen=True)
    wall.advance(60)
    assert (clock.now(), clock.frozen) == (AT, True)
    clock.set(AT)
    wall.advance(7)
    assert not clock.frozen
    assert clock.now() == AT + 7
    clock.reset()
    assert clock.now() == wall.now


# -- tokens follow the clock ----------------------------------------------------------------


async def test_id_and_access_tokens_are_issued_at_the_scenarios_frozen_time(idp: IdP) -> None:
    idp.provider.use_scenario(default_scenario_mapping(clock={"at": AT_ISO, "frozen": True}))
    lifetimes = idp.provider.scenario.lifetimes
    async with oauth_client(idp, PUBLIC, scope="openid") as client:
        provider = await discover(client)
        signed = await sign_in(client, provider, clock=idp.provider.clock)
    assert signed.id_token["iat"] == int(AT)
    assert signed.id_token["exp"] == int(AT) + lifetimes.id_token
    assert signed.token["expires_in"] == lifetimes.access_token
    _, at_claims = decode_jwt(signed.token["access_token"], provider.keys, "RS256")
    assert at_claims["iat"] == int(AT)
    assert at_claims["exp"] == int(AT) + lifetimes.access_token


async def test_moving_the_clock_moves_iat_and_expires_tokens(idp: IdP) -> None:
    idp.provider.use_scenario(default_scenario_mapping(clock={"at": AT, "frozen": True}))
    clock = idp.provider.clock
    lifetime = idp.provider.scenario.lifetimes.access_token
    async with oauth_client(
        idp, CONFIDENTIAL, client_secret=SECRET, scope="openid profile"
    ) as client:
        provider = await discover(client)
        first = await sign_in(client, provider, clock=clock)
        clock.advance(lifetime - 1)
        alive = await client.get(provider.endpoint("userinfo_endpoint"))
        second = await sign_in(client, provider, clock=clock)
        clock.advance(1)
        client.token = first.token
        expired = await client.get(provider.endpoint("userinfo_endpoint"))
    assert second.id_token["iat"] == first.id_token["iat"] + lifetime - 1
    assert alive.status_code == 200
    assert expired.status_code == 401
    assert expired.json()["error"] == "invalid_token"
