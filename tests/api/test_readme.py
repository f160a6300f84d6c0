"""The README's examples are run, so they cannot rot."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

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
    from mockidp.scenario.loader import check_scenario_text

    blocks = re.findall(r"```yaml\n(.*?)```", README.read_text("utf-8"), re.S)
    assert len(blocks) >= 2
    for block in blocks:
        assert check_scenario_text(block) == [], block


def test_the_hooks_example_passes_as_written(pytester: pytest.Pytester) -> None:
    blocks = re.findall(r"```python\n(.*?)```", README.read_text("utf-8"), re.S)
    [example] = [b for b in blocks if "on_token" in b]
    pytester.makepyfile(test_hooks_example=example)
    pytester.runpytest_subprocess("-q").assert_outcomes(passed=1)
