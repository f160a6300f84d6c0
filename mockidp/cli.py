"""The command line: ``mockidp serve | validate | schema | create-table | package | deploy |
destroy | audit`` (package, deploy and destroy live in :mod:`mockidp.hosting.deploy_cli`,
audit in :mod:`mockidp.audit.command`)."""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import socket
import sys
import tempfile
import threading
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING

from mockidp.asgi import create_app
from mockidp.audit.command import add_command as add_audit_command
from mockidp.distribution import installed_version
from mockidp.errors import ScenarioError
from mockidp.hosting.deploy_cli import add_commands as add_deploy_commands
from mockidp.hosting.settings import Settings
from mockidp.hosting.wiring import scenario_from_settings, store_from_settings, store_problem
from mockidp.hosting.workers import run_workers
from mockidp.http.split_urls import check_browser_url
from mockidp.model.scenario import Scenario
from mockidp.oauth.provider import Provider
from mockidp.presets import PRESETS
from mockidp.scenario.loader import check_scenario_text
from mockidp.scenario.schema import SCENARIO_SCHEMA
from mockidp.signins import console_hook
from mockidp.store.urls import parse_store_url

if TYPE_CHECKING:
    from mockidp.hosting.tls import TLSFiles


def _version() -> str:
    """The installed distribution's version (the package's own __init__ is not imported)."""
    return installed_version()


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="mockidp", description="A mock OpenID Connect provider for tests."
    )
    parser.add_argument("--version", action="version", version=f"mockidp {_version()}")
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    serve = commands.add_parser("serve", help="run the provider on a local port")
    serve.add_argument("scenario", nargs="?", help="scenario file (default: the embedded default)")
    serve.add_argument("--host", help="address to listen on (default 127.0.0.1, or MOCKIDP_HOST)")
    serve.add_argument(
        "--port", type=int, help="port (default 8000, or MOCKIDP_PORT; 0 picks a free one)"
    )
    serve.add_argument("--issuer", help="fixed issuer URL (default: derived from each request)")
    serve.add_argument(
        "--browser-url",
        help="where browsers reach the provider, when apps use another address (containers): "
        "the issuer and the browser endpoints are there, token, JWKS, userinfo and the "
        "other back-channel endpoints at the address each request used "
        "(or MOCKIDP_BROWSER_URL)",
    )
    serve.add_argument(
        "--admin-token",
        help="require this bearer token on the test-control API under /_mockidp/ "
        "(or MOCKIDP_ADMIN_TOKEN; default: open)",
    )
    serve.add_argument(
        "--max-tenants",
        type=int,
        help="tenants (/t/NAME/...) made on first use, at most (or MOCKIDP_MAX_TENANTS; "
        "default 100; 0: only through the control API)",
    )
    serve.add_argument(
        "--watch", action="store_true", help="reload the scenario file when it changes"
    )
    serve.add_argument("--quiet", action="store_true", help="do not log each request")
    serve.add_argument(
        "--sign-ins",
        action="store_true",
        help="print each finished sign-in on one line: its requests and answers in order "
        "(with --quiet, only those lines)",
    )
    serve.add_argument(
        "--store",
        help="state backend: memory (default), sqlite://FILE or dynamodb://TABLE (or "
        "MOCKIDP_STORE; region and endpoint from AWS_REGION, AWS_ENDPOINT_URL_DYNAMODB)",
    )
    serve.add_argument(
        "--workers",
        type=int,
        default=1,
        help="server processes answering the port (default 1); several share their state "
        "through the store: a temporary SQLite file unless --store names a shared one",
    )
    serve.add_argument(
        "--preset",
        choices=list(PRESETS),
        help="emulate this provider (when the scenario names no preset; or MOCKIDP_PRESET)",
    )
    serve.add_argument(
        "--tls",
        action="store_true",
        help="serve HTTPS with a certificate for 127.0.0.1, ::1 and localhost signed by a "
        "local CA (made once, kept in --tls-dir); the issuer becomes https://...",
    )
    serve.add_argument(
        "--tls-dir",
        metavar="DIR",
        help="with --tls: the folder of the local CA, DIR/ca.pem (default: a per-user "
        "cache folder, so the CA stays the same between runs)",
    )
    serve.add_argument("--tls-cert", metavar="FILE", help="serve HTTPS with this PEM certificate")
    serve.add_argument("--tls-key", metavar="FILE", help="the PEM private key of --tls-cert")

    validate = commands.add_parser("validate", help="check scenario files without serving them")
    validate.add_argument("files", nargs="+", metavar="FILE")

    commands.add_parser("schema", help="print the JSON Schema of scenario files")

    table = commands.add_parser(
        "create-table", help="create the DynamoDB table for `serve --store dynamodb://TABLE`"
    )
    table.add_argument("table", help="table name")
    table.add_argument("--region", help="AWS region (default: AWS_REGION / AWS_DEFAULT_REGION)")
    table.add_argument(
        "--endpoint-url", help="DynamoDB endpoint (default: AWS_ENDPOINT_URL_DYNAMODB)"
    )
    add_deploy_commands(commands)
    add_audit_command(commands)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    if hasattr(args, "run"):  # package, deploy, destroy, audit
        status: int = args.run(args)
        return status
    if args.command == "validate":
        return _validate(args.files)
    if args.command == "schema":
        print(json.dumps(SCENARIO_SCHEMA, indent=2))
        return 0
    if args.command == "create-table":
        return _create_table(args.table, region=args.region, endpoint_url=args.endpoint_url)
    try:
        settings = Settings.from_env().override(
            scenario=args.scenario,
            host=args.host,
            port=args.port,
            issuer=args.issuer,
            admin_token=args.admin_token,
            store=args.store,
            max_tenants=args.max_tenants,
            preset=args.preset,
            browser_url=args.browser_url,
        )
        if settings.browser_url is not None:
            settings = settings.override(browser_url=check_browser_url(settings.browser_url))
        if settings.max_tenants < 0:
            raise ValueError("--max-tenants must be 0 or more")
    except ValueError as exc:
        print(f"mockidp: {exc}", file=sys.stderr)
        return 2
    if args.workers < 1:
        print("mockidp: --workers must be 1 or more", file=sys.stderr)
        return 2
    if args.workers > 1 and not hasattr(os, "fork"):
        print("mockidp: --workers needs os.fork (Linux, macOS)", file=sys.stderr)
        return 2
    try:
        tls = _tls(args)
    except ValueError as exc:
        print(f"mockidp: {exc}", file=sys.stderr)
        return 2
    with contextlib.ExitStack() as stack:
        if args.workers > 1 and _is_memory(settings.store):  # not shared between processes
            directory = stack.enter_context(tempfile.TemporaryDirectory(prefix="mockidp-"))
            settings = settings.override(store=f"sqlite://{directory}/state.db")
        return _serve(
            settings,
            watch=args.watch,
            quiet=args.quiet,
            sign_ins=args.sign_ins,
            preset=settings.preset,
            workers=args.workers,
            tls=tls,
        )


