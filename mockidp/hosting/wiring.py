"""From :class:`~mockidp.hosting.settings.Settings` to a running provider: scenario, store, app.

Shared by the edges (the CLI, the Lambda handler), so ``MOCKIDP_SCENARIO``,
``MOCKIDP_ISSUER`` and ``MOCKIDP_STORE`` / ``MOCKIDP_TABLE`` mean the same everywhere.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from msgspec.structs import replace

from mockidp.asgi import MockIdPApp, create_app
from mockidp.errors import TemporarilyUnavailable
from mockidp.hosting.settings import Settings
from mockidp.model.scenario import Scenario
from mockidp.requestlog import RequestRecord
from mockidp.scenario.loader import load_scenario, parse_scenario
from mockidp.store import Store
from mockidp.store.urls import open_store

__all__ = [
    "app_from_settings",
    "is_inline_scenario",
    "scenario_from_settings",
    "store_from_settings",
    "store_problem",
]


def is_inline_scenario(value: str) -> bool:
    """Whether a scenario setting is the document itself (YAML or JSON), not a file path.

    A document spans lines or is a JSON object; a one-line value is a path when such a
    file exists or it has no ``:``, else a one-line YAML document (``login: page``).
    """
    text = value.strip()
    if "\n" in text or text.startswith("{"):
        return True
    return ":" in text and not Path(text).exists()


def scenario_from_settings(settings: Settings, *, preset: str | None = None) -> Scenario:
    """The scenario: the embedded default, a file, or an inline document; then the issuer.

    ``preset`` applies when the document names none. Raises
    :class:`~mockidp.errors.ScenarioError` with every problem located.
    """
    source = settings.scenario
    if source is not None and is_inline_scenario(source):
        scenario = parse_scenario(source, name="MOCKIDP_SCENARIO (inline)", preset=preset)
    else:
        scenario = load_scenario(source, preset=preset)
    if settings.issuer:
        scenario = replace(scenario, issuer=settings.issuer.rstrip("/"))
    return scenario


def store_from_settings(settings: Settings) -> Store:
    """The store ``settings.store`` names (ValueError for a bad one; ImportError without
    the ``aws`` extra for DynamoDB)."""
    return open_store(settings.store)


def store_problem(store: Store) -> str | None:
    """None when ``store`` answers a read, else what is wrong (a start-up check)."""
    try:
        store.get("mockidp:probe", now=0.0)
    except TemporarilyUnavailable as exc:
        problem = exc.description
        if "ResourceNotFoundException" in problem:
            problem += "; create the table with `mockidp create-table TABLE`"
        return problem
    return None


def app_from_settings(
    settings: Settings, *, on_request: Callable[[RequestRecord], None] | None = None
) -> MockIdPApp:
    """The app ``settings`` describe."""
    return create_app(
        scenario_from_settings(settings),
        store=store_from_settings(settings),
        on_request=on_request,
        admin_token=settings.admin_token,
        max_tenants=settings.max_tenants,
        browser_url=settings.browser_url,
    )
