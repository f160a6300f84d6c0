"""google: Google's OpenID Connect layout on one origin (providers.md).

Authorize ``/o/oauth2/v2/auth``, token ``/token``, userinfo ``/v1/userinfo``, keys
``/oauth2/v3/certs``, revoke ``/revoke`` (the real token, userinfo and keys endpoints
are on other Google hosts); no end session and no introspection.
"""

from __future__ import annotations

from typing import Any

NAME = "google"
DESCRIPTION = "Google: /o/oauth2/v2/auth, /token, /v1/userinfo, /oauth2/v3/certs, no end session"
PATHS = {
    "discovery": "/.well-known/openid-configuration",
    "jwks": "/oauth2/v3/certs",
    "authorization": "/o/oauth2/v2/auth",
    "token": "/token",
    "userinfo": "/v1/userinfo",
    "revocation": "/revoke",
    "login": "/signin/interaction/login",
    "consent": "/signin/interaction/consent",
    "home": "/",
}
SCENARIO: dict[str, Any] = {
    # Google apps ask for refresh tokens with access_type=offline, never offline_access.
    "quirks": {"access_type_offline": True},
}
