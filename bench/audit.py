"""How long the whole audit of one app takes (issue 26: under 20 s on two cores).

mockidp and the suite's sample app (tests/audit/sample_app.py, the correct one) are each
served by uvicorn on a loopback port in this process, as `mockidp audit` would find them;
the figure is the wall time of every case (back-channel logout, refresh and RP-initiated
logout included) per run. ``--response-type "code id_token token"`` audits the hybrid
sample app (form_post), to which the at_hash / c_hash cases apply.

    .venv/bin/python bench/audit.py [--runs 3] [--flaw FLAW] [--response-type TYPE]
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path

import httpx

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))  # the tests package

from mockidp import create_app
from mockidp.audit.browser import HttpSignIn
from mockidp.audit.cases import ALL_CASES
from mockidp.audit.runner import Provider, run
from mockidp.testing.serving import LiveServer
from tests.audit.conftest import Served
from tests.audit.sample_app import FLAWS, SampleApp


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--flaw", choices=FLAWS)
    parser.add_argument("--response-type", default="code")
    args = parser.parse_args()
    idp = LiveServer(create_app())
    app = SampleApp(idp.url, flaw=args.flaw, response_type=args.response_type)
    served = Served(app.asgi)
    url = served.url
    sign_in = HttpSignIn(
        f"{url}/login", f"{url}/me", refresh=f"{url}/refresh", logout=f"{url}/logout"
    )
    times = []
    try:
        with httpx.Client(base_url=idp.url) as control:
            for _ in range(args.runs):
                start = time.perf_counter()
                outcomes = run(
                    Provider(control),
                    ALL_CASES,
                    sign_in,
                    backchannel=f"{served.url}/backchannel_logout",
                )
                times.append(time.perf_counter() - start)
    finally:
        served.stop()
        idp.stop()
        app.http.close()
    failed = sum(o.failed for o in outcomes)
    skipped = sum(o.verdict == "n/a" for o in outcomes)
    print(
        f"{len(ALL_CASES)} cases, {failed} failed, {skipped} not applicable; per audit: "
        f"median {statistics.median(times):.2f} s, max {max(times):.2f} s over {args.runs} runs"
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
