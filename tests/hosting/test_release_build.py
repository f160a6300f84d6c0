"""The release's build-and-smoke script, for real, and its release notes.

``.github/scripts/build_and_smoke.py`` is what the release workflow's build job runs on
a tag: the sdist and the wheel built from it, ``twine check``, the wheel installed in a
new venv outside the checkout, ``mockidp serve`` answering discovery, and the pytest
fixture through its entry point. Here it builds with this environment's hatchling
(``--no-isolation``); the install takes the wheel's dependencies from pip's index.
"""

from __future__ import annotations

import subprocess
import sys
import tomllib
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
SCRIPTS = ROOT / ".github" / "scripts"
VERSION = tomllib.loads((ROOT / "pyproject.toml").read_text("utf-8"))["project"]["version"]


def _script(name: str, *args: str, cwd: Path = ROOT) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, str(SCRIPTS / name), *args],
        capture_output=True,
        text=True,
        cwd=cwd,
        timeout=1200,
        check=False,
    )


def test_the_release_is_built_checked_and_smoke_tested(tmp_path: Path) -> None:
    pytest.importorskip("build")  # both come with the test extra
    pytest.importorskip("twine")
    out = tmp_path / "dist"
    done = _script(
        "build_and_smoke.py", "--out", str(out), "--tag", f"v{VERSION}", "--no-isolation"
    )
    assert done.returncode == 0, done.stdout + done.stderr
    assert sorted(p.name for p in out.iterdir()) == [
        f"mockidp_oidc-{VERSION}-py3-none-any.whl",
        f"mockidp_oidc-{VERSION}.tar.gz",
    ]
    for step in ("twine check", "mockidp --version", "mockidp-oidc --version", "mockidp serve",
                 "mockidp fixture"):  # fmt: skip
        assert step in done.stdout
    assert done.stdout.rstrip().endswith("built, checked and smoke-tested")


def test_a_tag_other_than_the_version_is_refused_before_building(tmp_path: Path) -> None:
    out = tmp_path / "dist"
    done = _script("build_and_smoke.py", "--out", str(out), "--tag", "v99.0.0")
    assert done.returncode == 1
    assert f"the tag 'v99.0.0' is not v{VERSION}" in done.stderr
    assert "Traceback" not in done.stderr
    assert not out.exists()


CHANGELOG = """\
# Changelog

## [1.1.0] - 2027-02-01

### Fixed

- The thing.

## [1.0.0] - 2027-01-01

- First.

## [0.9.0] - unreleased

- Draft.
"""


@pytest.mark.parametrize(
    ("tag", "notes"),
    [("v1.1.0", "### Fixed\n\n- The thing.\n"), ("v1.0.0", "- First.\n")],
)
def test_the_release_notes_are_the_changelogs_section(tmp_path: Path, tag: str, notes: str) -> None:
    changelog = tmp_path / "CHANGELOG.md"
    changelog.write_text(CHANGELOG, "utf-8")
    done = _script("release_notes.py", tag, "--changelog", str(changelog))
    assert done.returncode == 0, done.stderr
    assert done.stdout == notes


@pytest.mark.parametrize(
    ("tag", "why"),
    [("v2.0.0", "has no '## [2.0.0]' section"), ("v0.9.0", "still marked unreleased")],
)
def test_no_notes_no_release(tmp_path: Path, tag: str, why: str) -> None:
    changelog = tmp_path / "CHANGELOG.md"
    changelog.write_text(CHANGELOG, "utf-8")
    done = _script("release_notes.py", tag, "--changelog", str(changelog))
    assert done.returncode == 1
    assert why in done.stderr
    assert done.stdout == ""
