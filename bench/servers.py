"""The same app under three ASGI servers: server CPU per grant, and per flow.

    .venv/bin/pip install granian hypercorn      # not dependencies of mockidp
    .venv/bin/python bench/servers.py            # ~1 minute
    .venv/bin/python bench/servers.py --rounds 7 --grants 600

mockidp's default app (``create_app()``, no access log) runs under uvicorn as ``mockidp
serve`` runs it (httptools + uvloop), under granian (Rust; ASGI interface, one worker)
and under hypercorn (uvloop worker class), each in its own process. One keep-alive
connection (``bench/lightclient.py``) sends ``client_credentials`` and ``refresh_token``
grants back to back, and the full authorization-code flow; the figures are the server
processes' CPU time (all their threads, /proc schedstat) per request, in interleaved
rounds. Servers that are not installed are skipped, saying so.
"""

from __future__ import annotations

import argparse
import importlib.util
import statistics
import sys
import time
from pathlib import Path

BENCH = Path(__file__).resolve().parent
sys.path.insert(0, str(BENCH))

import compare  # noqa: E402
from goals import process_cpu_ns  # noqa: E402
from lightclient import Connection  # noqa: E402

APP = "mockidp.asgi:create_app"


class Under(compare.MockIdP):
    """mockidp's default app under one ASGI server."""

    def __init__(self, name: str, module: str, argv: list[str]) -> None:
        self.name = self.label = name
        self.module = module
        self.argv = argv

    def installed(self) -> str | None:
        return None if importlib.util.find_spec(self.module) else f"pip install {self.module}"

    def command(self, port: int) -> list[str]:
        return [sys.executable, "-m", self.module, *[a.format(port=port) for a in self.argv]]


SERVERS = [
    Under("uvicorn (mockidp serve)", "mockidp", ["serve", "--port", "{port}", "--quiet"]),
    Under(
        "granian",
        "granian",
        ["--interface", "asgi", "--factory", "--port", "{port}", "--no-access-log", APP],
    ),
    Under(
        "hypercorn",
        "hypercorn",
        ["--bind", "127.0.0.1:{port}", "--worker-class", "uvloop", f"{APP}()"],
    ),
]


def cpu_of(running: compare.Running) -> int:
    return sum(process_cpu_ns(pid) for pid in compare._process_tree(running.proc.pid))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--grants", type=int, default=400, help="per round and kind")
    parser.add_argument("--flows", type=int, default=100, help="per round")
    args = parser.parse_args(argv)
    running: dict[str, compare.Running] = {}
    refresh: dict[str, str] = {}
    conns: dict[str, Connection] = {}
    per: dict[tuple[str, str], list[float]] = {}
    try:
        for server in SERVERS:
            why = server.installed()
            if why:
                print(f"  {server.name}: SKIPPED, not installed ({why})", file=sys.stderr)
                continue
            running[server.name] = compare.start(server)
            conns[server.name] = Connection(compare.HOST, running[server.name].port)
            refresh[server.name] = server.refresh_seed(conns[server.name])
        for round_ in range(args.rounds + 1):  # round 0 warms up
            for server in SERVERS:
                if server.name not in running:
                    continue
                conn, run = conns[server.name], running[server.name]
                for kind, n in (
                    ("cc", args.grants),
                    ("refresh", args.grants),
                    ("flow", args.flows),
                ):
                    before = cpu_of(run)
                    for _ in range(n):
                        if kind == "cc":
                            assert server.client_credentials(conn) == 200
                        elif kind == "refresh":
                            status, refresh[server.name] = server.refresh_grant(
                                conn, refresh[server.name]
                            )
                            assert status == 200
                        else:
                            server.flow(conn)
                    if round_:
                        per.setdefault((server.name, kind), []).append(
                            (cpu_of(run) - before) / n / 1000
                        )
            time.sleep(0.05)
    finally:
        for conn in conns.values():
            conn.close()
        for run in running.values():
            run.stop()
    print(compare.machine())
    print("| server | CPU per client_credentials (us) | per refresh_token (us) | per flow (us) |")
    print("| --- | ---: | ---: | ---: |")
    for server in SERVERS:
        if server.name not in running:
            continue
        cells = [
            f"{statistics.median(per[(server.name, k)]):,.0f}" for k in ("cc", "refresh", "flow")
        ]
        print(f"| {server.name} | {' | '.join(cells)} |")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
