"""Load scenario files: parse (YAML or JSON) with line numbers, validate, build the model.

Every problem is collected and reported at once, each with its location
(``clients[1].redirect_uris[0]``) and, where the file gives one, its line.
"""

from __future__ import annotations

import difflib
import json
from collections.abc import Mapping
from functools import cache
from pathlib import Path
from typing import Any

import yaml

from mockidp.errors import ScenarioError, ScenarioProblem
from mockidp.model.scenario import Scenario
from mockidp.presets import merged, preset_problems
from mockidp.scenario.build import build_scenario
from mockidp.scenario.checks import semantic_problems
from mockidp.scenario.default import default_document, default_scenario, shared_default_document
from mockidp.scenario.names import name_problems
from mockidp.scenario.schema import SCENARIO_SCHEMA, example_of

PathKey = tuple[str | int, ...]


@cache
def _validator() -> Any:
    """The schema validator, built on first use: importing jsonschema costs tens of
    milliseconds that the embedded default scenario (trusted, see default_scenario)
    never needs."""
    from jsonschema import Draft202012Validator

    return Draft202012Validator(SCENARIO_SCHEMA)


MAX_VALUES = 100_000
"""Keys and values a document may hold, counted after YAML aliases are expanded."""


def location(path: PathKey) -> str:
    """``("clients", 1, "redirect_uris", 0)`` -> ``clients[1].redirect_uris[0]``."""
    out = ""
    for part in path:
        out += f"[{part}]" if isinstance(part, int) else (f".{part}" if out else str(part))
    return out


class _Source:
    """Parsed data plus the line of every key and list item."""

    def __init__(self, data: Any, lines: dict[PathKey, int], problems: list[ScenarioProblem]):
        self.data = data
        self.lines = lines
        self.problems = problems

    def problem(self, path: PathKey, message: str) -> ScenarioProblem:
        line = None
        for cut in range(len(path), -1, -1):  # the nearest enclosing place that has a line
            line = self.lines.get(path[:cut])
            if line is not None:
                break
        return ScenarioProblem(location(path), message, line)


def _walk_lines(
    node: yaml.Node, path: PathKey, lines: dict[PathKey, int], problems: list[ScenarioProblem]
) -> None:
    lines[path] = node.start_mark.line + 1
    if len(lines) > MAX_VALUES:  # YAML aliases can make a short text expand a billionfold
        raise ScenarioError(
            [ScenarioProblem("", f"the document holds over {MAX_VALUES} values (aliases count)")]
        )
    if isinstance(node, yaml.MappingNode):
        seen: set[str] = set()
        for key_node, value_node in node.value:
            key = str(key_node.value)
            if key in seen:
                problems.append(
                    ScenarioProblem(
                        location((*path, key)), "duplicate key", key_node.start_mark.line + 1
                    )
                )
            seen.add(key)
            _walk_lines(value_node, (*path, key), lines, problems)
            lines[(*path, key)] = key_node.start_mark.line + 1
    elif isinstance(node, yaml.SequenceNode):
        for index, item in enumerate(node.value):
            _walk_lines(item, (*path, index), lines, problems)


def _parse(text: str, name: str) -> _Source:
    problems: list[ScenarioProblem] = []
    lines: dict[PathKey, int] = {}
    if name.endswith(".json"):
        # Read JSON as YAML (for lines and duplicate keys). A literal tab can only be
        # whitespace in valid JSON, but YAML refuses tabs as indentation: make it a space.
        text = text.replace("\t", " ")
    try:
        # One parse gives both the node tree (for lines) and the data built from it:
        # what yaml.safe_load and yaml.compose would each do, without reading twice.
        loader = yaml.SafeLoader(text)
        try:
            node = loader.get_single_node()
            if node is not None:  # walked before construction flattens merge keys (<<)
                _walk_lines(node, (), lines, problems)
            data = loader.construct_document(node) if node is not None else None
        finally:
            loader.dispose()
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        line = mark.line + 1 if mark is not None else None
        reason = getattr(exc, "problem", None) or str(exc)
        if name.endswith(".json"):  # a JSON file PyYAML cannot read may still be valid JSON
            try:
                return _Source(_paired(json.loads(text)), {}, [])
            except json.JSONDecodeError as jexc:
                raise ScenarioError(
                    [ScenarioProblem("", jexc.msg, jexc.lineno)], source=name
                ) from None
        raise ScenarioError(
            [ScenarioProblem("", f"not valid YAML: {reason}", line)], source=name
        ) from None
    if data is None:
        data = {}
    return _Source(_paired(data), lines, problems)


