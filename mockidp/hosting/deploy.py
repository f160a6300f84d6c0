"""``mockidp deploy`` / ``destroy``: a stack per pull request, through CloudFormation.

The template is the one inside the package (``mockidp/hosting/template.yaml``; the
repository's ``template.yaml`` links to it). ``deploy`` builds the Lambda package
(:mod:`mockidp.hosting.package`), uploads it to S3 under a key made from its content
(``STACK/SHA256.zip``, so CloudFormation updates the function exactly when the code
changed), creates the stack or updates it, waits, and returns its outputs. A create that
fails is rolled back and deleted (``OnFailure=DELETE``); a failed update rolls back to
the previous stack. ``destroy`` deletes the stack (table, function, role, logs) and its
uploaded packages.

This is an edge of its own, like :mod:`mockidp.store.dynamodb`: boto3 is imported
here only, inside the functions that call AWS, so the rest of mockidp (and
``deploy --dry-run``) runs without it.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import secrets
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

from msgspec import Struct, field

__all__ = [
    "ADMIN_TOKEN_ENV",
    "STACK_TAG",
    "DeployError",
    "Deployment",
    "check_dry_run",
    "deploy",
    "destroy",
    "template_text",
    "write_dry_run",
]

TEMPLATE = Path(__file__).with_name("template.yaml")
#: Every stack ``deploy`` makes carries this tag; ``deploy`` and ``destroy`` touch no other.
STACK_TAG = "mockidp:stack"
ADMIN_TOKEN_ENV = "MOCKIDP_ADMIN_TOKEN"
_STACK_NAME = re.compile(r"[A-Za-z][A-Za-z0-9-]{0,127}")
_REGION = re.compile(r"[a-z]{2}(-[a-z]+)+-\d{1,2}")  # eu-west-1, us-gov-west-1, ap-southeast-5
_BUCKET = re.compile(r"[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]")  # S3's bucket naming rules, in short
_ISSUER = re.compile(r"https?://[^/\s?#]+(/[^\s?#]*)?")  # template.yaml's Issuer, made stricter
_CREDENTIALS_FIX = (
    "give AWS credentials: in GitHub Actions, aws-actions/configure-aws-credentials with "
    "role-to-assume (the workflow needs `permissions: id-token: write`; pull requests "
    "from forks get no OIDC token); elsewhere AWS_PROFILE, `aws configure` or "
    "AWS_ACCESS_KEY_ID / AWS_SECRET_ACCESS_KEY"
)


class DeployError(Exception):
    """Deploying or destroying failed; the message names the AWS error and the fix."""


class Deployment(Struct, frozen=True):
    """What a stack was deployed as: its outputs (IssuerUrl, DiscoveryUrl, ...)."""

    stack: str
    region: str
    created: bool
    outputs: Mapping[str, str] = field(default_factory=dict)

    @property
    def issuer(self) -> str:
        return self.outputs.get("IssuerUrl", "")


def template_text() -> str:
    """The CloudFormation template shipped in the package."""
    return TEMPLATE.read_text("utf-8")


def check_stack_name(stack: str) -> None:
    if not _STACK_NAME.fullmatch(stack):
        raise DeployError(
            f"stack name {stack!r}: use a letter, then letters, digits and '-' "
            "(128 at most), e.g. mockidp-pr-42"
        )


def resolve_region(region: str | None) -> str:
    """The region deploy uses: ``--region``, ``AWS_REGION``, ``AWS_DEFAULT_REGION``, then
    boto3's configuration (``~/.aws/config``) when boto3 is installed."""
    found = (
        region
        or os.environ.get("AWS_REGION")
        or os.environ.get("AWS_DEFAULT_REGION")
        or _configured_region()
    )
    if not found:
        raise DeployError("no AWS region: pass --region or set AWS_REGION")
    if not _REGION.fullmatch(found):
        raise DeployError(f"AWS region {found!r} is not a region name, e.g. eu-west-1")
    return found


def _configured_region() -> str | None:
    try:
        import boto3
    except ImportError:
        return None
    region: str | None = boto3.session.Session().region_name
    return region


def check_issuer(issuer: str | None) -> None:
    """``--issuer``: what template.yaml's Issuer parameter accepts (no trailing ``/``)."""
    if issuer is not None and not _ISSUER.fullmatch(issuer.rstrip("/")):
        raise DeployError(f"--issuer {issuer!r}: give an http(s) URL, e.g. https://idp.example.com")


def check_bucket_name(bucket: str | None) -> None:
    if bucket is not None and (not _BUCKET.fullmatch(bucket) or ".." in bucket):
        raise DeployError(
            f"--bucket {bucket!r} is not an S3 bucket name (3 to 63 lowercase letters, "
            "digits, '.' and '-')"
        )


