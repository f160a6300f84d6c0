"""The embedded default scenario: what ``mockidp serve`` and a bare ``create_app()`` run.

``scenarios/default.yaml`` is the document people read and copy; ``default.json`` beside
it holds the same data, which is what this module reads. Both ship with the package and
are trusted: the test suite validates the YAML against the schema and every check, and
keeps the JSON equal to it (tests/scenario/test_default_scenario.py). So a cold start
parses JSON with the standard library and skips PyYAML, jsonschema and the checks.
"""

from __future__ import annotations

import copy
import json
from functools import cache
from importlib import resources
from typing import Any

from mockidp.model.scenario import Scenario
from mockidp.scenario.build import build_scenario

NAME = "default.yaml (embedded)"


@cache
def _document() -> dict[str, Any]:
    text = resources.files("mockidp").joinpath("scenarios", "default.json").read_text("utf-8")
    data: dict[str, Any] = json.loads(text)
    return data


def default_document() -> dict[str, Any]:
    """The default scenario as plain data, a copy the caller may change."""
    return copy.deepcopy(_document())


def shared_default_document() -> dict[str, Any]:
    """The same data, shared: for callers that only read it (a preset's merge)."""
    return _document()


@cache
def default_scenario() -> Scenario:
    """The default scenario, built once per process."""
    return build_scenario(default_document(), NAME)
