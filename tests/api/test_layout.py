"""The package keeps its layout: no import circle, no import across the tiers the wrong way,
heavy dependencies in their one place, no module over 600 lines, a small root.

The checker (tests/support/layout.py) reads every import statement with ast; it is shown
to fail on small synthetic packages before it is trusted with the real one.
"""

from __future__ import annotations

from pathlib import Path

import pytest

import mockidp
from tests.support.layout import MAX_FUNCTION_LINES, MAX_LINES, problems, read_package

PACKAGE = Path(mockidp.__file__).parent


def test_the_package_keeps_its_layout() -> None:
    assert problems(PACKAGE) == []


def test_every_tier_is_a_package_and_the_root_is_small() -> None:
    modules = read_package(PACKAGE)
    for tier in ("oauth", "http", "control", "scenario", "keys", "store", "presets"):
        assert tier in modules, f"mockidp/{tier}/ is not a package"
    at_root = [m for m in modules.values() if m.path.parent == PACKAGE]
    assert len(at_root) <= 14


# -- the checker, on synthetic packages ---------------------------------------------------


def _package(tmp_path: Path, files: dict[str, str]) -> Path:
    root = tmp_path / "pkg"
    for name, text in {"__init__.py": "", **files}.items():
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
    for folder in {p.parent for p in root.rglob("*.py")}:
        (folder / "__init__.py").touch()
    return root


def test_a_kept_layout_has_no_problems(tmp_path: Path) -> None:
    root = _package(
        tmp_path,
        {
            "errors.py": "",
            "oauth/core.py": "from pkg.errors import x\n",
            "http/app.py": "from pkg.oauth.core import y\nimport starlette\n",
            "control/api.py": "from pkg.http import app\n",
            "asgi.py": "from pkg.control.api import z\nfrom pkg.http.app import w\n",
            "keys/ring.py": "import joserfc\n",
        },
    )
    assert problems(root) == []


def test_a_circle_is_found_even_through_function_level_and_type_checking_imports(
    tmp_path: Path,
) -> None:
    root = _package(
        tmp_path,
        {
            "control/a.py": "from typing import TYPE_CHECKING\n"
            "if TYPE_CHECKING:\n    from pkg.control.b import B\n",
            "control/b.py": "def f():\n    from . import c\n",
            "control/c.py": "from .a import A\n",
        },
    )
    assert problems(root) == ["import circle between pkg.control.a, pkg.control.b, pkg.control.c"]


def test_an_upward_import_is_found(tmp_path: Path) -> None:
    root = _package(
        tmp_path,
        {
            "http/app.py": "",
            "control/api.py": "",
            "oauth/core.py": "def f():\n    from pkg.http.app import render\n",
            "store/memory.py": "from ..oauth import core\n",
            "http/pages.py": "from pkg.control import api\n",
        },
    )
    found = problems(root)
    assert "pkg.oauth.core imports pkg.http.app: the core never imports http, control or asgi" in (
        found
    )
    assert "pkg.store.memory imports pkg.oauth.core: a seam imports no tier" in found
    assert "pkg.http.pages imports pkg.control.api: http never imports control" in found
    assert len(found) == 3


def test_the_package_root_and_misplaced_dependencies_are_found(tmp_path: Path) -> None:
    root = _package(
        tmp_path,
        {
            "control/openapi.py": "from pkg import __version__\n",
            "oauth/tokens.py": "import joserfc.jwt\nfrom starlette.responses import Response\n",
            "http/app.py": "import yaml\n",
            "testing/double.py": "from pkg import testing\n",  # a submodule: allowed
        },
    )
    assert sorted(problems(root)) == [
        "pkg.control.openapi imports the package's own __init__",
        "pkg.http.app imports yaml, which belongs in pkg/scenario only",
        "pkg.oauth.tokens imports joserfc, which belongs in pkg/keys only",
        "pkg.oauth.tokens imports starlette: only http renders",
    ]


def test_the_audit_is_an_edge_only_the_command_line_imports(tmp_path: Path) -> None:
    root = _package(
        tmp_path,
        {
            "audit/runner.py": "from pkg.scenario import dump\nfrom pkg.audit import cases\n",
            "audit/cases.py": "",
            "scenario/dump.py": "",
            "cli.py": "from pkg.audit import runner\n",
            "testing/double.py": "from pkg.audit.cases import CASES\n",
        },
    )
    assert problems(root) == [
        "pkg.testing.double imports pkg.audit.cases: nothing imports audit/",
    ]


