"""``deploy --dry-run`` refuses what the real deploy would refuse, before building anything:
an admin token unset or shorter than template.yaml's 16 characters, a bad stack name, no
region or a malformed one, an issuer or bucket CloudFormation or S3 would refuse. The
real deploy makes the same checks before it calls AWS."""

from __future__ import annotations

from pathlib import Path

import pytest

from mockidp.cli import main
from mockidp.hosting.deploy import DeployError, check_dry_run, deploy

TOKEN = "t" * 16
SCENARIO = "clients:\n  - client_id: app\n    redirect_uris: [https://app.example.com/cb]\n"


@pytest.fixture
def no_aws(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """No region or token from the environment or from ~/.aws/config."""
    for name in ("AWS_REGION", "AWS_DEFAULT_REGION", "AWS_PROFILE", "MOCKIDP_ADMIN_TOKEN"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("AWS_CONFIG_FILE", str(tmp_path / "no-config"))
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", str(tmp_path / "no-credentials"))


REFUSED = [
    pytest.param({}, [], "set MOCKIDP_ADMIN_TOKEN to 16 characters or more", id="no-token"),
    pytest.param({"MOCKIDP_ADMIN_TOKEN": "12345"}, [], "16 characters or more", id="short-token"),
    pytest.param({"MOCKIDP_ADMIN_TOKEN": TOKEN}, ["--region", ""], "no AWS region", id="no-region"),
    pytest.param(
        {"MOCKIDP_ADMIN_TOKEN": TOKEN}, ["--region", "eu-west"], "not a region name", id="region"
    ),
    pytest.param(
        {"MOCKIDP_ADMIN_TOKEN": TOKEN, "AWS_REGION": "Frankfurt"}, [], "'Frankfurt' is not a region",
        id="region-env",
    ),
    pytest.param(
        {"MOCKIDP_ADMIN_TOKEN": TOKEN}, ["--issuer", "ftp://idp"], "--issuer 'ftp://idp'", id="issuer"
    ),
    pytest.param(
        {"MOCKIDP_ADMIN_TOKEN": TOKEN}, ["--bucket", "My_Bucket"], "not an S3 bucket name",
        id="bucket",
    ),
]  # fmt: skip


@pytest.mark.usefixtures("no_aws")
@pytest.mark.parametrize(("env", "args", "message"), REFUSED)
def test_dry_run_refuses_what_deploy_would(
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    tmp_path: Path,
    env: dict[str, str],
    args: list[str],
    message: str,
) -> None:
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    scenario = tmp_path / "scenario.yaml"
    scenario.write_text(SCENARIO, "utf-8")
    out = tmp_path / "out"
    if "--region" not in args and "AWS_REGION" not in env:
        args = [*args, "--region", "eu-west-1"]
    status = main(
        ["deploy", "--stack", "mockidp-pr-1", "--scenario", str(scenario), "--dry-run",
         "--out", str(out), *args]
    )  # fmt: skip
    err = capsys.readouterr().err
    assert status == 1
    assert message in err
    assert "Traceback" not in err
    assert not out.exists()  # nothing built


@pytest.mark.usefixtures("no_aws")
def test_dry_run_refuses_a_bad_stack_name(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    monkeypatch.setenv("MOCKIDP_ADMIN_TOKEN", TOKEN)
    scenario = tmp_path / "scenario.yaml"
    scenario.write_text(SCENARIO, "utf-8")
    status = main(
        ["deploy", "--stack", "pr_1", "--scenario", str(scenario), "--dry-run", "--region",
         "eu-west-1"]
    )  # fmt: skip
    assert status == 2
    assert "stack name 'pr_1'" in capsys.readouterr().err


@pytest.mark.usefixtures("no_aws")
def test_what_a_dry_run_accepts() -> None:
    region = check_dry_run(
        stack="mockidp-pr-1",
        region="us-gov-west-1",
        admin_token=TOKEN,
        issuer="https://idp.example.com/",
        bucket="my-artifacts.example",
    )
    assert region == "us-gov-west-1"


@pytest.mark.usefixtures("no_aws")
@pytest.mark.parametrize(
    ("options", "message"),
    [
        ({"region": "eu-west"}, "not a region name"),
        ({"region": None}, "no AWS region"),
        ({"issuer": "idp.example.com"}, "--issuer"),
        ({"bucket": "x"}, "--bucket"),
    ],
)
def test_deploy_refuses_the_same_before_calling_aws(
    options: dict[str, str | None], message: str
) -> None:
    def build() -> tuple[Path, str | None]:
        raise AssertionError("nothing is built before the checks pass")

    arguments = {"region": "eu-west-1", "issuer": None, "bucket": None, **options}
    with pytest.raises(DeployError, match=message):
        deploy(stack="mockidp-pr-1", build=build, admin_token=TOKEN, **arguments)  # type: ignore[arg-type]
