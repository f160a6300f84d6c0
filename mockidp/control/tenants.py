"""Tenants: many isolated issuers in one running app, each under ``/t/{name}/``.

A tenant is a provider of its own (scenario, keys, clock, request log, fault counters)
whose State lives under the namespace ``t/{name}/`` of the app's store, with the issuer
``{origin}/t/{name}`` (the base issuer plus ``/t/{name}`` when one is configured). Its
endpoints and its test-control API (``/t/{name}/_mockidp/``, same admin token) sit
under the prefix; nothing of one tenant is visible to another or to the base provider.

A tenant is made on first use with the app's initial scenario, or through the base
control API (``PUT /_mockidp/tenants/{name}``, optionally with a scenario). Tenants
made on first use stop at ``max_tenants`` so a public URL cannot exhaust memory.

Several apps on one store (Lambda containers on one DynamoDB table) share tenants: each
tenant's control record (:mod:`mockidp.control.sync`) carries the tenant's generation,
and the registry record lists the names. A tenant deleted or replaced through one app
is rebuilt by the others on their next request, when the generation they hold is gone.
"""

from __future__ import annotations

import json
import logging
import re
import secrets
import time
from collections.abc import Callable
from typing import Protocol

from msgspec import Struct
from msgspec.structs import replace
from starlette.types import Receive, Scope, Send

from mockidp.clock import Clock
from mockidp.control.sync import CONTROL_KEY, FOREVER, ControlSync
from mockidp.errors import InvalidRequest, NotFound, ScenarioError
from mockidp.model.layout import DEFAULT_MAX_TENANTS, TENANT_PREFIX
from mockidp.model.scenario import Scenario
from mockidp.oauth.provider import Provider
from mockidp.scenario.dump import dump_scenario
from mockidp.scenario.loader import parse_scenario
from mockidp.types import JSONObject

log = logging.getLogger("mockidp")

NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9_-]{0,62}")
NAME_RULE = "1 to 63 letters, digits, '-' or '_', starting with a letter or digit"
REGISTRY_KEY = "mockidp:tenants"
"""The registry record's key (after the base namespace): every tenant's name."""


def split_tenant_path(path: str) -> tuple[str, str] | None:
    """``(name, rest)`` of ``/t/{name}/rest`` (rest ``/`` for ``/t/{name}``), else None."""
    if not path.startswith(TENANT_PREFIX):
        return None
    name, _, rest = path[len(TENANT_PREFIX) :].partition("/")
    return name, "/" + rest


def check_name(name: str) -> str:
    if not NAME.fullmatch(name):
        raise InvalidRequest(f"tenant name {name[:80]!r} is not valid: use {NAME_RULE}")
    return name


class TenantApp(Protocol):
    """A tenant's own app, as the registry's ``make_app`` builds it (:mod:`mockidp.asgi`)."""

    @property
    def provider(self) -> Provider: ...

    @property
    def sync(self) -> ControlSync:
        """The tenant's control record: the registry stamps its generation there."""
        ...

    async def serve(self, scope: Scope, receive: Receive, send: Send, path: str) -> None:
        """Answer a request at ``path`` (under the tenant's prefix), already synced."""
        ...


class Tenant(Struct):
    name: str
    app: TenantApp
    generation: str
    created: float

    @property
    def provider(self) -> Provider:
        return self.app.provider


