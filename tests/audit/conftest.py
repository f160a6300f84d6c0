"""The audit's fixtures: a sample app served on a loopback port, next to the live mockidp."""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from typing import Any

import pytest
import uvicorn

from tests.audit.sample_app import SampleApp


class Served:
    """uvicorn serving an ASGI app on a random loopback port, in a daemon thread."""

    def __init__(self, app: Any) -> None:
        config = uvicorn.Config(app, host="127.0.0.1", port=0, log_level="warning", lifespan="off")
        self.server = uvicorn.Server(config)
        self.thread = threading.Thread(target=self.server.run, name="audit-app", daemon=True)
        self.thread.start()
        for _ in range(500):
            if self.server.started:
                break
            threading.Event().wait(0.01)
        else:
            raise RuntimeError("the sample app did not start")
        port = self.server.servers[0].sockets[0].getsockname()[1]
        self.url = f"http://127.0.0.1:{port}"

    def stop(self) -> None:
        self.server.should_exit = True
        self.thread.join(timeout=5)


@pytest.fixture
def serve_app() -> Iterator[Callable[[SampleApp], str]]:
    """Serve sample apps for one test; each call answers the app's base URL."""
    served: list[tuple[Served, SampleApp]] = []

    def serve(app: SampleApp) -> str:
        served.append((Served(app.asgi), app))
        return served[-1][0].url

    yield serve
    for one, app in served:
        one.stop()
        app.http.close()
