"""permiso: the /oauth/... layout of Permiso (reference 004; the same as Auth0's)."""

from __future__ import annotations

from typing import Any

NAME = "permiso"
DESCRIPTION = (
    "Permiso: /oauth/authorize, /oauth/token, /oauth/userinfo, /oauth/logout, /oauth/device/code"
)
PATHS = {
    "discovery": "/.well-known/openid-configuration",
    "jwks": "/.well-known/jwks.json",
    "authorization": "/oauth/authorize",
    "token": "/oauth/token",
    "userinfo": "/oauth/userinfo",
    "end_session": "/oauth/logout",
    "device_authorization": "/oauth/device/code",
    "device": "/activate",  # the user code page (Auth0's path; reference 004 names none)
    "login": "/interaction/login",
    "consent": "/interaction/consent",
    "home": "/",
}
SCENARIO: dict[str, Any] = {}