class TenantRegistry:
    """The tenants of one app. ``make_app`` wraps a tenant's provider in its own app
    (its own control API and request log, no tenants of its own)."""

    def __init__(
        self,
        base: Provider,
        initial: Scenario,
        make_app: Callable[[Provider], TenantApp],
        *,
        fingerprint: Callable[[], str],
        max_tenants: int = DEFAULT_MAX_TENANTS,
    ) -> None:
        if max_tenants < 0:
            raise ValueError("max_tenants must be 0 or more")
        self.base = base
        self.initial = initial
        self.make_app = make_app
        self.max_tenants = max_tenants
        self.store = base.state.store
        self.prefix = base.state.namespace
        self._fingerprint = fingerprint
        self._tenants: dict[str, Tenant] = {}

    @property
    def fingerprint(self) -> str:
        """The base app's (:func:`mockidp.control.sync.fingerprint`), computed on first need."""
        return self._fingerprint()

    def namespace(self, name: str) -> str:
        return f"{self.prefix}t/{name}/"

    # -- finding and making ------------------------------------------------------------

    def _record(self, name: str) -> JSONObject | None:
        """The tenant's control record, when this deployment wrote it."""
        record = self.store.get(f"{self.namespace(name)}{CONTROL_KEY}", now=time.time())
        if record is None or record.get("fp") != self.fingerprint or "gen" not in record:
            return None
        return record

    def find(self, name: str) -> Tenant | None:
        """The tenant ``name`` as the store knows it (one ``get``), or None."""
        check_name(name)
        record = self._record(name)
        local = self._tenants.get(name)
        if record is None:
            self._tenants.pop(name, None)
            return None
        if local is None or local.generation != record["gen"]:
            created = record.get("created")
            initial = record.get("initial")
            local = self._build(
                name,
                self._initial(name, initial if isinstance(initial, dict) else None),
                str(record["gen"]),
                float(created) if isinstance(created, int | float) else time.time(),
            )
        local.app.sync.apply(record)
        return local

    def open(self, name: str) -> Tenant:
        """The tenant ``name``, made on first use while fewer than max_tenants exist."""
        found = self.find(name)
        if found is not None:
            return found
        names = self.names()
        if name not in names and len(names) >= self.max_tenants:
            why = (
                f"tenants are made on first use only while fewer than {self.max_tenants} exist"
                if self.max_tenants
                else "tenants are not made on first use here"
            )
            raise NotFound(
                f"no tenant {name!r}, and {why}; create it with PUT /_mockidp/tenants/{name}"
            )
        tenant = self._build(name, self.default_scenario(name), secrets.token_hex(8), time.time())
        if tenant.app.sync.push(first=True):
            self._save_names({**names, name: tenant.created})
            return tenant
        # another app (container) made it at the same moment: serve theirs, state and all
        return self.find(name) or self.create(name)

    def default_scenario(self, name: str) -> Scenario:
        """The app's initial scenario; a configured issuer gains ``/t/{name}``."""
        issuer = self.initial.issuer
        if issuer is None:
            return self.initial
        return replace(self.initial, issuer=f"{issuer}/t/{name}")

    def _initial(self, name: str, doc: JSONObject | None) -> Scenario:
        """A tenant's initial scenario, from its record's copy (None: the default)."""
        if doc is not None:
            try:
                return parse_scenario(json.dumps(doc), name=f"tenant {name} (initial)")
            except ScenarioError as exc:
                log.warning("mockidp: tenant %s: its scenario does not load: %s", name, exc)
        return self.default_scenario(name)

    def create(self, name: str, scenario: Scenario | None = None) -> Tenant:
        """Make (or remake, forgetting its state) tenant ``name``."""
        check_name(name)
        self.store.clear(self.namespace(name))
        tenant = self._build(
            name, scenario or self.default_scenario(name), secrets.token_hex(8), time.time()
        )
        if scenario is not None:  # what POST /reset {"scenario": true} returns to, anywhere
            tenant.app.sync.extra["initial"] = dump_scenario(scenario)
        tenant.app.sync.push()
        self._save_names({**self.names(), name: tenant.created})
        return tenant

    def delete(self, name: str) -> bool:
        """Forget tenant ``name`` and its state; whether it existed."""
        check_name(name)
        names = self.names()
        existed = self._record(name) is not None or name in names
        self.store.clear(self.namespace(name))
        self._tenants.pop(name, None)
        if names.pop(name, None) is not None:
            self._save_names(names)
        return existed

    def clear(self) -> None:
        """Delete every tenant and its state (a test harness's fresh start)."""
        self.store.clear(f"{self.prefix}t/")
        self.store.delete(f"{self.prefix}{REGISTRY_KEY}")
        self._tenants.clear()

    def _build(self, name: str, scenario: Scenario, generation: str, created: float) -> Tenant:
        provider = Provider(
            scenario,
            store=self.store,
            clock=Clock(),
            layout=self.base._layout_override,
            namespace=self.namespace(name),
        )
        app = self.make_app(provider)
        tenant = Tenant(name, app, generation, created)
        app.sync.fingerprint = self.fingerprint
        app.sync.extra = {"gen": generation, "created": tenant.created}
        self._tenants[name] = tenant
        return tenant

    # -- the registry record -----------------------------------------------------------

    def names(self) -> dict[str, float]:
        """Every tenant's name and creation time, as the registry record lists them."""
        record = self.store.get(f"{self.prefix}{REGISTRY_KEY}", now=time.time())
        if record is None or record.get("fp") != self.fingerprint:
            return {}
        listed = record.get("tenants")
        return dict(listed) if isinstance(listed, dict) else {}

    def _save_names(self, names: dict[str, float]) -> None:
        record: JSONObject = {"fp": self.fingerprint, "tenants": names}
        self.store.put(f"{self.prefix}{REGISTRY_KEY}", record, expires_at=FOREVER)


__all__ = [
    "DEFAULT_MAX_TENANTS",
    "TENANT_PREFIX",
    "Tenant",
    "TenantApp",
    "TenantRegistry",
    "check_name",
    "split_tenant_path",
]
