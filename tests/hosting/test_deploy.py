"""``mockidp deploy`` / ``destroy`` from the installed wheel, and ``deploy --dry-run``.

Against moto's server (STS, S3, CloudFormation, Lambda, IAM, DynamoDB, Logs; with
``AWS::Lambda::Url`` added by tests/support/moto_cloudformation.py) a deploy makes the
whole stack from the template inside the wheel: the bucket and the uploaded package,
table, role, function (handler, scenario file, admin token), permissions,
URL and log group; a second deploy updates it, destroy removes it all. What only real AWS
shows: the function running (moto does not run it), IAM enforcing the role's policy,
CloudFormation's rollback of a create that fails (``OnFailure=DELETE``), the table's TTL
(moto's CloudFormation ignores TimeToLiveSpecification; the dry run's template has it) and
the waiters' pacing.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import uuid
from pathlib import Path
from typing import Any

import pytest
import yaml

from mockidp.hosting.deploy import STACK_TAG
from tests.hosting.conftest import Installed, LambdaPackage
from tests.support.dynamodb import FAKE_CREDENTIALS, moto_server_url, needs_moto

ROOT = Path(__file__).resolve().parents[2]
REGION = "eu-west-1"
TOKEN = "a" * 32


class _CloudFormationLoader(yaml.SafeLoader):
    """YAML with CloudFormation's short tags (!Ref, !GetAtt, ...) read as {tag: value}."""


def _tagged(loader: yaml.SafeLoader, suffix: str, node: yaml.Node) -> Any:
    if isinstance(node, yaml.ScalarNode):
        return {suffix: loader.construct_scalar(node)}
    if isinstance(node, yaml.SequenceNode):
        return {suffix: loader.construct_sequence(node, deep=True)}
    return {suffix: loader.construct_mapping(node, deep=True)}  # type: ignore[arg-type]


_CloudFormationLoader.add_multi_constructor("!", _tagged)


def _cfn_lint() -> str:
    found = shutil.which("cfn-lint") or str(Path(sys.executable).with_name("cfn-lint"))
    assert Path(found).exists(), "cfn-lint is in the test extra"
    return found


def test_the_root_template_is_the_packaged_one() -> None:
    """One source of truth: template.yaml at the root links to the one in the wheel."""
    root = ROOT / "template.yaml"
    assert root.resolve() == (ROOT / "mockidp" / "hosting" / "template.yaml").resolve()


def test_the_outputs_follow_the_issuer_parameter() -> None:
    template = yaml.load((ROOT / "template.yaml").read_text("utf-8"), _CloudFormationLoader)
    for name in ("IssuerUrl", "DiscoveryUrl"):
        text = json.dumps(template["Outputs"][name]["Value"])
        assert "HasIssuer" in text and '{"Ref": "Issuer"}' in text, name


def test_dry_run_writes_a_template_that_passes_cfn_lint(
    installed_wheel: Installed, lambda_package: LambdaPackage, tmp_path: Path
) -> None:
    folder = tmp_path / "dry"
    env = {k: v for k, v in os.environ.items() if not k.startswith("AWS_")}
    env["MOCKIDP_ADMIN_TOKEN"] = TOKEN
    result = installed_wheel.run(
        "deploy",
        "--stack",
        "mockidp-pr-7",
        "--scenario",
        str(lambda_package.scenario),
        "--package",
        str(lambda_package.zip_path),
        "--dry-run",
        "--region",
        REGION,
        "--out",
        str(folder),
        env=env,
    )
    assert result.returncode == 0, result.stderr
    assert f"mockidp: dry run for stack mockidp-pr-7 in {REGION}, nothing deployed" in result.stdout
    assert f"nothing deployed: template, parameters and package in {folder}" in result.stdout
    template = folder / "template.yaml"
    linted = subprocess.run(
        [_cfn_lint(), str(template)], capture_output=True, text=True, check=False, timeout=300
    )
    assert linted.returncode == 0, linted.stdout + linted.stderr
    document = yaml.load(template.read_text("utf-8"), _CloudFormationLoader)
    resources = document["Resources"].values()
    (table,) = [r["Properties"] for r in resources if r["Type"] == "AWS::DynamoDB::Table"]
    assert table["TimeToLiveSpecification"] == {"AttributeName": "ttl", "Enabled": True}
    (function,) = [r["Properties"] for r in resources if r["Type"] == "AWS::Lambda::Function"]
    assert function["Handler"] == "mockidp.lambda_handler.handler"
    parameters = {
        p["ParameterKey"]: p["ParameterValue"]
        for p in json.loads((folder / "parameters.json").read_text("utf-8"))
    }
    assert parameters["ScenarioFile"] == "scenario.yaml"
    assert parameters["CodeKey"].startswith("mockidp-pr-7/")
    assert TOKEN not in (folder / "parameters.json").read_text("utf-8")  # never written
    assert (folder / "mockidp-lambda.zip").read_bytes() == lambda_package.zip_path.read_bytes()


# -- against moto's server --------------------------------------------------------------------


