"""The JSON Schema of scenario files: the one definition the loader validates against.

``mockidp schema`` prints it so editors can complete and check scenario files.
Cross-references (a signing key that must exist, a client a rule names) are checked by
the loader after the schema, since JSON Schema cannot express them.
"""

from __future__ import annotations

from typing import Any

from mockidp.keys import SIGNING_ALGORITHMS
from mockidp.presets import PRESETS
from mockidp.quirks import QUIRKS_SCHEMA
from mockidp.scenario import AUTH_METHODS, GRANT_TYPES, PACKAGED_KEYS, TOKEN_DEFECTS
from mockidp.types import JSONObject

_NAME = {"type": "string", "minLength": 1, "maxLength": 512}
_URI = {"type": "string", "minLength": 1, "maxLength": 2048}
_SECONDS = {"type": "integer", "minimum": 1, "maximum": 10 * 365 * 24 * 3600}
_COUNT = {"type": "integer", "minimum": 1}
_LOGIN = {
    "enum": ["auto", "page", "hint_only"],
    "description": "auto: login_hint or the default user signs in at once; page: always "
    "ask; hint_only: login_hint signs in at once, otherwise ask.",
}
_CONSENT = {"enum": ["auto", "page", "deny"], "description": "auto: approve; page: ask; deny."}


def _one_or_many(item: JSONObject) -> JSONObject:
    return {"oneOf": [item, {"type": "array", "items": item, "minItems": 1}]}


def _object(description: str, properties: dict[str, Any], **extra: Any) -> JSONObject:
    return {
        "type": "object",
        "description": description,
        "additionalProperties": False,
        "properties": properties,
        **extra,
    }


LIFETIMES_SCHEMA = _object(
    "Seconds each artefact lives.",
    {
        name: _SECONDS
        for name in (
            "code",
            "access_token",
            "id_token",
            "refresh_token",
            "session",
            "interaction",
            "device_code",
            "refresh_token_absolute",
        )
    },
)

USER_SCHEMA = _object(
    "A person who can sign in.",
    {
        "sub": {**_NAME, "description": "The subject identifier, unique per user."},
        "username": {
            **_NAME,
            "description": "Login name (defaults to sub); login_hint matches it.",
        },
        "password": {"type": "string", "description": "For the password grant."},
        "claims": {
            "type": "object",
            "description": "Any claims: standard (name, email, address, ...) or custom, any JSON type.",
            "not": {"required": ["sub"]},
        },
        "consent": {
            **_CONSENT,
            "description": "This user's consent decision (overrides the scenario's).",
        },
        "login": {**_LOGIN, "description": "This user's login behaviour when named by login_hint."},
        "lifetimes": LIFETIMES_SCHEMA,
    },
    required=["sub"],
)

CLIENT_SCHEMA = _object(
    "A registered relying party.",
    {
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
        "consent": {
            **_CONSENT,
            "description": "Consent decision for this client (overrides the scenario's).",
        },
        "lifetimes": LIFETIMES_SCHEMA,
    },
    required=["client_id"],
)

CALL_SELECTOR_SCHEMA = _object(
    "Which matching calls (counted from 1) a rule applies to; at most one of nth, every, "
    "from, first, probability. Absent: every matching call.",
    {
        "nth": {**_COUNT, "description": "Only the nth call."},
        "every": {**_COUNT, "description": "Every nth call (n, 2n, 3n, ...)."},
        "from": {**_COUNT, "description": "The nth call and every one after it."},
        "first": {**_COUNT, "description": "The first n calls."},
        "probability": {
            "type": "number",
            "exclusiveMinimum": 0,
            "maximum": 1,
            "description": "Each call with this probability.",
        },
        "seed": {"type": "integer", "description": "Seed of the generator behind probability."},
    },
)

REQUEST_MATCH_SCHEMA = _object(
    "Which requests a rule is about; absent keys match anything.",
    {
        "endpoint": _one_or_many(_NAME),
        "grant_type": _one_or_many(_NAME),
        "client_id": _one_or_many(_NAME),
        "user": _one_or_many(_NAME),
        "scope": _one_or_many(_NAME),
        "params": {
            "type": "object",
            "additionalProperties": {"type": "string"},
            "description": "Parameters that must be present with exactly these values.",
        },
    },
)

FAULT_SCHEMA = _object(
    "A scripted misbehaviour.",
    {
        "name": {"type": "string"},
        "match": REQUEST_MATCH_SCHEMA,
        "when": CALL_SELECTOR_SCHEMA,
        "respond": _object(
            "What to answer instead: one of oauth_error, http_status, malformed_body, "
            "truncate_body, content_type, drop_connection; latency_ms may go with any.",
            {
                "oauth_error": _object(
                    "An OAuth error response.",
                    {
                        "error": _NAME,
                        "description": {"type": "string"},
                        "status": {
                            "type": "integer",
                            "minimum": 400,
                            "maximum": 599,
                            "description": "Default: 401 invalid_client and invalid_token, 403 "
                            "insufficient_scope, 500 server_error, 503 temporarily_unavailable, "
                            "else 400. The authorization endpoint redirects the error instead.",
                        },
                    },
                    required=["error"],
                ),
                "http_status": _object(
                    "A bare HTTP answer.",
                    {
                        "status": {"type": "integer", "minimum": 200, "maximum": 599},
                        "body": {"type": "string"},
                        "content_type": {"type": "string"},
                        "headers": {"type": "object", "additionalProperties": {"type": "string"}},
                    },
                    required=["status"],
                ),
                "latency_ms": {"type": "integer", "minimum": 1, "maximum": 600_000},
                "malformed_body": {
                    "const": True,
                    "description": "Answer a body that is not valid JSON.",
                },
                "truncate_body": {
                    "type": "integer",
                    "minimum": 0,
                    "description": "Cut the real body to this many bytes.",
                },
                "content_type": {
                    "type": "string",
                    "description": "Send the real body with this content type.",
                },
                "drop_connection": {
                    "const": True,
                    "description": "Close the connection without an answer.",
                },
            },
            minProperties=1,
        ),
    },
    required=["respond"],
)

