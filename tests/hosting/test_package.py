"""``mockidp package``: the Lambda zip, and the handler running from it alone.

The package is built by mockidp installed from its wheel (tests/hosting/conftest.py),
for this machine's Python and architecture so that it can run here. The handler then
runs in ``python -S`` with nothing on ``sys.path`` but the zip's contents and boto3 (as
the Lambda runtime provides it), against DynamoDB on moto's server.
"""

from __future__ import annotations

import base64
import importlib.metadata
import json
import os
import subprocess
import sys
import uuid
import zipfile
from pathlib import Path
from urllib.parse import parse_qsl, urlsplit

import pytest

from mockidp.hosting import package as packaging
from mockidp.hosting.package import PackageError, build_package, runtime_requirements
from mockidp.hosting.settings import INSTALL_ROOT, Settings
from tests.hosting.conftest import APP_REDIRECT, Installed, LambdaPackage
from tests.support.dynamodb import FAKE_CREDENTIALS, TABLE, moto_server_url, needs_moto

#: What the Lambda runtime brings: boto3 and what it imports.
RUNTIME_DISTRIBUTIONS = (
    "boto3",
    "botocore",
    "s3transfer",
    "jmespath",
    "python-dateutil",
    "urllib3",
    "six",
)


def test_the_lambda_requirements_leave_out_boto3_and_the_local_server() -> None:
    names = {
        r.split(">")[0].split("=")[0].split("<")[0].strip().lower() for r in runtime_requirements()
    }
    assert {"starlette", "joserfc", "pyyaml", "jsonschema", "mangum"} <= names
    assert not names & {"boto3", "uvicorn", "uvloop", "httptools", "pytest", "moto"}
    assert runtime_requirements(
        [
            'uvloop>=0.19; sys_platform != "win32"',
            'mangum>=0.17; extra == "aws"',
            'pytest; extra == "test"',
            "pyyaml>=6",
        ]
    ) == ["mangum>=0.17", "pyyaml>=6"]


def test_package_builds_a_zip_with_the_scenario_and_without_boto3_or_uvicorn(
    lambda_package: LambdaPackage,
) -> None:
    assert "mockidp: package" in lambda_package.output and " MB)" in lambda_package.output
    with zipfile.ZipFile(lambda_package.zip_path) as archive:
        names = archive.namelist()
        assert archive.read("scenario.yaml").decode() == lambda_package.scenario.read_text()
    tops = {name.split("/")[0] for name in names}
    assert {"mockidp", "mangum", "starlette", "joserfc", "yaml", "jsonschema"} <= tops
    assert not tops & {"boto3", "botocore", "uvicorn", "uvloop", "httptools", "pytest", "moto"}
    assert "mockidp/lambda_handler.py" in names
    assert "mockidp/hosting/template.yaml" in names
    tag = sys.implementation.cache_tag
    assert f"mockidp/__pycache__/lambda_handler.{tag}.pyc" in names  # bytecode shipped
    assert not any(name.startswith("tests/") for name in names)  # no test suite


def _runtime_path(folder: Path) -> Path:
    """A folder holding boto3 and its dependencies only (links to this environment's)."""
    folder.mkdir()
    for name in RUNTIME_DISTRIBUTIONS:
        for file in importlib.metadata.distribution(name).files or []:
            top = file.parts[0]
            source = Path(str(file.locate())).parents[len(file.parts) - 1] / top
            if top.endswith((".dist-info", "__pycache__")) or top.startswith(".."):
                continue
            if not (folder / top).exists() and source.exists():
                (folder / top).symlink_to(source)
    return folder


_HANDLER_SCRIPT = """
import base64, json, sys
sys.path[:0] = json.loads(sys.argv[1])
import mockidp.lambda_handler as container

def event(path, query=""):
    return {
        "version": "2.0", "routeKey": "$default", "rawPath": path, "rawQueryString": query,
        "headers": {"host": "abc.lambda-url.eu-west-1.on.aws", "x-forwarded-proto": "https",
                    "x-forwarded-port": "443", "x-forwarded-for": "198.51.100.7"},
        "requestContext": {"http": {"method": "GET", "path": path, "protocol": "HTTP/1.1",
                                    "sourceIp": "198.51.100.7", "userAgent": "t"},
                           "domainName": "abc.lambda-url.eu-west-1.on.aws", "stage": "$default",
                           "requestId": "r", "accountId": "anonymous", "apiId": "abc",
                           "time": "04/Dec/2026:10:00:00 +0000", "timeEpoch": 0},
        "isBase64Encoded": False,
    }

class Context:
    function_name = "mockidp"
    aws_request_id = "r"
    def get_remaining_time_in_millis(self): return 10000

out = {"mockidp": container.__file__, "boto3": __import__("boto3").__file__,
       "modules": sorted(m for m in sys.modules if m.split(".")[0] in ("uvicorn", "pytest", "moto"))}
found = container.handler(event("/.well-known/openid-configuration"), Context())
out["discovery"] = found
out["authorize"] = container.handler(event("/authorize", sys.argv[2]), Context())
print(json.dumps(out))
"""


