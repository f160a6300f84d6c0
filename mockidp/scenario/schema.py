"""The JSON Schema of scenario files: the one definition the loader validates against.

``mockidp schema`` prints it so editors can complete and check scenario files.
Cross-references (a signing key that must exist, a client a rule names) are checked by
the loader after the schema, since JSON Schema cannot express them.
"""

from __future__ import annotations

from typing import Any

from mockidp.keys.material import SIGNING_ALGORITHMS
from mockidp.model.quirks import QUIRKS_SCHEMA
from mockidp.model.response_types import RESPONSE_TYPE_SPELLINGS
from mockidp.model.scenario import AUTH_METHODS, GRANT_TYPES, PACKAGED_KEYS, TOKEN_DEFECTS
from mockidp.presets import PRESETS
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
            "request_uri",
            "device_code",
            "refresh_token_absolute",
        )
    },
)

DEVICE_SCHEMA = _object(
    "The device authorization grant (RFC 8628): who answers, and the codes' shape.",
    {
        "decision": {
            "enum": ["page", "approve", "deny"],
            "description": "page: the user answers on the verification page; approve / deny: "
            "the scenario answers by itself, at the poll after after_polls pending ones.",
        },
        "after_polls": {
            "type": "integer",
            "minimum": 0,
            "description": "Polls answered authorization_pending before approve / deny.",
        },
        "user": {**_NAME, "description": "Who approves (default: default_user)."},
        "interval": {
            "type": "integer",
            "minimum": 0,
            "maximum": 3600,
            "description": "Seconds between polls (default 5); closer polls get slow_down "
            "and the interval grows by 5 s. 0: never slow_down.",
        },
        "user_code_alphabet": {
            "enum": ["consonants", "digits"],
            "description": "consonants: BCDFGHJKLMNPQRSTVWXZ (RFC 8628 6.1); digits: 0-9.",
        },
        "user_code_length": {"type": "integer", "minimum": 4, "maximum": 32},
        "verification_uri_complete": {
            "type": "boolean",
            "description": "Send verification_uri_complete (the URI with the user code).",
        },
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
        "response_types": {
            "type": "array",
            "items": {"enum": list(RESPONSE_TYPE_SPELLINGS)},
            "uniqueItems": True,
            "description": "Response types this client may use (default: [code]); those with "
            "code need the authorization_code grant type, those with token or id_token implicit.",
        },
        "require_pushed_authorization_requests": {
            "type": "boolean",
            "description": "Authorization requests must come through PAR (RFC 9126).",
        },
        "device": {
            **DEVICE_SCHEMA,
            "description": "This client's device flow (keys override the scenario's device).",
        },
        "userinfo_signed_response_alg": {
            "enum": list(SIGNING_ALGORITHMS),
            "description": "UserInfo answers this client with a JWT signed with the "
            "provider's key (OpenID Connect Registration 2; the key's alg decides).",
        },
        "frontchannel_logout_uri": {
            **_URI,
            "description": "Loaded in an iframe when the user logs out (OpenID Connect "
            "Front-Channel Logout 1.0); same scheme, host and port as a redirect URI.",
        },
        "frontchannel_logout_session_required": {
            "type": "boolean",
            "description": "The front-channel logout URI gets iss and sid query parameters.",
        },
        "backchannel_logout_uri": {
            **_URI,
            "description": "Receives a POSTed logout_token when the user logs out (OpenID "
            "Connect Back-Channel Logout 1.0); an http(s) URI.",
        },
        "backchannel_logout_session_required": {
            "type": "boolean",
            "description": "The Logout Token carries sid (mockidp always includes it).",
        },
        "resources": {
            "type": "array",
            "items": _URI,
            "description": "RFC 8707 resource URIs this client may ask tokens for "
            "(default: the scenario's resources).",
        },
        "dpop_bound_access_tokens": {
            "type": "boolean",
            "description": "Every token request of this client needs a DPoP proof (RFC 9449 5.2).",
        },
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
                    examples=[{"status": 503, "body": "down for maintenance"}],
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
        "token": {"enum": ["id_token", "access_token", "logout_token"]},
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
            "require_pushed_authorization_requests": {
                "type": "boolean",
                "description": "Every authorization request must come through PAR (RFC 9126).",
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
            "refresh_id_token": {
                "type": "boolean",
                "description": "Whether a refresh answers a new ID token (OpenID Connect Core 12.2 "
                "lets a provider leave it out; relying parties must cope).",
            },
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
            "resources": {
                "type": "array",
                "items": _URI,
                "description": "RFC 8707 resource URIs (and RFC 8693 audiences) tokens may be "
                "asked for; absent: any absolute URI. A client's own list replaces it.",
            },
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
                },
            ),
            "dpop": _object(
                "DPoP (RFC 9449) options.",
                {
                    "require_nonce": {
                        "type": "boolean",
                        "description": "Proofs must carry a server nonce (answered "
                        "use_dpop_nonce with a DPoP-Nonce header until they do).",
                    },
                    "nonce_lifetime": {**_SECONDS, "description": "Seconds a nonce stays valid."},
                    "proof_max_age": {
                        **_SECONDS,
                        "description": "How far a proof's iat may lie from now, in seconds.",
                    },
                },
            ),
            "trusted_issuers": {
                "type": "array",
                "description": "Other issuers whose signed JWTs are accepted as RFC 7523 "
                "assertions and as RFC 8693 subject or actor tokens of type jwt.",
                "items": _object(
                    "An issuer and its public keys.",
                    {
                        "issuer": _NAME,
                        "jwks": {
                            "type": "object",
                            "required": ["keys"],
                            "properties": {"keys": {"type": "array", "items": {"type": "object"}}},
                        },
                    },
                    required=["issuer", "jwks"],
                ),
            },
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
            "device": DEVICE_SCHEMA,
            "clients": {"type": "array", "items": CLIENT_SCHEMA},
            "users": {"type": "array", "items": USER_SCHEMA},
        },
    ),
}