BROKEN_TOKEN_SCHEMA = _object(
    "Issue a token with a defect, to test relying parties' validation.",
    {
        "token": {"enum": ["id_token", "access_token"]},
        "defect": {"enum": list(TOKEN_DEFECTS)},
        "match": REQUEST_MATCH_SCHEMA,
        "when": CALL_SELECTOR_SCHEMA,
    },
    required=["token", "defect"],
)

KEY_SCHEMA = _object(
    "A signing key: a packaged test key by name, or a private JWK.",
    {
        "kid": _NAME,
        "alg": {"enum": list(SIGNING_ALGORITHMS)},
        "packaged": {"enum": list(PACKAGED_KEYS)},
        "jwk": {"type": "object", "required": ["kty"]},
    },
)

ROTATION_STEP_SCHEMA = _object(
    "One step of a key rotation timeline: after N seconds, one action on one key.",
    {
        "after": {"type": "integer", "minimum": 0},
        "publish": _NAME,
        "sign_with": _NAME,
        "retire": _NAME,
    },
    required=["after"],
    minProperties=2,
    maxProperties=2,
)

SCENARIO_SCHEMA: JSONObject = {
    "$schema": "https://json-schema.org/draft/2020-12/schema",
    "$id": "https://mockidp.dev/schema/scenario.json",
    "title": "mockidp scenario",
    **_object(
        "A mockidp scenario: clients, users and behaviour.",
        {
            "issuer": {
                "type": "string",
                "description": "Fixed issuer URL; when absent it is derived from each request's origin.",
            },
            "signing_alg": {
                "enum": list(SIGNING_ALGORITHMS),
                "description": "Signs with the packaged test key for this algorithm; "
                "ignored when keys is given (each key has its alg).",
            },
            "login": _LOGIN,
            "sessions": {
                "type": "boolean",
                "description": "Reuse the browser session (false: sign in every time).",
            },
            "prompt_none": _object(
                "What prompt=none answers when it would need the user.",
                {
                    "login": {"enum": ["login_required", "interaction_required"]},
                    "consent": {"enum": ["consent_required", "interaction_required"]},
                },
            ),
            "consent": _CONSENT,
            "remember_consent": {
                "type": "boolean",
                "description": "An approval covers later requests.",
            },
            "consent_rules": {
                "type": "array",
                "description": "First match wins, before user and client settings.",
                "items": _object(
                    "A consent decision for matching requests.",
                    {
                        "client_id": _NAME,
                        "user": _NAME,
                        "scopes": {"type": "array", "items": _NAME},
                        "decision": _CONSENT,
                    },
                    required=["decision"],
                ),
            },
            "default_user": {
                **_NAME,
                "description": "sub or username of the user who signs in by default.",
            },
            "subject_type": {"enum": ["public", "pairwise"]},
            "pairwise_salt": {"type": "string", "minLength": 1},
            "refresh_tokens": {
                "enum": ["offline_access", "always", "never"],
                "description": "When a refresh token is issued.",
            },
            "refresh_rotation": {"type": "boolean"},
            "refresh_reuse_detection": {
                "type": "boolean",
                "description": "Reusing a rotated refresh token revokes the whole grant.",
            },
            "access_token_format": {"enum": ["jwt", "opaque"]},
            "access_token_template": {
                "type": "string",
                "description": "Opaque token shape, e.g. 8A:{ctx}.{random:base64:64}.",
            },
            "refresh_token_template": {"type": "string"},
            "scopes": {
                "type": "array",
                "items": _NAME,
                "description": "Every scope the provider knows (standard ones are always included).",
            },
            "lifetimes": LIFETIMES_SCHEMA,
            "endpoints": {
                "type": "object",
                "description": "Move an endpoint (a path) or switch it off (null).",
                "additionalProperties": {
                    "oneOf": [{"type": "string", "pattern": "^/"}, {"type": "null"}]
                },
            },
            "clock": _object(
                "The provider's clock when the scenario is loaded.",
                {
                    "at": {
                        "oneOf": [{"type": "number"}, {"type": "string", "format": "date-time"}],
                        "description": "Epoch seconds or an ISO 8601 date-time with offset.",
                    },
                    "frozen": {"type": "boolean"},
                },
            ),
            "keys": {"type": "array", "items": KEY_SCHEMA, "minItems": 1},
            "signing_key": {
                **_NAME,
                "description": "kid of the key that signs (default: the first).",
            },
            "key_rotation": {"type": "array", "items": ROTATION_STEP_SCHEMA},
            "faults": {"type": "array", "items": FAULT_SCHEMA},
            "broken_tokens": {"type": "array", "items": BROKEN_TOKEN_SCHEMA},
            "preset": {
                "enum": list(PRESETS),
                "description": "The real provider to emulate; its data sits under this "
                "file's keys. Alone, it keeps the default scenario's clients and users.",
            },
            "path_params": {
                "type": "object",
                "additionalProperties": {"type": "string", "pattern": "^[^/{}]+$"},
                "description": "Values of the preset's path placeholders "
                "(loginradius: sitename, oidcappname; superoffice: environment).",
            },
            "quirks": QUIRKS_SCHEMA,
            "clients": {"type": "array", "items": CLIENT_SCHEMA},
            "users": {"type": "array", "items": USER_SCHEMA},
        },
    ),
}
