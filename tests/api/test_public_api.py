"""The package's public names: pinned, so adding or dropping one is a deliberate change."""

from __future__ import annotations

import importlib

import pytest

import mockidp

PUBLIC_API = [
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


def test_all_is_pinned() -> None:
    assert mockidp.__all__ == PUBLIC_API


@pytest.mark.parametrize("name", PUBLIC_API)
def test_every_public_name_is_importable(name: str) -> None:
    module = importlib.import_module("mockidp")
    value = getattr(module, name)
    # the class or function itself, from the package (a stand-in or a re-bound name fails)
    assert (value.__name__, value.__module__.split(".")[0]) == (name, "mockidp")
    namespace: dict[str, object] = {}
    exec(f"from mockidp import {name}", namespace)
    assert namespace[name] is value


def test_star_import_gives_exactly_the_public_names() -> None:
    namespace: dict[str, object] = {}
    exec("from mockidp import *", namespace)
    assert sorted(k for k in namespace if k != "__builtins__") == sorted(PUBLIC_API)


def test_public_errors_share_one_root() -> None:
    assert issubclass(mockidp.OAuthError, mockidp.MockIdPError)
    assert issubclass(mockidp.ScenarioError, mockidp.MockIdPError)


def test_create_app_serves_a_provider() -> None:
    app = mockidp.create_app()
    assert isinstance(app, mockidp.MockIdPApp)
    assert isinstance(app.provider, mockidp.Provider)
    assert [c.client_id for c in app.provider.scenario.clients] == [
        "mockidp-client",
        "mockidp-public",
    ]


def test_version() -> None:
    assert mockidp.__version__ == "0.1.0"
