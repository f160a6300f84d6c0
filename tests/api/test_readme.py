"""The README's examples are run, so they cannot rot."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from mockidp.testing import MockIdP

README = Path(__file__).resolve().parents[2] / "README.md"


def _python_block_after(heading: str) -> str:
    text = README.read_text("utf-8")
    section = text.split(heading, 1)[1]
    match = re.search(r"```python\n(.*?)```", section, re.S)
    assert match is not None, f"no python block after {heading!r}"
    return match.group(1)


def test_pytest_quick_start_passes_as_written(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(test_quickstart=_python_block_after("## Quick start with pytest"))
    result = pytester.runpytest_subprocess("-q", "-p", "anyio")
    result.assert_outcomes(passed=1)


def test_readme_gives_both_set_up_commands() -> None:
    text = README.read_text("utf-8")
    assert "pip install -e . && mockidp serve" in text
    assert "pip install -e '.[test]' && pytest" in text


def test_every_yaml_example_in_the_readme_is_a_valid_scenario() -> None:
    """Except the container section's: a workflow and a compose file, each run and
    checked by tests/e2e/test_container.py and tests/hosting/test_release_workflow.py."""
    from mockidp.scenario.loader import check_scenario_text

    text = re.sub(
        r"^## Container image\n.*?(?=^## )", "", README.read_text("utf-8"), flags=re.S | re.M
    )
    blocks = re.findall(r"```yaml\n(.*?)```", text, re.S)
    assert len(blocks) >= 2
    for block in blocks:
        assert check_scenario_text(block) == [], block


def test_the_hooks_example_passes_as_written(pytester: pytest.Pytester) -> None:
    blocks = re.findall(r"```python\n(.*?)```", README.read_text("utf-8"), re.S)
    [example] = [b for b in blocks if "on_token" in b]
    pytester.makepyfile(test_hooks_example=example)
    pytester.runpytest_subprocess("-q").assert_outcomes(passed=1)


# -- the shell examples -----------------------------------------------------------------

README_ORIGIN = "http://127.0.0.1:8000"
NOT_RUN = re.compile(r"<!-- readme-test: not run, (.+?) -->\n```(?:sh|bash)\n")
SHELL_BLOCK = re.compile(r"(<!-- readme-test: not run, .+? -->\n)?```(?:sh|bash)\n(.*?)```", re.S)
# curl failing on HTTP errors, so an example answered 4xx/5xx fails its test
SCRIPTS = str(Path(sys.executable).parent)
STRICT_CURL = '#!/bin/sh\nexec "{curl}" --fail-with-body "$@"\n'


def _shell_blocks() -> list[tuple[str | None, str]]:
    """Every sh/bash block of the README with its not-run reason (None: run it)."""
    found = []
    for match in SHELL_BLOCK.finditer(README.read_text("utf-8")):
        marker = NOT_RUN.match(match.group(0))
        found.append((marker.group(1) if marker else None, match.group(2)))
    return found


def test_every_shell_block_is_run_or_says_why_not() -> None:
    blocks = _shell_blocks()
    assert len([b for reason, b in blocks if reason is None]) >= 2
    for reason, block in blocks:
        assert reason is None or len(reason) > 10, block


@pytest.fixture(scope="module")
def readme_server() -> Iterator[MockIdP]:
    """``mockidp serve`` on the default scenario, as the examples expect (another port)."""
    idp = MockIdP.serve()
    yield idp
    idp.close()
    if idp.server is not None:
        idp.server.stop()


@pytest.mark.parametrize(
    "block",
    [b for reason, b in _shell_blocks() if reason is None],
    ids=lambda b: b.strip().splitlines()[0][:40],
)
def test_each_shell_example_runs_as_written(
    block: str, readme_server: MockIdP, tmp_path: Path
) -> None:
    tools = {name: shutil.which(name) for name in ("sh", "curl", "openssl", "base64", "python3")}
    missing = [name for name, path in tools.items() if path is None]
    if missing:
        pytest.skip(f"needs {', '.join(missing)} (.ci/run installs them)")
    readme_server.reset()
    (tmp_path / "bin").mkdir()
    curl = tmp_path / "bin" / "curl"
    curl.write_text(STRICT_CURL.format(curl=tools["curl"]), "utf-8")
    curl.chmod(0o755)
    script = block.replace(README_ORIGIN, readme_server.url)
    result = subprocess.run(
        [str(tools["sh"]), "-eu", "-c", script],
        capture_output=True,
        text=True,
        # the strict curl first, then this interpreter's scripts (the mockidp command)
        env={
            **os.environ,
            "PATH": os.pathsep.join([str(tmp_path / "bin"), SCRIPTS, os.environ["PATH"]]),
        },
        cwd=tmp_path,  # files an example writes land here
        timeout=60,
        check=False,
    )
    assert result.returncode == 0, f"{result.stdout}\n{result.stderr}"
    log = readme_server.requests
    assert all(r.status < 400 for r in log), [r.describe() for r in log if r.status >= 400]
