"""Benchmark harness for issue 10: mockidp against its peers, and its own start-up costs.

Run from the repository root (see bench/README.md for installing the peers):

    .venv/bin/python bench/compare.py                 # everything, ~3-4 minutes
    .venv/bin/python bench/compare.py --quick         # fewer repetitions, ~1 minute
    .venv/bin/python bench/compare.py --only flow,throughput --json out.json

Prints one table. Loopback figures use ``bench/lightclient.py`` (one keep-alive socket
per client, prebuilt requests); in-process figures use httpx (``bench/flow.py``). Peers
that are not installed are skipped, and the table says so. Not part of the pytest run.
"""

from __future__ import annotations

import argparse
import asyncio
import base64
import hashlib
import json
import multiprocessing
import os
import platform
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import textwrap
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlencode, urlsplit

BENCH = Path(__file__).resolve().parent
ROOT = BENCH.parent
sys.path.insert(0, str(BENCH))
from lightclient import Connection  # noqa: E402

PEERS_DIR = Path(os.environ.get("MOCKIDP_BENCH_PEERS", "/work/peers"))
PEER_PYTHON = PEERS_DIR / "venv" / "bin" / "python"
PEER_NODE_SERVER = (
    PEERS_DIR / "node" / "node_modules" / "oauth2-mock-server" / "dist" / "oauth2-mock-server.mjs"
)
HOST = "127.0.0.1"
REDIRECT_URI = "http://127.0.0.1:8080/callback"
VERIFIER = base64.urlsafe_b64encode(hashlib.sha256(b"mockidp bench").digest()).rstrip(b"=").decode()
CHALLENGE = (
    base64.urlsafe_b64encode(hashlib.sha256(VERIFIER.encode()).digest()).rstrip(b"=").decode()
)
FORM = {"Content-Type": "application/x-www-form-urlencoded"}
DISCOVERY = "/.well-known/openid-configuration"

TARGET_RATIO = 0.5
TARGET_INPROC_FLOOR = 1.5
TARGET_FIXTURE_START_MS = 50.0
TARGET_RESET_MS = 1.0
TARGET_COLD_IMPORT_MS = 300.0


def basic(user: str, password: str) -> dict[str, str]:
    raw = base64.b64encode(f"{user}:{password}".encode()).decode()
    return {"Authorization": f"Basic {raw}"}


def free_port() -> int:
    with socket.socket() as s:
        s.bind((HOST, 0))
        return int(s.getsockname()[1])


def code_of(location: str) -> str:
    query = parse_qs(urlsplit(location).query)
    if "code" not in query:
        raise RuntimeError(f"no code in the redirect: {location}")
    return query["code"][0]


# -- the servers -------------------------------------------------------------------------


class Server:
    """A server under test: how to start it and how to drive the same flow through it."""

    name = ""
    label = ""
    supports_client_credentials = True
    public_client = ""
    """The public (PKCE) client the default flow and refresh use."""
    confidential: tuple[str, str] = ("", "")
    """(client_id, secret) for client_credentials."""

    def installed(self) -> str | None:
        """None when it can run, else why not."""
        return None

    def command(self, port: int) -> list[str]:
        raise NotImplementedError

    def env(self) -> dict[str, str]:
        return dict(os.environ)

    def flow(self, conn: Connection, scope: str = "openid profile email") -> dict[str, Any]:
        """authorize -> code -> token -> userinfo; returns the token response.

        By default: the public client signs in automatically at ``GET /authorize`` and
        redeems the code with its PKCE verifier at ``/token``.
        """
        answer = conn.request("GET", f"/authorize?{authorize_query(self.public_client, scope)}")
        if answer.status != 302:
            raise RuntimeError(f"authorize answered {answer.status}: {answer.body[:200]!r}")
        form = urlencode(
            {
                "grant_type": "authorization_code",
                "code": code_of(answer.headers["location"]),
                "redirect_uri": REDIRECT_URI,
                "client_id": self.public_client,
                "code_verifier": VERIFIER,
            }
        ).encode()
        tokens = _check_tokens(conn.request("POST", "/token", FORM, form))
        _check_userinfo(conn, "/userinfo", tokens["access_token"])
        return tokens

    def refresh_grant(self, conn: Connection, refresh_token: str) -> tuple[int, str]:
        """One refresh_token grant: (status, the refresh token to use next)."""
        form = urlencode(
            {
                "grant_type": "refresh_token",
                "refresh_token": refresh_token,
                "client_id": self.public_client,
            }
        ).encode()
        return _next_refresh_token(conn.request("POST", "/token", FORM, form), refresh_token)

    def client_credentials(self, conn: Connection) -> int:
        headers = {**FORM, **basic(*self.confidential)}
        return conn.request("POST", "/token", headers, b"grant_type=client_credentials").status

    def refresh_seed(self, conn: Connection) -> str:
        tokens = self.flow(conn, "openid offline_access")
        return str(tokens["refresh_token"])


