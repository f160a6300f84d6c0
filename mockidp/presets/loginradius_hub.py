"""loginradius-hub: LoginRadius's current hub layout (examples/loginradius-hub-*.json).

Issuer ``{origin}/service/oidc/{app}``; authorize, jwks and userinfo under
``/service/oidc/{app}``, token and revoke under ``/api/oidc/{app}``; RFC 8414 metadata.
"""

from __future__ import annotations

from typing import Any

from mockidp.presets.loginradius import IDENTITY_API_PATHS

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
    "registration": "/api/oidc/{app}/register",  # RFC 7591, as the hub's metadata lists
    "registration_client": "/api/oidc/{app}/register/<client_id>",  # RFC 7592
    "device_authorization": "/service/oidc/{app}/device/authorize",
    "device": "/service/oidc/{app}/device",  # the user code page (its path is not published)
    "login": "/service/oidc/{app}/interaction/login",
    "consent": "/service/oidc/{app}/interaction/consent",
    "home": "/",
    **IDENTITY_API_PATHS,
}

SCENARIO: dict[str, Any] = {
    "path_params": {"app": "myapp"},
    "quirks": {
        # An unserved path answers the envelope with an ErrorCode: LoginRadius's SDKs read
        # a body without one as data.
        "not_found_shape": "loginradius",
        "accept_json_body": True,
        "issuer_path": "/service/oidc/{app}",
        "metadata_values": {
            "code_challenge_methods_supported": ["S256"],
            "scopes_supported": ["openid", "email", "phone", "profile", "address"],
            # What the captured metadata advertises (mockidp accepts more; it lists this).
            "grant_types_supported": [
                "authorization_code",
                "refresh_token",
                "urn:ietf:params:oauth:grant-type:device_code",
            ],
            "response_modes_supported": ["query", "form_post", "fragment"],
            "token_endpoint_auth_methods_supported": [
                "none",
                "client_secret_post",
                "client_secret_basic",
            ],
            "revocation_endpoint_auth_methods_supported": [
                "none",
                "client_secret_post",
                "client_secret_basic",
            ],
            "token_endpoint_auth_signing_alg_values_supported": ["RS256"],
        },
    },
}
