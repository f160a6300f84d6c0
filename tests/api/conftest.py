"""Fixtures for the public-API tests: a fresh pytest session (pytester) to run users' code in."""

from __future__ import annotations

import pytest


@pytest.fixture
def pytester(pytester: pytest.Pytester) -> pytest.Pytester:
    """A fresh session with the ini a project using pytest-asyncio has (else it warns).

    Tests run it with ``runpytest_subprocess``: an in-process run drops every module it
    imported first when it ends, and what a later test imports again (httpcore's, uvicorn's
    protocol modules) then raises exception classes the earlier copies do not catch.
    """
    pytester.makeini("[pytest]\nasyncio_default_fixture_loop_scope = function\n")
    return pytester
