"""What a ``session_state`` (OpenID Connect Session Management 1.0 section 3) looks like.

The generic layout serves the check_session iframe, so every authorization response of
a scenario with sessions carries one: a hash and a salt joined by ``.``
(mockidp: hex SHA-256, then a random salt). Tests that pin down the exact set of
callback parameters check it is there and well-formed with :func:`assert_session_state`.
"""

from __future__ import annotations

import re
from collections.abc import Mapping

SESSION_STATE = re.compile(r"[0-9a-f]{64}\.[0-9A-Za-z_-]+")
"""``hex(SHA-256(client_id origin browser_state salt))`` ``.`` ``salt``."""


def assert_session_state(params: Mapping[str, str]) -> str:
    """The response's ``session_state``, asserted present and well-formed."""
    assert "session_state" in params, f"no session_state in {dict(params)}"
    value = params["session_state"]
    assert SESSION_STATE.fullmatch(value), f"malformed session_state {value!r}"
    return value
