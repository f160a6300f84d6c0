"""infra/deploy.sh: a failing step fails the script with its message (issue 17), and a
build that worked exits 0. Run on a copy of the script, with a stand-in ``$PYTHON`` that
fails the step a test names (no AWS, no package index); the commands it wraps are
tested in test_package.py and test_deploy.py."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]

# Acts as python: fails the step named by $FAIL_AT, else succeeds as that step would.
STAND_IN = r"""#!/usr/bin/env bash
case "$*" in
    "-c import mockidp.cli") want=import ;;
    "-m mockidp package"*) want=package ;;
    "-m mockidp deploy"*) want=deploy ;;
    *) echo "stand-in python: unexpected $*" >&2; exit 2 ;;
esac
if [ "$want" = "${FAIL_AT:-}" ]; then echo "stand-in: $want failed" >&2; exit 1; fi
echo "stand-in: $want done"
"""

pytestmark = pytest.mark.skipif(shutil.which("bash") is None, reason="needs bash")


def _run(tmp_path: Path, python: str, *args: str, **env: str) -> subprocess.CompletedProcess[str]:
    (tmp_path / "infra").mkdir(exist_ok=True)
    shutil.copy(ROOT / "infra" / "deploy.sh", tmp_path / "infra" / "deploy.sh")
    return subprocess.run(
        ["bash", str(tmp_path / "infra" / "deploy.sh"), *args],
        capture_output=True,
        text=True,
        env={"PATH": "/usr/bin:/bin", "PYTHON": python, **env},
        check=False,
    )


def _stand_in(tmp_path: Path) -> str:
    python = tmp_path / "python"
    python.write_text(STAND_IN, "utf-8")
    python.chmod(0o755)
    return str(python)


def test_a_python_that_does_not_exist_fails_with_its_name(tmp_path: Path) -> None:
    result = _run(tmp_path, "/no/such/python3", "build")
    assert result.returncode != 0
    assert "PYTHON=/no/such/python3 is not installed" in result.stderr


def test_a_python_without_mockidp_says_what_to_install(tmp_path: Path) -> None:
    result = _run(tmp_path, _stand_in(tmp_path), "build", FAIL_AT="import")
    assert result.returncode != 0
    assert "cannot import mockidp" in result.stderr
    assert "pip install 'mockidp-oidc[aws]'" in result.stderr


@pytest.mark.parametrize(("args", "step"), [(("build",), "package"), (("deploy", "7"), "deploy")])
def test_a_failing_command_fails_the_script(
    tmp_path: Path, args: tuple[str, ...], step: str
) -> None:
    result = _run(tmp_path, _stand_in(tmp_path), *args, FAIL_AT=step, AWS_REGION="eu-west-1")
    assert result.returncode != 0
    assert f"stand-in: {step} failed" in result.stderr


def test_a_build_whose_steps_succeed_exits_0(tmp_path: Path) -> None:
    result = _run(tmp_path, _stand_in(tmp_path), "build")
    assert result.returncode == 0, result.stderr
    assert "stand-in: package done" in result.stdout


def test_the_header_says_what_python_needs() -> None:
    header = (ROOT / "infra" / "deploy.sh").read_text("utf-8").split("set -euo", 1)[0]
    assert "PYTHON" in header and "mockidp installed" in header and "[aws]" in header
