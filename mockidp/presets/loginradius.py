"""loginradius: LoginRadius's legacy cloud-api OIDC layout (reference 003; examples/loginradius-*).

Token and revocation take JSON bodies (as documented) as well as forms and Basic; GUID
access and refresh tokens with ``token_type: access_token``; UserInfo answers a
JSON-quoted signed JWT; ``state`` is required. The path names come from ``path_params``
(``sitename``, ``oidcappname``).
"""

from __future__ import annotations

from typing import Any

NAME = "loginradius"
DESCRIPTION = "LoginRadius legacy: /sso/oidc/v2/{oidcappname}/token, JSON bodies, GUID tokens"

# LoginRadius's identity API, the token part its SDKs call with the OIDC flow's access
# token (mockidp/oauth/loginradius_identity.py); on api.loginradius.com, here on the origin.
IDENTITY_API_PATHS = {
    "identity_validate": "/identity/v2/auth/access_token/validate",
    "identity_invalidate": "/identity/v2/auth/access_token/invalidate",
    "identity_token_info": "/identity/v2/auth/access_token",
    "identity_account": "/identity/v2/auth/account",
    "identity_refresh": "/identity/v2/manage/account/access_token/refresh",
    "identity_revoke_refresh": "/identity/v2/manage/account/access_token/refresh/revoke",
}

PATHS = {
    "discovery": "/sso/oidc/v2/{sitename}/{oidcappname}/.well-known/openid-configuration",
    "jwks": "/sso/oidc/v2/{sitename}/{oidcappname}/jwks",
    "userinfo": "/sso/oidc/v2/{sitename}/{oidcappname}/userinfo",
    "authorization": "/sso/oidc/v2/{oidcappname}/authorize",
    "token": "/sso/oidc/v2/{oidcappname}/token",
    "revocation": "/sso/oidc/v2/{oidcappname}/token/revoke",
    # The hosted logout page (auth.aspx?action=logout&return_url=...); not in discovery.
    "end_session": "/auth.aspx",
    "login": "/sso/oidc/v2/{oidcappname}/interaction/login",
    "consent": "/sso/oidc/v2/{oidcappname}/interaction/consent",
    "home": "/",
    **IDENTITY_API_PATHS,
}

# LoginRadius's wording of token endpoint refusals (providers.md). A wrong secret is
# unauthorized_client there, not invalid_client.
ERROR_MESSAGES: dict[str, dict[str, str]] = {
    "client_unknown": {"description": "The client_id is not valid, check your client_id again"},
    "client_secret": {
        "error": "unauthorized_client",
        "description": "The client_secret is not valid, check your client_secret again",
    },
    "code_expired": {"description": "The code has been expired"},
    "code_used": {"description": "The code is already used"},
    "refresh_token": {"description": "The refresh_token is not valid"},
}

# Its envelope's ErrorCode numbers ("SSO API codes"), with the HTTP status where known.
ENVELOPE_CODES: dict[str, dict[str, int]] = {
    "code_expired": {"ErrorCode": 2005, "status": 401},
    "code_used": {"ErrorCode": 2007, "status": 401},
    "code_client": {"ErrorCode": 2007, "status": 401},
    "redirect_uri": {"ErrorCode": 2014, "status": 401},
    "invalid_request": {"ErrorCode": 2008},
    "invalid_client": {"ErrorCode": 2009, "status": 401},
    "invalid_grant": {"ErrorCode": 2010},
    "unauthorized_client": {"ErrorCode": 2011, "status": 403},
    "unsupported_grant_type": {"ErrorCode": 2012},
    "invalid_scope": {"ErrorCode": 2013},
}

SCENARIO: dict[str, Any] = {
    "path_params": {"sitename": "mysite", "oidcappname": "myapp"},
    "access_token_format": "opaque",
    "access_token_template": "{guid}",
    "refresh_token_template": "{guid}",
    "refresh_tokens": "always",
    "keys": [{"packaged": "rsa-1", "kid": "206"}],
    # The document's token and refresh responses both say expires_in 394; it does not
    # say why, so the preset issues access tokens for that long (override in lifetimes).
    "lifetimes": {"access_token": 394, "id_token": 600},
    "quirks": {
        # An unserved path answers the envelope with an ErrorCode: LoginRadius's SDKs read
        # a body without one as data.
        "not_found_shape": "loginradius",
        "accept_json_body": True,
        "revocation_json": True,
        "token_type": "access_token",
        "token_response_scope": False,
        "userinfo_format": "jwt_string",
        "userinfo_lifetime": 600,
        "userinfo_all_claims": True,
        "userinfo_uid_claim": "Uid",
        "require_state": True,
        "require_openid_scope": True,
        "issuer_path": "/sso/oidc/v2/{sitename}/{oidcappname}",
        "token_redirect_uri_optional": True,
        "end_session_redirect_param": "return_url",
        "end_session_site_wide": True,
        "error_messages": ERROR_MESSAGES,
        "envelope_codes": ENVELOPE_CODES,
        "metadata_members": [
            "issuer",
            "authorization_endpoint",
            "token_endpoint",
            "revocation_endpoint",
            "userinfo_endpoint",
            "jwks_uri",
            "scopes_supported",
            "response_types_supported",
            "response_modes_supported",
            "subject_types_supported",
            "token_endpoint_auth_methods_supported",
            "id_token_signing_alg_values_supported",
            "claims_supported",
        ],
        "metadata_values": {
            "scopes_supported": ["openid"],
            "response_types_supported": [
                "code",
                "token",
                "id_token",
                "code token",
                "code id_token",
                "token id_token",
                "code token id_token",
            ],
            "response_modes_supported": ["query", "form_post"],
            "subject_types_supported": ["public"],
            "token_endpoint_auth_methods_supported": ["client_secret_post"],
            "claims_supported": [
                "Email",
                "FirstName",
                "LastName",
                "UserName",
                "Country",
                "Favicon",
            ],
        },
    },
}
