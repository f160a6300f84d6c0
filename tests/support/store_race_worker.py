"""What each process of tests/store/test_unit_store.py's cross-process races runs (a module of
its own, so that a spawned process imports only this and the SQLite store).

The processes race from one barrier, which opens only when every one of them has
arrived: started late under load, a process still races, where waiting for a wall-clock
instant let a late one run alone and the test pass without a race.
"""

from __future__ import annotations

from typing import Any

from mockidp.store.sqlite import SQLiteStore

NOW = 1_700_000_000.0

_barrier: Any = None


def join(barrier: Any) -> None:
    """The pool's initializer: the barrier every process waits at."""
    global _barrier
    _barrier = barrier


def take_all(path: str, keys: list[str]) -> list[str]:
    """Take every key it can; the keys it got."""
    store = SQLiteStore(path)
    _barrier.wait()
    return [key for key in keys if store.take(key, now=NOW) is not None]


def increment_many(path: str, key: str, times: int) -> list[int]:
    store = SQLiteStore(path)
    _barrier.wait()
    return [store.increment(key, expires_at=NOW + 600, now=NOW) for _ in range(times)]


def first_increments(paths: list[str]) -> list[int]:
    """For each new file in turn, all processes at once: open it, increment."""
    counts = []
    for path in paths:
        _barrier.wait()
        counts.append(SQLiteStore(path).increment("counter", expires_at=NOW + 600, now=NOW))
    return counts