def authorize_query(client_id: str, scope: str) -> str:
    return urlencode(
        {
            "response_type": "code",
            "client_id": client_id,
            "redirect_uri": REDIRECT_URI,
            "scope": scope,
            "state": "af0ifjsldkj",
            "code_challenge": CHALLENGE,
            "code_challenge_method": "S256",
        }
    )


def _next_refresh_token(answer: Any, refresh_token: str) -> tuple[int, str]:
    """A refresh answer's status and the refresh token to use next (the same one when
    the server does not rotate, or the request failed)."""
    if answer.status != 200:
        return answer.status, refresh_token
    return 200, str(answer.json().get("refresh_token", refresh_token))


def _check_userinfo(conn: Connection, path: str, access_token: str) -> None:
    info = conn.request("GET", path, {"Authorization": f"Bearer {access_token}"})
    if info.status != 200 or "sub" not in info.json():
        raise RuntimeError(f"userinfo answered {info.status}: {info.body[:200]!r}")


def _check_tokens(answer: Any) -> dict[str, Any]:
    if answer.status != 200:
        raise RuntimeError(f"token answered {answer.status}: {answer.body[:300]!r}")
    tokens: dict[str, Any] = answer.json()
    return tokens


class MockIdP(Server):
    name = "mockidp"
    label = "mockidp (mockidp serve)"
    public_client = "mockidp-public"
    confidential = ("mockidp-client", "mockidp-secret")

    def command(self, port: int) -> list[str]:
        return [sys.executable, "-m", "mockidp", "serve", "--port", str(port), "--quiet"]

    def env(self) -> dict[str, str]:
        env = dict(os.environ)
        env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(ROOT), env.get("PYTHONPATH")]))
        return env


class MockIdPSameWork(MockIdP):
    """mockidp on a scenario that does oidc-provider-mock's token work on a refresh
    (opaque access token, no new ID token, no rotation): a like-for-like ratio."""

    name = "mockidp-same-work"
    label = "mockidp (same work as oidc-provider-mock)"
    scenario = ROOT / "bench" / "scenarios" / "same-work-as-oidc-provider-mock.yaml"

    def command(self, port: int) -> list[str]:
        return [*super().command(port), str(self.scenario)]


class MockIdPWorkers(MockIdP):
    """``mockidp serve --workers 2``: two server processes on the port (one per core of
    the reference machine), sharing their state through a temporary SQLite file."""

    name = "mockidp-workers"
    label = "mockidp (mockidp serve --workers 2)"

    def command(self, port: int) -> list[str]:
        return [*super().command(port), "--workers", "2"]


class OidcProviderMock(Server):
    """oidc-provider-mock (PyPI): Flask + Authlib, served by uvicorn's WSGI interface as
    its own CLI does, with access logging off (mockidp runs with --quiet)."""

    name = "oidc-provider-mock"
    label = "oidc-provider-mock (PyPI)"
    supports_client_credentials = False  # it implements authorization_code and refresh_token

    def installed(self) -> str | None:
        if not PEER_PYTHON.exists():
            return f"no {PEER_PYTHON}"
        check = subprocess.run(
            [str(PEER_PYTHON), "-c", "import oidc_provider_mock"], capture_output=True
        )
        return None if check.returncode == 0 else "oidc_provider_mock is not importable"

    def command(self, port: int) -> list[str]:
        launcher = textwrap.dedent(
            f"""
            import os, uvicorn, oidc_provider_mock
            os.environ["AUTHLIB_INSECURE_TRANSPORT"] = "1"
            uvicorn.run(oidc_provider_mock.app(), host="{HOST}", port={port},
                        interface="wsgi", log_level="warning", access_log=False)
            """
        )
        return [str(PEER_PYTHON), "-c", launcher]

    def flow(self, conn: Connection, scope: str = "openid profile email") -> dict[str, Any]:
        query = authorize_query("bench", scope)
        # Its sign-in page posts the subject back to the authorize URL: that POST is
        # what issues the code (the GET only renders the form).
        answer = conn.request("POST", f"/oauth2/authorize?{query}", FORM, b"sub=alice")
        if answer.status != 302:
            raise RuntimeError(f"authorize answered {answer.status}: {answer.body[:200]!r}")
        form = urlencode(
            {
                "grant_type": "authorization_code",
                "code": code_of(answer.headers["location"]),
                "redirect_uri": REDIRECT_URI,
                "code_verifier": VERIFIER,
            }
        ).encode()
        headers = {**FORM, **basic("bench", "secret")}
        tokens = _check_tokens(conn.request("POST", "/oauth2/token", headers, form))
        _check_userinfo(conn, "/userinfo", tokens["access_token"])
        return tokens

    def refresh_grant(self, conn: Connection, refresh_token: str) -> tuple[int, str]:
        form = urlencode({"grant_type": "refresh_token", "refresh_token": refresh_token}).encode()
        headers = {**FORM, **basic("bench", "secret")}
        return _next_refresh_token(
            conn.request("POST", "/oauth2/token", headers, form), refresh_token
        )


