"""The test-control API's operations on the last relying-party audit: the report
``mockidp audit`` and the pytest API leave for the inspector's audit page
(:mod:`mockidp.control.inspector.audits`). Routed by :data:`mockidp.control.routes.ROUTES`."""

from __future__ import annotations

from starlette.responses import Response

from mockidp.control.base import ControlCall, ControlError, no_content, ok
from mockidp.control.inspector.audits import InvalidAudit


async def get_audit(call: ControlCall) -> Response:
    last = call.control.audits.last
    if last is None:
        raise ControlError(404, "not_found", "no audit has reported to this mockidp yet")
    return ok(last.as_json())


async def put_audit(call: ControlCall) -> Response:
    try:
        last = call.control.audits.replace(call.json(), now=int(call.provider.clock.now()))
    except InvalidAudit as exc:
        raise ControlError(400, "invalid_request", f"not an audit report: {exc}") from None
    return ok(last.as_json())


async def add_audit_case(call: ControlCall) -> Response:
    try:
        last = call.control.audits.add(call.json(), now=int(call.provider.clock.now()))
    except InvalidAudit as exc:
        raise ControlError(400, "invalid_request", f"not an audit case: {exc}") from None
    return ok(last.as_json())


async def delete_audit(call: ControlCall) -> Response:
    call.control.audits.clear()
    return no_content()
