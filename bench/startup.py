"""Start-up against the floor of its dependencies, in fresh interpreters (issue 15).

Two children, run in turn (A B A B ...), so a machine whose speed drifts slows both:

- ``mockidp``: ``from mockidp import create_app``, ``create_app()``, and the first
  discovery request over ``httpx.ASGITransport``, as a test's first use of the fixture does;
- ``floor``: importing what that cannot do without: ``httpx`` (with asyncio), Starlette's
  requests and responses, and joserfc's ``jwt`` and ``jwk``.

Each child measures itself from its first statement to its last (interpreter start-up,
the same for both, is left out) and reports wall and CPU milliseconds. mockidp's bytecode
is compiled first with ``compileall``, as pip does when it installs a wheel: a checkout
run with ``PYTHONDONTWRITEBYTECODE=1`` would otherwise compile every module from source
in every child, while the dependencies' bytecode in site-packages is always there.

    .venv/bin/python bench/startup.py              # 21 pairs; median of each, ratio
    .venv/bin/python bench/startup.py --runs 41 --json startup.json

Target (issue 15): mockidp's median within 1.25x of the floor's.
"""

from __future__ import annotations

import argparse
import compileall
import json
import os
import statistics
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent

MOCKIDP = r"""
import time
started, cpu = time.perf_counter(), time.process_time()
import asyncio, httpx
from mockidp import create_app
app = create_app()
async def first():
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://mockidp.test") as c:
        answer = await c.get("/.well-known/openid-configuration")
        assert answer.status_code == 200, answer.status_code
asyncio.run(first())
print(f"{(time.perf_counter() - started) * 1000} {(time.process_time() - cpu) * 1000}")
"""

FLOOR = r"""
import time
started, cpu = time.perf_counter(), time.process_time()
import asyncio, httpx
import starlette.requests, starlette.responses
from joserfc import jwk, jwt
print(f"{(time.perf_counter() - started) * 1000} {(time.process_time() - cpu) * 1000}")
"""


def run(code: str) -> tuple[float, float]:
    # In this tree's folder: ``python -c`` puts the working folder ahead of PYTHONPATH,
    # so a run started from another checkout would measure that checkout's mockidp.
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    out = subprocess.run(
        [sys.executable, "-c", code],
        env=env,
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    wall, cpu = out.split()
    return float(wall), float(cpu)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--runs", type=int, default=21, help="counted pairs")
    parser.add_argument("--json", help="also write the figures to this file")
    args = parser.parse_args()
    # pip compiles an installed wheel; do the same for the checkout, which a child
    # started with PYTHONDONTWRITEBYTECODE=1 would otherwise compile in every run.
    if not compileall.compile_dir(ROOT / "mockidp", quiet=1):
        raise SystemExit("compileall failed on mockidp/")
    run(MOCKIDP), run(FLOOR)  # warm-up: page cache
    pairs = [(run(MOCKIDP), run(FLOOR)) for _ in range(args.runs)]
    figures: dict[str, float] = {}
    for index, kind in enumerate(("wall", "cpu")):
        ours = statistics.median(a[index] for a, _ in pairs)
        floor = statistics.median(b[index] for _, b in pairs)
        ratio = statistics.median(a[index] / b[index] for a, b in pairs)
        figures |= {f"mockidp_{kind}_ms": ours, f"floor_{kind}_ms": floor, f"{kind}_ratio": ratio}
        print(
            f"{kind:4}: mockidp {ours:6.1f} ms, floor {floor:6.1f} ms, "
            f"ratio (median of {args.runs} pairs) {ratio:.2f}  (target <= 1.25)"
        )
    if args.json:
        Path(args.json).write_text(json.dumps(figures, indent=2) + "\n")


if __name__ == "__main__":
    main()
