"""What the vendor-library interop tests (tests/e2e/test_vendor_*.py) share."""

from __future__ import annotations

from typing import Any

CLIENT, SECRET = "mockidp-client", "mockidp-secret"
OTHER, OTHER_SECRET = "other-app", "other-secret"
CALLBACK = "http://localhost:8080/callback"
GRANTS = ["authorization_code", "refresh_token", "client_credentials", "password"]


def two_clients(**main: Any) -> list[dict[str, Any]]:
    """The default confidential client (with ``main``'s changes) and another one, whose
    refresh tokens the first must not be able to use."""
    return [
        {
            "client_id": CLIENT,
            "client_secret": SECRET,
            "grant_types": GRANTS,
            "redirect_uris": [CALLBACK],
            "token_endpoint_auth_method": "client_secret_post",
            **main,
        },
        {
            "client_id": OTHER,
            "client_secret": OTHER_SECRET,
            "grant_types": GRANTS,
            "redirect_uris": [CALLBACK],
            "token_endpoint_auth_method": "client_secret_post",
        },
    ]
