"""The provider's view of its Store: namespaced keys, lifetimes, and its own clock."""

from __future__ import annotations

from mockidp.clock import Clock
from mockidp.store import Store
from mockidp.types import JSONObject


class State:
    """Records by kind and id, each living ``ttl`` seconds on the provider's clock.

    ``namespace`` keeps several providers (tenants) apart in one Store; ``keep`` lists key
    prefixes inside it that :meth:`clear` spares (the base provider's tenants).
    """

    def __init__(self, store: Store, clock: Clock, *, namespace: str = "") -> None:
        self.store = store
        self.clock = clock
        self.namespace = namespace
        self.keep: tuple[str, ...] = ()

    def now(self) -> float:
        return self.clock.now()

    def _key(self, kind: str, ident: str) -> str:
        return f"{self.namespace}{kind}:{ident}"

    def put(self, kind: str, ident: str, record: JSONObject, *, ttl: float) -> None:
        self.store.put(self._key(kind, ident), record, expires_at=self.now() + ttl)

    def add(self, kind: str, ident: str, record: JSONObject, *, ttl: float) -> bool:
        now = self.now()
        return self.store.add(self._key(kind, ident), record, expires_at=now + ttl, now=now)

    def get(self, kind: str, ident: str) -> JSONObject | None:
        return self.store.get(self._key(kind, ident), now=self.now())

    def take(self, kind: str, ident: str) -> JSONObject | None:
        return self.store.take(self._key(kind, ident), now=self.now())

    def increment(self, kind: str, ident: str, *, ttl: float) -> int:
        now = self.now()
        return self.store.increment(self._key(kind, ident), expires_at=now + ttl, now=now)

    def delete(self, kind: str, ident: str) -> None:
        self.store.delete(self._key(kind, ident))

    def clear(self) -> None:
        self.store.clear(self.namespace, keep=self.keep)
