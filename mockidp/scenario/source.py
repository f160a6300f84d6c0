"""What a scenario argument names: the embedded default (None), a Scenario as it is, or a
file or mapping to load. Only the last needs the file machinery (PyYAML, jsonschema, the
checks), so the default and ready Scenarios never import it."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

from mockidp.model.scenario import Scenario
from mockidp.scenario.default import default_scenario

ScenarioSource = Scenario | str | Path | Mapping[str, Any] | None


def scenario_of(source: ScenarioSource) -> Scenario:
    """The default scenario, a Scenario as it is, or a file or mapping loaded now."""
    if source is None:
        return default_scenario()
    if isinstance(source, Scenario):
        return source
    from mockidp.scenario.loader import load_scenario

    return load_scenario(source)
