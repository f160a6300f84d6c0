"""LoginRadius's identity API beside its OIDC endpoints. HTTP in, plain arguments to the
Provider, HTTP out; the behaviour is :mod:`mockidp.oauth.vendors.loginradius`'s."""

from __future__ import annotations

from starlette.responses import Response

from mockidp.errors import InvalidRequest
from mockidp.http.exchange import Endpoint, Exchange
from mockidp.http.input import bearer_token, query_params
from mockidp.http.render import json_response
from mockidp.oauth.provider import Provider
from mockidp.oauth.vendors.loginradius.identity import (
    BAD_PARAMETER,
    OPERATIONS,
    IdentityCall,
    refuse,
)


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
    return json_response(provider.vendors.loginradius_identity(ex.endpoint, call, issuer=ex.issuer))


ENDPOINTS: dict[str, Endpoint] = {
    name: Endpoint(identity, frozenset({"GET"})) for name in OPERATIONS
}
"""LoginRadius's endpoint names in its preset's layout (one per identity operation)."""
