"""okta-org: Okta's org authorization server (providers.md: "org vs custom").

The issuer is the bare origin (``https://{org}.okta.com``), discovery at
``/.well-known/openid-configuration``, the endpoints under ``/oauth2/v1/``.
"""

from __future__ import annotations

from typing import Any

NAME = "okta-org"
DESCRIPTION = "Okta org authorization server: issuer the origin, /oauth2/v1/{authorize,...}"
PATHS = {
    "discovery": "/.well-known/openid-configuration",
    "oauth_metadata": "/.well-known/oauth-authorization-server",
    "jwks": "/oauth2/v1/keys",
    "authorization": "/oauth2/v1/authorize",
    "token": "/oauth2/v1/token",
    "userinfo": "/oauth2/v1/userinfo",
    "introspection": "/oauth2/v1/introspect",
    "revocation": "/oauth2/v1/revoke",
    "end_session": "/oauth2/v1/logout",
    "login": "/login/interaction/login",
    "consent": "/login/interaction/consent",
    "home": "/",
}
SCENARIO: dict[str, Any] = {
    "quirks": {"access_token_claims": {"cid": "{client_id}"}, "access_token_shape": "okta"}
}
