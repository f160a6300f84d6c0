"""`pip install -e '.[test]' && pytest` works without the interop extra.

The ``interop`` extra holds other people's libraries tested against mockidp (the
vendors' SDKs, Playwright, schemathesis). A test module may import them only in a
``try`` that hands the ImportError to ``tests.support.optional.missing``: skipped
locally, failed under CI=true (``.ci/run`` installs both extras).
"""

from __future__ import annotations

import ast
import re
import tomllib
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
EXTRAS = tomllib.loads((ROOT / "pyproject.toml").read_text("utf-8"))["project"][
    "optional-dependencies"
]
#: The interop extra's distributions and the top-level names they are imported by.
IMPORT_NAMES = {
    "playwright": {"playwright"},
    "schemathesis": {"schemathesis"},
    "loginradius-v2": {"LoginRadius"},
    "msal": {"msal"},
    "python-keycloak": {"keycloak", "jwcrypto"},
    "auth0-python": {"auth0"},
    "google-auth": {"google"},
    "okta-jwt-verifier": {"okta_jwt_verifier"},
    # the frameworks of docs/testing-your-app.md's example apps (tests/guides/)
    "fastapi": {"fastapi"},
    "itsdangerous": {"itsdangerous"},
    "flask": {"flask"},
    "django": {"django"},
    "mozilla-django-oidc": {"mozilla_django_oidc"},
}


def _name(requirement: str) -> str:
    found = re.match(r"[A-Za-z0-9._-]+", requirement)
    assert found is not None, requirement
    return found.group(0).lower()


def test_the_interop_libraries_are_their_own_extra() -> None:
    interop = {_name(r) for r in EXTRAS["interop"]}
    assert interop == set(IMPORT_NAMES)
    assert not interop & {_name(r) for r in EXTRAS["test"]}


def _unguarded_imports(path: Path, root: Path = ROOT) -> list[str]:
    """Module-level imports of interop libraries outside ``try`` (and TYPE_CHECKING)."""
    names = set().union(*IMPORT_NAMES.values())
    found = []
    for node in ast.parse(path.read_text("utf-8")).body:  # the module level only
        if isinstance(node, ast.Import):
            modules = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            modules = [node.module]
        else:
            continue  # try blocks, `if TYPE_CHECKING:`, functions
        found += [f"{path.relative_to(root)}: {m}" for m in modules if m.split(".")[0] in names]
    return found


def test_no_test_module_needs_the_interop_extra_to_be_collected() -> None:
    unguarded = [hit for path in (ROOT / "tests").rglob("*.py") for hit in _unguarded_imports(path)]
    assert unguarded == []


def test_the_check_finds_an_unguarded_import(tmp_path: Path) -> None:
    module = tmp_path / "test_x.py"
    module.write_text("import msal\nfrom keycloak import KeycloakOpenID\n", "utf-8")
    found = _unguarded_imports(module, tmp_path)
    assert found == ["test_x.py: msal", "test_x.py: keycloak"]


GUARDED = """
from tests.support.optional import missing

try:
    import no_such_interop_library
except ImportError as exc:
    missing(exc)


def test_it() -> None:
    assert no_such_interop_library
"""


@pytest.mark.parametrize("ci", ["", "true"])
def test_a_missing_library_skips_locally_and_fails_under_ci(
    pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch, ci: str
) -> None:
    monkeypatch.setenv("CI", ci)
    monkeypatch.syspath_prepend(str(ROOT))  # tests.support, as in the suite
    pytester.makepyfile(test_guarded=GUARDED)
    result = pytester.runpytest_inprocess("-p", "no:cacheprovider", "-rs")
    if ci:
        result.assert_outcomes(errors=1)
        result.stdout.fnmatch_lines(["*no_such_interop_library is not installed*CI=true*"])
    else:
        result.assert_outcomes(skipped=1)
        result.stdout.fnmatch_lines(["*no_such_interop_library is not installed*interop*"])
