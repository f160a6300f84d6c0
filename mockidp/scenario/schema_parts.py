"""The building blocks of the scenario schema (:mod:`mockidp.scenario.schema` and the rule
sections in :mod:`mockidp.scenario.rule_schema`): common value types and helpers."""

from __future__ import annotations

from typing import Any

from mockidp.types import JSONObject

NAME: JSONObject = {"type": "string", "minLength": 1, "maxLength": 512}
URI: JSONObject = {"type": "string", "minLength": 1, "maxLength": 2048}
SECONDS: JSONObject = {"type": "integer", "minimum": 1, "maximum": 10 * 365 * 24 * 3600}
COUNT: JSONObject = {"type": "integer", "minimum": 1}


def one_or_many(item: JSONObject) -> JSONObject:
    """One value of ``item``'s type, or a non-empty list of them."""
    return {"oneOf": [item, {"type": "array", "items": item, "minItems": 1}]}


def object_schema(description: str, properties: dict[str, Any], **extra: Any) -> JSONObject:
    """An object with exactly these properties (a misspelt key is an error)."""
    return {
        "type": "object",
        "description": description,
        "additionalProperties": False,
        "properties": properties,
        **extra,
    }