def check_dry_run(
    *,
    stack: str,
    region: str | None,
    admin_token: str | None,
    issuer: str | None,
    bucket: str | None,
) -> str:
    """What ``deploy`` would refuse before calling AWS, for ``--dry-run`` (which describes
    a new stack, so it needs the admin token a create needs); the region."""
    check_stack_name(stack)
    check_issuer(issuer)
    check_bucket_name(bucket)
    check_admin_token(admin_token, new_stack=True)
    return resolve_region(region)


def stack_parameters(
    *,
    code_bucket: str,
    code_key: str,
    admin_token: str | None,
    scenario_file: str | None,
    issuer: str | None,
    arch: str,
    python: str,
) -> list[dict[str, Any]]:
    """CloudFormation parameters; a missing admin token keeps the stack's current one."""
    values = {
        "CodeBucket": code_bucket,
        "CodeKey": code_key,
        "ScenarioFile": scenario_file or "",
        "Scenario": "",
        "Issuer": (issuer or "").rstrip("/"),
        "Architecture": arch,
        "PythonVersion": python,
    }
    parameters: list[dict[str, Any]] = [
        {"ParameterKey": key, "ParameterValue": value} for key, value in values.items()
    ]
    if admin_token is None:
        parameters.append({"ParameterKey": "AdminToken", "UsePreviousValue": True})
    else:
        parameters.append({"ParameterKey": "AdminToken", "ParameterValue": admin_token})
    return parameters


def check_admin_token(token: str | None, *, new_stack: bool) -> None:
    if token is None and not new_stack:
        return  # the stack keeps the one it has
    if token is None or len(token) < 16:
        example = secrets.token_hex(16)
        raise DeployError(
            f"set {ADMIN_TOKEN_ENV} to 16 characters or more (e.g. {example}, or "
            "`openssl rand -hex 16`) and keep it in your CI's secrets: the control API "
            "of the deployed provider requires it"
        )


def code_key(stack: str, package: Path) -> str:
    digest = hashlib.sha256(package.read_bytes()).hexdigest()[:32]
    return f"{stack}/{digest}.zip"


def write_dry_run(
    folder: Path,
    *,
    stack: str,
    package: Path,
    scenario_file: str | None,
    issuer: str | None,
    arch: str,
    python: str,
    bucket: str | None,
) -> Path:
    """The template, the parameters (admin token left out) and the package, in ``folder``."""
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "template.yaml").write_text(template_text(), "utf-8")
    parameters = stack_parameters(
        code_bucket=bucket or "mockidp-artifacts-ACCOUNT-REGION",
        code_key=code_key(stack, package),
        admin_token=f"${ADMIN_TOKEN_ENV}",
        scenario_file=scenario_file,
        issuer=issuer,
        arch=arch,
        python=python,
    )
    (folder / "parameters.json").write_text(json.dumps(parameters, indent=2) + "\n", "utf-8")
    if package.resolve() != (folder / package.name).resolve():
        (folder / package.name).write_bytes(package.read_bytes())
    return folder


# -- AWS ----------------------------------------------------------------------------------


def _boto3() -> Any:
    try:
        import boto3
    except ImportError as exc:
        raise DeployError(
            "deploy and destroy need boto3: pip install 'mockidp-oidc[aws]' (or pip install boto3)"
        ) from exc
    return boto3


def _described(error: Exception, doing: str) -> DeployError:
    """A botocore error as a DeployError that names it and says what to do."""
    from botocore.exceptions import (
        ClientError,
        EndpointConnectionError,
        NoCredentialsError,
        NoRegionError,
        PartialCredentialsError,
        WaiterError,
    )

    if isinstance(error, NoCredentialsError | PartialCredentialsError):
        return DeployError(f"{doing}: no AWS credentials ({error}); {_CREDENTIALS_FIX}")
    if isinstance(error, NoRegionError):
        return DeployError(f"{doing}: no AWS region; pass --region or set AWS_REGION")
    if isinstance(error, EndpointConnectionError):
        return DeployError(f"{doing}: cannot reach AWS ({error}); check the network or region")
    if isinstance(error, ClientError):
        code = error.response.get("Error", {}).get("Code", "")
        message = error.response.get("Error", {}).get("Message", str(error))
        hint = ""
        if code in ("AccessDenied", "AccessDeniedException", "UnauthorizedOperation"):
            hint = (
                "; the credentials need CloudFormation, Lambda, IAM (roles for the "
                "function), DynamoDB, CloudWatch Logs and S3 (docs/deploy.md lists them)"
            )
        elif code in ("ExpiredToken", "ExpiredTokenException", "InvalidClientTokenId"):
            hint = f"; {_CREDENTIALS_FIX}"
        return DeployError(f"{doing}: {code}: {message}{hint}")
    if isinstance(error, WaiterError):
        return DeployError(f"{doing}: {error}")
    return DeployError(f"{doing}: {error}")