def _paired(value: Any) -> Any:
    """``value`` with UTF-16 surrogate pairs (YAML and JSON ``\\ud83d\\ude00`` escapes)
    joined into the characters they encode; a lone surrogate is a problem, since no
    UTF-8 text (a response, a token) can carry it."""
    if isinstance(value, str):
        if value.isascii() or not any("\ud800" <= c <= "\udfff" for c in value):
            return value
        try:
            return value.encode("utf-16", "surrogatepass").decode("utf-16")
        except UnicodeDecodeError:
            raise ScenarioError(
                [ScenarioProblem("", f"{value!r} holds a lone UTF-16 surrogate, not text")]
            ) from None
    if isinstance(value, list):
        return [_paired(item) for item in value]
    if isinstance(value, dict):
        return {_paired(k): _paired(v) for k, v in value.items()}
    return value


def _schema_problems(src: _Source) -> list[ScenarioProblem]:
    found: list[ScenarioProblem] = []
    for error in sorted(_validator().iter_errors(src.data), key=lambda e: list(map(str, e.path))):
        path: PathKey = tuple(error.absolute_path)
        if error.validator == "additionalProperties" and isinstance(error.instance, dict):
            known = list(error.schema.get("properties", {}))
            for key in error.instance:
                if key not in known:
                    close = difflib.get_close_matches(str(key), known, n=1)
                    hint = (
                        f"; did you mean {close[0]!r}?"
                        if close
                        else f"; known keys: {', '.join(known)}"
                    )
                    found.append(src.problem((*path, key), f"unknown key{hint}"))
            continue
        if error.validator == "not" and error.validator_value == {"required": ["sub"]}:
            found.append(src.problem((*path, "sub"), "put sub beside claims, not inside them"))
            continue
        message = error.message
        if error.validator == "type":  # say what fits, not only what does not
            message += f"; expected, e.g. {example_of(error.schema)}"
        found.append(src.problem(path, message))
    return found


def check_scenario_text(text: str, *, name: str = "<inline>") -> list[ScenarioProblem]:
    """Every problem in a scenario document, without building it (``mockidp validate``)."""
    try:
        src = _parse(text, name)
    except ScenarioError as exc:
        return exc.problems
    return _problems(src)


def _problems(src: _Source) -> list[ScenarioProblem]:
    if not isinstance(src.data, dict):
        return [ScenarioProblem("", "a scenario is a mapping of keys to values", 1)]
    src.data = merged(src.data, shared_default_document())  # a preset's data under the file's keys
    schema = _schema_problems(src)
    invalid = frozenset(str(p.location).split(".")[0].split("[")[0] for p in schema)
    if "" in invalid:  # a problem at the top level: no section can be trusted
        return src.problems + schema
    found = src.problems + schema + name_problems(src.data, src.problem)
    found += semantic_problems(src.data, src.problem, invalid=invalid)
    return found + ([] if schema else preset_problems(src.data, src.problem))


def parse_scenario(text: str, *, name: str = "<inline>", preset: str | None = None) -> Scenario:
    """Build a scenario from YAML or JSON text; raises ScenarioError listing every problem.

    ``preset``: the preset to use when the document names none (``serve --preset``).
    """
    src = _parse(text, name)
    if preset is not None and isinstance(src.data, dict):
        src.data.setdefault("preset", preset)
    problems = _problems(src)
    if problems:
        raise ScenarioError(problems, source=name)
    return build_scenario(src.data, name)


def scenario_document(source: str | Path | Mapping[str, Any] | None = None) -> dict[str, Any]:
    """The document of a scenario file, a mapping, or None (the embedded default), parsed
    but not validated: for callers that change keys before :func:`load_scenario`."""
    if source is None:
        return default_document()
    if isinstance(source, Mapping):
        return dict(source)
    try:
        text = Path(source).read_text("utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise ScenarioError(
            [ScenarioProblem("", f"cannot read the file: {exc}")], source=str(source)
        ) from None
    data = _parse(text, str(source)).data
    if not isinstance(data, dict):
        problem = ScenarioProblem("", "a scenario is a mapping of keys to values", 1)
        raise ScenarioError([problem], source=str(source))
    return data


def load_scenario(
    source: str | Path | Mapping[str, Any] | Scenario | None = None, *, preset: str | None = None
) -> Scenario:
    """A scenario from a file path, a mapping, a Scenario, or None for the embedded default.

    ``preset``: the preset to use when the document names none (not for a Scenario).
    """
    if source is None and preset is not None:
        return parse_scenario(json.dumps({"preset": preset}), name=f"preset {preset}")
    if source is None:
        return default_scenario()
    if isinstance(source, Scenario):
        return source
    if isinstance(source, Mapping):
        return parse_scenario(json.dumps(dict(source)), name="<mapping>", preset=preset)
    path = Path(source)
    try:
        text = path.read_text("utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise ScenarioError(
            [ScenarioProblem("", f"cannot read the file: {exc}")], source=str(path)
        ) from None
    return parse_scenario(text, name=str(path), preset=preset)
