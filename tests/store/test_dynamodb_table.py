"""One table definition: template.yaml, `mockidp create-table` and the store agree.

Also: template.yaml passes cfn-lint, its IAM policy allows exactly the calls the
store makes, store URLs and settings parse, and the CLI reaches DynamoDB.
"""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
import uuid
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl, urlsplit

import pytest
import yaml

from mockidp.cli import main
from mockidp.hosting.settings import Settings
from mockidp.store import dynamodb
from mockidp.store.dynamodb import (
    ATTRIBUTE_DEFINITIONS,
    BILLING_MODE,
    KEY_SCHEMA,
    TTL_ATTRIBUTE,
    DynamoDBStore,
    create_table,
    table_definition,
)
from mockidp.store.urls import StoreURL, open_store, parse_store_url
from tests.support.dynamodb import (
    REGION,
    aws_environment,
    mock_aws_table,
    moto_server_url,
    needs_moto,
)
from tests.support.serve import serve, stop

ROOT = Path(__file__).resolve().parents[2]
TEMPLATE = ROOT / "template.yaml"


class _CloudFormationLoader(yaml.SafeLoader):
    """YAML with CloudFormation's short tags (!Ref, !GetAtt, ...) read as {tag: value}."""


def _tagged(loader: yaml.SafeLoader, suffix: str, node: yaml.Node) -> Any:
    if isinstance(node, yaml.ScalarNode):
        value: Any = loader.construct_scalar(node)
    elif isinstance(node, yaml.SequenceNode):
        value = loader.construct_sequence(node, deep=True)
    else:
        value = loader.construct_mapping(node, deep=True)  # type: ignore[arg-type]
    return {suffix: value}


_CloudFormationLoader.add_multi_constructor("!", _tagged)


def _template() -> dict[str, Any]:
    data: dict[str, Any] = yaml.load(TEMPLATE.read_text("utf-8"), Loader=_CloudFormationLoader)
    return data


def _resource(kind: str) -> dict[str, Any]:
    found = [r for r in _template()["Resources"].values() if r["Type"] == kind]
    assert len(found) == 1, kind
    properties: dict[str, Any] = found[0]["Properties"]
    return properties


def test_the_templates_table_is_the_stores_table() -> None:
    table = _resource("AWS::DynamoDB::Table")
    assert table["KeySchema"] == [dict(k) for k in KEY_SCHEMA]
    assert table["AttributeDefinitions"] == [dict(a) for a in ATTRIBUTE_DEFINITIONS]
    assert table["BillingMode"] == BILLING_MODE == "PAY_PER_REQUEST"
    assert table["TimeToLiveSpecification"] == {"AttributeName": TTL_ATTRIBUTE, "Enabled": True}


def test_the_function_runs_the_handler_on_python_311_or_later() -> None:
    function = _resource("AWS::Lambda::Function")
    assert function["Handler"] == "mockidp.lambda_handler.handler"
    assert function["Architectures"] == [{"Ref": "Architecture"}]
    assert _template()["Parameters"]["Architecture"]["Default"] == "arm64"
    versions = _template()["Parameters"]["PythonVersion"]["AllowedValues"]
    assert all(int(v.split(".")[1]) >= 11 for v in versions)
    assert _resource("AWS::Lambda::Url")["AuthType"] == "NONE"
    variables = function["Environment"]["Variables"]
    assert {"MOCKIDP_TABLE", "MOCKIDP_SCENARIO_FILE", "MOCKIDP_ADMIN_TOKEN"} <= set(variables)
    settings = Settings.from_env({"MOCKIDP_TABLE": "t", "MOCKIDP_ADMIN_TOKEN": "x" * 16})
    assert settings.store == "dynamodb://t"


def test_the_package_is_built_for_the_templates_runtime() -> None:
    """`mockidp package` installs wheels and writes bytecode for one Python version: by
    default it must be the function's, or Lambda ignores the bytecode and compiles every
    module at each cold start."""
    from mockidp.hosting.package import DEFAULT_PYTHON

    assert _resource("AWS::Lambda::Function")["Runtime"] == {"Sub": "python${PythonVersion}"}
    assert _template()["Parameters"]["PythonVersion"]["Default"] == DEFAULT_PYTHON


def _store_operations() -> set[str]:
    """The DynamoDB API calls DynamoDBStore makes (``c.put_item(`` -> ``PutItem``)."""
    source = Path(dynamodb.__file__).read_text("utf-8")
    body = source[source.index("class DynamoDBStore") :]
    names = set(re.findall(r"\bc\.([a-z_]+)\(", body))
    return {"".join(part.title() for part in name.split("_")) for name in names}


