"""The distribution's name on PyPI and the installed version.

The import package, the ``mockidp`` command and the pytest plugin are all ``mockidp``,
but the distribution is ``mockidp-oidc``: PyPI compares names with ``-``, ``_`` and
``.`` removed, and ``mock-idp`` (another project) makes ``mockidp`` too similar to upload.
"""

from __future__ import annotations

import importlib.metadata
from typing import Final

__all__ = ["DISTRIBUTION", "installed_version"]

DISTRIBUTION: Final = "mockidp-oidc"


def installed_version() -> str:
    """The installed distribution's version; ``unknown`` in a source tree never installed."""
    try:
        return importlib.metadata.version(DISTRIBUTION)
    except importlib.metadata.PackageNotFoundError:
        return "unknown"
