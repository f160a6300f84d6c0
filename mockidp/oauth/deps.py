"""What the core's parts share (:class:`Deps`: the scenario in force, state, keys, hooks),
and how they find a client: the scenario's first, then one registered at run time
(RFC 7591).

Registered clients live in the Store (``records.Registered``), not in the frozen
Scenario, so every process and Lambda container sharing the store sees them. Every
client lookup of the core goes through :func:`find_client` (``Deps.client``); a client
deleted through RFC 7592 leaves a tombstone that kills the tokens issued to it.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Protocol

from msgspec import Struct, field

from mockidp.keys.ring import KeyRing
from mockidp.model.scenario import Client, Scenario
from mockidp.oauth import records
from mockidp.oauth.hooks import TokenHooks
from mockidp.oauth.records import Deleted, Registered
from mockidp.scenario.build import build_client
from mockidp.store.state import State


class ClientSource(Protocol):
    """Anything that finds clients by id: a Scenario (its own only) or ``Deps`` (registered too)."""

    def client(self, client_id: str) -> Client | None: ...


MAX_ID = 512
"""Longer ids are nobody's (a scenario's are at most this long; registered ones are short),
so they never reach the store (DynamoDB refuses keys over 2 KB)."""


def find_client(scenario: Scenario, state: State, client_id: str) -> Client | None:
    """The scenario's client ``client_id``, else the registered one, else None."""
    client = scenario.client(client_id)
    if client is not None or not client_id or len(client_id) > MAX_ID:
        return client
    record = records.get(state, Registered, client_id)
    return registered_client(record) if record is not None else None


def registered_client(record: Registered) -> Client:
    """The Client a registration record describes."""
    return build_client(record.client)


def client_deleted(scenario: Scenario, state: State, client_id: object) -> bool:
    """Whether ``client_id`` names a registered client deleted since (RFC 7592 2.3)."""
    if not isinstance(client_id, str) or not 0 < len(client_id) <= MAX_ID:
        return False
    if scenario.client(client_id) is not None:
        return False
    return records.get(state, Deleted, client_id) is not None


class Deps(Struct):
    """What the core's parts share: the scenario in force, state and keys."""

    scenario: Scenario
    state: State
    keys: KeyRing
    hooks: TokenHooks = field(default_factory=TokenHooks)
    """Test code's token hooks (:mod:`mockidp.oauth.hooks`), run before signing."""
    documents: Callable[[str], Client | None] | None = None
    """Finds the client a Client ID Metadata Document URL names (the provider sets it)."""

    def client(self, client_id: str) -> Client | None:
        """The scenario's client, else one registered at run time (:func:`find_client`),
        else the one a client metadata document describes."""
        found = find_client(self.scenario, self.state, client_id)
        if found is None and self.documents is not None:
            return self.documents(client_id)
        return found
