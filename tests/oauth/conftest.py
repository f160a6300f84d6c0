"""Fixtures for the protocol tests: a loopback relying party for the pages that call back."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.support.browser import RelyingParty, serve_relying_party


@pytest.fixture
def rp() -> Iterator[RelyingParty]:
    """A loopback relying party, for the pages that call back to one."""
    with serve_relying_party() as relying_party:
        yield relying_party
