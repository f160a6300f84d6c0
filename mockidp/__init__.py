"""mockidp: a mock OpenID Connect identity provider for tests."""

from mockidp.asgi import MockIdPApp, create_app
from mockidp.clock import Clock
from mockidp.errors import MockIdPError, OAuthError, ScenarioError
from mockidp.keys import KeyRing
from mockidp.layout import Layout
from mockidp.provider import Provider
from mockidp.requestlog import RequestRecord
from mockidp.scenario import Client, Scenario, User
from mockidp.scenario_loader import load_scenario, parse_scenario
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
