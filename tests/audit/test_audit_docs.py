"""docs/audit.md has a row for every case, with the verdict it expects and its
OpenID Foundation identifiers, as the catalogue has them."""

from __future__ import annotations

from pathlib import Path

import pytest

from mockidp.audit.cases import ALL_CASES, Case

DOC = Path(__file__).resolve().parents[2] / "docs" / "audit.md"


def _rows() -> dict[str, list[str]]:
    rows = {}
    for line in DOC.read_text("utf-8").splitlines():
        cells = [c.strip() for c in line.strip().strip("|").split("|")]
        if len(cells) == 6 and cells[0].startswith("`"):
            rows[cells[0].strip("`")] = cells
    return rows


@pytest.mark.parametrize("case", ALL_CASES, ids=[c.name for c in ALL_CASES])
def test_the_case_is_documented_as_it_is(case: Case) -> None:
    row = _rows().get(case.name)
    assert row is not None, f"docs/audit.md has no row for {case.name}"
    assert row[1] == case.expected
    for identifier in (case.oidf, case.rp):
        assert not identifier or identifier in row[4].split(" "), (identifier, row[4])
    if not case.oidf:
        assert row[4] == "—"


def test_every_row_is_a_case() -> None:
    assert set(_rows()) == {c.name for c in ALL_CASES}
