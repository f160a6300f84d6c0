"""The in-memory Store: the reference implementation, and the default."""

from __future__ import annotations

import threading

from mockidp.types import JSONObject


class MemoryStore:
    """A dict guarded by a lock. Expired records are dropped when they are read."""

    def __init__(self) -> None:
        self._items: dict[str, tuple[JSONObject, float]] = {}
        self._lock = threading.Lock()

    def put(self, key: str, record: JSONObject, *, expires_at: float) -> None:
        self._items[key] = (record, expires_at)

    def add(self, key: str, record: JSONObject, *, expires_at: float, now: float) -> bool:
        with self._lock:
            item = self._items.get(key)
            if item is not None and item[1] > now:
                return False
            self._items[key] = (record, expires_at)
            return True

    def get(self, key: str, *, now: float) -> JSONObject | None:
        item = self._items.get(key)
        if item is None:
            return None
        if item[1] <= now:
            self._items.pop(key, None)
            return None
        return item[0]

    def take(self, key: str, *, now: float) -> JSONObject | None:
        with self._lock:
            item = self._items.pop(key, None)
        if item is None or item[1] <= now:
            return None
        return item[0]

    def increment(self, key: str, *, expires_at: float, now: float) -> int:
        with self._lock:
            item = self._items.get(key)
            if item is None or item[1] <= now:
                item = ({"n": 0}, expires_at)
            count = int(item[0]["n"]) + 1
            self._items[key] = ({"n": count}, item[1])
            return count

    def delete(self, key: str) -> None:
        self._items.pop(key, None)

    def clear(self, prefix: str = "", *, keep: tuple[str, ...] = ()) -> None:
        with self._lock:
            if not prefix and not keep:
                self._items.clear()
                return
            for key in [
                k for k in self._items if k.startswith(prefix) and not (keep and k.startswith(keep))
            ]:
                del self._items[key]

    def __len__(self) -> int:
        return len(self._items)
