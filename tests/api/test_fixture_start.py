"""What a test's first use of the ``mockidp`` fixture imports (issue 15): the embedded
default scenario needs none of the file machinery, and an in-process provider needs no
server, so a suite of in-process tests never pays for them. A marker with a scenario
file still loads them, on demand."""

from __future__ import annotations

import pytest

UNNEEDED = (
    "yaml",
    "jsonschema",
    "uvicorn",
    "boto3",
    "mockidp.scenario.loader",
    "mockidp.scenario.schema",
    "mockidp.scenario.checks",
    "mockidp.store.dynamodb",
    "mockidp.hosting.wiring",
    "mockidp.control.api",
)

SUITE = f"""
import sys

import pytest

UNNEEDED = {UNNEEDED!r}


def test_the_default_scenario_in_process(mockidp):
    answer = mockidp.client.get("/.well-known/openid-configuration")
    assert answer.status_code == 200
    assert [name for name in UNNEEDED if name in sys.modules] == []


@pytest.mark.mockidp(scenario="scenario.yaml")
def test_a_scenario_file_loads_the_loader(mockidp):
    assert mockidp.provider.scenario.default_user == "bob"
    assert "mockidp.scenario.loader" in sys.modules and "yaml" in sys.modules
"""


def test_an_in_process_test_imports_no_file_machinery_and_no_server(
    pytester: pytest.Pytester,
) -> None:
    pytester.makefile(".yaml", scenario="users:\n  - sub: bob\ndefault_user: bob\n")
    pytester.makepyfile(test_first=SUITE)
    result = pytester.runpytest_subprocess("-q")
    result.assert_outcomes(passed=2)


REWRITE_SUITE = """
import sys


def test_mockidp_is_imported_as_is(mockidp):
    assert mockidp.client.get("/.well-known/openid-configuration").status_code == 200
    loaders = {
        name: type(module.__spec__.loader).__name__
        for name, module in sys.modules.items()
        if name.startswith("mockidp.") and getattr(module, "__spec__", None)
    }
    assert loaders["mockidp.pytest_plugin"] == "AssertionRewritingHook"
    rewritten = sorted(n for n, kind in loaders.items() if kind == "AssertionRewritingHook")
    assert rewritten == ["mockidp.pytest_plugin"]
    assert len(loaders) > 50
"""


def test_pytest_rewrites_the_plugin_module_only(pytester: pytest.Pytester) -> None:
    """pytest rewrites every module of a plugin's distribution; where it cannot cache the
    result (``PYTHONDONTWRITEBYTECODE``) it compiled all of mockidp on every run."""
    pytester.makepyfile(test_rewrite=REWRITE_SUITE)
    result = pytester.runpytest_subprocess("-q")
    result.assert_outcomes(passed=1)


MINTING_SUITE = """
import sys


def test_minting_tokens_needs_no_http_client(mockidp):
    assert mockidp.issue_tokens(user="alice")["access_token"]
    assert "httpx" not in sys.modules
"""


def test_a_test_that_only_mints_tokens_imports_no_http_client(pytester: pytest.Pytester) -> None:
    """httpx and the transports built on it load when a test first needs them (~70 ms)."""
    pytester.makepyfile(test_minting=MINTING_SUITE)
    result = pytester.runpytest_subprocess("-q")
    result.assert_outcomes(passed=1)