def test_a_long_module_and_a_crowded_root_are_found(tmp_path: Path) -> None:
    root = _package(
        tmp_path,
        {
            "oauth/provider.py": "x = 1\n" * (MAX_LINES + 1),
            "oauth/short.py": "x = 1\n" * MAX_LINES,
            **{f"m{i}.py": "" for i in range(3)},
        },
    )
    found = problems(root, max_root_modules=3)
    assert f"pkg/oauth/provider.py has {MAX_LINES + 1} lines, over {MAX_LINES}" in found
    assert not any("short.py" in p for p in found)
    assert any(p.startswith("4 modules directly in pkg/, over 3") for p in found)


def test_reaching_into_the_providers_deps_outside_the_core_is_found(tmp_path: Path) -> None:
    root = _package(
        tmp_path,
        {
            "oauth/provider.py": "class P:\n    def f(self):\n        return self.deps.state\n",
            "oauth/grants/standard.py": "def g(deps):\n    return deps.scenario\n",
            "control/sync.py": "def f(provider):\n    return provider.scenario\n",
            "http/app.py": "def f(app):\n    x = 1\n    return app.provider.deps.state\n",
            "testing/double.py": "def f(p):\n    p.deps = None\n",
            "asgi.py": "def f(p):\n    return getattr(p, 'deps')\n",  # by name only: not seen
        },
    )
    assert sorted(problems(root)) == [
        "pkg.http.app uses .deps (line 3): only pkg/oauth/ reaches into it",
        "pkg.testing.double uses .deps (line 2): only pkg/oauth/ reaches into it",
    ]


@pytest.mark.parametrize(
    "statement",
    [
        "import pkg.control.b",
        "from pkg.control import b",
        "from pkg.control.b import thing",
        "from . import b",
        "from .b import thing",
        "def f():\n    import pkg.control.b as b",
    ],
)
def test_every_spelling_of_an_import_is_an_edge(tmp_path: Path, statement: str) -> None:
    root = _package(
        tmp_path, {"control/a.py": statement + "\n", "control/b.py": "from pkg.control import a\n"}
    )
    assert problems(root) == ["import circle between pkg.control.a, pkg.control.b"]


def test_the_rooms_of_oauth_import_only_downward(tmp_path: Path) -> None:
    root = _package(
        tmp_path,
        {
            "oauth/records.py": "",
            "oauth/deps.py": "from pkg.oauth.tokens import issuance\n",
            "oauth/provider.py": "from pkg.oauth.vendors.acme import api\n",
            "oauth/tokens/issuance.py": "from pkg.oauth.records import x\n",
            "oauth/tokens/shapes.py": "from pkg.oauth.signin import flow\n",
            "oauth/signin/flow.py": "from pkg.oauth.tokens import issuance\n",
            "oauth/signin/device.py": "def f():\n    from pkg.oauth.grants import standard\n",
            "oauth/grants/standard.py": "from pkg.oauth.signin import flow\n",
            "oauth/sessions/logout.py": "from pkg.oauth.vendors.acme import api\n",
            "oauth/vendors/acme/api.py": "from pkg.oauth.grants import standard\n",
        },
    )
    assert sorted(problems(root)) == [
        "pkg.oauth.deps imports pkg.oauth.tokens.issuance: the base imports no room",
        "pkg.oauth.sessions.logout imports pkg.oauth.vendors.acme.api: only the provider"
        " imports vendors",
        "pkg.oauth.signin.device imports pkg.oauth.grants.standard: signin sits below"
        " sessions, grants and vendors",
        "pkg.oauth.tokens.shapes imports pkg.oauth.signin.flow: clients, scripted and tokens"
        " sit below the flows",
    ]


def test_oauth_keeps_a_small_base() -> None:
    at_root = [p for p in (PACKAGE / "oauth").glob("*.py") if p.name != "__init__.py"]
    assert len(at_root) <= 8, sorted(p.name for p in at_root)


def test_a_long_function_in_oauth_is_found(tmp_path: Path) -> None:
    body = "    x = 1\n"
    root = _package(
        tmp_path,
        {
            # def line plus body: one line over, and exactly at the limit
            "oauth/grants.py": "class G:\n    def refresh(self):\n"
            + ("        x = 1\n" * MAX_FUNCTION_LINES),
            "oauth/short.py": "def f():\n" + body * (MAX_FUNCTION_LINES - 1),
            "http/app.py": "def long():\n" + body * MAX_FUNCTION_LINES,  # not oauth: allowed
        },
    )
    assert problems(root) == [
        f"pkg/oauth/grants.py: refresh has {MAX_FUNCTION_LINES + 1} lines, "
        f"over {MAX_FUNCTION_LINES}"
    ]
