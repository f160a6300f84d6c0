"""Tests of other people's libraries (the ``interop`` extra): skipped locally without them,
failed under CI, where a missing library must never silently drop tests.

A test module imports them in a ``try`` and hands the ImportError to :func:`missing`::

    try:
        import msal
    except ImportError as exc:
        missing(exc)
"""

from __future__ import annotations

import os
from typing import NoReturn

import pytest

INSTALL = "pip install -e '.[test,interop]'"


def missing(exc: ImportError, *, extra: str = "interop") -> NoReturn:
    """Skip the importing module, or fail it when ``CI=true``."""
    name = exc.name or str(exc)
    reason = f"{name} is not installed: it comes with the {extra} extra ({INSTALL})"
    if os.environ.get("CI") == "true":
        pytest.fail(f"{reason} (CI=true, so this is an error, not a skip)", pytrace=False)
    pytest.skip(reason, allow_module_level=True)
