"""Node.js and the npm packages of tests/interop, for the tests that run them.

A missing Node or package skips such a test locally but fails it under CI (as the
browser tests do): CI installs both, so a silent skip there would drop the interop
suite without anyone noticing.
"""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

from tests.support.browser import unavailable

INTEROP = Path(__file__).resolve().parents[1] / "interop"
NODE = shutil.which("node")
MIN_NODE = 20
"""openid-client 6 and @superoffice/webapi need WebCrypto globals (Node.js 20)."""


def node_major() -> int:
    """The installed Node.js major version (0 when node does not run)."""
    if NODE is None:
        return 0
    try:
        done = subprocess.run([NODE, "--version"], capture_output=True, text=True, timeout=30)
        return int(done.stdout.strip().lstrip("v").split(".")[0])
    except (OSError, ValueError, subprocess.SubprocessError):
        return 0


def require_interop(package: str) -> str:
    """The path of node, with ``package`` installed in tests/interop; else skip (fail
    under CI)."""
    if NODE is None:
        unavailable(f"node is not installed ({package} interop)")
    elif node_major() < MIN_NODE:
        unavailable(f"{package} needs Node.js >= {MIN_NODE}")
    elif not (INTEROP / "node_modules" / package).is_dir():
        unavailable(f"{package} is not installed: run `npm ci --prefix tests/interop`")
    assert NODE is not None
    return NODE
