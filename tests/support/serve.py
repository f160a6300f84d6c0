"""``mockidp serve`` as a real process, for the tests that need one."""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
import time

import httpx


def serve(*args: str, env: dict[str, str] | None = None) -> tuple[subprocess.Popen[str], str, str]:
    """Start ``mockidp serve``; return the process, its issuer and its whole banner."""
    proc = subprocess.Popen(
        [sys.executable, "-m", "mockidp", "serve", "--port", "0", *args],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        env={**os.environ, **(env or {})},
    )
    assert proc.stdout is not None
    banner = ""
    while "listening" not in banner:
        line = proc.stdout.readline()
        if not line:
            proc.stdout.close()
            raise AssertionError(banner + "(the server exited)")
        banner += line
    issuer = re.search(r"mockidp: issuer (https?://\S+)", banner)
    listening = re.search(r"listening  (http://\S+)", banner)
    assert issuer and listening, banner
    _wait_ready(listening.group(1))
    return proc, issuer.group(1), banner


def stop(proc: subprocess.Popen[str]) -> str:
    """Stop the server with Ctrl-C; what it printed after the banner (its request log)."""
    assert proc.stdout is not None
    proc.send_signal(signal.SIGINT)
    with proc.stdout:
        out = proc.stdout.read()
    proc.wait(timeout=10)
    assert proc.returncode == 0, out
    assert "Traceback" not in out
    return out


def _wait_ready(url: str) -> None:
    for _ in range(200):
        try:
            httpx.get(url + "/.well-known/jwks.json", timeout=1)
            return
        except httpx.TransportError:
            time.sleep(0.02)
    raise AssertionError("server did not answer")
