"""``mockidp serve`` as a real process, for the tests that need one."""

from __future__ import annotations

import os
import re
import signal
import ssl
import subprocess
import sys
import time

import httpx


def serve(
    *args: str, env: dict[str, str] | None = None, ca_file: str | None = None
) -> tuple[subprocess.Popen[str], str, str]:
    """Start ``mockidp serve``; return the process, its issuer and its whole banner.

    Over HTTPS the readiness check trusts ``ca_file``, else the CA the banner names."""
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
    listening = re.search(r"listening  (https?://\S+)", banner)
    assert issuer and listening, banner
    ca = re.search(r"tls        CA (\S+)", banner)
    ca_file = ca_file or (ca.group(1) if ca else None)
    _wait_ready(listening.group(1), verify=ssl_context(ca_file) if ca_file else True)
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


def ssl_context(ca_file: str) -> ssl.SSLContext:
    """A client TLS context trusting only ``ca_file``."""
    return ssl.create_default_context(cafile=ca_file)


def _wait_ready(url: str, *, verify: ssl.SSLContext | bool = True) -> None:
    for _ in range(200):
        try:
            httpx.get(url + "/.well-known/jwks.json", timeout=1, verify=verify)
            return
        except httpx.TransportError:
            time.sleep(0.02)
    raise AssertionError("server did not answer")