class OAuth2MockServer(Server):
    """oauth2-mock-server (npm), started with its own CLI (a random RSA key, RS256)."""

    name = "oauth2-mock-server"
    label = "oauth2-mock-server (npm)"
    public_client = "bench"  # it accepts any client id and secret
    confidential = ("bench", "secret")

    def installed(self) -> str | None:
        if shutil.which("node") is None:
            return "node is not on PATH"
        if not PEER_NODE_SERVER.exists():
            return f"no {PEER_NODE_SERVER}"
        return None

    def command(self, port: int) -> list[str]:
        return ["node", str(PEER_NODE_SERVER), "-a", HOST, "-p", str(port)]


SERVERS: list[Server] = [
    MockIdP(),
    MockIdPWorkers(),
    MockIdPSameWork(),
    OidcProviderMock(),
    OAuth2MockServer(),
]
SAME_WORK_PEER = OidcProviderMock.name  # the peer MockIdPSameWork matches


@dataclass
class Running:
    server: Server
    proc: subprocess.Popen[bytes]
    port: int
    start_ms: float

    def peak_rss_mb(self) -> float:
        """VmHWM (peak resident set) of the server process and its children (the
        workers of ``--workers``), summed, in MiB."""
        return sum(_peak_rss_kib(pid) for pid in _process_tree(self.proc.pid)) / 1024

    def stop(self) -> None:
        self.proc.terminate()
        try:
            self.proc.wait(10)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()


def _process_tree(pid: int) -> list[int]:
    """``pid`` and its descendants (Linux /proc)."""
    tree = [pid]
    try:
        children = Path(f"/proc/{pid}/task/{pid}/children").read_text().split()
    except OSError:
        return tree
    for child in children:
        tree += _process_tree(int(child))
    return tree


def _peak_rss_kib(pid: int) -> int:
    try:
        status = Path(f"/proc/{pid}/status").read_text()
    except OSError:
        return 0
    for line in status.splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1])
    return 0