def test_the_function_may_make_exactly_the_stores_calls_on_its_own_table_only() -> None:
    role = _resource("AWS::IAM::Role")
    statements = [
        s
        for policy in role["Policies"]
        for s in policy["PolicyDocument"]["Statement"]
        if any(action.startswith("dynamodb:") for action in s["Action"])
    ]
    assert len(statements) == 1
    statement = statements[0]
    assert statement["Effect"] == "Allow"
    assert statement["Resource"] == {"GetAtt": "StateTable.Arn"}
    allowed = {action.removeprefix("dynamodb:") for action in statement["Action"]}
    assert allowed == _store_operations()
    assert "Scan" not in allowed and "DeleteTable" not in allowed


def test_the_outputs_include_the_issuer_url() -> None:
    outputs = _template()["Outputs"]
    assert "IssuerUrl" in outputs and "DiscoveryUrl" in outputs
    assert "AdminToken" in _template()["Parameters"]
    assert _template()["Parameters"]["AdminToken"]["NoEcho"] is True


@pytest.mark.skipif(
    shutil.which("cfn-lint") is None and not Path(sys.executable).with_name("cfn-lint").exists(),
    reason="needs cfn-lint",
)
def test_the_template_passes_cfn_lint() -> None:
    linter = shutil.which("cfn-lint") or str(Path(sys.executable).with_name("cfn-lint"))
    result = subprocess.run(
        [linter, str(TEMPLATE)], capture_output=True, text=True, check=False, timeout=300
    )
    assert result.returncode == 0, result.stdout + result.stderr


# -- create-table ---------------------------------------------------------------------------


@needs_moto
def test_create_table_makes_the_defined_table_with_ttl() -> None:
    with mock_aws_table():
        name = f"t-{uuid.uuid4().hex[:8]}"
        assert create_table(name, region=REGION) is True
        assert create_table(name, region=REGION) is False  # already there: fine
        import boto3

        client = boto3.client("dynamodb", region_name=REGION)
        table = client.describe_table(TableName=name)["Table"]
        definition = table_definition(name)
        assert table["KeySchema"] == definition["KeySchema"]
        assert sorted(table["AttributeDefinitions"], key=str) == sorted(
            definition["AttributeDefinitions"], key=str
        )
        assert table["BillingModeSummary"]["BillingMode"] == BILLING_MODE
        ttl = client.describe_time_to_live(TableName=name)["TimeToLiveDescription"]
        assert ttl == {"TimeToLiveStatus": "ENABLED", "AttributeName": TTL_ATTRIBUTE}


@needs_moto
def test_the_cli_creates_a_table_over_http(capsys: pytest.CaptureFixture[str]) -> None:
    url = moto_server_url()
    name = f"cli-{uuid.uuid4().hex[:8]}"
    with aws_environment(AWS_ENDPOINT_URL_DYNAMODB=url):
        assert main(["create-table", name]) == 0
        assert f"table {name} created" in capsys.readouterr().out
        assert main(["create-table", name, "--endpoint-url", url, "--region", REGION]) == 0
        assert "already exists" in capsys.readouterr().out
        store = open_store(f"dynamodb://{name}?tenant=cli")
        store.put("k", {"v": 1}, expires_at=2e9)
        assert store.get("k", now=1e9) == {"v": 1}


def test_the_cli_reports_an_unreachable_endpoint(capsys: pytest.CaptureFixture[str]) -> None:
    with aws_environment():
        code = main(["create-table", "x", "--endpoint-url", "http://127.0.0.1:9"])
    assert code == 1
    assert "cannot create table 'x'" in capsys.readouterr().err


@needs_moto
def test_serve_refuses_a_missing_table_with_a_hint(capsys: pytest.CaptureFixture[str]) -> None:
    with aws_environment(AWS_ENDPOINT_URL_DYNAMODB=moto_server_url()):
        assert main(["serve", "--store", "dynamodb://no-such-table", "--port", "0"]) == 2
    err = capsys.readouterr().err
    assert "ResourceNotFoundException" in err
    assert "mockidp create-table" in err


def test_serve_refuses_a_bad_store(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["serve", "--store", "redis://x", "--port", "0"]) == 2
    message = "store must be 'memory', 'sqlite://PATH' or 'dynamodb://TABLE'"
    assert message in capsys.readouterr().err


# -- store URLs and settings ------------------------------------------------------------------


