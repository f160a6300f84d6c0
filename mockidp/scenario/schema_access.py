"""The scenario schema's parts about access: users' roles and groups, clients' app roles
and loopback ports, role permissions and Client ID Metadata Documents (schema.py uses them)."""

from __future__ import annotations

from typing import Any

_NAME = {"type": "string", "minLength": 1, "maxLength": 512}
_NAMES = {"type": "array", "items": _NAME, "uniqueItems": True}


def _object(description: str, properties: dict[str, Any]) -> dict[str, Any]:
    return {
        "type": "object",
        "description": description,
        "additionalProperties": False,
        "properties": properties,
    }


USER_ACCESS: dict[str, Any] = {
    "roles": {
        **_NAMES,
        "description": "Roles the user holds; the preset puts them where its vendor does "
        "(generic: roles; keycloak: realm_access.roles; entra: roles; auth0: the "
        "namespaced roles claim and, through role_permissions, permissions).",
    },
    "groups": {
        **_NAMES,
        "description": "Groups the user is in (generic, entra, okta: groups; cognito: "
        "cognito:groups).",
    },
    "client_roles": {
        "type": "object",
        "additionalProperties": _NAMES,
        "description": "Roles the user holds in one client: client_id -> roles "
        "(keycloak: resource_access.{client_id}.roles).",
    },
}

CLIENT_ACCESS: dict[str, Any] = {
    "roles": {
        **_NAMES,
        "description": "App roles granted to the client itself: its own tokens (client "
        "credentials) carry them where the preset's vendor puts them.",
    },
    "loopback_ports": {
        "type": "boolean",
        "description": "A listed http loopback redirect URI also matches on any other "
        "port, the rest exactly (RFC 8252 7.3; dynamically registered native clients).",
    },
}

SCENARIO_ACCESS: dict[str, Any] = {
    "registration": _object(
        "Dynamic client registration (RFC 7591, RFC 7592) at the registration "
        "endpoint; switch it off with endpoints: {registration: null}.",
        {
            "initial_access_token": {
                "type": "string",
                "minLength": 1,
                "description": "Registration needs 'Authorization: Bearer <this>' "
                "(RFC 7591 3); absent: open registration.",
            },
            "any_scope": {
                "type": "boolean",
                "description": "Registered clients may ask for any known scope, "
                "not only those they registered (an SDK's step-up).",
            },
        },
    ),
    "client_metadata_documents": _object(
        "OAuth Client ID Metadata Documents: an https client_id is the URL of the "
        "client's metadata document (docs/mcp.md).",
        {
            "enabled": {
                "type": "boolean",
                "description": "Accept such client_ids, and say so in discovery "
                "(default: true for the generic layout, false for vendor presets).",
            },
            "allow_loopback": {
                "type": "boolean",
                "description": "Fetch documents from loopback and private addresses, "
                "trusting the serve --tls CA too (default true: for tests).",
            },
            "documents": {
                "type": "object",
                "additionalProperties": {"type": "object"},
                "description": "URL -> document, used without fetching (in-process).",
            },
        },
    ),
    "role_permissions": {
        "type": "object",
        "additionalProperties": _NAMES,
        "description": "What each role allows: role -> permissions (auth0: a user's "
        "roles' permissions are the access token's permissions).",
    },
}
