"""The OpenAPI 3.1 document of the test-control API, built from its route table.

Built from :data:`mockidp.control.routes.ROUTES`, so it lists exactly the operations the
API serves. The scenario, user, client and fault schemas are the scenario format's
own (:mod:`mockidp.scenario.schema`).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from mockidp.control.base import PREFIX, Route
from mockidp.distribution import installed_version
from mockidp.scenario.schema import CLIENT_SCHEMA, FAULT_SCHEMA, SCENARIO_SCHEMA, USER_SCHEMA
from mockidp.types import JSONObject

_NUMBER = {"type": "number"}
_STRING = {"type": "string"}
_INSTANT = {
    "oneOf": [
        {"type": "number", "minimum": 0, "maximum": 253402300799},
        {"type": "string", "format": "date-time"},
    ],
    "description": "Epoch seconds or an ISO 8601 date-time with offset, 1970 to 9999.",
}


def _ref(name: str) -> JSONObject:
    return {"$ref": f"#/components/schemas/{name}"}


def _object(
    properties: dict[str, Any], *, required: Sequence[str] = (), **extra: Any
) -> JSONObject:
    out: JSONObject = {"type": "object", "properties": properties, **extra}
    if required:
        out["required"] = list(required)
    return out


def _list_of(key: str, item: str) -> JSONObject:
    return _object({key: {"type": "array", "items": _ref(item)}}, required=[key])


_scenario = {k: v for k, v in SCENARIO_SCHEMA.items() if k not in ("$schema", "$id")}

SCHEMAS: dict[str, JSONObject] = {
    "Error": _object(
        {
            "error": _STRING,
            "error_description": _STRING,
            "problems": {
                "type": "array",
                "description": "Every problem of a scenario that did not load.",
                "items": _object(
                    {"location": _STRING, "message": _STRING, "line": {"type": "integer"}},
                    required=["location", "message"],
                ),
            },
        },
        required=["error", "error_description"],
    ),
    "Index": _object(
        {
            "name": _STRING,
            "openapi": _STRING,
            "inspector": _STRING,
            "admin_token_required": {"type": "boolean"},
            "operations": {
                "type": "array",
                "items": _object(
                    {"method": _STRING, "path": _STRING, "summary": _STRING},
                    required=["method", "path", "summary"],
                ),
            },
        },
        required=["name", "openapi", "operations"],
    ),
    "Document": {"type": "object", "description": "An OpenAPI 3.1 document."},
    "Scenario": _scenario,
    "ScenarioPatch": {
        "type": "object",
        "description": "Top-level scenario keys to set; a null value removes the key. "
        "The result must be a valid Scenario.",
        "propertyNames": {"enum": sorted(_scenario["properties"])},
    },
    "User": USER_SCHEMA,
    "UserUpdate": {
        **USER_SCHEMA,
        "required": [],
        "description": "A user; sub defaults to the path's.",
    },
    "Users": _list_of("users", "User"),
    "Client": CLIENT_SCHEMA,
    "ClientUpdate": {
        **CLIENT_SCHEMA,
        "required": [],
        "description": "A client; client_id defaults to the path's.",
    },
    "Clients": _list_of("clients", "Client"),
    "Fault": FAULT_SCHEMA,
    "Faults": _list_of("faults", "Fault"),
    "Clock": _object(
        {"now": _NUMBER, "iso": {**_STRING, "format": "date-time"}, "frozen": {"type": "boolean"}},
        required=["now", "iso", "frozen"],
    ),
    "ClockChange": {
        "description": "Exactly one change.",
        "oneOf": [
            _object(
                {"advance": {"type": "number", "minimum": -3153600000, "maximum": 3153600000}},
                required=["advance"],
                additionalProperties=False,
            ),
            _object(
                {"freeze": {"const": True}, "at": _INSTANT},
                required=["freeze"],
                additionalProperties=False,
            ),
            _object(
                {"unfreeze": {"const": True}}, required=["unfreeze"], additionalProperties=False
            ),
            _object({"reset": {"const": True}}, required=["reset"], additionalProperties=False),
            _object(
                {"set": _INSTANT, "frozen": {"type": "boolean"}},
                required=["set"],
                additionalProperties=False,
            ),
        ],
    },
    "Reset": _object(
        {
            "scenario": {
                "type": "boolean",
                "description": "Also go back to the scenario the app started with.",
            },
            "clock": {"type": "boolean", "description": "Also put the clock back to real time."},
        },
        additionalProperties=False,
    ),
    "RequestRecord": _object(
        {
            "method": _STRING,
            "path": _STRING,
            "endpoint": {"type": ["string", "null"]},
            "status": {"type": "integer", "description": "0: the connection was dropped."},
            "duration_ms": _NUMBER,
            "client_id": {"type": ["string", "null"]},
            "grant_type": {"type": ["string", "null"]},
            "error": {"type": ["string", "null"]},
            "error_description": {"type": ["string", "null"]},
            "fault": {"type": ["string", "null"]},
            "session": {
                "type": ["string", "null"],
                "description": "The browser session sent or started, fingerprinted.",
            },
            "issued": {
                "type": "object",
                "additionalProperties": _STRING,
                "description": "Codes, tokens and interactions the answer handed out, "
                "fingerprinted, by name.",
            },
            "params": {
                "type": "object",
                "additionalProperties": _STRING,
                "description": "Query and form parameters, secrets fingerprinted.",
            },
        },
        required=["method", "path", "status"],
    ),
    "Requests": _list_of("requests", "RequestRecord"),
    "SignInStep": _object(
        {
            "from": {"enum": ["browser", "app", "idp"]},
            "to": {"enum": ["idp", "backchannel_logout"]},
            "method": _STRING,
            "endpoint": _STRING,
            "path": _STRING,
            "params": {
                "type": "object",
                "additionalProperties": _STRING,
                "description": "client_id, response_type, scope, prompt, grant_type, "
                "response_mode, when sent.",
            },
            "status": {"type": "integer", "description": "0: the connection was dropped."},
            "error": {"type": ["string", "null"]},
            "error_description": {"type": ["string", "null"]},
            "fault": {"type": ["string", "null"], "description": "The scripted fault applied."},
            "issued": {
                "type": "object",
                "additionalProperties": _STRING,
                "description": "What the answer handed out (code, id_token, ...), fingerprinted.",
            },
        },
        required=["from", "to", "method", "endpoint", "path", "status"],
    ),
    "SignIn": _object(
        {
            "number": {"type": "integer", "description": "1: the oldest in the log."},
            "client_id": {"type": ["string", "null"]},
            "lifelines": {"type": "array", "items": _STRING},
            "steps": {"type": "array", "items": _ref("SignInStep")},
            "mermaid": {**_STRING, "description": "A Mermaid sequenceDiagram of the steps."},
        },
        required=["number", "lifelines", "steps", "mermaid"],
    ),
    "SignIns": _list_of("signins", "SignIn"),
    "Tenant": _object(
        {
            "name": _STRING,
            "issuer": _STRING,
            "created": {**_STRING, "format": "date-time"},
            "discovery": {**_STRING, "description": "Absent when discovery is switched off."},
            "control": {**_STRING, "description": "The tenant's own control API."},
        },
        required=["name", "issuer", "created", "control"],
    ),
    "Tenants": _object(
        {
            "tenants": {"type": "array", "items": _ref("Tenant")},
            "max_tenants": {
                "type": "integer",
                "description": "Tenants are made on first use while fewer exist.",
            },
        },
        required=["tenants", "max_tenants"],
    ),
    "AuditCase": _object(
        {
            "case": _STRING,
            "expected": {"enum": ["reject", "accept", "either"]},
            "observed": {"enum": ["accepted", "rejected", "error", "n/a"]},
            "verdict": {"enum": ["pass", "fail", "lenient", "error", "n/a"]},
            "evidence": _STRING,
            "checks": _STRING,
            "spec": _STRING,
            "oidf": {"type": ["string", "null"]},
            "rp": {"type": ["string", "null"]},
            "called_after": {"type": "array", "items": _STRING},
            "rule": {"type": ["object", "null"], "description": "The case's scenario rule."},
            "scenario": {"type": ["object", "null"]},
            "clients": {"type": ["object", "null"]},
        },
        required=["case", "expected", "observed", "verdict"],
    ),
    "AuditReport": _object(
        {
            "source": _STRING,
            "cases": {"type": "array", "items": _ref("AuditCase"), "maxItems": 500},
        },
        required=["cases"],
    ),
    "Audit": _object(
        {
            "source": _STRING,
            "received": {"type": "integer", "description": "Epoch seconds (the provider's clock)."},
            "summary": _STRING,
            "failed": {"type": "integer"},
            "cases": {"type": "array", "items": _ref("AuditCase")},
        },
        required=["source", "received", "summary", "failed", "cases"],
    ),
    "TokenRequest": _object(
        {
            "client_id": _STRING,
            "user": {**_STRING, "description": "sub or username; absent: a client's own token."},
            "scope": {**_STRING, "description": "Space-separated; default openid with a user."},
            "nonce": _STRING,
        },
        required=["client_id"],
        additionalProperties=False,
    ),
    "TokenResponse": _object(
        {
            "access_token": _STRING,
            "token_type": _STRING,
            "expires_in": {"type": "integer"},
            "scope": _STRING,
            "id_token": _STRING,
            "refresh_token": _STRING,
        },
        required=["access_token", "token_type", "expires_in"],
    ),
}

_STATUS_TEXT = {
    200: "OK",
    201: "Created",
    204: "No content",
    400: "Invalid input; a scenario that does not load lists its problems",
    401: "The admin token is missing or wrong",
    404: "Not found",
    409: "Already exists",
    413: "The body is too large",
    415: "Unsupported content type",
}


def _operation(route: Route, protected: bool) -> JSONObject:
    op: JSONObject = {
        "operationId": route.handler.__name__,
        "summary": route.summary,
        "responses": {},
    }
    if route.description:
        op["description"] = route.description
    params = [
        {"name": name, "in": "path", "required": True, "schema": _STRING} for name in route.params
    ] + [
        {
            "name": name,
            "in": "query",
            "required": False,
            "schema": {"type": "integer", "minimum": 1, "maximum": 10_000} if whole else _STRING,
            "description": text,
        }
        for name, text, whole in route.query
    ]
    if params:
        op["parameters"] = params
    if route.request is not None:
        op["requestBody"] = {
            "required": route.request_required,
            "content": {kind: {"schema": _ref(route.request)} for kind in route.request_types},
        }
    success: JSONObject = {"description": _STATUS_TEXT[route.status]}
    if route.response is not None:
        success["content"] = {"application/json": {"schema": _ref(route.response)}}
    for status in (route.status, *route.also):
        op["responses"][str(status)] = {**success, "description": _STATUS_TEXT[status]}
    errors = set(route.errors) | ({413} if route.request else set())
    if protected and route.public:
        op["security"] = []  # reached with no admin token (the audit's attacker key)
    elif protected:
        errors.add(401)
    for status in sorted(errors):
        op["responses"][str(status)] = {
            "description": _STATUS_TEXT[status],
            "content": {"application/json": {"schema": _ref("Error")}},
        }
    return op


def openapi_document(routes: Sequence[Route], server: str, protected: bool) -> JSONObject:
    """The document for ``routes`` served at ``server`` (its base URL)."""
    paths: dict[str, JSONObject] = {}
    for route in routes:
        paths.setdefault(PREFIX + route.path, {})[route.method.lower()] = _operation(
            route, protected
        )
    doc: JSONObject = {
        "openapi": "3.1.0",
        "info": {
            "title": "mockidp test-control API",
            "version": installed_version(),
            "description": "Script a running mockidp: scenario, users, clients, faults, "
            "clock, state, request log and tokens. Not part of the emulated provider.",
        },
        "servers": [{"url": server or "/"}],
        "paths": paths,
        "components": {"schemas": SCHEMAS},
    }
    if protected:
        doc["components"]["securitySchemes"] = {
            "adminToken": {
                "type": "http",
                "scheme": "bearer",
                "description": "The admin token the provider was started with.",
            }
        }
        doc["security"] = [{"adminToken": []}]
    return doc
