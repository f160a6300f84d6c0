"""Serving an app to tests: httpx transports into it (sync and async), and a live uvicorn
server."""

from __future__ import annotations

import contextlib
import threading

import anyio.from_thread
import httpx

from mockidp.asgi import MockIdPApp
from mockidp.hosting.tls import TLSFiles

TRANSPORT_ATTRIBUTES = {
    ("httpx", "async"): "transport",
    ("httpx", "sync"): "sync_transport",
    ("httpx2", "async"): "httpx2_transport",
    ("httpx2", "sync"): "httpx2_sync_transport",
}
"""The MockIdP attribute holding each library's transport of each kind."""


def check_library(request: object, expected: str, kind: str) -> None:
    """httpx and httpx2 have one API but distinct classes: a transport given to the other
    library's client would fail deep inside it with a bare AssertionError, so it raises a
    TypeError naming the MockIdP attribute to use instead."""
    library = type(request).__module__.partition(".")[0]
    if library == expected:
        return
    given = TRANSPORT_ATTRIBUTES[(expected, kind)]
    right = TRANSPORT_ATTRIBUTES.get((library, kind))
    advice = f"use mockidp.{right} instead" if right else "mockidp serves httpx and httpx2"
    raise TypeError(
        f"mockidp.{given} is a transport for {expected} clients, but a {library} client "
        f"was given it: {advice}"
    )


class ASGITransport(httpx.ASGITransport):
    """httpx.ASGITransport that names the right transport when an httpx2 client uses it."""

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        check_library(request, "httpx", "async")
        return await super().handle_async_request(request)


class SyncASGITransport(httpx.BaseTransport):
    """httpx.ASGITransport for sync clients: requests run on an event loop in a helper
    thread (started on first use, stopped by :meth:`close`)."""

    def __init__(self, app: MockIdPApp) -> None:
        self._async = httpx.ASGITransport(app=app)
        self._stack: contextlib.ExitStack | None = None
        self._portal: anyio.from_thread.BlockingPortal | None = None
        self._lock = threading.Lock()

    def _get_portal(self) -> anyio.from_thread.BlockingPortal:
        with self._lock:
            if self._portal is None:
                self._stack = contextlib.ExitStack()
                self._portal = self._stack.enter_context(anyio.from_thread.start_blocking_portal())
            return self._portal

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        check_library(request, "httpx", "sync")
        request.read()  # a ByteStream, which the async transport can iterate too

        async def call() -> tuple[int, httpx.Headers, bytes]:
            response = await self._async.handle_async_request(request)
            return response.status_code, response.headers, await response.aread()

        status, headers, content = self._get_portal().call(call)
        return httpx.Response(status, headers=headers, content=content, request=request)

    def close(self) -> None:
        with self._lock:
            if self._stack is not None:
                self._stack.close()
            self._stack = self._portal = None


class LiveServer:
    """uvicorn serving ``app`` on a random loopback port, in a daemon thread; over HTTPS
    with ``tls`` (then ``ca_file`` is the CA clients must trust, when there is one)."""

    def __init__(
        self, app: MockIdPApp, *, host: str = "127.0.0.1", tls: TLSFiles | None = None
    ) -> None:
        import uvicorn  # only a live server needs it; in-process tests never do

        config = uvicorn.Config(
            app,
            host=host,
            port=0,
            log_level="warning",
            lifespan="off",
            ssl_certfile=tls.cert_file if tls else None,
            ssl_keyfile=tls.key_file if tls else None,
        )
        self.ca_file = tls.ca_file if tls else None
        self.server = uvicorn.Server(config)
        self.thread = threading.Thread(target=self.server.run, name="mockidp-live", daemon=True)
        self.thread.start()
        for _ in range(1000):
            if self.server.started or not self.thread.is_alive():
                break
            threading.Event().wait(0.01)
        if not self.server.started:
            raise RuntimeError("the live mockidp server did not start")
        port = self.server.servers[0].sockets[0].getsockname()[1]
        name = f"[{host}]" if ":" in host else host
        self.url = f"{'https' if tls else 'http'}://{name}:{port}"

    def stop(self) -> None:
        self.server.should_exit = True
        self.thread.join(timeout=5)
