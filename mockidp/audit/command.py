"""``mockidp audit``: run the audit against an app over HTTP, print the report, and exit
non-zero when a case failed (a must-reject case accepted, a must-accept case rejected)."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any

FORMATS = ("text", "json", "junit", "markdown")
"""Report formats (:mod:`mockidp.audit.report`); named here so that building the
command line, which every ``mockidp`` command does, imports nothing of the audit."""


def add_command(commands: Any) -> None:
    """Add ``audit`` to ``commands`` (argparse's subparsers); it sets ``run``."""
    audit = commands.add_parser(
        "audit", help="check that an app rejects bad ID tokens (and accepts good ones)"
    )
    audit.add_argument("--start", required=True, help="the app's URL that starts a sign-in")
    audit.add_argument(
        "--check", required=True, help="a URL of the app that answers 2xx only when signed in"
    )
    audit.add_argument(
        "--idp",
        default="http://127.0.0.1:8000",
        help="the running mockidp the app signs in with (default http://127.0.0.1:8000)",
    )
    audit.add_argument("--admin-token", help="the mockidp's control API token, if it needs one")
    audit.add_argument(
        "--scenario", type=Path, help="scenario file for every case (default: the one in force)"
    )
    audit.add_argument("--cases", help="only cases matching these patterns (comma-separated)")
    audit.add_argument(
        "--backchannel",
        metavar="URL",
        help="the app's backchannel_logout_uri: run the back-channel logout cases too",
    )
    audit.add_argument(
        "--refresh",
        metavar="URL",
        help="the app's URL that refreshes the signed-in user's tokens, 2xx only when it "
        "took the new ones: run the refresh cases too",
    )
    audit.add_argument(
        "--logout",
        metavar="URL",
        help="the app's URL that logs out through mockidp's end_session endpoint "
        "(RP-initiated logout): run the logout state cases too",
    )
    audit.add_argument("--format", choices=FORMATS, default="text")
    audit.add_argument("--output", type=Path, help="write the report here (default: stdout)")
    audit.add_argument("--ca-file", help="CA bundle to trust for HTTPS (app and mockidp)")
    audit.set_defaults(run=run_command)


def run_command(args: argparse.Namespace) -> int:
    import httpx

    from mockidp.audit.browser import HttpSignIn
    from mockidp.audit.cases import select
    from mockidp.audit.report import as_json, render
    from mockidp.audit.runner import AuditError, Provider, run
    from mockidp.errors import ScenarioError
    from mockidp.scenario.dump import dump_scenario
    from mockidp.scenario.loader import load_scenario

    cases = select(
        args.cases,
        logout=args.backchannel is not None,
        refresh=args.refresh is not None,
        rp_logout=args.logout is not None,
    )
    if not cases:
        print(f"mockidp audit: no case matches {args.cases!r}", file=sys.stderr)
        return 2
    headers = {"Authorization": f"Bearer {args.admin_token}"} if args.admin_token else {}
    verify: bool | str = args.ca_file or True
    try:
        base = dump_scenario(load_scenario(args.scenario)) if args.scenario else None
        with httpx.Client(base_url=args.idp, headers=headers, verify=verify, timeout=10) as idp:
            provider = Provider(idp, base)
            sign_in = HttpSignIn(
                args.start, args.check, refresh=args.refresh, logout=args.logout, verify=verify
            )
            outcomes = run(provider, cases, sign_in, backchannel=args.backchannel)
            kept = provider.publish({**as_json(outcomes), "source": "mockidp audit"})
    except ScenarioError as exc:
        print(f"mockidp audit: {exc}", file=sys.stderr)
        return 2
    except (AuditError, httpx.HTTPError, OSError) as exc:
        print(f"mockidp audit: {exc}", file=sys.stderr)
        return 2
    report = render(outcomes, args.format)
    if args.output is not None:
        try:
            args.output.write_text(report, encoding="utf-8")
        except OSError as exc:
            print(f"mockidp audit: cannot write {args.output}: {exc.strerror}", file=sys.stderr)
            return 2
    else:
        sys.stdout.write(report)
    page = f"{args.idp.rstrip('/')}/_mockidp/inspector/audit"
    print(f"mockidp audit: {kept or 'the inspector shows this report at ' + page}", file=sys.stderr)
    return 1 if any(o.failed for o in outcomes) else 0
