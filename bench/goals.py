"""Issue 29's five figures in one run, each as a ratio measured side by side.

    .venv/bin/python bench/goals.py                 # every row, ~2 minutes on 2 cores
    .venv/bin/python bench/goals.py --only server   # rows 1-2 (server CPU per grant)
    .venv/bin/python bench/goals.py --json out.json

| row (`--only`) | figure | goal |
| --- | --- | --- |
| `server` | `mockidp serve`'s own CPU per refresh_token grant / two RS256 signatures | <= 1.3x |
| `server` | the same per client_credentials grant / one signature | <= 1.3x |
| `inprocess` | in-process flow over httpx.ASGITransport / its floor (bench/flow.py) | <= 1.4x |
| `loopback` | full flow over loopback, mockidp / oauth2-mock-server | <= 0.5x |
| `fixture` | (300 tests taking `mockidp` - 300 bare tests) / 300, whole pytest runs' CPU | < 1 ms |

Server CPU is the server process's own CPU time (all its threads, from
``/proc/<pid>/task/*/schedstat``, in nanoseconds) over a batch of grants sent back to
back on one keep-alive connection by ``bench/lightclient.py``. The signature floor is the
signing key's own cryptography ``sign`` of a token's signing input, timed in this
process's CPU clock in the same rounds: the work a grant cannot do without (no JSON, no
base64, no JOSE library; the same floor as bench/flow.py's). Rounds
alternate so that a slow minute of a shared machine hits both sides of a ratio. The
floor server (bench/loopback_floor.py) answers the same grants in the same rounds, and
its ratios are printed under the table.
"""

from __future__ import annotations

import argparse
import compileall
import json
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

BENCH = Path(__file__).resolve().parent
ROOT = BENCH.parent
sys.path.insert(0, str(BENCH))

import compare  # noqa: E402
from lightclient import Connection  # noqa: E402

GOALS = {
    "refresh_cpu_ratio": 1.3,
    "cc_cpu_ratio": 1.3,
    "inprocess_ratio": 1.4,
    "loopback_ratio": 0.5,
    "fixture_ms": 1.0,
}
PARTS = ("server", "inprocess", "loopback", "fixture")


# -- rows 1-2: the server's own CPU per grant ------------------------------------------------


def process_cpu_ns(pid: int) -> int:
    """CPU time of every thread of ``pid`` so far (ns; Linux schedstat)."""
    total = 0
    for task in Path(f"/proc/{pid}/task").iterdir():
        try:
            total += int((task / "schedstat").read_text().split()[0])
        except (OSError, ValueError, IndexError):
            continue  # a thread that ended meanwhile
    return total


def signature_floor() -> Callable[[int], float]:
    """A function timing ``n`` RS256 signatures (mean CPU us each): the signing key's own
    cryptography ``sign`` of a client_credentials access token's signing input, nothing
    around it (bench/flow.py's floor signature)."""
    import asyncio

    import httpx
    from flow import raw_signature

    from mockidp import create_app

    app = create_app()

    async def token() -> str:
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://t") as client:
            answer = await client.post(
                "/token",
                data={"grant_type": "client_credentials"},
                auth=compare.MockIdP.confidential,
            )
            return str(answer.json()["access_token"])

    signing_input = asyncio.run(token()).rsplit(".", 1)[0].encode()
    sign = raw_signature(app.provider.keys, "RS256")

    def timed(n: int) -> float:
        t0 = time.process_time_ns()
        for _ in range(n):
            sign(signing_input)
        return (time.process_time_ns() - t0) / n / 1000

    return timed


class GrantBatches:
    """Batches of grants sent to one running server, timed in its process's own CPU."""

    def __init__(self, running: Any) -> None:
        self.running = running
        self.server = running.server
        self.conn = Connection(compare.HOST, running.port)
        self.refresh = self.server.refresh_seed(self.conn)

    def batch(self, kind: str, n: int) -> float:
        """Mean CPU us of the server per grant over ``n`` grants of ``kind``."""
        before = process_cpu_ns(self.running.proc.pid)
        for _ in range(n):
            if kind == "refresh":
                status, self.refresh = self.server.refresh_grant(self.conn, self.refresh)
            else:
                status = self.server.client_credentials(self.conn)
            if status != 200:
                raise RuntimeError(f"{kind} grant answered {status}")
        return (process_cpu_ns(self.running.proc.pid) - before) / n / 1000