def _tls(args: argparse.Namespace) -> TLSFiles | None:
    """The HTTPS files the flags ask for (ValueError for a bad combination)."""
    from mockidp.hosting.tls import local_tls, own_tls  # cryptography: only when serving HTTPS

    if (args.tls_cert is None) != (args.tls_key is None):
        raise ValueError("--tls-cert and --tls-key go together")
    if args.tls_cert is not None:
        if args.tls or args.tls_dir:
            raise ValueError("--tls-cert/--tls-key serve your certificate: leave out --tls")
        return own_tls(args.tls_cert, args.tls_key)
    if args.tls_dir and not args.tls:
        raise ValueError("--tls-dir needs --tls")
    return local_tls(args.tls_dir) if args.tls else None


def _is_memory(store: str) -> bool:
    try:
        return parse_store_url(store).kind == "memory"
    except ValueError:  # _serve says what is wrong with it
        return False


def _validate(files: Sequence[str]) -> int:
    failed = 0
    for name in files:
        try:
            text = Path(name).read_text("utf-8")
        except (OSError, UnicodeDecodeError) as exc:
            print(f"{name}: cannot read: {exc}")
            failed += 1
            continue
        problems = check_scenario_text(text, name=name)
        if problems:
            failed += 1
            print(f"{name}: {len(problems)} problem{'s' if len(problems) > 1 else ''}")
            for problem in problems:
                print(f"  {problem}")
        else:
            print(f"{name}: ok")
    return 1 if failed else 0


def _create_table(table: str, *, region: str | None, endpoint_url: str | None) -> int:
    from mockidp.store.dynamodb import create_table

    try:
        created = create_table(table, region=region, endpoint_url=endpoint_url)
    except ImportError as exc:
        print(f"mockidp: {exc}", file=sys.stderr)
        return 2
    except Exception as exc:  # botocore's errors: no credentials, no endpoint, denied
        print(f"mockidp: cannot create table {table!r}: {exc}", file=sys.stderr)
        return 1
    print(f"mockidp: table {table} {'created' if created else 'already exists'}")
    return 0


def _load(settings: Settings, preset: str | None = None) -> Scenario:
    return scenario_from_settings(settings, preset=preset)


