"""mockidp.travel moves the app's clock and the provider's together, once; advance moves
only the provider's."""

from __future__ import annotations

import importlib.util
import time
from collections.abc import Iterator
from typing import Any

import freezegun
import pytest
import time_machine

from mockidp.testing import MockIdP
from mockidp.testing.travel import MISSING

T0 = 1_900_000_000.0


@pytest.fixture
def idp() -> Iterator[MockIdP]:
    provider = MockIdP.in_process()
    yield provider
    provider.close()


def test_a_running_time_machine_travel_is_shifted_and_the_idp_moves_once(idp: MockIdP) -> None:
    with time_machine.travel(T0, tick=False):
        idp.travel(3600)
        assert time.time() == T0 + 3600
        assert idp.provider.clock.now() == T0 + 3600  # not T0 + 7200
        assert len(time_machine.traveller_stack) == 1  # the suite's traveller, shifted


def test_a_running_freezegun_freeze_is_ticked(idp: MockIdP) -> None:
    # freezegun reads every attribute of every loaded module when it starts; auth0's SDK
    # (loaded by its vendor test) imports pydantic models lazily on such reads.
    with freezegun.freeze_time("2030-01-01T00:00:00Z", ignore=["auth0"]):
        start = time.time()
        idp.travel(90)
        assert time.time() == start + 90
        assert idp.provider.clock.now() == start + 90


def test_without_a_running_travel_one_starts_and_ends_with_the_provider(idp: MockIdP) -> None:
    before = time.time()
    idp.travel(86400)
    assert time.time() >= before + 86400
    assert idp.provider.clock.now() < before + 2 * 86400
    idp.close()
    assert time_machine.traveller_stack == []
    assert time.time() < before + 86400


def test_tokens_issued_after_travel_carry_the_app_s_time(idp: MockIdP) -> None:
    import jwt

    with time_machine.travel(T0, tick=False):
        idp.travel(7200)
        claims = jwt.decode(idp.issue_tokens()["id_token"], options={"verify_signature": False})
        assert claims["iat"] == int(T0 + 7200)


def test_advance_moves_only_the_provider(idp: MockIdP) -> None:
    with time_machine.travel(T0, tick=False):
        idp.advance(60)
        assert time.time() == T0
        assert idp.provider.clock.now() == T0 + 60


def test_a_frozen_provider_clock_is_moved_too(idp: MockIdP) -> None:
    idp.provider.clock.freeze(at=T0)
    with time_machine.travel(T0, tick=False):
        idp.travel(30)
        assert idp.provider.clock.now() == T0 + 30 == time.time()


def test_without_either_library_the_error_says_what_to_install(
    idp: MockIdP, monkeypatch: pytest.MonkeyPatch
) -> None:
    real = importlib.util.find_spec

    def find_spec(name: str, *args: Any) -> Any:
        return None if name in ("time_machine", "freezegun") else real(name, *args)

    monkeypatch.setattr(importlib.util, "find_spec", find_spec)
    with pytest.raises(RuntimeError, match="pip install time-machine") as raised:
        idp.travel(10)
    assert str(raised.value) == MISSING
    assert "mockidp.advance" in MISSING
