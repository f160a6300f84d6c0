"""superoffice: SuperOffice's SuperID (references 000, 001; examples/superoffice-*.json).

Issuer the bare origin while discovery lives under /login (the mismatch is reproduced),
tokens (plural) endpoint taking the query string, proprietary ``8A:{ctx}.{blob}``
access tokens, non-rotating refresh tokens, RS256 ID tokens with ``x5t`` and string
claims under ``http://schemes.superoffice.net/identity/``, no userinfo.
"""

from __future__ import annotations

from typing import Any

NAME = "superoffice"
DESCRIPTION = "SuperOffice (SuperID): /login/common/oauth/..., 8A: tokens, x5t ID tokens"
SCHEMES = "http://schemes.superoffice.net/identity/"

# The enums of currentPrincipal's members, as the vendor's own client parses them
# (@superoffice/webapi 12.4 Enums.ts; its converter drops any other value). A user's
# current_principal claim is checked against them at load.
PRINCIPAL_ENUMS: dict[str, tuple[str, ...]] = {
    "UserType": (
        "Unknown",
        "InternalAssociate",
        "ResourceAssociate",
        "ExternalAssociate",
        "AnonymousAssociate",
        "SystemAssociate",
    ),
    "RoleType": ("Employee", "ExternalUser", "Anonymous", "System"),
    "EjUserStatus": (
        "StatusNone",
        "StatusNormal",
        "StatusNotAvailable",
        "StatusDeleted",
        "StatusReadOnly",
        "StatusSpm",
        "StatusSystem",
    ),
}

PATHS = {
    "discovery": "/login/.well-known/openid-configuration",
    "jwks": "/login/.well-known/jwks",
    "authorization": "/login/common/oauth/authorize",
    "token": "/login/common/oauth/tokens",
    "revocation": "/login/common/oauth/revoke",
    "end_session": "/login/logout",
    "authorization_tenant": "/login/<tenant>/oauth/authorize",
    "current_principal": "/<ctx>/api/v1/User/currentPrincipal",
    "system_user": "/Login/api/PartnerSystemUser/Authenticate",
    "login": "/login/interaction/login",
    "consent": "/login/interaction/consent",
    "home": "/",
}

SCENARIO: dict[str, Any] = {
    "access_token_format": "opaque",
    # Old clients read the tenant between the 3-character "8A:" and the first ".".
    "access_token_template": "8A:{ctx}.{random:base64:112}==",
    "refresh_token_template": "{random:alnum:49}",
    "refresh_tokens": "always",
    "refresh_rotation": False,
    "lifetimes": {"access_token": 3600, "id_token": 300, "refresh_token": 365 * 24 * 3600},
    "quirks": {
        "merge_query_into_body": True,
        # Its web servers ignore case: clients call /{ctx}/api/v1/user/currentPrincipal.
        "case_insensitive_paths": True,
        # Its samples send redirect_url (sic) and no redirect_uri, and work.
        "token_redirect_uri_optional": True,
        "token_response_scope": False,
        "x509_keys": True,
        "id_token_nbf_offset": -60,
        "id_token_omit": ["at_hash", "auth_time", "sid"],
        "id_token_sub_claim": "email",
        "id_token_claims": {
            SCHEMES + "associateid": "{associateid}",
            SCHEMES + "identityprovider": "{identityprovider}",
            SCHEMES + "email": "{email}",
            SCHEMES + "upn": "{email}",
            SCHEMES + "is_administrator": "{is_administrator}",
            SCHEMES + "ctx": "{ctx}",
            SCHEMES + "company_name": "{company_name}",
            SCHEMES + "serial": "{serial}",
            SCHEMES + "netserver_url": "{origin}/{ctx}/Remote/Services88/",
            SCHEMES + "webapi_url": "{origin}/{ctx}/api/",
            SCHEMES + "system_token": "{system_token}",
            SCHEMES + "initials": "{initials}",
            SCHEMES + "so_primary_email_address": "{email}",
        },
        "claim_defaults": {
            "associateid": "5",
            "identityprovider": "central-superid",
            "is_administrator": "True",
            "ctx": "Cust12345",
            "company_name": "mockidp Test Company",
            "serial": "1801550193",
            "initials": "MI",
        },
        "issuer_template": "https://{environment}.superoffice.com",
        "environments": ["sod", "qaonline", "online"],
        "end_session_redirect_param": "redirect_uri",
        "tenant_acr_prefix": "tenant:",
        # Its error-codes page: "Authorization error: InvalidRedirectUrl (2)".
        "error_messages": {
            "authorize_redirect_uri": {
                "error": "InvalidRedirectUrl",
                "description": "Authorization error: InvalidRedirectUrl (2)",
            },
        },
        "code_template": "{random:alnum:64}",
        "metadata_members": [
            "issuer",
            "authorization_endpoint",
            "token_endpoint",
            "end_session_endpoint",
            "jwks_uri",
            "scopes_supported",
            "response_modes_supported",
            "response_types_supported",
            "subject_types_supported",
            "id_token_signing_alg_values_supported",
            "token_endpoint_auth_methods_supported",
            "grant_types_supported",
            "revocation_endpoint",
        ],
        "metadata_values": {
            "scopes_supported": ["openid"],
            "response_modes_supported": ["form_post", "fragment", "query"],
            "response_types_supported": [
                "code",
                "id_token",
                "code id_token",
                "token id_token",
                "token",
            ],
            "subject_types_supported": ["public"],
            "token_endpoint_auth_methods_supported": ["client_secret_post", "client_secret_basic"],
            "grant_types_supported": ["implicit", "authorization_code", "refresh_token"],
        },
    },
}