def _aws_env(**extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("AWS_", "MOCKIDP_"))}
    env.update(FAKE_CREDENTIALS)
    env.update(AWS_REGION=REGION, AWS_DEFAULT_REGION=REGION, AWS_ENDPOINT_URL=moto_server_url())
    env.update(extra)
    return env


def _client(service: str) -> Any:
    import boto3

    return boto3.client(
        service,
        region_name=REGION,
        endpoint_url=moto_server_url(),
        aws_access_key_id="testing",
        aws_secret_access_key="testing",
    )


@needs_moto
def test_deploy_creates_updates_and_destroy_removes_the_stack(
    installed_wheel: Installed, lambda_package: LambdaPackage, tmp_path: Path
) -> None:
    stack = f"mockidp-pr-{uuid.uuid4().hex[:8]}"
    outputs = tmp_path / "github-output"
    env = _aws_env(MOCKIDP_ADMIN_TOKEN=TOKEN, GITHUB_OUTPUT=str(outputs))
    args = ["--stack", stack, "--scenario", str(lambda_package.scenario)]
    args += ["--package", str(lambda_package.zip_path), "--arch", "x86_64"]

    created = installed_wheel.run("deploy", *args, env=env)
    assert created.returncode == 0, created.stderr
    assert f"stack {stack} created in {REGION}" in created.stdout
    issuer = next(line.split()[1] for line in created.stdout.splitlines() if "issuer" in line)
    assert issuer.startswith("https://") and issuer.endswith(".lambda-url.eu-west-1.on.aws")
    assert f"discovery    {issuer}/.well-known/openid-configuration" in created.stdout
    assert "admin token  the MOCKIDP_ADMIN_TOKEN" in created.stdout
    assert f"issuer={issuer}\n" in outputs.read_text("utf-8")

    cloudformation = _client("cloudformation")
    described = cloudformation.describe_stacks(StackName=stack)["Stacks"][0]
    assert {"Key": STACK_TAG, "Value": stack} in described["Tags"]
    found = {o["OutputKey"]: o["OutputValue"] for o in described["Outputs"]}
    function = _client("lambda").get_function(FunctionName=found["FunctionName"])
    configuration = function["Configuration"]
    assert configuration["Handler"] == "mockidp.lambda_handler.handler"
    assert configuration["Architectures"] == ["x86_64"]
    variables = configuration["Environment"]["Variables"]
    assert variables["MOCKIDP_SCENARIO_FILE"] == "scenario.yaml"
    assert variables["MOCKIDP_ADMIN_TOKEN"] == TOKEN
    assert variables["MOCKIDP_TABLE"] == found["TableName"]
    table = _client("dynamodb").describe_table(TableName=found["TableName"])["Table"]
    assert [k["AttributeName"] for k in table["KeySchema"]] == ["pk", "sk"]
    # (moto's CloudFormation does not apply TimeToLiveSpecification: the dry run checks it)
    objects = _client("s3").list_objects_v2(
        Bucket="mockidp-artifacts-123456789012-eu-west-1", Prefix=f"{stack}/"
    )
    assert len(objects["Contents"]) == 1

    again = installed_wheel.run("deploy", *args, env=_aws_env())  # no token: kept
    assert again.returncode == 0, again.stderr
    assert f"stack {stack} updated" in again.stdout
    assert "admin token  unchanged" in again.stdout
    assert f"issuer       {issuer}" in again.stdout

    destroyed = installed_wheel.run("destroy", "--stack", stack, env=_aws_env())
    assert destroyed.returncode == 0, destroyed.stderr
    assert f"stack {stack} deleted" in destroyed.stdout
    tables = _client("dynamodb").list_tables()["TableNames"]
    assert found["TableName"] not in tables
    functions = [f["FunctionName"] for f in _client("lambda").list_functions()["Functions"]]
    assert found["FunctionName"] not in functions
    objects = _client("s3").list_objects_v2(
        Bucket="mockidp-artifacts-123456789012-eu-west-1", Prefix=f"{stack}/"
    )
    assert objects.get("Contents", []) == []

    twice = installed_wheel.run("destroy", "--stack", stack, env=_aws_env())
    assert twice.returncode == 0 and "nothing to delete" in twice.stdout


@needs_moto
def test_deploy_and_destroy_leave_a_stack_of_another_kind_alone(
    installed_wheel: Installed, lambda_package: LambdaPackage
) -> None:
    stack = f"someone-else-{uuid.uuid4().hex[:8]}"
    other = {"Resources": {"Topic": {"Type": "AWS::SNS::Topic"}}}
    _client("cloudformation").create_stack(StackName=stack, TemplateBody=json.dumps(other))
    args = ["--stack", stack, "--scenario", str(lambda_package.scenario)]
    args += ["--package", str(lambda_package.zip_path)]
    deployed = installed_wheel.run("deploy", *args, env=_aws_env(MOCKIDP_ADMIN_TOKEN=TOKEN))
    assert deployed.returncode == 1
    assert "was not made by `mockidp deploy`" in deployed.stderr
    assert "choose another --stack" in deployed.stderr
    destroyed = installed_wheel.run("destroy", "--stack", stack, env=_aws_env())
    assert destroyed.returncode == 1 and "was not made by" in destroyed.stderr
    status = _client("cloudformation").describe_stacks(StackName=stack)["Stacks"][0]
    assert status["StackStatus"] == "CREATE_COMPLETE"