# -- for editors: descriptions, defaults, examples ----------------------------------------

_DESCRIPTIONS = {
    "$schema": "The JSON Schema this file follows, for editors (mockidp schema prints it); "
    "mockidp ignores it.",
    "subject_type": "public: sub is the user's; pairwise: a different stable sub per client "
    "(OpenID Connect Core 8.1).",
    "pairwise_salt": "Salt of pairwise subjects: change it to change every pairwise sub.",
    "refresh_rotation": "A refresh answers a new refresh token and retires the old one.",
    "access_token_format": "jwt: signed RFC 9068 access tokens; opaque: random strings "
    "(access_token_template).",
    "refresh_token_template": "Refresh token shape, e.g. {random:base64url:64}.",
    "keys": "Signing keys: packaged test keys by kid (rsa-1, rsa-2, ec-p256-1, ed25519-1) or "
    "private JWKs.",
    "key_rotation": "A timeline of key changes: {after: 60, publish: k2}, "
    "{after: 120, sign_with: k2}, {after: 180, retire: k1}.",
    "faults": "Scripted misbehaviour: which requests (match), which calls (when), and the "
    "answer (respond).",
    "broken_tokens": "Tokens issued damaged (expired, wrong_audience, bad_signature, ...), "
    "matched and picked like faults.",
    "clients": "The relying parties (none when a file gives no clients).",
    "users": "The users who can sign in (none when a file gives no users).",
}


def _describe_and_default(schema: JSONObject) -> None:
    """Descriptions where a key had none, and each simple key's default, taken from the
    model's records (the one source of defaults), for editors' hovers."""
    import msgspec

    from mockidp.model.scenario import Lifetimes, Scenario

    properties: dict[str, Any] = schema["properties"]
    properties["$schema"] = {"type": "string"}
    for name, text in _DESCRIPTIONS.items():
        properties[name] = {**properties[name], "description": text}
    for model, where in ((Scenario, properties), (Lifetimes, LIFETIMES_SCHEMA["properties"])):
        for f in msgspec.structs.fields(model):
            if f.name in where and isinstance(f.default, str | bool | int):
                where[f.name] = {**where[f.name], "default": f.default}


_describe_and_default(SCENARIO_SCHEMA)


def example_of(schema: JSONObject, *, depth: int = 0) -> str:
    """A short example value of ``schema`` in YAML flow style (for "expected ..." hints)."""
    if "examples" in schema:
        return _flow(schema["examples"][0])
    if "const" in schema:
        return _flow(schema["const"])
    if "enum" in schema:
        return " | ".join(str(v) for v in schema["enum"][:3])
    if "oneOf" in schema:
        return example_of(schema["oneOf"][0], depth=depth)
    kind = schema.get("type")
    if kind == "object":
        properties: dict[str, Any] = schema.get("properties", {})
        required = list(schema.get("required", []))
        names = required + [n for n in properties if n not in required]
        if not names or depth > 1:
            return "{key: value}"
        shown = names[: max(len(required), 2)]
        inner = ", ".join(
            f"{n}: {example_of(properties.get(n, {}), depth=depth + 1)}" for n in shown
        )
        return "{" + inner + (", ..." if len(names) > len(shown) else "") + "}"
    if kind == "array":
        return "[" + example_of(schema.get("items", {}), depth=depth + 1) + "]"
    if kind == "integer":
        return str(schema.get("minimum", 1)) if schema.get("minimum", 1) > 0 else "1"
    return {"boolean": "true", "number": "1.5", "string": "text", "null": "null"}.get(
        str(kind), "..."
    )


def _flow(value: Any) -> str:
    """``value`` in YAML flow style: {status: 503, body: down}."""
    if isinstance(value, dict):
        return "{" + ", ".join(f"{k}: {_flow(v)}" for k, v in value.items()) + "}"
    if isinstance(value, list):
        return "[" + ", ".join(_flow(v) for v in value) + "]"
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)
