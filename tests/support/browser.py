"""Shared by the browser tests: one headless Debian Chromium, and a loopback relying party.

Browsers live per module, not per session: while Playwright's sync API is started,
asyncio sees its event loop as running in this thread, so every anyio test collected
after a session-scoped browser would fail ("Cannot run the event loop while another
loop is running").
"""

from __future__ import annotations

import os
import shutil
import subprocess
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from html import escape
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import TYPE_CHECKING, Any
from urllib.parse import parse_qs, urlsplit

import pytest

if TYPE_CHECKING:
    from playwright.sync_api import Browser

CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]


def unavailable(reason: str) -> None:
    """Skip locally, but fail under CI: a CI run must never silently drop these tests."""
    if os.environ.get("CI") == "true":
        pytest.fail(f"{reason} (CI=true, so this is an error, not a skip)", pytrace=False)
    pytest.skip(reason)


def nss_home(ca_file: Path, home: Path) -> dict[str, str]:
    """An environment whose ``HOME`` holds an NSS database trusting ``ca_file``.

    Chromium on Linux takes its trusted CAs from ``$HOME/.pki/nssdb`` besides the
    system's; it has no switch naming a CA file. ``certutil`` is Debian's libnss3-tools.
    """
    certutil = shutil.which("certutil")
    if certutil is None:
        unavailable("no certutil on PATH (Debian: apt-get install libnss3-tools)")
        raise AssertionError("unreachable")
    db = home / ".pki" / "nssdb"
    db.mkdir(parents=True, exist_ok=True)
    subprocess.run([certutil, "-d", f"sql:{db}", "-N", "--empty-password"], check=True)
    subprocess.run(
        [certutil, "-d", f"sql:{db}", "-A", "-t", "C,,", "-n", "mockidp-ca", "-i", str(ca_file)],
        check=True,
    )
    return {**os.environ, "HOME": str(home)}


@contextmanager
def launch_chromium(*, env: dict[str, str] | None = None) -> Iterator[Browser]:
    """Debian's headless Chromium driven by Playwright (which cannot download browsers here).

    ``env``: the browser's environment (:func:`nss_home` to trust a CA)."""
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        unavailable("the playwright package is not installed (pip install -e '.[test,interop]')")
        raise  # unreachable: unavailable always raises
    executable = shutil.which("chromium")
    if executable is None:
        unavailable("no chromium on PATH (Debian: apt-get install chromium)")
        raise AssertionError("unreachable")
    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(
            executable_path=executable, headless=True, args=CHROMIUM_ARGS, env=env
        )
        yield chromium
        chromium.close()


@dataclass(frozen=True)
class Hit:
    """One request that reached the relying party."""

    method: str
    url: str
    form: dict[str, str]


def single(values: dict[str, list[str]]) -> dict[str, str]:
    """parse_qs output, insisting that no parameter is repeated."""
    assert all(len(v) == 1 for v in values.values()), values
    return {k: v[0] for k, v in values.items()}


@dataclass
class RelyingParty:
    """A loopback HTTP server standing in for the client application.

    Every path answers "landed" (GET or POST) and is recorded in ``hits``, except
    ``/frame?src=URL``, a page that puts URL in an iframe, and ``/favicon.ico``.
    """

    url: str
    hits: list[Hit] = field(default_factory=list)

    @property
    def callback(self) -> str:
        return f"{self.url}/callback"

    @property
    def logged_out(self) -> str:
        return f"{self.url}/logged-out"


def _handler(rp: RelyingParty) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            parts = urlsplit(self.path)
            if parts.path == "/favicon.ico":
                self._send(404, "text/plain", b"")
            elif parts.path == "/frame":
                src = single(parse_qs(parts.query))["src"]
                page = f'<iframe id="victim" src="{escape(src)}"></iframe>'
                self._send(200, "text/html; charset=utf-8", page.encode())
            else:
                self._land({})

        def do_POST(self) -> None:
            body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
            self._land(single(parse_qs(body.decode(), keep_blank_values=True)))

        def _land(self, form: dict[str, str]) -> None:
            rp.hits.append(Hit(self.command, f"{rp.url}{self.path}", form))
            self._send(200, "text/plain; charset=utf-8", b"landed")

        def _send(self, status: int, content_type: str, body: bytes) -> None:
            self.send_response(status)
            self.send_header("Content-Type", content_type)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, format: str, *args: Any) -> None:
            pass

    return Handler


@contextmanager
def serve_relying_party() -> Iterator[RelyingParty]:
    """A RelyingParty listening on a random loopback port until the block ends."""
    rp = RelyingParty("")
    server = ThreadingHTTPServer(("127.0.0.1", 0), _handler(rp))
    server.daemon_threads = True
    rp.url = f"http://127.0.0.1:{server.server_address[1]}"
    thread = threading.Thread(target=server.serve_forever, name="relying-party", daemon=True)
    thread.start()
    try:
        yield rp
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)
