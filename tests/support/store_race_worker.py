"""What each process of tests/store/test_unit_store.py's cross-process races runs (a module of
its own, so that a spawned process imports only this and the SQLite store)."""

from __future__ import annotations

import time

from mockidp.store.sqlite import SQLiteStore

NOW = 1_700_000_000.0


def _wait_until(start_at: float) -> None:
    """Processes start at different times; they race from one wall-clock instant."""
    time.sleep(max(0.0, start_at - time.time()))


def take_all(path: str, keys: list[str], start_at: float) -> list[str]:
    """Take every key it can; the keys it got."""
    store = SQLiteStore(path)
    _wait_until(start_at)
    return [key for key in keys if store.take(key, now=NOW) is not None]


def increment_many(path: str, key: str, times: int, start_at: float) -> list[int]:
    store = SQLiteStore(path)
    _wait_until(start_at)
    return [store.increment(key, expires_at=NOW + 600, now=NOW) for _ in range(times)]


def first_increments(paths: list[str], start_at: float) -> list[int]:
    """For each new file in turn, at one instant for all processes: open it, increment."""
    counts = []
    for i, path in enumerate(paths):
        _wait_until(start_at + i * 0.05)
        counts.append(SQLiteStore(path).increment("counter", expires_at=NOW + 600, now=NOW))
    return counts
