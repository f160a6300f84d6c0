"""Fixtures for the end-to-end tests: the loopback relying party browsers are sent back to."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.support.browser import RelyingParty, serve_relying_party


@pytest.fixture(scope="session")
def relying_party_server() -> Iterator[RelyingParty]:
    """The loopback relying party the browser is sent back to."""
    with serve_relying_party() as rp:
        yield rp