def _serve(
    settings: Settings,
    *,
    watch: bool,
    quiet: bool,
    sign_ins: bool = False,
    preset: str | None = None,
    workers: int = 1,
    tls: TLSFiles | None = None,
) -> int:
    import uvicorn

    try:
        scenario = _load(settings, preset)
    except ScenarioError as exc:
        print(f"mockidp: {exc}", file=sys.stderr)
        return 2
    try:
        store = store_from_settings(settings)
    except (ValueError, ImportError) as exc:
        print(f"mockidp: {exc}", file=sys.stderr)
        return 2
    problem = store_problem(store)
    if problem is not None:
        print(f"mockidp: {settings.store}: {problem}", file=sys.stderr)
        return 2
    app = create_app(
        scenario,
        store=store,
        on_request=console_hook(_print, each_request=not quiet, sign_ins=sign_ins),
        admin_token=settings.admin_token,
        max_tenants=settings.max_tenants,
        browser_url=settings.browser_url,
    )
    family = socket.AF_INET6 if ":" in settings.host else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    try:
        sock.bind((settings.host, settings.port))
    except OSError as exc:
        print(f"mockidp: cannot listen on {settings.host}:{settings.port}: {exc}", file=sys.stderr)
        return 2
    port = sock.getsockname()[1]
    host = f"[{settings.host}]" if family == socket.AF_INET6 else settings.host
    listening = f"{'https' if tls else 'http'}://{host}:{port}"
    _print_banner(
        app.provider,
        app.provider.issuer_for(settings.browser_url or listening),
        listening,
        control=app.protected,
        workers=workers,
        store=settings.store,
        tls=tls,
    )
    config = uvicorn.Config(
        app,
        log_level="warning",
        access_log=False,
        lifespan="off",
        ssl_certfile=tls.cert_file if tls else None,
        ssl_keyfile=tls.key_file if tls else None,
    )

    def run() -> None:
        if watch and settings.scenario:
            _watch(Path(settings.scenario), settings, app.provider, preset=preset)
        with contextlib.suppress(KeyboardInterrupt):  # uvicorn re-raises a Ctrl-C it handled
            uvicorn.Server(config).run(sockets=[sock])

    if workers == 1:
        run()
        return 0
    return run_workers(run, workers)


def _print_banner(
    provider: Provider,
    issuer: str,
    listening: str,
    *,
    control: bool = False,
    workers: int = 1,
    store: str = "memory",
    tls: TLSFiles | None = None,
) -> None:
    scenario = provider.scenario
    lines = [f"mockidp: issuer {issuer}"]
    if provider.layout.has("discovery"):
        lines.append(
            f"  discovery  {provider.layout.url(provider.endpoint_base(issuer), 'discovery')}"
        )
    lines.append(f"  scenario   {scenario.source}")
    for client in scenario.clients:
        secret = f"secret {client.client_secret}" if client.client_secret else "public, PKCE"
        lines.append(f"  client     {client.client_id} ({secret})")
    users = [
        u.sub
        + (" (default)" if u.sub == (scenario.default.sub if scenario.default else None) else "")
        for u in scenario.users
    ]
    if users:
        lines.append(f"  users      {', '.join(users)}")
    token = "admin token required" if control else "open: no --admin-token"
    lines.append(f"  control    {listening}/_mockidp/  ({token})")
    if tls is not None and tls.ca_file is not None:
        from mockidp.hosting.tls import trust_lines

        lines.append(f"  tls        CA {tls.ca_file} (trust it once; the same CA is reused)")
        lines += [f"    trust    {line}" for line in trust_lines(tls.ca_file)]
    elif tls is not None:
        lines.append(f"  tls        certificate {tls.cert_file}")
    if workers > 1:
        lines.append(f"  workers    {workers} processes, state shared in {store}")
    lines.append(f"  listening  {listening}  (Ctrl-C stops)")
    print("\n".join(lines), flush=True)


def _print(line: str) -> None:
    print(line, flush=True)


def _watch(
    path: Path,
    settings: Settings,
    provider: Provider,
    interval: float = 0.5,
    *,
    preset: str | None = None,
) -> None:
    """Reload the scenario when the file changes; keys, sessions and tokens are kept."""

    def mtime() -> float:
        try:
            return path.stat().st_mtime
        except OSError:
            return 0.0

    def loop() -> None:
        seen = mtime()
        while True:
            threading.Event().wait(interval)
            now = mtime()
            if now == seen:
                continue
            seen = now
            try:
                provider.use_scenario(_load(settings, preset))
            except ScenarioError as exc:
                print(f"mockidp: not reloaded, keeping the previous scenario: {exc}", flush=True)
            else:
                print(f"mockidp: reloaded {path}", flush=True)

    threading.Thread(target=loop, name="mockidp-watch", daemon=True).start()


if __name__ == "__main__":
    raise SystemExit(main())
