"""Provider presets: data that makes mockidp a faithful stand-in for a real provider.

A preset is a :class:`Preset`: the endpoint paths (``{name}`` placeholders filled from
the scenario's ``path_params``) and scenario data (tokens, lifetimes, ``quirks``, ...)
that sits under the scenario's own keys. A scenario selects one with
``preset: NAME``; :func:`merged` does the layering.
"""

from __future__ import annotations

import copy
import re
from collections.abc import Callable, Mapping
from functools import cache
from typing import Any

from msgspec import Struct

from mockidp.errors import ScenarioProblem
from mockidp.model.layout import GENERIC_PATHS
from mockidp.model.token_formats import parse_template
from mockidp.presets import (
    auth0,
    cognito,
    entra,
    generic,
    google,
    keycloak,
    loginradius,
    loginradius_hub,
    okta,
    okta_org,
    permiso,
    superoffice,
)
from mockidp.types import JSONObject


class Preset(Struct, frozen=True):
    """A provider to emulate: where its endpoints are and the scenario data it implies."""

    name: str
    description: str
    paths: Mapping[str, str]
    scenario: Mapping[str, Any]


PRESETS: dict[str, Preset] = {
    module.NAME: Preset(module.NAME, module.DESCRIPTION, module.PATHS, module.SCENARIO)
    for module in (
        generic,
        superoffice,
        loginradius,
        loginradius_hub,
        permiso,
        auth0,
        okta,
        okta_org,
        keycloak,
        entra,
        cognito,
        google,
    )
}
"""Every preset by name; ``generic`` is today's full standards layout."""

DEFAULT_PRESET = "generic"

_PLACEHOLDER = re.compile(r"\{([A-Za-z_][A-Za-z0-9_]*)\}")


def deep_merge(base: Mapping[str, Any], over: Mapping[str, Any]) -> JSONObject:
    """``over`` on top of ``base``: mappings merge key by key, anything else is replaced."""
    out: JSONObject = copy.deepcopy(dict(base))
    for key, value in over.items():
        if isinstance(value, Mapping) and isinstance(out.get(key), Mapping):
            out[key] = deep_merge(out[key], value)
        else:
            out[key] = copy.deepcopy(value)
    return out


def merged(data: Mapping[str, Any], default: Mapping[str, Any]) -> JSONObject:
    """A scenario document with its preset's data beneath it.

    Layers, lowest first: the default scenario's clients (when the document lists none)
    and its users and default user (when it lists no users), the preset's data, the
    document's own keys.
    A document without ``preset`` or with an unknown one is returned as it is.
    """
    name = data.get("preset")
    preset = PRESETS.get(name) if isinstance(name, str) else None
    if preset is None:
        return dict(data)
    base: JSONObject = {}
    if "clients" not in data and "clients" in default:
        base["clients"] = default["clients"]
    if "users" not in data:
        base.update({key: default[key] for key in ("users", "default_user") if key in default})
    return deep_merge(deep_merge(base, preset.scenario), data)


@cache  # the presets are fixed at import; every app and scenario check asks
def known_endpoints() -> tuple[str, ...]:
    """Every endpoint name some layout knows: the generic ones, then each preset's own."""
    names = dict.fromkeys(GENERIC_PATHS)
    for preset in PRESETS.values():
        names.update(dict.fromkeys(preset.paths))
    return tuple(names)


def base_paths(data: Mapping[str, Any]) -> Mapping[str, str]:
    """The unfilled paths of a document's preset (the generic layout without one)."""
    name = data.get("preset")
    return PRESETS[name].paths if isinstance(name, str) and name in PRESETS else GENERIC_PATHS


def fill(template: str, values: Mapping[str, str]) -> str:
    """``template`` with each ``{name}`` replaced; KeyError names a missing value."""
    return _PLACEHOLDER.sub(lambda m: values[m.group(1)], template)


def placeholders(template: str) -> list[str]:
    return _PLACEHOLDER.findall(template)


def preset_paths(name: str, path_params: Mapping[str, str]) -> dict[str, str]:
    """The preset's endpoint paths with ``path_params`` filled in."""
    return {endpoint: fill(path, path_params) for endpoint, path in PRESETS[name].paths.items()}


Problem = Callable[[tuple[str | int, ...], str], ScenarioProblem]


def preset_problems(data: Mapping[str, Any], problem: Problem) -> list[ScenarioProblem]:
    """What a merged, schema-valid document gets wrong about its preset and quirks."""
    name = data.get("preset")
    quirks: Mapping[str, Any] = data.get("quirks", {})
    template = quirks.get("code_template")
    if template is not None:
        try:
            parse_template(template)
        except ValueError as exc:
            return [problem(("quirks", "code_template"), str(exc))]
    if name not in PRESETS:
        return []
    params: Mapping[str, str] = data.get("path_params", {})
    needed = [p for path in PRESETS[name].paths.values() for p in placeholders(path)]
    needed += placeholders(quirks.get("issuer_path", ""))
    needed += placeholders(quirks.get("access_token_audience") or "")
    found = [
        problem(("path_params",), f"preset {name!r} needs path_params.{missing}")
        for missing in dict.fromkeys(needed)
        if missing not in params
    ]
    environments = quirks.get("environments") or []
    environment = params.get("environment")
    if environment is not None and environments and environment not in environments:
        found.append(
            problem(
                ("path_params", "environment"),
                f"must be one of {', '.join(environments)}",
            )
        )
    return found


class Resolved(Struct, frozen=True):
    """A merged document's preset, worked out: paths, issuer path and fixed issuer."""

    paths: dict[str, str] | None
    issuer_path: str
    issuer: str | None


def resolve(data: Mapping[str, Any]) -> Resolved:
    """The preset of a checked document: its filled-in paths (None for no preset),
    its filled-in ``issuer_path``, and the issuer an ``environment`` implies."""
    name = data.get("preset")
    params: Mapping[str, str] = data.get("path_params", {})
    quirks: Mapping[str, Any] = data.get("quirks", {})
    paths = preset_paths(name, params) if name in PRESETS else None
    issuer = data.get("issuer")
    template = quirks.get("issuer_template")
    if issuer is None and template and "environment" in params:
        issuer = fill(template, params)
    return Resolved(paths, fill(quirks.get("issuer_path", ""), params), issuer)
