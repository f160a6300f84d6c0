"""The state seam: a tiny key-value protocol that every backend implements.

Records are JSON-serialisable dicts. Every record has an absolute expiry time (epoch
seconds on the provider's clock); every read is given ``now`` and treats a record past
its expiry as absent, because some backends (DynamoDB TTL) delete expired items late.
"""

from __future__ import annotations

from typing import Protocol

from mockidp.store.memory import MemoryStore
from mockidp.types import JSONObject

__all__ = ["MemoryStore", "Store"]


class Store(Protocol):
    """Key-value state with expiry and an atomic take.

    Contract (every backend passes the same suite in tests/store/test_unit_store.py):

    - ``put`` stores or replaces ``record`` under ``key`` until ``expires_at``.
    - ``add`` stores only if no live record exists under ``key``; returns whether it did.
      It is atomic: of two racing adds exactly one returns True.
    - ``get`` returns the live record or None.
    - ``take`` returns the live record and deletes it, atomically: of two racing takes
      exactly one gets the record. Codes are single-use because of this.
    - ``increment`` adds 1 to the counter under ``key`` (a live record ``{"n": int}``,
      created at 1 with ``expires_at`` when absent) and returns the new value, atomically:
      racing increments never lose a count.
    - ``delete`` removes the record if present; never fails for an absent key.
    - ``clear`` removes every record whose key starts with ``prefix``, except those whose
      key starts with one of ``keep`` (the base provider's reset spares its tenants').
    """

    def put(self, key: str, record: JSONObject, *, expires_at: float) -> None: ...

    def add(self, key: str, record: JSONObject, *, expires_at: float, now: float) -> bool: ...

    def get(self, key: str, *, now: float) -> JSONObject | None: ...

    def take(self, key: str, *, now: float) -> JSONObject | None: ...

    def increment(self, key: str, *, expires_at: float, now: float) -> int: ...

    def delete(self, key: str) -> None: ...

    def clear(self, prefix: str = "", *, keep: tuple[str, ...] = ()) -> None: ...
