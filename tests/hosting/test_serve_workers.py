"""``mockidp serve --workers N``: several processes on one port, one shared state.

Which worker accepts a connection is the kernel's choice. A keep-alive connection stays
with its worker, and each worker keeps its own request log, so a request made on one
connection and missing from another connection's log proves the two are served by
different workers; the tests find such a pair before relying on it.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from mockidp.cli import main
from tests.support.flows import PKCE_VERIFIER, code_of, code_request
from tests.support.serve import serve, stop

pytestmark = pytest.mark.skipif(
    not sys.platform.startswith("linux"), reason="these tests watch the workers in /proc"
)

REDIRECT_URI = "http://localhost:8080/callback"


def _children(pid: int) -> list[int]:
    return [int(p) for p in Path(f"/proc/{pid}/task/{pid}/children").read_text().split()]


def _marked(client: httpx.Client) -> str:
    """Make a request only this connection's worker logs (a refused grant type); its marker."""
    marker = uuid.uuid4().hex
    client.post("/token", data={"grant_type": marker})
    return marker


def _logged(client: httpx.Client, marker: str) -> bool:
    log = client.get("/_mockidp/requests", params={"endpoint": "token"}).json()["requests"]
    return any(entry["grant_type"] == marker for entry in log)


def _two_workers(issuer: str) -> tuple[httpx.Client, httpx.Client, list[httpx.Client]]:
    """Two keep-alive connections served by different workers (and every one opened)."""
    opened: list[httpx.Client] = []
    for _ in range(40):
        client = httpx.Client(base_url=issuer, timeout=10)
        opened.append(client)
        marker = _marked(client)
        for other in opened[:-1]:
            if not _logged(other, marker):
                return other, client, opened
        time.sleep(0.01)  # let the other worker be the idle one for the next connection
    for client in opened:
        client.close()
    raise AssertionError("40 connections all reached one worker")


@pytest.fixture
def workers() -> Iterator[tuple[subprocess.Popen[str], str, str]]:
    proc, issuer, banner = serve("--workers", "2", "--quiet")
    try:
        yield proc, issuer, banner
    finally:
        if proc.poll() is None:
            stop(proc)


def _code(client: httpx.Client) -> str:
    scope = "openid email offline_access"
    answer = client.get(
        "/authorize", params=code_request("mockidp-public", REDIRECT_URI, scope=scope)
    )
    return code_of(answer)


def test_two_workers_share_codes_tokens_and_control_changes(
    workers: tuple[subprocess.Popen[str], str, str],
) -> None:
    proc, issuer, banner = workers
    assert "workers    2 processes, state shared in sqlite://" in banner
    assert len(_children(proc.pid)) == 2
    one, two, opened = _two_workers(issuer)
    try:
        # a code from one worker is redeemed at the other, once
        code = _code(one)
        form = {
            "grant_type": "authorization_code",
            "code": code,
            "redirect_uri": REDIRECT_URI,
            "client_id": "mockidp-public",
            "code_verifier": PKCE_VERIFIER,
        }
        tokens = two.post("/token", data=form)
        assert tokens.status_code == 200, tokens.text
        # the access token works at both, the refresh token rotates across them
        bearer = {"Authorization": f"Bearer {tokens.json()['access_token']}"}
        assert one.get("/userinfo", headers=bearer).json()["sub"] == "alice"
        refreshed = one.post(
            "/token",
            data={
                "grant_type": "refresh_token",
                "refresh_token": tokens.json()["refresh_token"],
                "client_id": "mockidp-public",
            },
        )
        assert refreshed.status_code == 200, refreshed.text
        bearer = {"Authorization": f"Bearer {refreshed.json()['access_token']}"}
        assert two.get("/userinfo", headers=bearer).status_code == 200
        # the code is spent everywhere; replaying it revokes its family everywhere
        assert one.post("/token", data=form).json()["error"] == "invalid_grant"
        assert two.get("/userinfo", headers=bearer).status_code == 401
        # a control change made at one worker is in force at the other
        added = one.post(
            "/_mockidp/users", json={"sub": "carol", "claims": {"email": "carol@example.com"}}
        )
        assert added.status_code == 201, added.text
        assert two.get("/_mockidp/users/carol").json()["sub"] == "carol"
        one.patch("/_mockidp/scenario", json={"default_user": "carol"})
        carol = two.post("/token", data={**form, "code": _code(two)}).json()
        bearer = {"Authorization": f"Bearer {carol['access_token']}"}
        assert one.get("/userinfo", headers=bearer).json()["sub"] == "carol"
    finally:
        for client in opened:
            client.close()


def test_ctrl_c_stops_every_worker(workers: tuple[subprocess.Popen[str], str, str]) -> None:
    proc, _, _ = workers
    children = _children(proc.pid)
    stop(proc)  # SIGINT to the parent alone; it exits 0
    for child in children:
        assert not Path(f"/proc/{child}").exists() or _zombie(child)


def test_a_worker_that_dies_stops_the_server(
    workers: tuple[subprocess.Popen[str], str, str],
) -> None:
    proc, _, _ = workers
    first, second = _children(proc.pid)
    os.kill(first, signal.SIGKILL)
    assert proc.wait(timeout=15) == 1
    assert proc.stdout is not None
    out = proc.stdout.read()
    proc.stdout.close()
    assert f"worker {first} ended (exit -9); stopping" in out
    assert not Path(f"/proc/{second}").exists() or _zombie(second)


def _zombie(pid: int) -> bool:
    try:
        return " Z " in Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return True


def test_workers_must_be_one_or_more(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["serve", "--workers", "0", "--port", "0"]) == 2
    assert "--workers must be 1 or more" in capsys.readouterr().err


def test_the_temporary_state_file_is_removed_at_exit() -> None:
    proc, _, banner = serve("--workers", "2", "--quiet")
    state = banner.split("state shared in sqlite://", 1)[1].split()[0]
    assert Path(state).exists()
    stop(proc)
    assert not Path(state).parent.exists()


def test_a_named_store_is_used_and_kept(tmp_path: Path) -> None:
    store = f"sqlite://{tmp_path / 'state.db'}"
    proc, issuer, banner = serve("--workers", "2", "--quiet", "--store", store)
    try:
        assert f"state shared in {store}" in banner
        added = httpx.post(issuer + "/_mockidp/users", json={"sub": "dave"})
        assert added.status_code == 201
    finally:
        stop(proc)
    assert (tmp_path / "state.db").exists()
    # a restarted server on the same file starts from what the last one left
    proc, issuer, _ = serve("--quiet", "--store", store)
    try:
        assert httpx.get(issuer + "/_mockidp/users/dave").status_code == 200
    finally:
        stop(proc)


def test_serve_refuses_workers_without_fork(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delattr(os, "fork")
    assert main(["serve", "--workers", "2", "--port", "0"]) == 2
