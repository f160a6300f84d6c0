"""infra/deploy.sh build: every failing step fails the script with its message, and a
build that worked says so. Run on a copy of the script, with a stand-in ``$PYTHON``
that fails the step a test names (no AWS, no package index)."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
SUCCESS = "mockidp: package in .aws-build/lambda"

# Acts as python: fails the step named by $FAIL_AT, otherwise does what the step needs.
STAND_IN = r"""#!/usr/bin/env bash
step="$*"
case "$step" in
    "-m pip --version") want=pip ;;
    "-c import mockidp.cli") want=import ;;
    "-m pip wheel"*) want=wheel ;;
    "-m pip install"*) want=install ;;
    "-m mockidp validate"*) want=validate ;;
    "-m compileall"*) want=compileall ;;
    "-c import sys"*) echo 3.12; exit 0 ;;
    *) echo "stand-in python: unexpected $step" >&2; exit 2 ;;
esac
[ "$want" = "${FAIL_AT:-}" ] && { echo "stand-in: $want failed" >&2; exit 1; }
if [ "$want" = wheel ]; then touch .aws-build/wheels/mockidp-0.0.0-py3-none-any.whl; fi
exit 0
"""

_SHELLS = shutil.which("bash") is not None
pytestmark = pytest.mark.skipif(not _SHELLS, reason="needs bash")


def _run(tmp_path: Path, python: str, **env: str) -> subprocess.CompletedProcess[str]:
    (tmp_path / "infra").mkdir(exist_ok=True)
    shutil.copy(ROOT / "infra" / "deploy.sh", tmp_path / "infra" / "deploy.sh")
    return subprocess.run(
        ["bash", str(tmp_path / "infra" / "deploy.sh"), "build"],
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


def test_a_python_that_does_not_exist_fails_the_build_with_its_name(tmp_path: Path) -> None:
    result = _run(tmp_path, "/no/such/python3")
    assert result.returncode != 0
    assert "PYTHON=/no/such/python3 is not installed" in result.stderr
    assert SUCCESS not in result.stdout


@pytest.mark.parametrize(
    ("step", "message"),
    [
        ("pip", "has no pip"),
        ("wheel", "building mockidp's wheel failed"),
        ("install", "installing the package and its dependencies"),
        ("import", "cannot import mockidp"),
        ("validate", "is not a valid scenario"),
        ("compileall", "compiling the package's bytecode failed"),
    ],
)
def test_each_failing_step_fails_the_build_with_its_message(
    tmp_path: Path, step: str, message: str
) -> None:
    scenario = tmp_path / "mine.yaml"
    scenario.write_text("users: []\n", "utf-8")
    result = _run(tmp_path, _stand_in(tmp_path), FAIL_AT=step, MOCKIDP_SCENARIO_FILE=str(scenario))
    assert result.returncode != 0, result.stdout
    assert message in result.stderr
    assert SUCCESS not in result.stdout


def test_a_build_whose_steps_succeed_says_where_the_package_is(tmp_path: Path) -> None:
    scenario = tmp_path / "mine.yaml"
    scenario.write_text("users: []\n", "utf-8")
    result = _run(tmp_path, _stand_in(tmp_path), MOCKIDP_SCENARIO_FILE=str(scenario))
    assert result.returncode == 0, result.stderr
    assert SUCCESS in result.stdout
    assert (tmp_path / ".aws-build" / "lambda" / "scenario.yaml").is_file()


def test_the_header_says_what_python_needs() -> None:
    header = (ROOT / "infra" / "deploy.sh").read_text("utf-8").split("set -euo", 1)[0]
    assert "pip" in header and "mockidp validate" in header and "pip install -e ." in header
