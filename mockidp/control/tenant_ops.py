"""The test-control API's tenant operations: list, create or replace, read, delete.

Routed by :data:`mockidp.control.routes.ROUTES` on the base app only (a tenant's own
control API under ``/t/{name}/_mockidp/`` has none). See :mod:`mockidp.control.tenants`.
"""

from __future__ import annotations

from datetime import UTC, datetime

from msgspec.structs import replace
from starlette.responses import Response

from mockidp.control.base import PREFIX, ControlCall, ControlError, no_content, ok
from mockidp.control.ops import read_scenario
from mockidp.control.tenants import TENANT_PREFIX, Tenant, TenantRegistry, check_name
from mockidp.errors import OAuthError
from mockidp.types import JSONObject


def _registry(call: ControlCall) -> TenantRegistry:
    registry = call.control.tenants
    if registry is None:  # pragma: no cover - the routes exist only where tenants do
        raise ControlError(404, "not_found", "this app serves no tenants")
    return registry


def _name(call: ControlCall) -> str:
    name = call.params["name"]
    try:
        return check_name(name)
    except OAuthError as exc:
        raise ControlError(400, "invalid_request", exc.description) from None


def _iso(at: float) -> str:
    return datetime.fromtimestamp(at, UTC).isoformat(timespec="seconds").replace("+00:00", "Z")


def tenant_json(call: ControlCall, tenant: Tenant) -> JSONObject:
    base = f"{call.base_url}{TENANT_PREFIX}{tenant.name}"
    provider = tenant.provider
    issuer = provider.issuer_for(base)
    out: JSONObject = {"name": tenant.name, "issuer": issuer, "created": _iso(tenant.created)}
    if provider.layout.has("discovery"):
        out["discovery"] = provider.layout.url(provider.endpoint_base(issuer), "discovery")
    out["control"] = f"{base}{PREFIX}/"
    return out


async def list_tenants(call: ControlCall) -> Response:
    registry = _registry(call)
    found = [registry.find(name) for name in sorted(registry.names())]
    return ok(
        {
            "tenants": [tenant_json(call, t) for t in found if t is not None],
            "max_tenants": registry.max_tenants,
        }
    )


async def get_tenant(call: ControlCall) -> Response:
    name = _name(call)
    tenant = _registry(call).find(name)
    if tenant is None:
        raise ControlError(404, "not_found", f"no tenant {name!r}")
    return ok(tenant_json(call, tenant))


async def put_tenant(call: ControlCall) -> Response:
    """Create, or replace (forgetting its state), with the body's scenario or the default."""
    name = _name(call)
    registry = _registry(call)
    scenario = read_scenario(call) if call.body.strip() else None
    if scenario is not None and scenario.issuer is None:
        scenario = replace(scenario, issuer=registry.default_scenario(name).issuer)
    existed = registry.find(name) is not None
    tenant = registry.create(name, scenario)
    return ok(tenant_json(call, tenant), 200 if existed else 201)


async def delete_tenant(call: ControlCall) -> Response:
    name = _name(call)
    if not _registry(call).delete(name):
        raise ControlError(404, "not_found", f"no tenant {name!r}")
    return no_content()
