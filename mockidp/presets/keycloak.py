"""keycloak: a Keycloak realm (providers.md): /realms/{realm}/protocol/openid-connect/...

The issuer is ``{origin}/realms/{realm}`` (realm ``mockidp`` unless path_params says
otherwise) and discovery lives under it.
"""

from __future__ import annotations

from typing import Any

NAME = "keycloak"
DESCRIPTION = "Keycloak: /realms/{realm}/protocol/openid-connect/{auth,token,userinfo,certs,...}"
_REALM = "/realms/{realm}"
_OIDC = _REALM + "/protocol/openid-connect"
PATHS = {
    "discovery": _REALM + "/.well-known/openid-configuration",
    "jwks": _OIDC + "/certs",
    "authorization": _OIDC + "/auth",
    "token": _OIDC + "/token",
    "userinfo": _OIDC + "/userinfo",
    "realm_info": _REALM,  # the realm document: public_key (python-keycloak)
    "introspection": _OIDC + "/token/introspect",
    "revocation": _OIDC + "/revoke",
    "end_session": _OIDC + "/logout",
    # keycloak-js's checkLoginIframe: discovery's check_session_iframe, its origin
    # check, and the 3p-cookies pages (mockidp.http.vendors.keycloak)
    "check_session": _OIDC + "/login-status-iframe.html",
    "login_status_init": _OIDC + "/login-status-iframe.html/init",
    "third_party_cookies_step1": _OIDC + "/3p-cookies/step1.html",
    "third_party_cookies_step2": _OIDC + "/3p-cookies/step2.html",
    "login": _REALM + "/login-actions/authenticate",
    "consent": _REALM + "/login-actions/consent",
    "home": "/",
}
SCENARIO: dict[str, Any] = {
    "path_params": {"realm": "mockidp"},
    # A realm's defaults: a refresh token with every code, access tokens for 5 minutes,
    # refresh tokens for the SSO session's 30 idle minutes.
    "refresh_tokens": "always",
    "lifetimes": {"access_token": 300, "refresh_token": 1800},
    "quirks": {
        "issuer_path": _REALM,
        "access_token_typ": "JWT",
        "token_response_extras": ["refresh_expires_in", "not-before-policy", "session_state"],
        # A client's default client scopes come with every request (userinfo has them).
        "default_scopes": ["profile", "email"],
        "logout_refresh_token": True,
        "refresh_token_jwt": True,
        "access_token_sid": True,
        "credentialed_cors": True,
        "keycloak_login_status": True,
        # realm_access, resource_access, allowed-origins, the profile and email claims
        "access_token_shape": "keycloak",
        "access_token_claims": {
            "typ": "Bearer",
            "azp": "{client_id}",
            "preferred_username": "{username}",
        },
    },
}
