"""A single-page app on its own loopback origin, so a browser's calls from it to mockidp
are cross-origin and CORS is enforced for real (tests/e2e/test_vendor_*_js.py)."""

from __future__ import annotations

import threading
from collections.abc import Callable
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

Page = Callable[[], tuple[bytes, str]]
"""A path's answer, made per request: its body and Content-Type."""


class Spa:
    """Serves ``pages`` (path -> answer) at ``origin`` until :meth:`close`."""

    def __init__(self, pages: dict[str, Page]) -> None:
        self.pages = pages
        self.server = ThreadingHTTPServer(("127.0.0.1", 0), self._handler())
        self.origin = f"http://127.0.0.1:{self.server.server_address[1]}"
        self._thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self._thread.start()

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()

    def _handler(self) -> type[BaseHTTPRequestHandler]:
        pages = self.pages

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                page = pages.get(self.path.split("?", 1)[0].split("#", 1)[0])
                if page is None:
                    self.send_error(404)
                    return
                body, kind = page()
                self.send_response(200)
                self.send_header("Content-Type", kind)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, format: str, *args: Any) -> None:
                pass

        return Handler


def html(text: Callable[[], str]) -> Page:
    return lambda: (text().encode("utf-8"), "text/html; charset=utf-8")


def script(path: Any) -> Page:
    return lambda: (path.read_bytes(), "text/javascript")
