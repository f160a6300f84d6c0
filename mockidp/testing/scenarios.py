"""The scenario of one test: a scenario source with a preset, users and keys changed (what
the ``mockidp`` marker's arguments and :meth:`MockIdP.use_scenario` take)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from mockidp.model.scenario import Scenario
from mockidp.scenario.source import ScenarioSource, scenario_of


def scenario_for_test(
    scenario: ScenarioSource = None,
    *,
    preset: str | None = None,
    users: Sequence[str | Mapping[str, Any]] | None = None,
    **overrides: Any,
) -> Scenario:
    """``scenario`` (a file, a mapping, a Scenario, None: the default) with changes.

    ``preset`` emulates a real provider; ``users`` are added, replacing a user with the
    same ``sub`` (a string is shorthand for ``{"sub": name, "password": name}``); every
    other keyword replaces that top-level key of the scenario document.
    """
    if preset is not None:
        from mockidp.scenario.schema import SCENARIO_SCHEMA

        if "preset" not in SCENARIO_SCHEMA.get("properties", {}):
            raise ValueError(f"preset={preset!r}: presets are not available yet in this mockidp")
        overrides["preset"] = preset
    if not overrides and users is None:
        return scenario_of(scenario)
    if isinstance(scenario, Scenario):
        raise TypeError("changes (preset, users, overrides) need a scenario file or mapping")
    # Over the embedded default only its clients and users carry over (as for a file
    # naming a preset): its other keys (refresh_tokens, ...) would hide the preset's.
    from mockidp.scenario.loader import load_scenario, scenario_document

    document = scenario_document(scenario)
    if scenario is None:
        document = {k: document[k] for k in ("clients", "users", "default_user") if k in document}
    if users is not None:
        document["users"] = _merged_users(document.get("users") or [], users)
    document.update(overrides)
    return load_scenario(document)


def _merged_users(
    base: list[Any], users: Sequence[str | Mapping[str, Any]]
) -> list[dict[str, Any]]:
    if isinstance(users, str | Mapping):
        raise TypeError("users must be a list of user names or user mappings")
    merged = {str(u.get("sub")): dict(u) for u in base if isinstance(u, Mapping)}
    for user in users:
        entry = {"sub": user, "password": user} if isinstance(user, str) else dict(user)
        merged[str(entry.get("sub"))] = entry
    return list(merged.values())