def _aws_errors() -> tuple[type[Exception], ...]:
    from botocore.exceptions import BotoCoreError, ClientError

    return (BotoCoreError, ClientError)


class _Session:
    """The boto3 clients of one region, after a credentials check."""

    def __init__(self, region: str | None) -> None:
        boto3 = _boto3()
        session = boto3.session.Session(region_name=resolve_region(region))
        self.region: str = session.region_name
        try:
            self.account: str = session.client("sts").get_caller_identity()["Account"]
        except _aws_errors() as exc:
            raise _described(exc, "checking the AWS credentials") from exc
        self.cloudformation = session.client("cloudformation")
        self.s3 = session.client("s3")

    def stack(self, name: str) -> dict[str, Any] | None:
        from botocore.exceptions import ClientError

        try:
            stacks = self.cloudformation.describe_stacks(StackName=name)["Stacks"]
        except ClientError as exc:
            if "does not exist" in str(exc):
                return None
            raise _described(exc, f"reading stack {name}") from exc
        found: dict[str, Any] | None = stacks[0] if stacks else None
        if found is not None and found.get("StackStatus") == "DELETE_COMPLETE":
            return None
        return found


def _check_ours(stack: Mapping[str, Any], name: str) -> None:
    tags = {t.get("Key"): t.get("Value") for t in stack.get("Tags") or []}
    if STACK_TAG not in tags:
        raise DeployError(
            f"stack {name} exists and was not made by `mockidp deploy` (no {STACK_TAG} "
            "tag): it is left alone; choose another --stack"
        )
    status = str(stack.get("StackStatus", ""))
    if status.endswith("_IN_PROGRESS"):
        raise DeployError(f"stack {name} is busy ({status}); run again when it is done")


def _first_failure(session: _Session, name: str) -> str:
    """The first resource failure of the stack's latest operation, from its events."""
    try:
        events = session.cloudformation.describe_stack_events(StackName=name)["StackEvents"]
    except _aws_errors():
        return "see the stack's events in the CloudFormation console"
    failed = [e for e in events if str(e.get("ResourceStatus", "")).endswith("_FAILED")]
    if not failed:
        return "see the stack's events in the CloudFormation console"
    event = failed[-1]  # events come newest first: the last failure is the first cause
    return f"{event.get('LogicalResourceId')}: {event.get('ResourceStatusReason')}"


def _ensure_bucket(session: _Session, bucket: str | None) -> str:
    if bucket is not None:
        try:
            session.s3.head_bucket(Bucket=bucket)
        except _aws_errors() as exc:
            raise _described(exc, f"reading bucket {bucket} (--bucket must exist)") from exc
        return bucket
    name = f"mockidp-artifacts-{session.account}-{session.region}"
    try:
        session.s3.head_bucket(Bucket=name)
        return name
    except _aws_errors():
        pass  # not there yet: made below
    try:
        config = (
            {}
            if session.region == "us-east-1"
            else {"CreateBucketConfiguration": {"LocationConstraint": session.region}}
        )
        session.s3.create_bucket(Bucket=name, **config)
        session.s3.put_public_access_block(
            Bucket=name,
            PublicAccessBlockConfiguration={
                "BlockPublicAcls": True,
                "IgnorePublicAcls": True,
                "BlockPublicPolicy": True,
                "RestrictPublicBuckets": True,
            },
        )
    except _aws_errors() as exc:
        raise _described(exc, f"creating bucket {name} for the package (or pass --bucket)") from exc
    return name


