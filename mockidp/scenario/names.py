"""Names that must refer to something: endpoint names (in ``endpoints:`` and in the
``match`` of faults and broken-token rules) and ``default_user``.

Unlike :mod:`mockidp.scenario.checks`, these run whatever the schema said about the
rest of a section (each reads only the values it checks, and only when they have the
right type), so ``mockidp validate`` reports a misspelt name together with the schema's
problems, in one run, with a "did you mean".
"""

from __future__ import annotations

import difflib
from collections.abc import Callable, Iterable
from typing import Any

from mockidp.errors import ScenarioProblem
from mockidp.presets import known_endpoints
from mockidp.types import JSONObject

Problem = Callable[[tuple[str | int, ...], str], ScenarioProblem]


def unknown(name: str, kind: str, known: Iterable[str]) -> str:
    """``unknown endpoint 'tokn'; did you mean 'token'?``, else the known names."""
    names = list(known)
    close = difflib.get_close_matches(name, names, n=1)
    if close:
        return f"unknown {kind} {name!r}; did you mean {close[0]!r}?"
    return f"unknown {kind} {name!r}; known: {', '.join(names)}"


def name_problems(data: JSONObject, problem: Problem) -> list[ScenarioProblem]:
    """Unknown endpoint names and an unknown ``default_user``."""
    known = known_endpoints()  # a preset's own endpoints included
    found: list[ScenarioProblem] = []
    endpoints = data.get("endpoints")
    if isinstance(endpoints, dict):
        for name in endpoints:
            if name not in known:
                found.append(problem(("endpoints", name), unknown(str(name), "endpoint", known)))
    for section in ("faults", "broken_tokens"):
        rules = data.get(section)
        for i, rule in enumerate(rules if isinstance(rules, list) else []):
            match = rule.get("match") if isinstance(rule, dict) else None
            names = match.get("endpoint") if isinstance(match, dict) else None
            for j, name in _strings(names):
                if name not in known:
                    path: tuple[str | int, ...] = (section, i, "match", "endpoint")
                    found.append(
                        problem(path if j is None else (*path, j), unknown(name, "endpoint", known))
                    )
    found += _default_user(data, problem)
    return found


def _strings(value: Any) -> list[tuple[int | None, str]]:
    if isinstance(value, str):
        return [(None, value)]
    if isinstance(value, list):
        return [(j, v) for j, v in enumerate(value) if isinstance(v, str)]
    return []


def _default_user(data: JSONObject, problem: Problem) -> list[ScenarioProblem]:
    default_user = data.get("default_user")
    users = data.get("users", [])
    if not isinstance(default_user, str) or not isinstance(users, list):
        return []
    logins: list[str] = []
    for user in users:
        if isinstance(user, dict) and isinstance(user.get("sub"), str):
            logins.append(user["sub"])
            if isinstance(user.get("username"), str):
                logins.append(user["username"])
    if default_user in logins:
        return []
    close = difflib.get_close_matches(default_user, logins, n=1)
    hint = f"; did you mean {close[0]!r}?" if close else ""
    return [problem(("default_user",), f"no user {default_user!r} in users{hint}")]
