"""The container image's HEALTHCHECK (mockidp/hosting/healthcheck.py) on this host."""

from __future__ import annotations

import http.server
import os
import subprocess
import sys
import threading
from collections.abc import Iterator
from urllib.parse import urlsplit

import pytest

from mockidp.hosting.healthcheck import healthy
from tests.support.container import free_port
from tests.support.serve import serve, stop


def _port(url: str) -> str:
    return str(urlsplit(url).port)


def test_healthy_while_serving_and_its_exit_status() -> None:
    proc, issuer, _ = serve()
    try:
        assert healthy({"MOCKIDP_PORT": _port(issuer)})
        done = subprocess.run(
            [sys.executable, "-m", "mockidp.hosting.healthcheck"],
            env={**os.environ, "MOCKIDP_PORT": _port(issuer)},
            timeout=30,
            check=False,
        )
        assert done.returncode == 0
    finally:
        stop(proc)


def test_healthy_when_a_preset_moves_discovery() -> None:
    proc, issuer, _ = serve("--preset", "keycloak")
    try:
        assert issuer.endswith("/realms/mockidp")  # nothing at the root discovery path
        assert healthy({"MOCKIDP_PORT": _port(issuer)})
    finally:
        stop(proc)


def test_unhealthy_when_nothing_listens() -> None:
    port = str(free_port())
    assert not healthy({"MOCKIDP_PORT": port})
    done = subprocess.run(
        [sys.executable, "-m", "mockidp.hosting.healthcheck"],
        env={**os.environ, "MOCKIDP_PORT": port},
        timeout=30,
        check=False,
    )
    assert done.returncode == 1


class _Failing(http.server.BaseHTTPRequestHandler):
    def do_GET(self) -> None:
        self.send_response(500)
        self.end_headers()

    def log_message(self, format: str, *args: object) -> None:
        pass


@pytest.fixture
def failing_server() -> Iterator[int]:
    server = http.server.HTTPServer(("127.0.0.1", 0), _Failing)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield server.server_address[1]
    server.shutdown()
    server.server_close()


def test_unhealthy_when_the_server_fails(failing_server: int) -> None:
    assert not healthy({"MOCKIDP_PORT": str(failing_server)})
