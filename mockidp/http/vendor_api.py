"""Handlers of vendors' own (non-OAuth) APIs that presets serve beside their OIDC
endpoints: SuperOffice's web API and partner system-user login, LoginRadius's identity
API. HTTP in, plain arguments to the core's vendor modules, HTTP out."""

from __future__ import annotations

from starlette.responses import Response

from mockidp.errors import InvalidRequest
from mockidp.http.endpoints import Endpoint, Exchange
from mockidp.http.input import bearer_token, body_params, query_params
from mockidp.http.keycloak_pages import KEYCLOAK_ENDPOINTS
from mockidp.http.render import json_response
from mockidp.oauth.provider import Provider
from mockidp.oauth.vendors.loginradius import identity as loginradius_identity
from mockidp.oauth.vendors.loginradius.identity import BAD_PARAMETER, IdentityCall, refuse
from mockidp.oauth.vendors.superoffice import system_user
from mockidp.oauth.vendors.superoffice import web_api as superoffice_api


async def current_principal(provider: Provider, ex: Exchange) -> Response:
    """SuperOffice's ``GET {webapi_url}v1/User/currentPrincipal``: Bearer or SOTicket."""
    principal = superoffice_api.current_principal(
        provider.deps,
        authorization=ex.request.headers.get("authorization"),
        app_token=ex.request.headers.get("so-apptoken"),
        ctx=ex.request.path_params.get("ctx", ""),
        origin=provider.endpoint_base(ex.issuer),
    )
    return json_response(principal)


async def partner_system_user(provider: Provider, ex: Exchange) -> Response:
    """SuperOffice's PartnerSystemUser/Authenticate: a JSON body in, a JSON answer out."""
    ex.params = await body_params(ex.incoming, accept_json=True)
    origin = provider.endpoint_base(ex.issuer)
    return json_response(system_user.authenticate(provider.deps, ex.params, origin=origin))


async def identity(provider: Provider, ex: Exchange) -> Response:
    """LoginRadius's identity API (:mod:`mockidp.oauth.vendors.loginradius.identity`)."""
    try:
        params = query_params(ex.incoming)
    except InvalidRequest:  # its envelope even for an unreadable query
        raise refuse(BAD_PARAMETER) from None
    ex.params = {name.lower(): value for name, value in params.items()}  # the log masks them
    call = IdentityCall(
        ex.params,
        api_secret=ex.request.headers.get("x-loginradius-apisecret"),
        bearer=bearer_token(ex.request.headers.get("authorization")),
    )
    operation = loginradius_identity.OPERATIONS[ex.endpoint]
    return json_response(operation(provider.deps, call, issuer=ex.issuer))


_GET = frozenset({"GET"})

VENDOR_ENDPOINTS: dict[str, Endpoint] = {
    "current_principal": Endpoint(current_principal, _GET),
    "system_user": Endpoint(partner_system_user, frozenset({"POST"})),
    **{name: Endpoint(identity, _GET) for name in loginradius_identity.OPERATIONS},
    **KEYCLOAK_ENDPOINTS,
}
"""Endpoint names a preset's layout may hold beside :data:`ENDPOINTS`' (the app routes
to either)."""
