"""The test-control API's route table: every operation, and what its OpenAPI entry says.

:class:`~mockidp.control.api.Control` routes by it and
:func:`~mockidp.control.openapi.openapi_document` is built from it, so the two cannot
drift apart.
"""

from __future__ import annotations

from starlette.responses import Response

from mockidp.control.attacker import attacker_certificate, attacker_jwks
from mockidp.control.audit_ops import add_audit_case, delete_audit, get_audit, put_audit
from mockidp.control.base import JSON_TYPES, PREFIX, YAML_TYPES, ControlCall, Route, ok
from mockidp.control.ops import (
    CLIENTS,
    USERS,
    Collection,
    add_fault,
    add_handler,
    clear_faults,
    delete_handler,
    get_handler,
    get_scenario,
    list_faults,
    list_handler,
    patch_scenario,
    put_handler,
    put_scenario,
)
from mockidp.control.runtime import (
    clear_requests,
    get_clock,
    list_requests,
    mint_tokens,
    move_clock,
    reset,
)
from mockidp.control.signin_ops import get_sign_in, list_sign_ins
from mockidp.control.tenant_ops import delete_tenant, get_tenant, list_tenants, put_tenant

# -- index and document ------------------------------------------------------------------


async def index(call: ControlCall) -> Response:
    return ok(
        {
            "name": "mockidp test-control API",
            "openapi": f"{call.base_url}{PREFIX}/openapi.json",
            "inspector": f"{call.base_url}{PREFIX}/inspector",  # the debugging web page
            "admin_token_required": call.control.protected,
            "operations": [
                {"method": r.method, "path": PREFIX + r.path, "summary": r.summary}
                for r in call.control.routes
            ],
        }
    )


async def openapi(call: ControlCall) -> Response:
    # on first use: the document's schemas are the scenario format's, presets and all
    from mockidp.control.openapi import openapi_document

    return ok(openapi_document(call.control.routes, call.base_url, call.control.protected))


def _collection_routes(
    collection: Collection, *, key: str, noun: str, schema: str
) -> tuple[Route, ...]:
    """The five routes of a scenario list (users, clients): list, add, get, put, delete."""
    plural = f"{noun}s"
    item = f"/{plural}/{{{key}}}"
    return (
        Route(
            "GET",
            f"/{plural}",
            list_handler(collection),
            f"The scenario's {plural}",
            response=f"{schema}s",
        ),
        Route(
            "POST",
            f"/{plural}",
            add_handler(collection),
            f"Add a {noun}",
            request=schema,
            response=schema,
            status=201,
            errors=(400, 409, 415),
        ),
        Route(
            "GET",
            item,
            get_handler(collection),
            f"One {noun}, by {key}",
            response=schema,
            errors=(404,),
        ),
        Route(
            "PUT",
            item,
            put_handler(collection),
            f"Replace or add the {noun} with this {key}",
            request=f"{schema}Update",
            response=schema,
            also=(201,),
            errors=(400, 415),
        ),
        Route(
            "DELETE",
            item,
            delete_handler(collection),
            f"Remove the {noun} with this {key}",
            status=204,
            errors=(400, 404),
        ),
    )


# -- the table ---------------------------------------------------------------------------