@needs_moto
def test_the_handler_answers_from_the_zip_alone(
    lambda_package: LambdaPackage, tmp_path: Path
) -> None:
    code = tmp_path / "task"  # Lambda's /var/task
    with zipfile.ZipFile(lambda_package.zip_path) as archive:
        archive.extractall(code)
    runtime = _runtime_path(tmp_path / "runtime")
    env = {
        "PATH": os.environ.get("PATH", ""),
        **FAKE_CREDENTIALS,
        "AWS_REGION": FAKE_CREDENTIALS["AWS_DEFAULT_REGION"],
        "AWS_ENDPOINT_URL_DYNAMODB": moto_server_url(),
        "MOCKIDP_STORE": f"dynamodb://{TABLE}?tenant={uuid.uuid4().hex}",
        "MOCKIDP_SCENARIO_FILE": "scenario.yaml",  # as template.yaml's ScenarioFile sets it
        "MOCKIDP_ADMIN_TOKEN": "t" * 24,
    }
    query = f"response_type=code&client_id=app-under-test&redirect_uri={APP_REDIRECT}&scope=openid&state=s1"
    result = subprocess.run(
        [sys.executable, "-S", "-c", _HANDLER_SCRIPT, json.dumps([str(code), str(runtime)]), query],
        capture_output=True,
        text=True,
        check=False,
        env=env,
        cwd=tmp_path,
        timeout=120,
    )
    assert result.returncode == 0, result.stderr
    out = json.loads(result.stdout)
    assert out["mockidp"].startswith(str(code))  # the zip's mockidp, not this checkout's
    assert out["boto3"].startswith(str(runtime))
    assert out["modules"] == []
    discovery = out["discovery"]
    assert discovery["statusCode"] == 200, discovery
    body = discovery["body"]
    metadata = json.loads(base64.b64decode(body) if discovery.get("isBase64Encoded") else body)
    assert metadata["issuer"] == "https://abc.lambda-url.eu-west-1.on.aws"
    authorize = out["authorize"]
    assert authorize["statusCode"] in (302, 303), authorize
    location = authorize["headers"]["location"]
    assert location.startswith(APP_REDIRECT + "?")  # the packaged scenario's client
    callback = dict(parse_qsl(urlsplit(location).query))
    assert callback["state"] == "s1" and callback["code"]


def test_package_refuses_an_invalid_scenario_before_building(
    installed_wheel: Installed, tmp_path: Path
) -> None:
    bad = tmp_path / "bad.yaml"
    bad.write_text("clients:\n  - client_id: 5\n    redirect_uris: nope\n", "utf-8")
    result = installed_wheel.run("package", "--out", str(tmp_path / "out"), "--scenario", str(bad))
    assert result.returncode == 1
    assert f"{bad}: " in result.stderr and "problem" in result.stderr
    assert "line" in result.stderr  # located, as `mockidp validate` prints them
    assert not (tmp_path / "out" / "mockidp-lambda.zip").exists()
    missing = installed_wheel.run(
        "package", "--out", str(tmp_path / "out"), "--scenario", "nope.yaml"
    )
    assert missing.returncode == 1 and "nope.yaml: cannot read" in missing.stderr


def test_package_reports_an_architecture_without_wheels(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setitem(packaging.ARCHITECTURES, "nosuch", "manylinux2014_nosucharch")
    with pytest.raises(
        PackageError, match=r"no binary wheels for Python 3\.12 on manylinux2014_nosucharch"
    ):
        build_package(out=tmp_path, python="3.12", arch="nosuch", log=lambda line: None)
    assert list(tmp_path.iterdir()) == []  # nothing half-built left behind
    with pytest.raises(PackageError, match="--arch must be one of x86_64, arm64"):
        build_package(out=tmp_path, arch="sparc")


def test_the_scenario_file_setting_is_relative_to_the_package_root() -> None:
    settings = Settings.from_env({"MOCKIDP_SCENARIO_FILE": "scenario.yaml"})
    assert settings.scenario == str(INSTALL_ROOT / "scenario.yaml")
    assert (INSTALL_ROOT / "mockidp" / "lambda_handler.py").exists()
    assert Settings.from_env({"MOCKIDP_SCENARIO_FILE": "/etc/s.yaml"}).scenario == "/etc/s.yaml"
    with pytest.raises(ValueError, match="not both"):
        Settings.from_env({"MOCKIDP_SCENARIO_FILE": "a.yaml", "MOCKIDP_SCENARIO": "b.yaml"})
