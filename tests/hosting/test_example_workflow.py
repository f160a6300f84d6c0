"""docs/examples/mockidp-per-pr.yml works from any repository, as a new user copies it.

It takes mockidp's action from a checkout at a path the same job makes (no repository
name is assumed), writes the pull request's scenario in a step (run here with bash, then
loaded), and names stacks the deploy role (docs/aws/deploy-role.yaml) may touch.
GitHub's schema is checked in tests/hosting/test_deploy.py.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest
import yaml

from mockidp.scenario.loader import load_scenario
from tests.hosting.test_deploy import _CloudFormationLoader

ROOT = Path(__file__).resolve().parents[2]
WORKFLOW = ROOT / "docs" / "examples" / "mockidp-per-pr.yml"


def _jobs() -> dict[str, Any]:
    jobs: dict[str, Any] = yaml.safe_load(WORKFLOW.read_text("utf-8"))["jobs"]
    return jobs


def test_the_action_is_used_from_a_path_the_job_checks_out() -> None:
    assert (ROOT / "action.yml").is_file()  # a checkout of mockidp's repository holds it
    local = 0
    for name, job in _jobs().items():
        checked_out: set[str] = set()
        for step in job["steps"]:
            uses = step.get("uses", "")
            if uses.startswith("actions/checkout@") and "path" in step.get("with", {}):
                assert step["with"]["repository"] == "${{ vars.MOCKIDP_REPOSITORY }}"
                assert step["with"]["ref"] == "${{ vars.MOCKIDP_REF }}"
                checked_out.add(step["with"]["path"])
            elif uses.startswith("./"):
                assert uses.removeprefix("./") in checked_out, (name, uses)
                local += 1
            elif uses:
                owner = uses.split("/")[0]
                assert owner in ("actions", "aws-actions"), (name, uses)  # nobody else's
    assert local == 2  # deploy and destroy


def _scenario_step() -> dict[str, Any]:
    [step] = [s for s in _jobs()["deploy"]["steps"] if "mockidp-scenario.yaml" in s.get("run", "")]
    return step


@pytest.mark.skipif(shutil.which("bash") is None, reason="no bash")
def test_the_scenario_step_writes_the_previews_redirect_uris(tmp_path: Path) -> None:
    step = _scenario_step()
    preview = step["env"]["PREVIEW_URL"].replace("${{ github.event.pull_request.number }}", "42")
    assert "${{" not in preview
    done = subprocess.run(
        ["bash", "-e", "-c", step["run"]],
        cwd=tmp_path,
        env={**os.environ, "PREVIEW_URL": preview},
        capture_output=True,
        text=True,
        check=False,
        timeout=60,
    )
    assert done.returncode == 0, done.stderr
    [deploy] = [s for s in _jobs()["deploy"]["steps"] if s.get("id") == "mockidp"]
    scenario = load_scenario(tmp_path / deploy["with"]["scenario"])
    [client] = scenario.clients
    assert client.redirect_uris == ("https://my-app-pr-42.example.com/auth/callback",)
    assert client.post_logout_redirect_uris == ("https://my-app-pr-42.example.com/",)
    assert not client.loopback_redirects


def test_the_actions_stack_names_are_ones_the_deploy_role_may_touch() -> None:
    action = (ROOT / "action.yml").read_text("utf-8")
    [default] = re.findall(r'STACK="(mockidp-[^"]*)"', action)
    role = yaml.load(
        (ROOT / "docs" / "aws" / "deploy-role.yaml").read_text("utf-8"), _CloudFormationLoader
    )
    assert default.startswith(role["Parameters"]["StackPrefix"]["Default"])


@pytest.mark.skipif(shutil.which("bash") is None, reason="no bash")
@pytest.mark.parametrize(
    ("version", "spec"), [("0.1.0", "mockidp-oidc[aws]==0.1.0"), ("", "/action[aws]")]
)
def test_the_action_installs_its_own_source_or_a_release(
    tmp_path: Path, version: str, spec: str
) -> None:
    """With ``version`` the action installs mockidp-oidc from PyPI, else its checkout."""
    action = yaml.safe_load((ROOT / "action.yml").read_text("utf-8"))
    [step] = [s for s in action["runs"]["steps"] if "pip install" in s.get("run", "")]
    fake = tmp_path / "python"  # records the pip command instead of running it
    fake.write_text('#!/bin/sh\necho "$@" > "$RECORD"\n', "utf-8")
    fake.chmod(0o755)
    env = {
        **os.environ,
        "PATH": f"{tmp_path}:{os.environ['PATH']}",
        "ACTION_PATH": "/action",
        "VERSION": version,
        "RECORD": str(tmp_path / "record"),
    }
    done = subprocess.run(
        ["bash", "-e", "-c", step["run"]], env=env, capture_output=True, text=True, check=False
    )
    assert done.returncode == 0, done.stderr
    assert (tmp_path / "record").read_text("utf-8").split()[-1] == spec
