"""generic: the full layout of a standards OpenID Provider (reference 002), mockidp's default."""

from __future__ import annotations

from typing import Any

from mockidp.model.layout import GENERIC_PATHS

NAME = "generic"
DESCRIPTION = "Standards OpenID Provider: /authorize, /token, /userinfo, /introspect, ..."
PATHS = dict(GENERIC_PATHS)
SCENARIO: dict[str, Any] = {}
