"""What a new user looks for first: --version, the license (in the wheel too), a
changelog, project URLs, a home page that leads to the inspector and the control API,
and a note for Windows and macOS."""

from __future__ import annotations

import importlib.metadata
import re
import tomllib
import zipfile
from pathlib import Path

import pytest

from mockidp.cli import main
from mockidp.distribution import DISTRIBUTION
from mockidp.testing import MockIdP

ROOT = Path(__file__).resolve().parents[2]
PYPROJECT = tomllib.loads((ROOT / "pyproject.toml").read_text("utf-8"))


def test_version_prints_the_installed_version(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exited:
        main(["--version"])
    assert exited.value.code == 0
    assert capsys.readouterr().out.strip() == f"mockidp {importlib.metadata.version(DISTRIBUTION)}"


def test_the_license_is_mit_as_pyproject_says() -> None:
    assert PYPROJECT["project"]["license"] == "MIT"
    text = (ROOT / "LICENSE").read_text("utf-8")
    assert text.startswith("MIT License") and "WITHOUT WARRANTY OF ANY KIND" in text


def test_the_wheel_carries_the_license(tmp_path: Path) -> None:
    builder_module = pytest.importorskip("hatchling.builders.wheel")
    builder = builder_module.WheelBuilder(str(ROOT))
    [wheel] = list(builder.build(directory=str(tmp_path), versions=["standard"]))
    with zipfile.ZipFile(wheel) as archive:
        names = archive.namelist()
        [license_name] = [n for n in names if n.endswith(".dist-info/licenses/LICENSE")]
        assert archive.read(license_name).decode("utf-8").startswith("MIT License")
        metadata = next(n for n in names if n.endswith(".dist-info/METADATA"))
        assert "License-File: LICENSE" in archive.read(metadata).decode("utf-8")


def test_the_changelog_describes_this_version() -> None:
    changelog = (ROOT / "CHANGELOG.md").read_text("utf-8")
    version = PYPROJECT["project"]["version"]
    section = changelog.split(f"## [{version}]", 1)
    assert len(section) == 2, f"CHANGELOG.md has no section for {version}"
    body = section[1].split("\n## ", 1)[0]
    for feature in ("pytest plugin", "Presets", "inspector", "on_token", "--version"):
        assert feature in body


def test_pyproject_names_the_project_urls() -> None:
    urls = PYPROJECT["project"]["urls"]
    assert {"Homepage", "Repository", "Issues", "Changelog"} <= set(urls)
    assert all(re.match(r"https://", url) for url in urls.values())


def test_the_home_page_links_the_inspector_and_the_control_api(mockidp: MockIdP) -> None:
    page = mockidp.client.get("/").text
    links = dict(re.findall(r'<a id="([\w-]+)" href="([^"]+)"', page))
    assert links["inspector"] == "/_mockidp/inspector"
    assert links["control-api"] == "/_mockidp/"
    assert links["openapi"] == "/_mockidp/openapi.json"
    for href in links.values():
        assert mockidp.client.get(href).status_code == 200, href


def test_a_tenants_home_page_links_its_own_inspector(mockidp: MockIdP) -> None:
    page = mockidp.client.get("/t/pr-7/").text
    assert 'href="/t/pr-7/_mockidp/inspector"' in page


def test_the_readme_has_a_windows_and_macos_note() -> None:
    readme = (ROOT / "README.md").read_text("utf-8")
    assert "**Windows and macOS.**" in readme
