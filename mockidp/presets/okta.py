"""okta: an Okta custom authorization server (providers.md): /oauth2/{auth_server}/v1/...

The issuer is ``{origin}/oauth2/{auth_server}`` (``default`` unless path_params says
otherwise); both metadata documents live under it.
"""

from __future__ import annotations

from typing import Any

NAME = "okta"
DESCRIPTION = "Okta: /oauth2/{auth_server}/v1/{authorize,token,userinfo,keys,logout,...}"
_BASE = "/oauth2/{auth_server}"
PATHS = {
    "discovery": _BASE + "/.well-known/openid-configuration",
    "oauth_metadata": _BASE + "/.well-known/oauth-authorization-server",
    "jwks": _BASE + "/v1/keys",
    "authorization": _BASE + "/v1/authorize",
    "token": _BASE + "/v1/token",
    "userinfo": _BASE + "/v1/userinfo",
    "introspection": _BASE + "/v1/introspect",
    "revocation": _BASE + "/v1/revoke",
    "end_session": _BASE + "/v1/logout",
    "login": "/login/interaction/login",
    "consent": "/login/interaction/consent",
    "home": "/",
}
SCENARIO: dict[str, Any] = {
    "path_params": {"auth_server": "default"},
    "quirks": {
        "issuer_path": _BASE,
        "access_token_claims": {"cid": "{client_id}"},
        # scp (an array), uid, ver, groups; no scope or client_id (Okta's token reference)
        "access_token_shape": "okta",
        # A custom authorization server's default audience (the default server: api://default).
        "access_token_audience": "api://{auth_server}",
    },
}
