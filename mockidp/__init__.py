"""mockidp: a mock OpenID Connect identity provider for tests."""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from mockidp.asgi import MockIdPApp, create_app
    from mockidp.clock import Clock
    from mockidp.errors import MockIdPError, OAuthError, ScenarioError
    from mockidp.keys.ring import KeyRing
    from mockidp.model.layout import Layout
    from mockidp.model.scenario import Client, Scenario, User
    from mockidp.oauth.provider import Provider
    from mockidp.requestlog import RequestRecord
    from mockidp.scenario.loader import load_scenario, parse_scenario
    from mockidp.store import MemoryStore, Store

__all__ = [
    "Client",
    "Clock",
    "KeyRing",
    "Layout",
    "MemoryStore",
    "MockIdPApp",
    "MockIdPError",
    "OAuthError",
    "Provider",
    "RequestRecord",
    "Scenario",
    "ScenarioError",
    "Store",
    "User",
    "create_app",
    "load_scenario",
    "parse_scenario",
]

__version__ = "0.1.0"

# Each public name imports its module on first use (PEP 562), so importing a submodule
# (the pytest plugin, the Lambda handler, the CLI) does not pay for the whole package.
_HOMES = {
    "Client": "mockidp.model.scenario",
    "Clock": "mockidp.clock",
    "KeyRing": "mockidp.keys.ring",
    "Layout": "mockidp.model.layout",
    "MemoryStore": "mockidp.store",
    "MockIdPApp": "mockidp.asgi",
    "MockIdPError": "mockidp.errors",
    "OAuthError": "mockidp.errors",
    "Provider": "mockidp.oauth.provider",
    "RequestRecord": "mockidp.requestlog",
    "Scenario": "mockidp.model.scenario",
    "ScenarioError": "mockidp.errors",
    "Store": "mockidp.store",
    "User": "mockidp.model.scenario",
    "create_app": "mockidp.asgi",
    "load_scenario": "mockidp.scenario.loader",
    "parse_scenario": "mockidp.scenario.loader",
}


def __getattr__(name: str) -> Any:
    home = _HOMES.get(name)
    if home is None:
        raise AttributeError(f"module 'mockidp' has no attribute {name!r}")
    value = getattr(importlib.import_module(home), name)
    globals()[name] = value  # later look-ups skip this function
    return value


def __dir__() -> list[str]:
    return sorted({*globals(), *__all__})
