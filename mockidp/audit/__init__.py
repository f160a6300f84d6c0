"""Does the app reject what it must? An audit of a relying party's ID token validation.

An edge, like ``testing/``: it uses the core and the control API over HTTP, and nothing
in the package imports it but the command line. docs/audit.md describes the cases.
"""

from __future__ import annotations

import importlib
from typing import Any

__all__ = ["CASES", "Attempt", "Case", "HttpSignIn", "Outcome", "audit_cases", "check_case"]

# Resolved on first use (PEP 562): every `mockidp` command builds its parser with the
# audit's sub-command (mockidp.audit.command), which must not load the audit itself.
_HOMES = {
    "CASES": "mockidp.audit.cases",
    "Case": "mockidp.audit.cases",
    "audit_cases": "mockidp.audit.pytest_api",
    "check_case": "mockidp.audit.pytest_api",
    "Attempt": "mockidp.audit.browser",
    "HttpSignIn": "mockidp.audit.browser",
    "Outcome": "mockidp.audit.runner",
}


def __getattr__(name: str) -> Any:
    home = _HOMES.get(name)
    if home is None:
        raise AttributeError(f"module 'mockidp.audit' has no attribute {name!r}")
    value = getattr(importlib.import_module(home), name)
    globals()[name] = value
    return value
