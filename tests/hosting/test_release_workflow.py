"""The release workflow and the README's Actions example against GitHub's workflow schema.

check-jsonschema ships the schema (``vendor.github-workflows``, from SchemaStore), so the
check runs offline. The workflow itself runs only on GitHub, on a version tag; its build
and smoke test (.github/scripts/build_and_smoke.py) runs here too, in
tests/hosting/test_release_build.py.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import yaml

from tests.support.container import REPO, readme_blocks

WORKFLOW = REPO / ".github" / "workflows" / "release.yml"


def _check_workflow(path: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "check_jsonschema", "--builtin-schema", "vendor.github-workflows",
         str(path)],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )  # fmt: skip


def _readme_workflow() -> str:
    """The README's GitHub Actions example: its YAML block with ``jobs:``."""
    blocks = [block for block in readme_blocks("yaml") if "jobs:" in block]
    assert len(blocks) == 1, blocks
    return blocks[0]


@pytest.mark.parametrize("source", ["release.yml", "README"])
def test_workflow_is_valid(tmp_path: Path, source: str) -> None:
    path = WORKFLOW
    if source == "README":
        path = tmp_path / "readme.yml"
        path.write_text(_readme_workflow())
    done = _check_workflow(path)
    assert done.returncode == 0, done.stdout + done.stderr


def test_schema_check_rejects_a_broken_workflow(tmp_path: Path) -> None:
    """The check can fail: a job without runs-on is not a workflow."""
    data: dict[str, Any] = yaml.safe_load(WORKFLOW.read_text())
    del data["jobs"]["build"]["runs-on"]
    broken = tmp_path / "broken.yml"
    broken.write_text(yaml.safe_dump(data))
    done = _check_workflow(broken)
    assert done.returncode != 0
    assert "runs-on" in done.stdout + done.stderr


def _workflow() -> dict[str, Any]:
    data: dict[str, Any] = yaml.safe_load(WORKFLOW.read_text())
    return data


def _uses(steps: list[dict[str, Any]]) -> list[str]:
    return [step.get("uses", "").split("@")[0] for step in steps]


def test_release_runs_on_a_version_tag_and_publishes_only_after_the_smoke_test() -> None:
    data = _workflow()
    triggers = data[True]  # YAML 1.1 reads the key `on` as true
    assert list(triggers) == ["push"]
    assert triggers["push"]["tags"] == ["v*"]
    assert data["permissions"] == {"contents": "read"}  # each job asks for what it needs
    jobs = data["jobs"]
    assert jobs["pypi"]["needs"] == "build"
    assert jobs["image"]["needs"] == "build"
    assert set(jobs["github"]["needs"]) == {"pypi", "image"}


def test_the_build_job_runs_the_script_the_suite_runs() -> None:
    """The workflow calls .github/scripts/build_and_smoke.py with the pushed tag (which
    tests/hosting/test_release_build.py runs for real) and checks the notes exist."""
    runs = [step.get("run", "") for step in _workflow()["jobs"]["build"]["steps"]]
    [build] = [r for r in runs if "build_and_smoke.py" in r]
    assert '--tag "$GITHUB_REF_NAME"' in build
    assert (REPO / ".github" / "scripts" / "build_and_smoke.py").is_file()
    assert any("release_notes.py" in r for r in runs)


def test_pypi_is_published_with_trusted_publishing() -> None:
    job = _workflow()["jobs"]["pypi"]
    assert job["permissions"] == {"id-token": "write"}
    assert job["environment"]["name"] == "pypi"
    assert job["environment"]["url"].endswith("/mockidp-oidc/")
    steps = job["steps"]
    assert "pypa/gh-action-pypi-publish" in _uses(steps)
    publish = steps[_uses(steps).index("pypa/gh-action-pypi-publish")]
    assert "password" not in publish.get("with", {})  # no API token: OIDC


def test_release_pushes_both_architectures_to_ghcr() -> None:
    job = _workflow()["jobs"]["image"]
    assert job["permissions"]["packages"] == "write"
    steps = job["steps"]
    uses = _uses(steps)
    for action in (
        "docker/setup-qemu-action",
        "docker/setup-buildx-action",
        "docker/login-action",
        "docker/build-push-action",
    ):
        assert action in uses  # fmt: skip
    login = steps[uses.index("docker/login-action")]["with"]
    assert login["registry"] == "ghcr.io"
    build = steps[uses.index("docker/build-push-action")]["with"]
    assert set(build["platforms"].split(",")) == {"linux/amd64", "linux/arm64"}
    assert build["push"] is True
    assert (REPO / build["file"]).is_file()
    meta = steps[uses.index("docker/metadata-action")]["with"]
    assert meta["images"].startswith("ghcr.io/")


def test_the_github_release_takes_the_changelogs_section() -> None:
    job = _workflow()["jobs"]["github"]
    assert job["permissions"] == {"contents": "write"}
    [create] = [step["run"] for step in job["steps"] if "gh release create" in step.get("run", "")]
    assert 'release_notes.py "$GITHUB_REF_NAME" > notes.md' in create
    assert "--notes-file notes.md" in create
    assert "dist/*" in create
