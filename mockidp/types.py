"""Type aliases shared across the package."""

from __future__ import annotations

from typing import Any, TypeAlias

JSONObject: TypeAlias = dict[str, Any]
"""A JSON object as parsed by :mod:`json`: claims, records, metadata documents."""

Params: TypeAlias = dict[str, str]
"""Request parameters after duplicate checks: one value per name."""
