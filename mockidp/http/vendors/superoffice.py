"""SuperOffice's own endpoints beside its OIDC ones: the web API's current principal and
the partner system-user login. HTTP in, plain arguments to the Provider, HTTP out; the
behaviour is :mod:`mockidp.oauth.vendors.superoffice`'s."""

from __future__ import annotations

from starlette.responses import Response

from mockidp.http.exchange import Endpoint, Exchange
from mockidp.http.input import body_params
from mockidp.http.render import json_response
from mockidp.oauth.provider import Provider


async def current_principal(provider: Provider, ex: Exchange) -> Response:
    """SuperOffice's ``GET {webapi_url}v1/User/currentPrincipal``: Bearer or SOTicket."""
    principal = provider.vendors.superoffice_principal(
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
    return json_response(provider.vendors.superoffice_system_user(ex.params, origin=origin))


ENDPOINTS: dict[str, Endpoint] = {
    "current_principal": Endpoint(current_principal, frozenset({"GET"})),
    "system_user": Endpoint(partner_system_user, frozenset({"POST"})),
}
"""SuperOffice's endpoint names in its preset's layout, and how each is served."""
