"""LoginRadius's identity API is served under every name its preset's layout gives it:
the HTTP table (http/vendors/loginradius.py) and the core's operations
(oauth/vendors/loginradius/identity.py) name the same endpoints."""

from __future__ import annotations

from mockidp.http.vendors import endpoints
from mockidp.http.vendors.loginradius import ENDPOINTS
from mockidp.oauth.vendors.loginradius.identity import OPERATIONS
from mockidp.presets.loginradius import IDENTITY_API_PATHS


def test_every_identity_operation_has_an_endpoint() -> None:
    assert set(ENDPOINTS) == set(OPERATIONS) == set(IDENTITY_API_PATHS)
    assert {name: endpoints()[name] for name in OPERATIONS} == ENDPOINTS
