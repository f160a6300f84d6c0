"""The JSON Schema of the rule sections, ``faults`` and ``broken_tokens``: one ``match``
and one ``when`` for both, as one rule engine reads them
(:mod:`mockidp.oauth.scripted.rules`)."""

from __future__ import annotations

from mockidp.model.scenario import TOKEN_DEFECTS
from mockidp.scenario.schema_parts import COUNT as _COUNT
from mockidp.scenario.schema_parts import NAME as _NAME
from mockidp.scenario.schema_parts import object_schema as _object
from mockidp.scenario.schema_parts import one_or_many as _one_or_many

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
    "Which requests a rule is about; absent keys match anything, a list matches any of its "
    "values. Every key means the same in faults and broken_tokens.",
    {
        "endpoint": {
            **_one_or_many(_NAME),
            "description": "The endpoint called (token, authorization, userinfo, jwks, ...); "
            "tokens are issued by token, or by authorization (implicit and hybrid).",
        },
        "grant_type": {
            **_one_or_many(_NAME),
            "description": "The token request's grant_type; the authorization endpoint's "
            "tokens have grant type implicit.",
        },
        "client_id": {
            **_one_or_many(_NAME),
            "description": "The client: the one calling, else the one the login page, code "
            "or token presented is for.",
        },
        "user": {
            **_one_or_many(_NAME),
            "description": "The user, named as a login names one: a listed user's sub, "
            "username or email. The user is the one a request names (username, login_hint), "
            "else the one behind its code, token or session.",
        },
        "scope": {
            **_one_or_many(_NAME),
            "description": "Any of these scopes is asked for, or carried by the code or "
            "token presented (or granted to the tokens issued).",
        },
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
            "truncate_body, content_type, drop_connection, redirect_state; latency_ms may "
            "go with any.",
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
                "redirect_state": {
                    "enum": ["other", "absent"],
                    "description": "The real answer, but a redirect's state parameter "
                    "(query or fragment) replaced by another value (other) or left out "
                    "(absent): the authorization response's, RP-initiated logout's.",
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
