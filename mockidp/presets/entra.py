"""entra: Microsoft Entra ID v2.0 endpoints for one tenant (providers.md).

``/{tenant}/oauth2/v2.0/{authorize,token,logout}``, keys at
``/{tenant}/discovery/v2.0/keys``, discovery at ``/{tenant}/v2.0/.well-known/...``;
the issuer is ``{origin}/{tenant}/v2.0``. ID tokens carry ``tid`` and ``ver``, and
``oid`` for users that have one; subjects are pairwise, as Entra's are.
"""

from __future__ import annotations

from typing import Any

NAME = "entra"
DESCRIPTION = "Microsoft Entra ID: /{tenant}/oauth2/v2.0/{authorize,token,logout}, tid claims"
TENANT = "9188040d-6c67-4c5b-b112-36a304b66dad"
PATHS = {
    "discovery": "/{tenant}/v2.0/.well-known/openid-configuration",
    "jwks": "/{tenant}/discovery/v2.0/keys",
    "authorization": "/{tenant}/oauth2/v2.0/authorize",
    "token": "/{tenant}/oauth2/v2.0/token",
    "end_session": "/{tenant}/oauth2/v2.0/logout",
    # Entra's userinfo is Microsoft Graph's (graph.microsoft.com/oidc/userinfo).
    "userinfo": "/oidc/userinfo",
    "login": "/{tenant}/login",
    "consent": "/{tenant}/consent",
    "home": "/",
}
GRAPH = "https://graph.microsoft.com"
# Microsoft Graph's common delegated permissions, known without configuration.
GRAPH_SCOPES = [
    "User.Read",
    "User.ReadBasic.All",
    "User.Read.All",
    "User.ReadWrite",
    "Mail.Read",
    "Mail.ReadWrite",
    "Mail.Send",
    "Calendars.Read",
    "Calendars.ReadWrite",
    "Contacts.Read",
    "Files.Read",
    "Files.ReadWrite",
    "Files.Read.All",
    "Files.ReadWrite.All",
    "Sites.Read.All",
    "Group.Read.All",
    "Directory.Read.All",
    "People.Read",
    "Presence.Read",
    "Tasks.ReadWrite",
    "Chat.Read",
    "Team.ReadBasic.All",
]
OID = "{oid|sub_uuid}"  # a user's oid claim, else a GUID stable per user
SCENARIO: dict[str, Any] = {
    "path_params": {"tenant": TENANT},
    "subject_type": "pairwise",
    "quirks": {
        "issuer_path": "/{tenant}/v2.0",
        "id_token_claims": {"tid": "{tid}", "ver": "2.0", "oid": OID},
        "claim_defaults": {"tid": TENANT},
        "access_token_typ": "JWT",
        "access_token_claims": {"tid": "{tid}", "ver": "2.0", "azp": "{client_id}", "oid": OID},
        # scp and roles (and groups), no scope or client_id; roles and groups in ID tokens
        "access_token_shape": "entra",
        # api://{app}/.default, Graph's User.Read; a refresh token serves any of them.
        "resource_scopes": {GRAPH: GRAPH_SCOPES, "api://{client_id}": ["*"]},
        "default_scope_resource": GRAPH,
        "refresh_any_scope": True,
        "client_info": {"uid": OID, "utid": "{tid}"},
    },
}