def test_deploy_without_credentials_names_the_fix(
    installed_wheel: Installed, lambda_package: LambdaPackage, tmp_path: Path
) -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("AWS_", "MOCKIDP_"))}
    env.update(
        AWS_REGION=REGION,
        AWS_CONFIG_FILE=str(tmp_path / "none"),
        AWS_SHARED_CREDENTIALS_FILE=str(tmp_path / "none"),
        AWS_EC2_METADATA_DISABLED="true",
        MOCKIDP_ADMIN_TOKEN=TOKEN,
    )
    args = ["--stack", "mockidp-pr-1", "--scenario", str(lambda_package.scenario)]
    result = installed_wheel.run("deploy", *args, env=env)
    assert result.returncode == 1
    assert "no AWS credentials" in result.stderr
    assert "configure-aws-credentials" in result.stderr and "forks" in result.stderr
    assert "Traceback" not in result.stderr
    assert "mockidp: package" not in result.stdout  # checked before anything is built
    destroyed = installed_wheel.run("destroy", "--stack", "mockidp-pr-1", env=env)
    assert destroyed.returncode == 1 and "no AWS credentials" in destroyed.stderr


@needs_moto
def test_deploy_refuses_a_bad_scenario_or_token_before_anything_exists(
    installed_wheel: Installed, lambda_package: LambdaPackage, tmp_path: Path
) -> None:
    stack = f"mockidp-pr-{uuid.uuid4().hex[:8]}"
    bad = tmp_path / "bad.yaml"
    bad.write_text("login: sometimes\n", "utf-8")
    env = _aws_env(MOCKIDP_ADMIN_TOKEN=TOKEN)
    invalid = installed_wheel.run("deploy", "--stack", stack, "--scenario", str(bad), env=env)
    assert invalid.returncode == 2
    assert f"{bad}: 1 problem" in invalid.stderr and "line 1" in invalid.stderr
    missing = installed_wheel.run("deploy", "--stack", stack, "--scenario", "gone.yaml", env=env)
    assert missing.returncode == 2 and "gone.yaml: cannot read" in missing.stderr
    bad_name = installed_wheel.run(
        "deploy", "--stack", "pr_1!", "--scenario", str(lambda_package.scenario), env=env
    )
    assert bad_name.returncode == 2 and "stack name 'pr_1!'" in bad_name.stderr
    args = ["--stack", stack, "--scenario", str(lambda_package.scenario)]
    args += ["--package", str(lambda_package.zip_path)]
    no_token = installed_wheel.run("deploy", *args, env=_aws_env())
    assert no_token.returncode == 1 and "set MOCKIDP_ADMIN_TOKEN" in no_token.stderr
    stacks = _client("cloudformation").describe_stacks()["Stacks"]
    assert stack not in {s["StackName"] for s in stacks}


# -- the GitHub Action and the example workflow ------------------------------------------------


@pytest.mark.parametrize(
    ("schema", "path"),
    [
        ("vendor.github-actions", "action.yml"),
        ("vendor.github-workflows", "docs/examples/mockidp-per-pr.yml"),
    ],
)
def test_the_action_and_the_example_workflow_follow_githubs_schemas(schema: str, path: str) -> None:
    checker = shutil.which("check-jsonschema") or str(
        Path(sys.executable).with_name("check-jsonschema")
    )
    assert Path(checker).exists(), "check-jsonschema is in the test extra"
    result = subprocess.run(
        [checker, "--builtin-schema", schema, str(ROOT / path)],
        capture_output=True,
        text=True,
        check=False,
        timeout=300,
    )
    assert result.returncode == 0, result.stdout + result.stderr


# -- infra/deploy.sh, now a wrapper over the commands -----------------------------------------


def test_the_deploy_script_wraps_the_commands_and_fails_when_a_step_fails(tmp_path: Path) -> None:
    script = ROOT / "infra" / "deploy.sh"
    env = {**os.environ, "PYTHON": sys.executable, "MOCKIDP_STACK_PREFIX": "app-pr"}
    named = subprocess.run(
        ["bash", str(script), "name", "42"], capture_output=True, text=True, env=env, check=False
    )
    assert named.returncode == 0 and named.stdout == "app-pr-42\n"
    failed = subprocess.run(
        ["bash", str(script), "build"],
        capture_output=True,
        text=True,
        env={**env, "MOCKIDP_SCENARIO_FILE": str(tmp_path / "missing.yaml")},
        check=False,
    )
    assert failed.returncode == 1, failed.stdout + failed.stderr
    assert "missing.yaml: cannot read" in failed.stderr
    assert "package" not in failed.stdout  # no success line after a failed step
    wrong = subprocess.run(
        ["bash", str(script), "deploy", "x"], capture_output=True, text=True, env=env, check=False
    )
    assert wrong.returncode == 64 and "must be a number" in wrong.stderr
