"""The ``package``, ``deploy`` and ``destroy`` subcommands: parsers and what they run.

Kept beside the code they call (:mod:`mockidp.hosting.package`,
:mod:`mockidp.hosting.deploy`); ``mockidp.cli`` only adds them. Each command prints
one line per step and exits non-zero with the reason (and the fix) when it fails.
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import zipfile
from pathlib import Path
from typing import Any

from mockidp.hosting.deploy import (
    ADMIN_TOKEN_ENV,
    DeployError,
    Deployment,
    check_dry_run,
    check_stack_name,
    deploy,
    destroy,
    write_dry_run,
)
from mockidp.hosting.package import (
    ARCHITECTURES,
    DEFAULT_PYTHON,
    PackageError,
    PackageResult,
    build_package,
    validate_scenario_file,
)

__all__ = ["add_commands"]


def add_commands(commands: Any) -> None:
    """Add the subcommands to ``commands`` (argparse's subparsers); each sets ``run``."""
    package = commands.add_parser("package", help="build the AWS Lambda package (a zip)")
    package.add_argument("--out", required=True, type=Path, help="folder for the zip")
    _build_options(package)
    package.set_defaults(run=_run_package)

    deploy_ = commands.add_parser(
        "deploy", help="deploy a provider stack to AWS (CloudFormation; updates when it exists)"
    )
    deploy_.add_argument("--stack", required=True, help="stack name, e.g. mockidp-pr-42")
    deploy_.add_argument("--region", help="AWS region (default: AWS_REGION)")
    deploy_.add_argument(
        "--dry-run",
        action="store_true",
        help="write the template, parameters and package into a folder; deploy nothing",
    )
    deploy_.add_argument("--out", type=Path, help="the --dry-run folder (default: a new one)")
    deploy_.add_argument("--issuer", help="fixed issuer URL (a custom domain; default: the URL)")
    deploy_.add_argument(
        "--bucket",
        help="existing S3 bucket for the package (default: mockidp-artifacts-ACCOUNT-REGION, "
        "created when missing)",
    )
    deploy_.add_argument(
        "--package",
        type=Path,
        help="a zip `mockidp package` built with the same --scenario, --python and --arch "
        "(default: build one)",
    )
    _build_options(deploy_, scenario_required=True)
    deploy_.set_defaults(run=_run_deploy)

    destroy_ = commands.add_parser("destroy", help="delete a stack `mockidp deploy` made")
    destroy_.add_argument("--stack", required=True, help="stack name")
    destroy_.add_argument("--region", help="AWS region (default: AWS_REGION)")
    destroy_.set_defaults(run=_run_destroy)


def _build_options(parser: argparse.ArgumentParser, *, scenario_required: bool = False) -> None:
    parser.add_argument(
        "--scenario",
        type=Path,
        required=scenario_required,
        help="scenario file shipped in the package (validated first)",
    )
    parser.add_argument(
        "--python",
        default=DEFAULT_PYTHON,
        help=f"the function's Python version (default {DEFAULT_PYTHON}, template.yaml's)",
    )
    parser.add_argument(
        "--arch", choices=list(ARCHITECTURES), default="arm64", help="default arm64"
    )


def _fail(message: str, status: int = 1) -> int:
    print(f"mockidp: {message}", file=sys.stderr)
    return status


def _build(args: argparse.Namespace, out: Path) -> PackageResult:
    result = build_package(out=out, scenario=args.scenario, python=args.python, arch=args.arch)
    print(f"mockidp: package {result.zip_path} ({result.size / 1e6:.1f} MB)")
    return result


def _run_package(args: argparse.Namespace) -> int:
    try:
        _build(args, args.out)
    except PackageError as exc:
        return _fail(str(exc))
    return 0


def _run_deploy(args: argparse.Namespace) -> int:
    try:
        check_stack_name(args.stack)
        validate_scenario_file(args.scenario)  # before anything is built or deployed
    except (DeployError, PackageError) as exc:
        return _fail(str(exc), 2)
    token = os.environ.get(ADMIN_TOKEN_ENV) or None
    if args.dry_run:
        try:  # what the real deploy would refuse, before anything is built
            region = check_dry_run(
                stack=args.stack,
                region=args.region,
                admin_token=token,
                issuer=args.issuer,
                bucket=args.bucket,
            )
        except DeployError as exc:
            return _fail(str(exc))
        folder = args.out or Path(tempfile.mkdtemp(prefix="mockidp-dry-run-"))
        try:
            package, scenario_file = _package(args, folder)
        except PackageError as exc:
            return _fail(str(exc))
        write_dry_run(
            folder,
            stack=args.stack,
            package=package,
            scenario_file=scenario_file,
            issuer=args.issuer,
            arch=args.arch,
            python=args.python,
            bucket=args.bucket,
        )
        print(
            f"mockidp: dry run for stack {args.stack} in {region}, nothing deployed: "
            f"template, parameters and package in {folder}"
        )
        return 0
    with tempfile.TemporaryDirectory(prefix="mockidp-deploy-") as scratch:
        try:
            deployment = deploy(
                stack=args.stack,
                build=lambda: _package(args, Path(scratch)),
                region=args.region,
                admin_token=token,
                issuer=args.issuer,
                arch=args.arch,
                python=args.python,
                bucket=args.bucket,
            )
        except (DeployError, PackageError) as exc:
            return _fail(str(exc))
    _report(deployment, token_given=token is not None)
    return 0


def _package(args: argparse.Namespace, folder: Path) -> tuple[Path, str | None]:
    """The zip to deploy and the scenario's path inside it."""
    if args.package is None:
        result = _build(args, folder)
        return result.zip_path, result.scenario_file
    try:
        with zipfile.ZipFile(args.package) as archive:
            names = set(archive.namelist())
    except (OSError, zipfile.BadZipFile) as exc:
        raise PackageError(f"--package {args.package}: not a readable zip: {exc}") from exc
    if "mockidp/lambda_handler.py" not in names:
        raise PackageError(f"--package {args.package} is not a `mockidp package` zip")
    inside = [n for n in ("scenario.yaml", "scenario.json") if n in names]
    if not inside:
        raise PackageError(
            f"--package {args.package} holds no scenario: build it with "
            f"`mockidp package --scenario {args.scenario}`"
        )
    return args.package, inside[0]


def _report(deployment: Deployment, *, token_given: bool) -> None:
    verb = "created" if deployment.created else "updated"
    outputs = deployment.outputs
    lines = [
        f"mockidp: stack {deployment.stack} {verb} in {deployment.region}",
        f"  issuer       {deployment.issuer}",
        f"  discovery    {outputs.get('DiscoveryUrl', '')}",
        f"  function     {outputs.get('FunctionName', '')}",
        f"  table        {outputs.get('TableName', '')}",
        "  admin token  "
        + (
            f"the {ADMIN_TOKEN_ENV} this command was given (the function's "
            f"{ADMIN_TOKEN_ENV}; hidden in the stack: AdminToken is NoEcho)"
            if token_given
            else f"unchanged: the {ADMIN_TOKEN_ENV} the stack was created with"
        ),
    ]
    print("\n".join(lines), flush=True)
    github_output = os.environ.get("GITHUB_OUTPUT")
    if github_output:  # GitHub Actions: the step's outputs
        with open(github_output, "a", encoding="utf-8") as handle:
            handle.write(f"issuer={deployment.issuer}\n")
            handle.write(f"discovery-url={outputs.get('DiscoveryUrl', '')}\n")
            handle.write(f"stack={deployment.stack}\n")


def _run_destroy(args: argparse.Namespace) -> int:
    try:
        deleted = destroy(stack=args.stack, region=args.region)
    except DeployError as exc:
        return _fail(str(exc))
    if deleted:
        print(f"mockidp: stack {args.stack} deleted (function, table, role and logs)")
    else:
        print(f"mockidp: no stack {args.stack}: nothing to delete")
    return 0
