"""loginradius-hub: LoginRadius's current hub layout (examples/loginradius-hub-*.json).

Issuer ``{origin}/service/oidc/{app}``; authorize, jwks and userinfo under
``/service/oidc/{app}``, token and revoke under ``/api/oidc/{app}``; RFC 8414 metadata.
"""

from __future__ import annotations

from typing import Any

NAME = "loginradius-hub"
DESCRIPTION = "LoginRadius hub: /service/oidc/{app}/..., /api/oidc/{app}/token"

PATHS = {
    "discovery": "/service/oidc/{app}/.well-known/openid-configuration",
    "oauth_metadata": "/service/oidc/{app}/.well-known/oauth-authorization-server",
    "jwks": "/service/oidc/{app}/jwks",
    "userinfo": "/service/oidc/{app}/userinfo",
    "authorization": "/service/oidc/{app}/authorize",
    "token": "/api/oidc/{app}/token",
    "revocation": "/api/oidc/{app}/revoke",
    "login": "/service/oidc/{app}/interaction/login",
    "consent": "/service/oidc/{app}/interaction/consent",
    "home": "/",
}

SCENARIO: dict[str, Any] = {
    "path_params": {"app": "myapp"},
    "quirks": {
        "accept_json_body": True,
        "issuer_path": "/service/oidc/{app}",
        "metadata_values": {
            "code_challenge_methods_supported": ["S256"],
            "scopes_supported": ["openid", "email", "phone", "profile", "address"],
        },
    },
}
