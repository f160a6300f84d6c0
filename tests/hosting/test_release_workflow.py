"""The release workflow and the README's Actions example against GitHub's workflow schema.

check-jsonschema ships the schema (``vendor.github-workflows``, from SchemaStore), so the
check runs offline. The workflow itself runs only on GitHub, on a version tag.
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
    del data["jobs"]["image"]["runs-on"]
    broken = tmp_path / "broken.yml"
    broken.write_text(yaml.safe_dump(data))
    done = _check_workflow(broken)
    assert done.returncode != 0
    assert "runs-on" in done.stdout + done.stderr


def test_release_pushes_both_architectures_to_ghcr_on_a_tag() -> None:
    data: dict[str, Any] = yaml.safe_load(WORKFLOW.read_text())
    triggers = data[True]  # YAML 1.1 reads the key `on` as true
    assert list(triggers) == ["push"]
    assert triggers["push"]["tags"] == ["v*"]
    assert data["permissions"]["packages"] == "write"
    steps = data["jobs"]["image"]["steps"]
    uses = [step.get("uses", "").split("@")[0] for step in steps]
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
