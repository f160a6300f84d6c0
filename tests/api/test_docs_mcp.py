"""docs/mcp.md's example runs as written: an MCP server protected by mockidp, its
tokens verified by JWKS and by introspection, audience its own URL."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

MCP_DOC = Path(__file__).resolve().parents[2] / "docs" / "mcp.md"


def _python_block() -> str:
    match = re.search(r"```python\n(.*?)```", MCP_DOC.read_text("utf-8"), re.S)
    assert match is not None, "no python block in docs/mcp.md"
    return match.group(1)


def test_the_mcp_example_passes_as_written(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(test_mcp=_python_block())
    result = pytester.runpytest_subprocess("-q", "-p", "anyio")
    result.assert_outcomes(passed=2)


def test_the_yaml_example_is_a_valid_scenario() -> None:
    from mockidp.scenario.loader import check_scenario_text

    block = re.search(r"```yaml\n(.*?)```", MCP_DOC.read_text("utf-8"), re.S)
    assert block is not None
    assert check_scenario_text(block.group(1), name="docs/mcp.md") == []
