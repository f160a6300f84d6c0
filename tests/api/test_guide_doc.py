"""docs/testing-your-app.md shows only code that CI runs: each of its Python blocks is
copied from an example app (docs/examples/) or its test (tests/guides/)."""

from __future__ import annotations

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
GUIDE = ROOT / "docs" / "testing-your-app.md"


def test_every_python_block_is_in_a_tested_file() -> None:
    sources = [
        p.read_text("utf-8")
        for folder in (ROOT / "docs" / "examples", ROOT / "tests" / "guides")
        for p in folder.rglob("*.py")
    ]
    blocks = re.findall(r"```python\n(.*?)```", GUIDE.read_text("utf-8"), re.S)
    assert len(blocks) >= 6
    for block in blocks:
        assert any(block.strip() in source for source in sources), block


def test_every_linked_file_exists() -> None:
    links = re.findall(r"\]\(((?:examples|\.\./tests)/[^)]+)\)", GUIDE.read_text("utf-8"))
    assert links
    for link in links:
        assert (GUIDE.parent / link).exists(), link
