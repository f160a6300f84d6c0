"""Test-control changes shared through the Store, so every app on one store agrees.

A control call that changes the provider (the scenario, its users, clients and faults,
the clock) only changes the app that answered it. Lambda runs many apps (containers)
on one DynamoDB table, so each change is also written to one *control record* in the
store: the scenario document, the clock (offset and frozen time) and the start of the
key rotation timeline, under a fresh random version. Every request reads the record
first (one ``get``: a dict look-up on the memory store) and reloads the provider when
the version is not the one it last applied or wrote. Codes, sessions, tokens and fault
counters are in the store already.

Racing writers: the last write wins and every app converges on it (versions are
compared for equality, not order).
"""

from __future__ import annotations

import hashlib
import json
import logging
import secrets
import time

from mockidp.errors import ScenarioError
from mockidp.model.scenario import Scenario
from mockidp.oauth.provider import Provider
from mockidp.types import JSONObject

# scenario.dump and scenario.loader (PyYAML, jsonschema) are imported where used: every
# request pulls, but only an app whose store holds a control record reads or writes one

log = logging.getLogger("mockidp")

CONTROL_KEY = "mockidp:control"
"""The control record's key, after the provider's State namespace."""
FOREVER = 1e12
"""The record's expiry (year 33658): past any clock the control API can set."""


def fingerprint(scenario: Scenario) -> str:
    """Which deployment a shared record belongs to: a record written by apps started with
    another scenario (yesterday's stack on the same table, say) is ignored, not loaded."""
    from mockidp.scenario.dump import dump_scenario

    text = json.dumps(dump_scenario(scenario), sort_keys=True, default=str)
    return hashlib.sha256(text.encode("utf-8")).hexdigest()[:16]


class ControlSync:
    """The control record of one provider: :meth:`pull` before a request, :meth:`push`
    after a control call changed something.

    ``initial`` is the scenario the app started with: its :func:`fingerprint` marks the
    records this deployment writes. ``extra`` goes into every record written.
    """

    def __init__(self, provider: Provider, initial: Scenario) -> None:
        self.provider = provider
        state = provider.state
        self.store = state.store
        self.key = f"{state.namespace}{CONTROL_KEY}"
        self.version: str | None = None
        """The version last applied or written here (None: none yet)."""
        self.initial = initial
        self._fingerprint: str | None = None
        self.extra: JSONObject = {}

    @property
    def fingerprint(self) -> str:
        if self._fingerprint is None:  # on first need: most apps never share a change
            self._fingerprint = fingerprint(self.initial)
        return self._fingerprint

    @fingerprint.setter
    def fingerprint(self, value: str) -> None:
        self._fingerprint = value

    def fetch(self) -> JSONObject | None:
        return self.store.get(self.key, now=time.time())

    def pull(self) -> None:
        self.apply(self.fetch())

    def apply(self, record: JSONObject | None) -> None:
        """Load ``record`` (from :meth:`fetch`) into the provider unless already loaded."""
        if record is None or record.get("v") == self.version:
            return
        self.version = record.get("v")
        if record.get("fp") != self.fingerprint:
            return
        from mockidp.scenario.dump import dump_scenario
        from mockidp.scenario.loader import parse_scenario

        provider = self.provider
        doc = record.get("scenario")
        if isinstance(doc, dict) and doc != dump_scenario(provider.scenario):
            try:
                scenario = parse_scenario(json.dumps(doc), name="control API (shared)")
            except ScenarioError as exc:  # written by another version of mockidp, say
                log.warning("mockidp ignored a shared scenario that does not load: %s", exc)
            else:
                provider.use_scenario(scenario, keep_time=True)
        clock = record.get("clock")
        if isinstance(clock, list) and len(clock) == 2:
            offset, frozen_at = clock
            provider.clock.restore(float(offset), None if frozen_at is None else float(frozen_at))
        started = record.get("keys_started")
        if isinstance(started, int | float):
            provider.keys.restart(float(started))

    def push(self, *, first: bool = False) -> bool:
        """Write the provider's scenario, clock and key timeline as a new version;
        ``first``: only if there is no record yet (atomic). Whether it was written."""
        from mockidp.scenario.dump import dump_scenario

        provider = self.provider
        offset, frozen_at = provider.clock.snapshot()
        record: JSONObject = {
            "v": secrets.token_hex(8),
            "scenario": dump_scenario(provider.scenario),
            "clock": [offset, frozen_at],
            "keys_started": provider.keys.started,
            "fp": self.fingerprint,
            **self.extra,
        }
        if first:
            if not self.store.add(self.key, record, expires_at=FOREVER, now=time.time()):
                return False
        else:
            self.store.put(self.key, record, expires_at=FOREVER)
        self.version = record["v"]
        return True
