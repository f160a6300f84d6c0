"""auth0: Auth0's layout (providers.md): /authorize, /oauth/token, /userinfo, /oidc/logout.

The issuer ends with ``/`` (``https://{tenant}.auth0.com/``), the token endpoint takes
JSON as well as forms, and a refused code or refresh token is invalid_grant with 403.
"""

from __future__ import annotations

from typing import Any

NAME = "auth0"
DESCRIPTION = "Auth0: /authorize, /oauth/token, /userinfo, /oidc/logout; issuer ends with /"
ROLES_CLAIM = "https://mockidp.example/roles"
"""Auth0 puts no roles in tokens by itself: an Action adds them under a namespaced claim
(its RBAC documents' recipe); this is the name mockidp's preset uses."""
PATHS = {
    "discovery": "/.well-known/openid-configuration",
    "jwks": "/.well-known/jwks.json",
    "authorization": "/authorize",
    "token": "/oauth/token",
    "userinfo": "/userinfo",
    "revocation": "/oauth/revoke",
    "end_session": "/oidc/logout",
    "end_session_legacy": "/v2/logout",  # returnTo; what most Auth0 SDKs call
    "login": "/u/login",
    "consent": "/u/consent",
    "home": "/",
}
SCENARIO: dict[str, Any] = {
    "quirks": {
        "issuer_path": "/",
        "end_session_redirect_aliases": ["returnTo"],
        "accept_json_body": True,
        "access_token_typ": "JWT",
        "access_token_claims": {"azp": "{client_id}"},
        # aud [API, /userinfo], permissions (RBAC), gty; roles as an Action adds them
        "access_token_shape": "auth0",
        "roles_claim": ROLES_CLAIM,
        "error_status": {"invalid_grant": 403, "access_denied": 403},
        # audience names the API an access token is for, at /authorize and /oauth/token.
        "resource_parameter_aliases": ["audience"],
        "password_realms": ["Username-Password-Authentication"],
        "error_messages": {
            "code_expired": {"description": "Invalid authorization code"},
            "code_used": {"description": "Invalid authorization code"},
            "refresh_token": {"description": "Unknown or invalid refresh token."},
            "resource": {"error": "access_denied", "description": "Service not found"},
        },
    },
}
