"""A wall clock the test moves: ``time.time`` as the code under test reads it.

Clock tests that slept 10-20 ms and compared readings of the real clock proved little
("later is larger" holds for a clock that ignores time too, when the readings are
coarse) and could be upset by load. With the wall in hand, "the clock runs" means "it
moved exactly as far as the wall did", and "it stands still" is checked after the wall
moved a whole hour.
"""

from __future__ import annotations

import time

import pytest

START = 1_800_000_000.0
"""Where the wall starts: a fixed instant, so readings are exact."""


class Wall:
    def __init__(self, monkeypatch: pytest.MonkeyPatch, start: float = START) -> None:
        self.now = start
        monkeypatch.setattr(time, "time", lambda: self.now)

    def advance(self, seconds: float) -> None:
        self.now += seconds
