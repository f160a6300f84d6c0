"""The JSON Schema of scenario files: the one definition the loader validates against.

``mockidp schema`` prints it so editors can complete and check scenario files.
"""

from __future__ import annotations

from mockidp.keys import SIGNING_ALGORITHMS
from mockidp.scenario import AUTH_METHODS, GRANT_TYPES
from mockidp.types import JSONObject

_NAME = {"type": "string", "minLength": 1, "maxLength": 512}
_URI = {"type": "string", "minLength": 1, "maxLength": 2048}
_SECONDS = {"type": "integer", "minimum": 1, "maximum": 10 * 365 * 24 * 3600}

USER_SCHEMA: JSONObject = {
    "type": "object",
    "description": "A person who can sign in.",
    "additionalProperties": False,
    "required": ["sub"],
    "properties": {
        "sub": {**_NAME, "description": "The subject identifier, unique per user."},
        "username": {
            **_NAME,
            "description": "Login name (defaults to sub); login_hint matches it.",
        },
        "password": {"type": "string", "description": "For the password grant and the login page."},
        "claims": {
            "type": "object",
            "description": "Any claims: standard (name, email, address, ...) or custom, any JSON type.",
            "not": {"required": ["sub"]},
        },
    },
}

CLIENT_SCHEMA: JSONObject = {
    "type": "object",
    "description": "A registered relying party.",
    "additionalProperties": False,
    "required": ["client_id"],
    "properties": {
        "client_id": _NAME,
        "client_secret": {"type": "string", "minLength": 1},
        "name": {"type": "string"},
        "redirect_uris": {"type": "array", "items": _URI},
        "post_logout_redirect_uris": {"type": "array", "items": _URI},
        "grant_types": {"type": "array", "items": {"enum": list(GRANT_TYPES)}, "uniqueItems": True},
        "token_endpoint_auth_method": {"enum": list(AUTH_METHODS)},
        "scopes": {
            "type": "array",
            "items": _NAME,
            "description": "Scopes this client may request (default: all the scenario's).",
        },
        "loopback_redirects": {
            "type": "boolean",
            "description": "Also accept any http loopback redirect URI, any port (RFC 8252 7.3).",
        },
        "require_pkce": {"type": "boolean", "description": "Always true for public clients."},
        "jwks": {
            "type": "object",
            "required": ["keys"],
            "properties": {"keys": {"type": "array", "items": {"type": "object"}}},
            "description": "Public keys for private_key_jwt client authentication.",
        },
        "access_token_audience": {
            "type": "string",
            "description": "The aud of this client's JWT access tokens (default: the client_id).",
        },
    },
}

LIFETIMES_SCHEMA: JSONObject = {
    "type": "object",
    "description": "Seconds each artefact lives.",
    "additionalProperties": False,
    "properties": {
        name: _SECONDS
        for name in ("code", "access_token", "id_token", "refresh_token", "session", "interaction")
    },
}

SCENARIO_SCHEMA: JSONObject = {
    "$schema": "https://json-schema.org/draft/2020-12/schema",
    "$id": "https://mockidp.dev/schema/scenario.json",
    "title": "mockidp scenario",
    "type": "object",
    "additionalProperties": False,
    "properties": {
        "issuer": {
            "type": "string",
            "description": "Fixed issuer URL; when absent it is derived from each request's origin.",
        },
        "signing_alg": {"enum": list(SIGNING_ALGORITHMS)},
        "login": {
            "enum": ["auto", "page"],
            "description": "auto: login_hint or the default user signs in at once; page: always ask.",
        },
        "consent": {"enum": ["auto", "page"], "description": "auto: approve; page: ask the user."},
        "default_user": {
            **_NAME,
            "description": "sub or username of the user who signs in by default.",
        },
        "refresh_tokens": {
            "enum": ["offline_access", "always", "never"],
            "description": "When a refresh token is issued.",
        },
        "refresh_rotation": {"type": "boolean"},
        "refresh_reuse_detection": {
            "type": "boolean",
            "description": "Reusing a rotated refresh token revokes the whole grant.",
        },
        "scopes": {
            "type": "array",
            "items": _NAME,
            "description": "Every scope the provider knows (standard ones are always included).",
        },
        "lifetimes": LIFETIMES_SCHEMA,
        "clients": {"type": "array", "items": CLIENT_SCHEMA},
        "users": {"type": "array", "items": USER_SCHEMA},
    },
}