def measure_server(rounds: int, grants: int) -> dict[str, float]:
    """mockidp serve and the floor server (bench/loopback_floor.py, under the same
    uvicorn) taking turns with the signatures, round by round."""
    running = {"ours": compare.start(compare.MockIdP()), "floor": compare.start(LoopbackFloor())}
    try:
        servers = {name: GrantBatches(run) for name, run in running.items()}
        sign = signature_floor()
        per: dict[str, list[float]] = {}
        for batches in servers.values():  # warm-up
            batches.batch("refresh", grants // 4)
            batches.batch("cc", grants // 4)
        sign(grants // 4)
        for _ in range(rounds):
            for kind in ("refresh", "cc"):
                for name, batches in servers.items():
                    per.setdefault(f"{name}_{kind}", []).append(batches.batch(kind, grants))
                per.setdefault("sign", []).append(sign(grants))
        for batches in servers.values():
            batches.conn.close()
    finally:
        for run in running.values():
            run.stop()
    sig, refresh_us, cc_us, floor_refresh_us, floor_cc_us = (
        statistics.median(per[key])
        for key in ("sign", "ours_refresh", "ours_cc", "floor_refresh", "floor_cc")
    )
    return {
        "signature_us": sig,
        "refresh_cpu_us": refresh_us,
        "cc_cpu_us": cc_us,
        "floor_refresh_cpu_us": floor_refresh_us,
        "floor_cc_cpu_us": floor_cc_us,
        "refresh_cpu_ratio": refresh_us / (2 * sig),
        "cc_cpu_ratio": cc_us / sig,
        "floor_refresh_cpu_ratio": floor_refresh_us / (2 * sig),
        "floor_cc_cpu_ratio": floor_cc_us / sig,
    }


# -- row 3: the in-process flow --------------------------------------------------------------


def measure_inprocess(flows: int) -> dict[str, float]:
    res = compare.measure_inprocess(flows)
    return {
        **res,
        "inprocess_ratio": res["flow_httpx_us"] / res["floor_httpx_us"],
        "inprocess_direct_ratio": res["flow_direct_us"] / res["floor_direct_us"],
        "inprocess_replay_ratio": res["flow_httpx_us"] / res["floor_replay_httpx_us"],
        "replay_floor_ratio": res["floor_replay_httpx_us"] / res["floor_httpx_us"],
    }


# -- row 4: the flow over loopback against oauth2-mock-server --------------------------------


class LoopbackFloor(compare.MockIdP):
    """bench/loopback_floor.py: the flow's HTTP and signatures, none of mockidp's work."""

    name = "floor"
    label = "loopback floor (bench/loopback_floor.py)"

    def command(self, port: int) -> list[str]:
        return [sys.executable, str(BENCH / "loopback_floor.py"), "--port", str(port)]


def measure_loopback(rounds: int, flows: int) -> dict[str, float]:
    """mockidp, oauth2-mock-server and the floor server taking turns, round by round."""
    peer = compare.OAuth2MockServer()
    why = peer.installed()
    if why:
        print(f"  loopback: SKIPPED, oauth2-mock-server {why} (bench/README.md)", file=sys.stderr)
        return {}
    servers = {"ours": compare.MockIdP(), "theirs": peer, "floor": LoopbackFloor()}
    running = {name: compare.start(server) for name, server in servers.items()}
    samples: dict[str, list[float]] = {name: [] for name in servers}
    try:
        for round_ in range(rounds):
            warmup = 100 if round_ == 0 else 10
            for name, run in running.items():
                samples[name] += compare.measure_flows(run, flows // rounds, warmup)
    finally:
        for run in running.values():
            run.stop()
    mine, peer_us, floor_us = (statistics.median(samples[n]) for n in ("ours", "theirs", "floor"))
    return {
        "flow_us": mine,
        "peer_flow_us": peer_us,
        "floor_flow_us": floor_us,
        "loopback_ratio": mine / peer_us,
        "loopback_floor_ratio": floor_us / peer_us,
    }


# -- row 5: what the fixture adds to a test suite --------------------------------------------

FIXTURE_TESTS = """
import pytest

@pytest.mark.parametrize("i", range({n}))
def test_it({fixture}i):
    assert i >= 0
"""


def _pytest_seconds(folder: Path) -> float:
    """CPU seconds (user + system) of one pytest process over ``folder``: steadier than
    wall time on a shared machine, and the same where nothing waits.

    Only mockidp's plugin is loaded. Every other installed plugin would cost both runs
    the same, but the test extras' (schemathesis, hypothesis) take ~4 s a process, and
    that import's noise was larger than the whole difference the row measures.
    """
    env = {**os.environ, "PYTHONPATH": str(ROOT), "PYTEST_DISABLE_PLUGIN_AUTOLOAD": "1"}
    env.pop("MOCKIDP_SCENARIO", None)
    command = [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider"]
    command += ["-p", "mockidp.pytest_plugin", str(folder)]
    return _child_cpu_seconds(command, env=env, cwd=folder, capture_output=True)


def _child_cpu_seconds(command: list[str], **options: Any) -> float:
    """CPU seconds (user + system) of ``command`` run to its end (``subprocess.run``
    ``options``), which must succeed."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    subprocess.run(command, check=True, **options)
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    return (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)


def measure_fixture(runs: int, tests: int) -> dict[str, float]:
    """Whole pytest processes, in turn: ``tests`` tests taking ``mockidp`` (the first use
    imports it, as in a real suite), as many bare tests, and as many taking the floor's
    fixture (:data:`FLOOR_FIXTURE`).

    mockidp's bytecode is compiled first, as pip compiles an installed wheel (this
    machine sets ``PYTHONDONTWRITEBYTECODE``, so each run would otherwise compile every
    module from source while its dependencies load bytecode).
    """
    if not compileall.compile_dir(ROOT / "mockidp", quiet=1):
        raise SystemExit("compileall failed on mockidp/")
    kinds = {"with": "mockidp, ", "bare": "", "floor": "dependencies, "}
    with tempfile.TemporaryDirectory() as tmp:
        folders = {}
        for name, fixture in kinds.items():
            folder = Path(tmp, name)
            folder.mkdir()
            tests_text = FIXTURE_TESTS.format(n=tests, fixture=fixture)
            (folder / "test_it.py").write_text(FLOOR_FIXTURE + tests_text)
            folders[name] = folder
        _pytest_seconds(folders["with"])  # warm the page cache and bytecode
        seconds: dict[str, list[float]] = {name: [] for name in kinds}
        for _ in range(runs):
            for name, folder in folders.items():
                seconds[name].append(_pytest_seconds(folder))

    def per_test_ms(name: str) -> float:  # over the bare tests of the same round
        extra = [s - b for s, b in zip(seconds[name], seconds["bare"], strict=True)]
        return statistics.median(extra) / tests * 1000

    return {
        "fixture_ms": per_test_ms("with"),
        "fixture_tests": tests,
        "fixture_floor_ms": per_test_ms("floor"),
    }


DEPENDENCIES = (
    "starlette.requests",
    "starlette.responses",
    "anyio",
    "msgspec",
    "joserfc.jwk",
    "joserfc.jws",
    "cryptography.hazmat.primitives.asymmetric.rsa",
)
"""What the fixture's first use must import besides mockidp itself."""

FLOOR_FIXTURE = f"""
import pytest

@pytest.fixture
def dependencies():
    import {", ".join(DEPENDENCIES)}
    yield None

"""
"""The fixture row's floor: a function-scoped fixture that imports what mockidp's must
(:data:`DEPENDENCIES`) on its first use and does nothing else, in the same pytest runs:
pytest's own cost of a fixture per test, and the dependencies' first import."""


# -- the run ---------------------------------------------------------------------------------


def report(fig: dict[str, float]) -> str:
    rows = [
        ("serve CPU per refresh_token grant / 2 RS256 signatures", "refresh_cpu_ratio", "x"),
        ("serve CPU per client_credentials grant / 1 signature", "cc_cpu_ratio", "x"),
        ("in-process flow over httpx / its floor", "inprocess_ratio", "x"),
        ("flow over loopback, mockidp / oauth2-mock-server", "loopback_ratio", "x"),
        ("fixture: (300 with - 300 bare) / 300, ms per test", "fixture_ms", " ms"),
    ]
    lines = ["| figure | now | goal | |", "| --- | ---: | ---: | --- |"]
    for label, key, unit in rows:
        goal = GOALS[key]
        if key not in fig:
            lines.append(f"| {label} | - | {goal}{unit} | not measured |")
            continue
        met = fig[key] < goal if key == "fixture_ms" else fig[key] <= goal
        lines.append(
            f"| {label} | {fig[key]:.2f}{unit} | {goal}{unit} | {'met' if met else 'MISSED'} |"
        )
    if "floor_cc_cpu_ratio" in fig:  # the same grants from the floor server
        lines.append(
            f"\nserver floor (bench/loopback_floor.py under the same uvicorn, the same "
            f"grants): {fig['floor_refresh_cpu_ratio']:.2f}x per refresh_token grant, "
            f"{fig['floor_cc_cpu_ratio']:.2f}x per client_credentials grant"
        )
    if "loopback_floor_ratio" in fig:  # how much of the loopback row is mockidp's own work
        floor, ratio = fig["loopback_floor_ratio"], fig["loopback_ratio"]
        lines.append(
            f"\nloopback floor (bench/loopback_floor.py) / oauth2-mock-server: {floor:.2f}x; "
            f"mockidp's own work is {ratio - floor:.2f}x of the peer's flow, the goal leaves "
            f"it {max(GOALS['loopback_ratio'] - floor, 0):.2f}x"
        )
    if "replay_floor_ratio" in fig:  # the client's work on the flow's own answers
        lines.append(
            f"\nin-process floor with the flow's own answers (bench/flow.py's replay: bare "
            f"Starlette sending them, 2 signatures) / the row's floor: "
            f"{fig['replay_floor_ratio']:.2f}x; the flow / that floor: "
            f"{fig['inprocess_replay_ratio']:.2f}x"
        )
    if "fixture_floor_ms" in fig:
        lines.append(
            f"\nfixture floor: {fig['fixture_tests']:.0f} tests taking a fixture that imports "
            f"the fixture's dependencies ({', '.join(DEPENDENCIES)}) and does nothing else "
            f"spend {fig['fixture_floor_ms']:.2f} ms per test over bare ones"
        )
    details = {
        k: round(v, 2 if k.endswith("ratio") else 1) for k, v in fig.items() if k not in GOALS
    }
    return "\n".join(lines) + "\n\n" + json.dumps(details)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--only", default=",".join(PARTS), help=f"any of {','.join(PARTS)}")
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--grants", type=int, default=400, help="per round and kind")
    parser.add_argument("--flows", type=int, default=1000)
    parser.add_argument("--fixture-runs", type=int, default=5)
    parser.add_argument("--json", type=Path)
    args = parser.parse_args(argv)
    only = set(args.only.split(","))
    unknown = only - set(PARTS)
    if unknown:
        parser.error(f"unknown part(s): {', '.join(sorted(unknown))}")
    figures: dict[str, float] = {}
    steps: list[tuple[str, Callable[[], dict[str, float]]]] = [
        ("server", lambda: measure_server(args.rounds, args.grants)),
        ("inprocess", lambda: measure_inprocess(args.flows)),
        ("loopback", lambda: measure_loopback(args.rounds, args.flows)),
        ("fixture", lambda: measure_fixture(args.fixture_runs, 300)),
    ]
    for name, step in steps:
        if name in only:
            print(f"  {name} ...", file=sys.stderr)
            figures.update(step())
    print(compare.machine())
    print(report(figures))
    if args.json:
        args.json.write_text(json.dumps(figures, indent=2))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