def start(server: Server, timeout: float = 30.0) -> Running:
    """Start ``server`` and wait for its first answered discovery request (timed)."""
    port = free_port()
    t0 = time.perf_counter()
    proc = subprocess.Popen(
        server.command(port),
        env=server.env(),
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    while True:
        if proc.poll() is not None:
            err = proc.stderr.read().decode(errors="replace") if proc.stderr else ""
            raise RuntimeError(f"{server.name} exited ({proc.returncode}): {err[-800:]}")
        try:
            conn = Connection(HOST, port, timeout=5)
            answer = conn.request("GET", DISCOVERY)
            conn.close()
            if answer.status == 200:
                break
        except OSError:
            pass
        if time.perf_counter() - t0 > timeout:
            proc.kill()
            raise RuntimeError(f"{server.name} did not answer within {timeout}s")
        time.sleep(0.002)
    elapsed = (time.perf_counter() - t0) * 1000
    if proc.stderr is not None:  # nothing reads it from here on: do not let it fill up
        proc.stderr.close()
        proc.stderr = None
    return Running(server, proc, port, elapsed)


# -- loopback measurements ----------------------------------------------------------------


def measure_flows(running: Running, flows: int, warmup: int) -> list[float]:
    """Per-flow wall time (us), one keep-alive connection, flows back to back."""
    conn = Connection(HOST, running.port)
    server = running.server
    for _ in range(warmup):
        server.flow(conn)
    samples = []
    for _ in range(flows):
        t0 = time.perf_counter_ns()
        server.flow(conn)
        samples.append((time.perf_counter_ns() - t0) / 1000)
    conn.close()
    return samples


def _load_worker(
    server: Server, port: int, kind: str, seconds: float, start_at: float, out: Any
) -> None:
    conn = Connection(HOST, port)
    refresh = server.refresh_seed(conn) if kind == "refresh" else ""
    while time.time() < start_at:
        time.sleep(0.001)
    ok = bad = 0
    cpu0 = time.process_time()
    deadline = time.perf_counter() + seconds
    while time.perf_counter() < deadline:
        if kind == "refresh":
            status, refresh = server.refresh_grant(conn, refresh)
        else:
            status = server.client_credentials(conn)
        if status == 200:
            ok += 1
        else:
            bad += 1
    out.put((ok, bad, time.process_time() - cpu0))
    conn.close()


@dataclass
class Throughput:
    per_s: float
    errors: int
    client_cpu_share: float  # client CPU seconds / (clients x seconds)


def measure_throughput(running: Running, kind: str, clients: int, seconds: float) -> Throughput:
    """Token requests per second: ``clients`` processes, one connection each, for
    ``seconds``; all start together after their setup (the refresh seed flow)."""
    ctx = multiprocessing.get_context("fork")
    out = ctx.Queue()
    start_at = time.time() + 1.0 + 0.2 * clients
    procs = [
        ctx.Process(
            target=_load_worker, args=(running.server, running.port, kind, seconds, start_at, out)
        )
        for _ in range(clients)
    ]
    for p in procs:
        p.start()
    results = [out.get(timeout=seconds + 60) for _ in procs]
    for p in procs:
        p.join()
    ok = sum(r[0] for r in results)
    bad = sum(r[1] for r in results)
    cpu = sum(r[2] for r in results)
    return Throughput(ok / seconds, bad, cpu / (clients * seconds))


# -- mockidp-only measurements --------------------------------------------------------------

CREATE_APP_CHILD = r"""
import json, sys, time
t0 = time.perf_counter()
import asyncio, httpx
t_httpx = time.perf_counter()
from mockidp import create_app
app = create_app()
async def first():
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app),
                                 base_url="http://testserver") as client:
        answer = await client.get("/.well-known/openid-configuration")
        assert answer.status_code == 200, answer.status_code
asyncio.run(first())
t1 = time.perf_counter()
print(json.dumps({"total_ms": (t1 - t0) * 1000, "mockidp_ms": (t1 - t_httpx) * 1000}))
"""


def measure_create_app_cold(runs: int) -> dict[str, float]:
    """A fresh interpreter: import mockidp, create_app(), first discovery over httpx.
    ``mockidp_ms`` leaves out importing httpx and asyncio (a test suite has them)."""
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    vals: list[dict[str, float]] = []
    for _ in range(runs + 1):
        out = subprocess.run(
            [sys.executable, "-c", CREATE_APP_CHILD],
            env=env,
            capture_output=True,
            text=True,
            check=True,
            cwd=ROOT,
        ).stdout
        vals.append(json.loads(out.strip().splitlines()[-1]))
    vals = vals[1:]  # the first warms the page cache
    return {k: statistics.median(v[k] for v in vals) for k in vals[0]}


def measure_create_app_warm(runs: int) -> float:
    """ms from create_app() to its first answered discovery request, in a process that
    has made one already (every further test's app)."""
    import httpx

    from mockidp import create_app

    async def once() -> float:
        t0 = time.perf_counter()
        app = create_app()
        async with httpx.AsyncClient(
            transport=httpx.ASGITransport(app=app), base_url="http://testserver"
        ) as client:
            answer = await client.get(DISCOVERY)
            assert answer.status_code == 200
        return (time.perf_counter() - t0) * 1000

    async def many() -> list[float]:
        await once()
        return [await once() for _ in range(runs)]

    return statistics.median(asyncio.run(many()))


PYTEST_CONFTEST = r"""
import json, os, time
import pytest

TIMES = {}

@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_setup(item):
    t0 = time.perf_counter(); yield
    TIMES.setdefault(item.name, [0.0, 0.0])[0] = time.perf_counter() - t0

@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_call(item):
    t0 = time.perf_counter(); yield
    TIMES.setdefault(item.name, [0.0, 0.0])[1] += time.perf_counter() - t0

@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_teardown(item):
    t0 = time.perf_counter(); yield
    TIMES.setdefault(item.name, [0.0, 0.0])[0] += time.perf_counter() - t0

def pytest_sessionstart(session):
    if os.environ.get("BENCH_PREIMPORT"):  # leave the package's import out of the start
        import mockidp.testing  # noqa: F401

def pytest_sessionfinish(session):
    with open(os.environ["BENCH_OUT"], "w") as f:
        json.dump(TIMES, f)
"""

PYTEST_TESTS = r"""
import pytest

def test_0_first(mockidp):
    answer = mockidp.client.get("/.well-known/openid-configuration")
    assert answer.status_code == 200

@pytest.mark.parametrize("i", range(N))
def test_with_fixture(mockidp, i):
    assert mockidp.issuer

@pytest.mark.parametrize("i", range(N))
def test_without_fixture(i):
    assert i >= 0

def test_server_first(mockidp_server):
    answer = mockidp_server.client.get("/.well-known/openid-configuration")
    assert answer.status_code == 200

@pytest.mark.parametrize("i", range(N))
def test_with_server(mockidp_server, i):
    assert mockidp_server.issuer
"""


def measure_fixture(tests: int, runs: int) -> dict[str, float]:
    """Through pytest itself (a generated test module, in a fresh pytest process):

    - fixture start: setup + call of the first test that uses ``mockidp`` and fetches
      discovery (the first provider of the session: import, scenario, keys);
    - per-test overhead: median setup+teardown of a test using ``mockidp`` minus that of
      a test using no fixture; likewise for ``mockidp_server`` (one live server, reset
      before each test).
    """
    figures: list[dict[str, float]] = []
    with tempfile.TemporaryDirectory() as tmp:
        Path(tmp, "conftest.py").write_text(PYTEST_CONFTEST)
        Path(tmp, "test_bench_fixture.py").write_text(PYTEST_TESTS.replace("N", str(tests)))
        for run in range(2 * runs):
            out = Path(tmp, "times.json")
            env = {**os.environ, "BENCH_OUT": str(out), "PYTHONPATH": str(ROOT)}
            if run % 2:
                env["BENCH_PREIMPORT"] = "1"
            env.pop("MOCKIDP_SCENARIO", None)
            subprocess.run(
                [
                    sys.executable,
                    "-m",
                    "pytest",
                    "-q",
                    "-p",
                    "no:cacheprovider",
                    "-p",
                    "no:randomly",
                    "-W",
                    "ignore",
                    tmp,
                ],
                env=env,
                capture_output=True,
                check=True,
                cwd=tmp,
            )
            times = json.loads(out.read_text())

            def med(prefix: str, times: dict[str, list[float]] = times) -> float:
                return statistics.median(v[0] for k, v in times.items() if k.startswith(prefix))

            base = med("test_without_fixture")
            if run % 2:
                figures[-1]["start_no_import_ms"] = sum(times["test_0_first"]) * 1000
                continue
            figures.append(
                {
                    "start_ms": sum(times["test_0_first"]) * 1000,
                    "per_test_ms": (med("test_with_fixture") - base) * 1000,
                    "server_start_ms": sum(times["test_server_first"]) * 1000,
                    "server_reset_ms": (med("test_with_server") - base) * 1000,
                }
            )
    return {k: statistics.median(f[k] for f in figures) for k in figures[0]}


def measure_cold_import(runs: int) -> dict[str, float]:
    """bench/cold_import.py's child, with and without a DynamoDB table configured."""
    sys.path.insert(0, str(BENCH))
    import cold_import

    results = {}
    for label, table in (("with MOCKIDP_TABLE", True), ("without a table", False)):
        saved = os.environ.pop("MOCKIDP_TABLE", None)
        try:
            cold_import.run_once(False, table=table)
            vals = [cold_import.run_once(False, table=table)["import_ms"] for _ in range(runs)]
        finally:
            if saved is not None:
                os.environ["MOCKIDP_TABLE"] = saved
        results[label] = statistics.median(vals)
    return results


def measure_inprocess(flows: int) -> dict[str, float]:
    """bench/flow.py's RS256 figures: the httpx flow, and its JOSE signing floor (two
    signatures + three trivial Starlette requests over the same httpx transport), and the
    floor of the flow's own answers (two signatures + those answers replayed by bare
    Starlette over the same transport: the client's work on them included)."""
    import flow

    res = asyncio.run(flow.measure_alg("RS256", flows, warmup=max(50, flows // 10), rounds=5))
    floor = res.floor_us(res.trivial_httpx)
    direct_floor = res.floor_us(res.trivial_direct)
    return {
        "flow_httpx_us": res.flow_httpx.median_us(),
        "floor_httpx_us": floor,
        "flow_direct_us": res.flow_direct.median_us(),
        "floor_direct_us": direct_floor,
        "floor_replay_httpx_us": res.floor_us(res.replay_httpx),
        "sign2_us": res.sign2.median_us(),
    }


# -- the run ---------------------------------------------------------------------------------


@dataclass
class PeerFigures:
    label: str
    skipped: str | None = None
    start_ms: float = float("nan")
    flow_us: float = float("nan")
    cc_per_s: float | None = None
    refresh_per_s: float | None = None
    cc_note: str = ""
    peak_mb: float = float("nan")
    notes: list[str] = field(default_factory=list)


def machine() -> str:
    model = "?"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    load = os.getloadavg()
    return (
        f"{os.cpu_count()} CPUs ({model}), Python {platform.python_version()}, "
        f"{platform.system()} {platform.release()}, load average {load[0]:.2f} at start"
    )


def run_servers(args: argparse.Namespace) -> list[PeerFigures]:
    """Every server's figures. The servers run side by side and are measured in
    interleaved rounds (each round: a share of every server's flows, then of its
    throughput runs), so that a slow minute of a shared machine hits every server alike
    instead of whichever was measured then."""
    figures: list[PeerFigures] = []
    running: dict[str, Running] = {}
    try:
        for server in SERVERS:
            fig = PeerFigures(server.label)
            figures.append(fig)
            if server.name in args.skip_peer:
                fig.skipped = "skipped (--skip-peer)"
                continue
            why = server.installed()
            if why:
                fig.skipped = f"not installed: {why} (see bench/README.md)"
                print(f"  {server.name}: SKIPPED, {fig.skipped}", file=sys.stderr)
                continue
            print(f"  {server.name}: starting", file=sys.stderr)
            starts = []
            for _ in range(args.process_starts):
                if server.name in running:
                    running.pop(server.name).stop()
                running[server.name] = start(server)
                starts.append(running[server.name].start_ms)
            fig.start_ms = statistics.median(starts)
        measured = [
            (fig, running[server.name])
            for server, fig in zip(SERVERS, figures, strict=True)
            if server.name in running
        ]
        _interleaved(args, measured)
        for fig, run in measured:
            fig.peak_mb = run.peak_rss_mb()
    finally:
        for run in running.values():
            run.stop()
    return figures


_KINDS = (("refresh", "refresh"), ("cc", "client_credentials"))
"""Throughput runs: measure_throughput's kind, and its name in the notes."""


def _interleaved(args: argparse.Namespace, measured: list[tuple[PeerFigures, Running]]) -> None:
    rounds = max(1, args.rounds)
    flows: dict[str, list[float]] = {fig.label: [] for fig, _ in measured}
    runs: dict[tuple[str, str], list[Throughput]] = {}
    for round_ in range(rounds):
        print(f"  round {round_ + 1} of {rounds}", file=sys.stderr)
        for fig, run in measured:
            if "flow" in args.only:
                warmup = args.warmup if round_ == 0 else max(1, args.warmup // 10)
                flows[fig.label] += measure_flows(run, -(-args.flows // rounds), warmup)
            if "throughput" not in args.only:
                continue
            for kind, _ in _KINDS:
                if kind == "refresh" or run.server.supports_client_credentials:
                    t = measure_throughput(run, kind, args.clients, args.seconds / rounds)
                    runs.setdefault((fig.label, kind), []).append(t)
    for fig, _ in measured:
        if "flow" in args.only:
            fig.flow_us = statistics.median(flows[fig.label])
        if "throughput" not in args.only:
            continue
        for kind, name in _KINDS:
            parts = runs.get((fig.label, kind))
            if not parts:
                fig.cc_note = "not supported"
                continue
            # every round lasts as long: the mean rate is the rate over all rounds
            per_s = statistics.fmean(t.per_s for t in parts)
            cpu = statistics.fmean(t.client_cpu_share for t in parts)
            errors = sum(t.errors for t in parts)
            if kind == "refresh":
                fig.refresh_per_s = per_s
            else:
                fig.cc_per_s = per_s
            fig.notes.append(f"{name}: {errors} errors, client CPU {cpu:.0%}")


def fmt(value: float | None, digits: int = 0) -> str:
    if value is None or value != value:
        return "-"
    return f"{value:,.{digits}f}"


def mark(met: bool) -> str:
    return "ok" if met else "MISSED"


def under_ms(value: float, limit_ms: float) -> str:
    """The target column of a figure that must stay below ``limit_ms``."""
    return f"< {limit_ms:g} ms {mark(value < limit_ms)}"


def ratio(ours: float | None, theirs: float | None, *, higher_is_better: bool) -> str:
    if not ours or not theirs or ours != ours or theirs != theirs:
        return "-"
    r = (theirs / ours) if higher_is_better else (ours / theirs)
    return f"{r:.2f} {mark(r <= TARGET_RATIO)}"


def report(args: argparse.Namespace, results: dict[str, Any]) -> str:
    lines = [
        "## mockidp benchmark",
        "",
        f"Machine: {results['machine']}",
        f"Command: `{results['command']}`",
        "Loopback client: bench/lightclient.py (raw-socket HTTP/1.1, one keep-alive "
        "connection per client). In-process client: httpx.ASGITransport.",
        "",
    ]
    peers: list[PeerFigures] = results.get("servers", [])
    if peers:
        ours = peers[0]
        lines += [
            "### Against the peers (loopback; ratio = ours / theirs in time, target <= 0.5)",
            "",
            "| | " + " | ".join(p.label for p in peers) + " |",
            "| --- |" + " ---: |" * len(peers),
        ]

        def row(label: str, cells: list[str]) -> None:
            lines.append(f"| {label} | " + " | ".join(cells) + " |")

        def cells(getter: Callable[[PeerFigures], str], *, ratio_row: bool = False) -> list[str]:
            out = []
            for p in peers:
                if p.skipped:
                    out.append(p.skipped.split(":")[0])
                elif ratio_row and p.label.startswith("mockidp"):
                    out.append("(ours)")
                else:
                    out.append(getter(p))
            return out

        row(
            f"full flow (authorize, token, userinfo), median us, {args.flows} flows",
            cells(lambda p: fmt(p.flow_us)),
        )
        row(
            "  ratio ours / theirs",
            cells(lambda p: ratio(ours.flow_us, p.flow_us, higher_is_better=False), ratio_row=True),
        )
        row(
            f"refresh_token grants / s ({args.clients} clients, {args.seconds:g} s)",
            cells(lambda p: fmt(p.refresh_per_s)),
        )
        row(
            "  ratio ours / theirs (time per request)",
            cells(
                lambda p: ratio(ours.refresh_per_s, p.refresh_per_s, higher_is_better=True),
                ratio_row=True,
            ),
        )
        row(
            f"client_credentials grants / s ({args.clients} clients, {args.seconds:g} s)",
            cells(lambda p: p.cc_note or fmt(p.cc_per_s)),
        )
        row(
            "  ratio ours / theirs (time per request)",
            cells(
                lambda p: ratio(ours.cc_per_s, p.cc_per_s, higher_is_better=True), ratio_row=True
            ),
        )
        row(
            "process start to first discovery answer, ms",
            cells(lambda p: fmt(p.start_ms)),
        )
        lean = next((p for p in peers if p.label == MockIdPSameWork.label and not p.skipped), None)
        peer = next((p for p in peers if p.label == OidcProviderMock.label and not p.skipped), None)
        if lean is not None and peer is not None:
            row(
                f"  refresh ratio, mockidp doing {SAME_WORK_PEER}'s work / {SAME_WORK_PEER}",
                [
                    ratio(lean.refresh_per_s, peer.refresh_per_s, higher_is_better=True)
                    if p is peer
                    else ""
                    for p in peers
                ],
            )
        row("peak RSS of the server process, MiB", cells(lambda p: fmt(p.peak_mb, 1)))
        lines.append("")
        for p in peers:
            if p.skipped:
                lines.append(f"- {p.label}: {p.skipped}")
            elif p.notes:
                lines.append(f"- {p.label}: " + "; ".join(p.notes))
        lines.append("")
    own = results.get("own", {})
    if own:
        lines += ["### mockidp alone", "", "| figure | median | target |", "| --- | ---: | --- |"]
        for label, value, target in own["rows"]:
            lines.append(f"| {label} | {value} | {target} |")
        lines.append("")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--flows", type=int, default=1000, help="timed loopback flows per server")
    parser.add_argument("--warmup", type=int, default=100)
    parser.add_argument("--clients", type=int, default=4, help="concurrent load clients")
    parser.add_argument(
        "--seconds", type=float, default=6.0, help="each throughput figure, over all rounds"
    )
    parser.add_argument(
        "--rounds",
        type=int,
        default=3,
        help="loopback figures are measured in this many rounds, every server in each",
    )
    parser.add_argument("--process-starts", type=int, default=5)
    parser.add_argument("--inprocess-flows", type=int, default=2000)
    parser.add_argument("--fixture-tests", type=int, default=300)
    parser.add_argument("--fixture-runs", type=int, default=3)
    parser.add_argument("--imports", type=int, default=11)
    parser.add_argument(
        "--only",
        default="flow,throughput,inprocess,start,fixture,import",
        help="comma-separated parts: flow, throughput, inprocess, start, fixture, import",
    )
    parser.add_argument("--skip-peer", action="append", default=[], help="a peer's name")
    parser.add_argument("--quick", action="store_true", help="fewer repetitions (~1 minute)")
    parser.add_argument("--json", help="also write the figures as JSON")
    parser.add_argument("--out", help="also write the table (Markdown) to this file")
    args = parser.parse_args(argv)
    if args.quick:
        args.flows, args.warmup, args.seconds, args.process_starts = 300, 50, 2.0, 3
        args.inprocess_flows, args.fixture_tests, args.fixture_runs, args.imports = 500, 100, 1, 5
    args.only = set(args.only.split(","))
    results: dict[str, Any] = {
        "machine": machine(),
        "command": " ".join(["python", "bench/compare.py", *(argv or sys.argv[1:])]),
    }
    if args.only & {"flow", "throughput"}:
        print("loopback servers ...", file=sys.stderr)
        results["servers"] = run_servers(args)
    rows: list[tuple[str, str, str]] = []
    if "inprocess" in args.only:
        print("in-process flow ...", file=sys.stderr)
        f = measure_inprocess(args.inprocess_flows)
        r = f["flow_httpx_us"] / f["floor_httpx_us"]
        rows += [
            ("in-process flow (RS256, httpx), us", fmt(f["flow_httpx_us"]), ""),
            (
                "  JOSE signing floor (2 signatures + 3 trivial Starlette requests, httpx), us",
                fmt(f["floor_httpx_us"]),
                "",
            ),
            (
                "  flow / floor, httpx",
                f"{r:.2f}x",
                f"<= {TARGET_INPROC_FLOOR}x {mark(r <= TARGET_INPROC_FLOOR)}",
            ),
            (
                "  flow / floor, direct ASGI driver (informational)",
                f"{f['flow_direct_us'] / f['floor_direct_us']:.2f}x",
                "",
            ),
        ]
        results["inprocess"] = f
    if "start" in args.only:
        print("start-up ...", file=sys.stderr)
        cold = measure_create_app_cold(args.imports)
        warm = measure_create_app_warm(50)
        rows += [
            (
                "create_app() to first discovery, fresh interpreter (import mockidp included), ms",
                fmt(cold["mockidp_ms"], 1),
                "",
            ),
            ("  the same with importing httpx and asyncio, ms", fmt(cold["total_ms"], 1), ""),
            ("create_app() to first discovery, later apps in a process, ms", fmt(warm, 2), ""),
        ]
        results["start"] = {**cold, "warm_ms": warm}
        servers = results.get("servers") or []
        if servers and servers[0].skipped is None:
            rows.append(
                ("`mockidp serve` process to first discovery, ms", fmt(servers[0].start_ms), "")
            )
    if "fixture" in args.only:
        print("pytest fixture ...", file=sys.stderr)
        fx = measure_fixture(args.fixture_tests, args.fixture_runs)
        rows += [
            (
                "pytest `mockidp` fixture: first test to its discovery answer, mockidp "
                "already imported, ms",
                fmt(fx["start_no_import_ms"], 1),
                under_ms(fx["start_no_import_ms"], TARGET_FIXTURE_START_MS),
            ),
            (
                "  the same, importing mockidp on first use (the plugin is lazy), ms",
                fmt(fx["start_ms"], 1),
                "",
            ),
            (
                "pytest `mockidp` fixture: per-test overhead (fresh provider), ms",
                fmt(fx["per_test_ms"], 3),
                under_ms(fx["per_test_ms"], TARGET_RESET_MS),
            ),
            (
                "pytest `mockidp_server`: first test to its discovery answer, ms",
                fmt(fx["server_start_ms"], 1),
                "",
            ),
            ("pytest `mockidp_server`: per-test reset, ms", fmt(fx["server_reset_ms"], 3), ""),
        ]
        results["fixture"] = fx
    if "import" in args.only:
        print("cold import ...", file=sys.stderr)
        ci = measure_cold_import(args.imports)
        for label, value in ci.items():
            rows.append(
                (
                    f"cold import of mockidp.lambda_handler ({label}), ms",
                    fmt(value),
                    under_ms(value, TARGET_COLD_IMPORT_MS),
                )
            )
        results["cold_import"] = ci
    if rows:
        results["own"] = {"rows": rows}
    table = report(args, results)
    print(table)
    if args.out:
        Path(args.out).write_text(table + "\n")
    if args.json:
        data = {k: v for k, v in results.items() if k != "servers"}
        data["servers"] = [p.__dict__ for p in results.get("servers", [])]
        Path(args.json).write_text(json.dumps(data, indent=2, default=str))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
