"""cognito: an Amazon Cognito user pool and its hosted domain (providers.md).

Endpoints ``/oauth2/{authorize,token,userInfo,revoke}`` (capital I) and ``/logout``
(``client_id`` and ``logout_uri``); the issuer, discovery and keys sit under
``/{pool_id}`` (on the real service that part is on another host,
``cognito-idp.{region}.amazonaws.com``). Discovery has no end_session_endpoint.
"""

from __future__ import annotations

from typing import Any

NAME = "cognito"
DESCRIPTION = "Amazon Cognito: /oauth2/{authorize,token,userInfo,revoke}, /logout?logout_uri"
PATHS = {
    "discovery": "/{pool_id}/.well-known/openid-configuration",
    "jwks": "/{pool_id}/.well-known/jwks.json",
    "authorization": "/oauth2/authorize",
    "token": "/oauth2/token",
    "userinfo": "/oauth2/userInfo",
    "revocation": "/oauth2/revoke",
    "end_session": "/logout",
    "login": "/login",
    "consent": "/consent",
    "home": "/",
}
SCENARIO: dict[str, Any] = {
    "path_params": {"pool_id": "us-east-1_mockidp"},
    "quirks": {
        "issuer_path": "/{pool_id}",
        "end_session_redirect_param": "logout_uri",
        # Cognito access tokens name their client and kind, and have no aud.
        "access_token_claims": {"token_use": "access", "username": "{username}"},
        "access_token_omit": ["aud"],
        # cognito:groups (also in ID tokens), version, origin_jti, event_id
        "access_token_shape": "cognito",
        "id_token_claims": {"cognito:username": "{username}", "token_use": "id"},
        "metadata_members": [
            "authorization_endpoint",
            "id_token_signing_alg_values_supported",
            "issuer",
            "jwks_uri",
            "response_types_supported",
            "revocation_endpoint",
            "scopes_supported",
            "subject_types_supported",
            "token_endpoint",
            "token_endpoint_auth_methods_supported",
            "userinfo_endpoint",
        ],
    },
}
