"""Fixtures shared by more than one test folder: the app in-process, one live server on a
random loopback port, and the browser. A fixture one folder uses lives in its conftest.

``idp`` is parametrized over both transports, so a test written once runs against the
ASGI app in-process and against uvicorn over real HTTP.
"""

from __future__ import annotations

import asyncio
import threading
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import httpx
import pytest
import uvicorn

from mockidp import MockIdPApp, Provider, create_app
from mockidp.scenario.loader import default_scenario
from tests.support.browser import launch_chromium
from tests.support.negative import guarded_client
from tests.support.wall import Wall

if TYPE_CHECKING:
    from playwright.sync_api import Browser

pytest_plugins = ["pytester"]  # only here: pytest reads pytest_plugins from the root conftest


@pytest.fixture
def anyio_backend() -> str:
    """Async tests run on asyncio."""
    return "asyncio"


@dataclass
class LiveServer:
    """A uvicorn server in a background thread, serving ``app`` at ``url``."""

    url: str
    app: MockIdPApp
    server: uvicorn.Server
    thread: threading.Thread

    @property
    def provider(self) -> Provider:
        return self.app.provider


def _start_live_server() -> LiveServer:
    app = create_app()
    config = uvicorn.Config(app, host="127.0.0.1", port=0, log_level="warning", lifespan="off")
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, name="mockidp-live", daemon=True)
    thread.start()
    for _ in range(500):
        if server.started:
            break
        threading.Event().wait(0.01)
    else:
        raise RuntimeError("the live mockidp server did not start")
    port = server.servers[0].sockets[0].getsockname()[1]
    return LiveServer(f"http://127.0.0.1:{port}", app, server, thread)


@pytest.fixture(scope="session")
def live_server() -> Iterator[LiveServer]:
    """One real mockidp server for the whole session (default scenario)."""
    live = _start_live_server()
    yield live
    live.server.should_exit = True
    live.thread.join(timeout=5)


@pytest.fixture
def live(live_server: LiveServer) -> Iterator[LiveServer]:
    """The live server, with its state and scenario reset after the test."""
    yield live_server
    live_server.provider.use_scenario(default_scenario())
    live_server.provider.reset()
    live_server.provider.clock.reset()


@dataclass
class IdP:
    """A provider reachable over one transport: ``client()`` makes httpx clients for it."""

    kind: str
    base_url: str
    provider: Provider
    app: MockIdPApp

    def client(
        self, cls: type[httpx.AsyncClient] = httpx.AsyncClient, **kwargs: Any
    ) -> httpx.AsyncClient:
        """An httpx (or Authlib, or any AsyncClient subclass) client routed to the provider."""
        if self.kind == "asgi":
            from tests.support.transports import asgi_transport_for

            kwargs.setdefault("transport", asgi_transport_for(cls, self.app))
        kwargs.setdefault("base_url", self.base_url)
        return cls(**kwargs)


@pytest.fixture(params=["asgi", "live"])
def idp(request: pytest.FixtureRequest) -> Iterator[IdP]:
    """The default-scenario provider, in-process (asgi) and over loopback HTTP (live)."""
    if request.param == "asgi":
        app = create_app()
        yield IdP("asgi", "http://mockidp.test", app.provider, app)
    else:
        live: LiveServer = request.getfixturevalue("live")
        yield IdP("live", live.url, live.provider, live.app)


@pytest.fixture
async def http(idp: IdP) -> AsyncIterator[httpx.AsyncClient]:
    """A plain httpx client for ``idp`` that does not follow redirects."""
    async with idp.client() as client:
        yield client


@pytest.fixture
async def web(idp: IdP) -> AsyncIterator[httpx.AsyncClient]:
    """A cookie-keeping client for ``idp`` (both transports) that fails the test on any 5xx."""
    async with guarded_client(idp) as client:
        yield client


@pytest.fixture
def app() -> MockIdPApp:
    """A fresh in-process app on the default scenario."""
    return create_app()


@pytest.fixture
async def client(app: MockIdPApp) -> AsyncIterator[httpx.AsyncClient]:
    """An httpx client bound in-process to ``app``."""
    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app=app), base_url="http://mockidp.test"
    ) as c:
        yield c


def run(coro: Any) -> Any:
    """Run a coroutine from sync code (helpers only; tests use anyio)."""
    return asyncio.run(coro)


def request_in_process(app: MockIdPApp, method: str, url: str, **kwargs: Any) -> httpx.Response:
    """One request to ``app`` in-process, from sync code (each thread runs its own loop)."""

    async def go() -> httpx.Response:
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://mockidp.test") as c:
            return await c.request(method, url, **kwargs)

    return run(go())


@pytest.fixture
def event_loop_for_mangum() -> Iterator[None]:
    """Mangum runs each call on the thread's current event loop (a Lambda process has one,
    for good): give the test one, and close it after (else its sockets leak into a later
    test's warnings)."""
    loop = asyncio.new_event_loop()
    asyncio.set_event_loop(loop)
    yield
    asyncio.set_event_loop(None)
    loop.close()


# -- browser tests (tests/support/browser.py) ----------------------------------------------


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    """One headless Debian Chromium per module (never per session: see tests/support/browser.py)."""
    with launch_chromium() as chromium:
        yield chromium


@pytest.fixture(scope="session")
def mockidp_tls_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The suite's local CA lives in a temporary folder, not the user's cache."""
    return tmp_path_factory.mktemp("tls")


@pytest.fixture
def wall(monkeypatch: pytest.MonkeyPatch) -> Wall:
    """``time.time`` under the test's hand, from ``tests.support.wall.START``."""
    return Wall(monkeypatch)