_SCENARIO_ERRORS = (400, 415)
_ATTACKER = (
    "Answered without the admin token: the app under audit follows the header with no "
    "credentials, and a 401 would hide that it trusts it. Only public key material of a "
    "key the provider never publishes or trusts."
)
ROUTES: tuple[Route, ...] = (
    Route("GET", "/", index, "What the control API offers", response="Index"),
    Route("GET", "/openapi.json", openapi, "This API's OpenAPI 3.1 document", response="Document"),
    Route("GET", "/scenario", get_scenario, "The scenario in force", response="Scenario"),
    Route(
        "PUT",
        "/scenario",
        put_scenario,
        "Replace the scenario (JSON or YAML); sessions, codes and tokens are kept",
        request="Scenario",
        request_types=(*JSON_TYPES, *YAML_TYPES),
        response="Scenario",
        errors=_SCENARIO_ERRORS,
    ),
    Route(
        "PATCH",
        "/scenario",
        patch_scenario,
        "Merge top-level keys into the scenario (null removes a key)",
        request="ScenarioPatch",
        request_types=(*JSON_TYPES, "application/merge-patch+json"),
        response="Scenario",
        errors=_SCENARIO_ERRORS,
    ),
    *_collection_routes(USERS, key="sub", noun="user", schema="User"),
    *_collection_routes(CLIENTS, key="client_id", noun="client", schema="Client"),
    Route("GET", "/faults", list_faults, "The scripted faults", response="Faults"),
    Route(
        "POST",
        "/faults",
        add_fault,
        "Append a scripted fault",
        request="Fault",
        response="Fault",
        status=201,
        errors=(400, 415),
    ),
    Route("DELETE", "/faults", clear_faults, "Remove every scripted fault", status=204),
    Route("GET", "/clock", get_clock, "The provider's clock", response="Clock"),
    Route(
        "POST",
        "/clock",
        move_clock,
        "Move, freeze, unfreeze, set or reset the clock",
        request="ClockChange",
        response="Clock",
        errors=(400, 415),
    ),
    Route(
        "POST",
        "/reset",
        reset,
        "Forget sessions, codes, tokens and the request log; optionally the scenario and clock",
        request="Reset",
        request_required=False,
        status=204,
        errors=(400, 415),
    ),
    Route(
        "GET",
        "/requests",
        list_requests,
        "The request log: the last records, oldest first",
        response="Requests",
        query=(
            ("limit", "The last this many records, 1 to 10000 (default 100)", True),
            ("endpoint", "Only this endpoint's (token, userinfo, ...)", False),
        ),
        errors=(400,),
    ),
    Route("DELETE", "/requests", clear_requests, "Empty the request log", status=204),
    Route(
        "GET",
        "/signins",
        list_sign_ins,
        "The request log read as sign-ins (joined by session, code and tokens), newest first",
        response="SignIns",
    ),
    Route(
        "GET",
        "/signins/{number}",
        get_sign_in,
        "One sign-in's sequence of requests and answers, with its Mermaid text",
        response="SignIn",
        errors=(404,),
    ),
    Route(
        "GET",
        "/attacker/jwks.json",
        attacker_jwks,
        "The JWK Set a jku_header defect's token names: an attacker's key, never trusted",
        description=_ATTACKER,
        public=True,
    ),
    Route(
        "GET",
        "/attacker/cert.pem",
        attacker_certificate,
        "The certificate an x5u_header defect's token names: an attacker's key (PEM)",
        description=_ATTACKER,
        public=True,
    ),
    Route(
        "GET",
        "/audit",
        get_audit,
        "The last relying-party audit that reported here (mockidp audit, the pytest API)",
        response="Audit",
        errors=(404,),
    ),
    Route(
        "PUT",
        "/audit",
        put_audit,
        "Replace the last audit with a report (mockidp audit sends its JSON report)",
        request="AuditReport",
        response="Audit",
        errors=(400, 415),
    ),
    Route(
        "POST",
        "/audit/cases",
        add_audit_case,
        "Add one case's row to the last audit (the pytest API, as each case ends)",
        request="AuditCase",
        response="Audit",
        errors=(400, 415),
    ),
    Route("DELETE", "/audit", delete_audit, "Forget the last audit", status=204),
    Route(
        "POST",
        "/tokens",
        mint_tokens,
        "Mint a token set for a client and, optionally, a user",
        request="TokenRequest",
        response="TokenResponse",
        errors=(400, 415),
    ),
    Route("GET", "/tenants", list_tenants, "Every tenant (/t/{name}/)", response="Tenants"),
    Route(
        "PUT",
        "/tenants/{name}",
        put_tenant,
        "Create or replace a tenant (its state is forgotten) with this scenario or the initial one",
        request="Scenario",
        request_types=(*JSON_TYPES, *YAML_TYPES),
        request_required=False,
        response="Tenant",
        also=(201,),
        errors=(400, 415),
    ),
    Route("GET", "/tenants/{name}", get_tenant, "One tenant", response="Tenant", errors=(400, 404)),
    Route(
        "DELETE",
        "/tenants/{name}",
        delete_tenant,
        "Delete a tenant and forget its state",
        status=204,
        errors=(400, 404),
    ),
)
