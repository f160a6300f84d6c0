"""The deploy role (docs/aws/deploy-role.yaml) and its policy documents.

cfn-lint checks the template; the JSON documents beside it (for the console or other
tools) must say what the template says; and the role must allow every AWS call
mockidp/hosting/deploy.py makes and the create and delete of every resource type in the
stack's template.yaml. What only real AWS shows: IAM enforcing it (moto does not), and
the actions CloudFormation's resource handlers call besides the obvious ones.
"""

from __future__ import annotations

import json
import re
import subprocess
from pathlib import Path
from typing import Any

import yaml

from tests.hosting.test_deploy import _cfn_lint, _CloudFormationLoader

ROOT = Path(__file__).resolve().parents[2]
AWS_DOCS = ROOT / "docs" / "aws"
ROLE = AWS_DOCS / "deploy-role.yaml"
#: What the JSON documents put where the template substitutes a value.
PLACEHOLDERS = {
    "AWS::Partition": "aws",
    "AWS::Region": "REGION",
    "AWS::AccountId": "ACCOUNT_ID",
    "StackPrefix": "mockidp-",
    "GitHubRepository": "OWNER/REPO",
}


def _role() -> dict[str, Any]:
    document: dict[str, Any] = yaml.load(ROLE.read_text("utf-8"), _CloudFormationLoader)
    properties: dict[str, Any] = document["Resources"]["DeployRole"]["Properties"]
    return properties


def _substituted(value: Any) -> Any:
    if isinstance(value, dict) and list(value) == ["Sub"]:
        text = value["Sub"]
        for name, placeholder in PLACEHOLDERS.items():
            text = text.replace("${" + name + "}", placeholder)
        return text
    if isinstance(value, dict) and list(value) == ["If"]:  # the OIDC provider's ARN
        return "arn:aws:iam::ACCOUNT_ID:oidc-provider/token.actions.githubusercontent.com"
    if isinstance(value, dict):
        return {key: _substituted(item) for key, item in value.items()}
    if isinstance(value, list):
        return [_substituted(item) for item in value]
    return value


def _allowed() -> set[str]:
    actions: set[str] = set()
    for statement in _role()["Policies"][0]["PolicyDocument"]["Statement"]:
        found = statement["Action"]
        actions.update([found] if isinstance(found, str) else found)
    return actions


def test_the_role_template_passes_cfn_lint() -> None:
    linted = subprocess.run(
        [_cfn_lint(), str(ROLE)], capture_output=True, text=True, check=False, timeout=300
    )
    assert linted.returncode == 0, linted.stdout + linted.stderr


def test_the_policy_documents_say_what_the_template_says() -> None:
    role = _role()
    policy = json.loads((AWS_DOCS / "deploy-policy.json").read_text("utf-8"))
    assert policy == _substituted(role["Policies"][0]["PolicyDocument"])
    trust = json.loads((AWS_DOCS / "deploy-trust-policy.json").read_text("utf-8"))
    assert trust == _substituted(role["AssumeRolePolicyDocument"])


def test_only_the_repositorys_pull_request_workflows_may_assume_it() -> None:
    [statement] = _role()["AssumeRolePolicyDocument"]["Statement"]
    assert statement["Action"] == "sts:AssumeRoleWithWebIdentity"
    condition = statement["Condition"]["StringEquals"]
    assert condition["token.actions.githubusercontent.com:aud"] == "sts.amazonaws.com"
    subject = _substituted(condition["token.actions.githubusercontent.com:sub"])
    assert subject == "repo:OWNER/REPO:pull_request"


def test_every_resource_is_scoped_to_the_stack_prefix() -> None:
    for statement in _role()["Policies"][0]["PolicyDocument"]["Statement"]:
        resource = _substituted(statement["Resource"])
        if statement["Action"] == "logs:DescribeLogGroups":
            assert resource == "*"  # a list call has no resource to scope
            continue
        assert "mockidp-" in resource and "ACCOUNT_ID" in resource, statement["Sid"]


def test_the_role_cannot_touch_itself() -> None:
    """Its own name and its stack's are outside the prefix its permissions are scoped to."""
    role_name = _substituted(_role()["RoleName"])
    assert not role_name.startswith("mockidp-"), role_name
    header = ROLE.read_text("utf-8")
    [stack] = re.findall(r"--stack-name (\S+)", header)
    assert not stack.startswith("mockidp-"), stack


#: The calls deploy.py makes whose IAM action is not the call's name in CamelCase.
_ACTION_OF = {
    "head_bucket": "s3:ListBucket",
    "list_objects_v2": "s3:ListBucket",
    "upload_file": "s3:PutObject",
    "put_public_access_block": "s3:PutBucketPublicAccessBlock",
    "get_waiter": "cloudformation:DescribeStacks",  # the waiters poll DescribeStacks
}


def _calls_of_deploy() -> set[str]:
    source = (ROOT / "mockidp" / "hosting" / "deploy.py").read_text("utf-8")
    calls = re.findall(r"session\.(cloudformation|s3)\s*\.(\w+)\(", source)
    actions = set()
    for service, method in calls:
        camel = "".join(part.capitalize() for part in method.split("_"))
        actions.add(_ACTION_OF.get(method, f"{service}:{camel}"))
    return actions


def test_the_role_allows_every_call_deploy_and_destroy_make() -> None:
    calls = _calls_of_deploy()
    assert {"cloudformation:CreateStack", "s3:PutObject", "s3:DeleteObject"} <= calls
    assert calls - _allowed() == set()


#: Per resource type of the stack's template: what creating and deleting it takes.
_LIFECYCLE = {
    "AWS::DynamoDB::Table": {"dynamodb:CreateTable", "dynamodb:DeleteTable",
                             "dynamodb:UpdateTimeToLive", "dynamodb:DescribeTable"},
    "AWS::IAM::Role": {"iam:CreateRole", "iam:DeleteRole", "iam:PutRolePolicy",
                       "iam:DeleteRolePolicy", "iam:PassRole"},
    "AWS::Lambda::Function": {"lambda:CreateFunction", "lambda:DeleteFunction",
                              "lambda:GetFunction", "lambda:UpdateFunctionCode",
                              "lambda:UpdateFunctionConfiguration", "s3:GetObject"},
    "AWS::Lambda::Url": {"lambda:CreateFunctionUrlConfig", "lambda:DeleteFunctionUrlConfig"},
    "AWS::Lambda::Permission": {"lambda:AddPermission", "lambda:RemovePermission"},
    "AWS::Logs::LogGroup": {"logs:CreateLogGroup", "logs:DeleteLogGroup",
                            "logs:PutRetentionPolicy", "logs:DescribeLogGroups"},
}  # fmt: skip


def test_the_role_can_create_and_delete_every_resource_of_the_stack() -> None:
    template = yaml.load(
        (ROOT / "mockidp" / "hosting" / "template.yaml").read_text("utf-8"),
        _CloudFormationLoader,
    )
    types = {resource["Type"] for resource in template["Resources"].values()}
    assert types == set(_LIFECYCLE), "a new resource type: give the deploy role its actions"
    for kind in types:
        assert _LIFECYCLE[kind] - _allowed() == set(), kind