@pytest.mark.parametrize(
    ("url", "parsed"),
    [
        ("memory", StoreURL("memory")),
        ("", StoreURL("memory")),
        ("memory://", StoreURL("memory")),
        ("sqlite://state.db", StoreURL("sqlite", path="state.db")),
        ("sqlite:///tmp/a b.db", StoreURL("sqlite", path="/tmp/a b.db")),
        ("dynamodb://mockidp", StoreURL("dynamodb", table="mockidp")),
        (
            "dynamodb://t?region=eu-west-1&endpoint_url=http://localhost:8000&tenant=pr-42",
            StoreURL("dynamodb", "t", "eu-west-1", "http://localhost:8000", "pr-42"),
        ),
    ],
)
def test_store_urls_parse(url: str, parsed: StoreURL) -> None:
    assert parse_store_url(url) == parsed


@pytest.mark.parametrize(
    ("url", "message"),
    [
        ("redis://x", "must be 'memory', 'sqlite://PATH' or 'dynamodb://TABLE'"),
        ("sqlite://", "names no file"),
        ("sqlite://:memory:", "names no file"),
        ("dynamodb://", "names no table"),
        ("dynamodb://a/b", "names no table"),
        ("dynamodb://t?colour=red", "unknown option 'colour'"),
        ("dynamodb://t?region=a&region=b", "repeated"),
        ("dynamodb://t?tenant=", "tenant must not be empty"),
    ],
)
def test_bad_store_urls_say_what_is_wrong(url: str, message: str) -> None:
    with pytest.raises(ValueError, match=re.escape(message)):
        parse_store_url(url)


def test_settings_read_the_store_from_the_environment() -> None:
    assert Settings.from_env({}).store == "memory"
    assert Settings.from_env({"MOCKIDP_TABLE": "idp"}).store == "dynamodb://idp"
    assert Settings.from_env({"MOCKIDP_STORE": "dynamodb://x?tenant=a"}).store == (
        "dynamodb://x?tenant=a"
    )
    with pytest.raises(ValueError, match="not both"):
        Settings.from_env({"MOCKIDP_TABLE": "a", "MOCKIDP_STORE": "memory"})
    assert Settings.from_env({"MOCKIDP_TABLE": "a"}).override(store="memory").store == "memory"


def test_the_dynamodb_store_builds_no_client_until_used() -> None:
    store = DynamoDBStore("t", region=REGION)
    assert store._client is None
    assert repr(store) == "DynamoDBStore('t', tenant='default')"
    with pytest.raises(ValueError, match="table"):
        DynamoDBStore("")
    with pytest.raises(ValueError, match="tenant"):
        DynamoDBStore("t", tenant="")


def test_ttl_is_garbage_collection_never_earlier_than_a_day_after_the_write() -> None:
    store = DynamoDBStore("t", client=object(), wall_clock=lambda: 1_000_000.0)
    # a provider clock frozen in the past: DynamoDB must not delete the record at once
    assert store._ttl(10.0) == str(1_000_000 + dynamodb.TTL_FLOOR_SECONDS)
    assert store._ttl(5_000_000.25) == "5000001"


@needs_moto
def test_two_local_servers_share_state_through_a_table() -> None:
    """`mockidp serve --store dynamodb://TABLE`: a code from one server redeems at another."""
    import httpx

    from tests.support.dynamodb import FAKE_CREDENTIALS, TABLE

    env = {**FAKE_CREDENTIALS, "AWS_ENDPOINT_URL_DYNAMODB": moto_server_url()}
    store = f"dynamodb://{TABLE}?tenant={uuid.uuid4().hex}"
    one, url_one, _ = serve("--quiet", "--store", store, env=env)
    two, url_two, _ = serve("--quiet", env={**env, "MOCKIDP_STORE": store})
    try:
        authorized = httpx.get(
            url_one + "/authorize",
            params={
                "response_type": "code",
                "client_id": "mockidp-client",
                "redirect_uri": "http://localhost:8080/callback",
                "scope": "openid",
            },
        )
        assert authorized.status_code in (302, 303), authorized.text
        code = dict(parse_qsl(urlsplit(authorized.headers["location"]).query))["code"]
        form = {
            "grant_type": "authorization_code",
            "code": code,
            "redirect_uri": "http://localhost:8080/callback",
        }
        auth = ("mockidp-client", "mockidp-secret")
        tokens = httpx.post(url_two + "/token", data=form, auth=auth)
        assert tokens.status_code == 200, tokens.text
        again = httpx.post(url_one + "/token", data=form, auth=auth)
        assert again.status_code == 400 and again.json()["error"] == "invalid_grant"
    finally:
        for proc in (one, two):
            stop(proc)