def deploy(
    *,
    stack: str,
    build: Callable[[], tuple[Path, str | None]],
    region: str | None,
    admin_token: str | None,
    issuer: str | None = None,
    arch: str = "arm64",
    python: str = "3.12",
    bucket: str | None = None,
    poll_seconds: int = 5,
    log: Callable[[str], None] = print,
) -> Deployment:
    """Create the stack, or update it when it exists; wait; return its outputs.

    ``build`` makes the package (the zip and the scenario's path inside it); it is called
    once the credentials, the region, the stack and the admin token are found fit.
    """
    check_stack_name(stack)
    check_issuer(issuer)
    check_bucket_name(bucket)
    session = _Session(region)
    existing = session.stack(stack)
    if existing is not None:
        _check_ours(existing, stack)
        if existing.get("StackStatus") == "ROLLBACK_COMPLETE":  # a create that failed
            log(f"mockidp: stack {stack} never finished creating: deleting it first")
            _delete_stack(session, stack, poll_seconds=poll_seconds)
            existing = None
    check_admin_token(admin_token, new_stack=existing is None)
    package, scenario_file = build()
    bucket = _ensure_bucket(session, bucket)
    key = code_key(stack, package)
    try:
        session.s3.upload_file(str(package), bucket, key)
    except OSError as exc:
        raise DeployError(f"cannot read the package {package}: {exc}") from exc
    except _aws_errors() as exc:
        raise _described(exc, f"uploading the package to s3://{bucket}/{key}") from exc
    log(f"mockidp: package uploaded to s3://{bucket}/{key}")
    arguments: dict[str, Any] = {
        "StackName": stack,
        "TemplateBody": template_text(),
        "Parameters": stack_parameters(
            code_bucket=bucket,
            code_key=key,
            admin_token=admin_token,
            scenario_file=scenario_file,
            issuer=issuer,
            arch=arch,
            python=python,
        ),
        "Capabilities": ["CAPABILITY_IAM"],
        "Tags": [{"Key": STACK_TAG, "Value": stack}],
    }
    waiter_config = {"Delay": poll_seconds, "MaxAttempts": max(1, 1800 // poll_seconds)}
    from botocore.exceptions import ClientError, WaiterError

    if existing is None:
        log(f"mockidp: creating stack {stack} in {session.region} ...")
        stack_id = stack
        try:
            created = session.cloudformation.create_stack(**arguments, OnFailure="DELETE")
            stack_id = str(created.get("StackId") or stack)  # events outlive the stack by id
            session.cloudformation.get_waiter("stack_create_complete").wait(
                StackName=stack_id, WaiterConfig=waiter_config
            )
        except WaiterError as exc:
            raise DeployError(
                f"creating stack {stack} failed: {_first_failure(session, stack_id)}; "
                "it was rolled back and is being deleted (nothing is left but the package "
                f"in s3://{bucket}/{key})"
            ) from exc
        except _aws_errors() as exc:
            raise _described(exc, f"creating stack {stack}") from exc
    else:
        log(f"mockidp: updating stack {stack} in {session.region} ...")
        try:
            session.cloudformation.update_stack(**arguments)
        except ClientError as exc:
            if "No updates are to be performed" not in str(exc):
                raise _described(exc, f"updating stack {stack}") from exc
            log(f"mockidp: stack {stack} is up to date")
        except _aws_errors() as exc:
            raise _described(exc, f"updating stack {stack}") from exc
        else:
            try:
                session.cloudformation.get_waiter("stack_update_complete").wait(
                    StackName=stack, WaiterConfig=waiter_config
                )
            except WaiterError as exc:
                raise DeployError(
                    f"updating stack {stack} failed: {_first_failure(session, stack)}; "
                    "it rolled back to what it was"
                ) from exc
            except _aws_errors() as exc:
                raise _described(exc, f"updating stack {stack}") from exc
    found = session.stack(stack) or {}
    outputs = {str(o["OutputKey"]): str(o["OutputValue"]) for o in found.get("Outputs") or []}
    return Deployment(stack, session.region, existing is None, outputs)


def _delete_stack(session: _Session, stack: str, *, poll_seconds: int) -> None:
    from botocore.exceptions import WaiterError

    try:
        session.cloudformation.delete_stack(StackName=stack)
        session.cloudformation.get_waiter("stack_delete_complete").wait(
            StackName=stack,
            WaiterConfig={"Delay": poll_seconds, "MaxAttempts": max(1, 1800 // poll_seconds)},
        )
    except WaiterError as exc:
        raise DeployError(
            f"deleting stack {stack} failed: {_first_failure(session, stack)}; "
            "run destroy again, or delete it in the CloudFormation console"
        ) from exc
    except _aws_errors() as exc:
        raise _described(exc, f"deleting stack {stack}") from exc


def destroy(
    *,
    stack: str,
    region: str | None,
    poll_seconds: int = 5,
    log: Callable[[str], None] = print,
) -> bool:
    """Delete the stack and its uploaded packages; False when there was no such stack."""
    check_stack_name(stack)
    session = _Session(region)
    existing = session.stack(stack)
    if existing is None:
        return False
    _check_ours(existing, stack)
    parameters = {
        str(p.get("ParameterKey")): str(p.get("ParameterValue", ""))
        for p in existing.get("Parameters") or []
    }
    log(f"mockidp: deleting stack {stack} in {session.region} ...")
    _delete_stack(session, stack, poll_seconds=poll_seconds)
    bucket = parameters.get("CodeBucket")
    if bucket:
        try:
            listed = session.s3.list_objects_v2(Bucket=bucket, Prefix=f"{stack}/")
            for item in listed.get("Contents") or []:
                session.s3.delete_object(Bucket=bucket, Key=item["Key"])
        except _aws_errors() as exc:  # the stack is gone; a stale zip is only clutter
            log(f"mockidp: warning: the packages under s3://{bucket}/{stack}/ stay: {exc}")
    return True
