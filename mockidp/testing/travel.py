"""One clock for the app and the provider: :func:`travel` moves the process's time with
time-machine or freezegun, which the provider's clock follows (it reads ``time.time()``).

A travel already running in the test (a ``time_machine`` fixture, ``freeze_time``) is
shifted, so the suite's own traveller stays in charge; else a new one starts, ticking,
and :class:`Travels` stops it when the test ends. The provider's clock is never moved as
well, or it would move twice.
"""

from __future__ import annotations

import importlib.util
import time
from datetime import UTC, datetime, timedelta
from typing import Any

MISSING = (
    "mockidp.travel(seconds) moves the app's clock through time-machine or freezegun, and "
    "neither is installed: pip install time-machine (or freezegun). To move only the "
    "provider's clock (clock skew between app and IdP), use mockidp.advance(seconds)."
)


def _active_library() -> str | None:
    """The library whose travel is running now, if any."""
    import sys

    machine = sys.modules.get("time_machine")
    if machine is not None and getattr(machine, "traveller_stack", None):
        return "time_machine"
    freezegun_api = sys.modules.get("freezegun.api")
    if freezegun_api is not None and getattr(freezegun_api, "freeze_factories", None):
        return "freezegun"
    return None


class Travels:
    """The travels one provider started; :meth:`stop` ends them (at the end of a test)."""

    def __init__(self) -> None:
        self._started: list[Any] = []

    def travel(self, seconds: float) -> None:
        """Move the process's time (the app's and the provider's) by ``seconds``."""
        library = _active_library()
        if library == "time_machine":
            import time_machine

            time_machine.traveller_stack[-1].shift(seconds)
        elif library == "freezegun":
            from freezegun import api

            api.freeze_factories[-1].tick(timedelta(seconds=seconds))
        elif importlib.util.find_spec("time_machine") is not None:
            import time_machine

            traveller = time_machine.travel(time.time() + seconds, tick=True)
            traveller.start()
            self._started.append(traveller)
        elif importlib.util.find_spec("freezegun") is not None:
            import freezegun

            destination = datetime.fromtimestamp(time.time() + seconds, UTC)
            freezer = freezegun.freeze_time(destination, tick=True)
            freezer.start()
            self._started.append(freezer)
        else:
            raise RuntimeError(MISSING)

    def stop(self) -> None:
        """End the travels started here, the last first: real time again."""
        while self._started:
            self._started.pop().stop()
