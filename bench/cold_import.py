"""Cold import of the Lambda handler: what a new container pays before its first event.

Each run is a fresh interpreter (``python -X importtime``-free, no bytecode written)
importing ``mockidp.lambda_handler`` with a DynamoDB table configured, as on Lambda;
the figures are the wall time and the CPU time (less disturbed by a busy machine)
of that import statement alone, measured inside the child. It also checks that boto3 was not imported (the client is built on first use).

    .venv/bin/python bench/cold_import.py            # 15 runs, median and max
    .venv/bin/python bench/cold_import.py --runs 30 --first-request

``--bytecode`` measures a package shipped with its compiled bytecode, as
``infra/deploy.sh`` builds it (``compileall``): the runs read ``.pyc`` files from a
``PYTHONPYCACHEPREFIX`` that one uncounted run filled. Without it every module is
compiled from source on each run (``mockidp`` is installed editable, without bytecode).

``--first-request`` also times the first request that needs state (a token request,
which imports boto3 and builds the client; the endpoint is unreachable, so it answers
503 after the connection is refused).

Target: median under 300 ms on the reference machine (2 cores).
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile

CHILD = r"""
import json, sys, time
started, cpu = time.perf_counter(), time.process_time()
import mockidp.lambda_handler as handler
imported, cpu = time.perf_counter() - started, time.process_time() - cpu
result = {"import_ms": imported * 1000, "import_cpu_ms": cpu * 1000, "boto3": "boto3" in sys.modules}
if sys.argv[1] == "1":
    import asyncio, base64
    asyncio.set_event_loop(asyncio.new_event_loop())
    body = base64.b64encode(b"grant_type=client_credentials").decode()
    event = {
        "version": "2.0", "routeKey": "$default", "rawPath": "/token", "rawQueryString": "",
        "headers": {"host": "x.lambda-url.eu-west-1.on.aws", "x-forwarded-proto": "https",
                    "content-type": "application/x-www-form-urlencoded",
                    "authorization": "Basic " + base64.b64encode(b"mockidp-client:mockidp-secret").decode()},
        "requestContext": {"http": {"method": "POST", "path": "/token", "protocol": "HTTP/1.1",
                                    "sourceIp": "127.0.0.1", "userAgent": "bench"},
                           "stage": "$default", "domainName": "x.lambda-url.eu-west-1.on.aws"},
        "body": body, "isBase64Encoded": True,
    }
    started = time.perf_counter()
    answer = handler.handler(event, None)
    result["first_request_ms"] = (time.perf_counter() - started) * 1000
    result["first_status"] = answer["statusCode"]
print(json.dumps(result))
"""


def run_once(
    first_request: bool,
    *,
    table: bool = True,
    tree: str | None = None,
    pycache: str | None = None,
    write_bytecode: bool = False,
) -> dict[str, float]:
    """One fresh interpreter; ``tree``: import mockidp from that directory's ``mockidp/``
    (run from ``/`` so the current directory cannot shadow it); ``pycache``: read (and
    with ``write_bytecode`` write) compiled bytecode under that prefix."""
    env = dict(os.environ)
    if pycache is not None:
        env["PYTHONPYCACHEPREFIX"] = pycache
    if write_bytecode:
        env.pop("PYTHONDONTWRITEBYTECODE", None)
    else:
        env["PYTHONDONTWRITEBYTECODE"] = "1"
    if tree is not None:
        env["PYTHONPATH"] = tree
    env.setdefault("MOCKIDP_ADMIN_TOKEN", "bench-admin-token-0123456789")  # Lambda requires one
    if table:
        env.update(
            {
                "MOCKIDP_TABLE": "mockidp-bench",
                "AWS_REGION": "eu-west-1",
                "AWS_ACCESS_KEY_ID": "bench",
                "AWS_SECRET_ACCESS_KEY": "bench",
                "AWS_ENDPOINT_URL_DYNAMODB": "http://127.0.0.1:9",
            }
        )
    else:
        env.pop("MOCKIDP_TABLE", None)
        env.pop("MOCKIDP_STORE", None)
    out = subprocess.run(
        [sys.executable, "-c", CHILD, "1" if first_request else "0"],
        env=env,
        capture_output=True,
        text=True,
        check=True,
        cwd="/" if tree is not None else None,
    ).stdout
    result: dict[str, float] = json.loads(out.strip().splitlines()[-1])
    return result


def compare_trees(trees: list[str], runs: int, table: bool) -> int:
    """Alternate the trees run by run, so load elsewhere hits each alike."""
    for tree in trees:
        run_once(False, table=table, tree=tree)  # page cache
    found: dict[str, list[float]] = {tree: [] for tree in trees}
    for _ in range(runs):
        for tree in trees:
            found[tree].append(run_once(False, table=table, tree=tree)["import_ms"])
    first = statistics.median(found[trees[0]])
    for tree, values in found.items():
        median = statistics.median(values)
        print(
            f"{tree:<40} median {median:7.1f} ms  min {min(values):7.1f}  "
            f"vs the first {median / first:.2f}x"
        )
    return 0


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--runs", type=int, default=15)
    parser.add_argument("--first-request", action="store_true")
    parser.add_argument("--json", action="store_true", help="print the figures as JSON")
    parser.add_argument(
        "--no-table", action="store_true", help="no MOCKIDP_TABLE: the in-memory store"
    )
    parser.add_argument(
        "--bytecode",
        action="store_true",
        help="with compiled bytecode present, as a built Lambda package ships it",
    )
    parser.add_argument(
        "--trees",
        nargs="+",
        metavar="DIR",
        help="compare these trees (each DIR holds a mockidp/ package), alternating runs",
    )
    args = parser.parse_args()
    table = not args.no_table
    if args.trees:
        return compare_trees(args.trees, args.runs, table)
    pycache = tempfile.mkdtemp(prefix="mockidp-pyc-") if args.bytecode else None
    # warm the OS page cache (and with --bytecode, compile into the prefix); not counted
    run_once(args.first_request, table=table, pycache=pycache, write_bytecode=args.bytecode)
    results = [run_once(args.first_request, table=table, pycache=pycache) for _ in range(args.runs)]
    if pycache is not None:
        shutil.rmtree(pycache, ignore_errors=True)
    if any(r["boto3"] for r in results):
        print("FAIL: importing the handler imported boto3", file=sys.stderr)
        return 1
    figures = {
        "import_ms": [r["import_ms"] for r in results],
        "import_cpu_ms": [r["import_cpu_ms"] for r in results],
    }
    if args.first_request:
        figures["first_request_ms"] = [r["first_request_ms"] for r in results]
    summary = {
        name: {"median": statistics.median(v), "min": min(v), "max": max(v)}
        for name, v in figures.items()
    }
    if args.json:
        print(json.dumps({"runs": args.runs, **summary}, indent=2))
    else:
        where = "with MOCKIDP_TABLE" if table else "without a table"
        print(f"cold import of mockidp.lambda_handler ({where}), {args.runs} fresh interpreters")
        for name, s in summary.items():
            print(
                f"  {name:<18} median {s['median']:7.1f}  min {s['min']:7.1f}  max {s['max']:7.1f}"
            )
        print("  boto3 imported at import: no")
    return 0 if summary["import_ms"]["median"] < 300 else 2


if __name__ == "__main__":
    raise SystemExit(main())
