"""LoginRadius's identity API beside its OIDC endpoints. HTTP in, plain arguments to the
Provider, HTTP out; the behaviour is :mod:`mockidp.oauth.vendors.loginradius`'s, the
paths are :mod:`mockidp.presets.loginradius`'."""

from __future__ import annotations

from starlette.responses import Response

from mockidp.errors import InvalidRequest
from mockidp.http.exchange import Endpoint, Exchange
from mockidp.http.input import bearer_token, query_params
from mockidp.http.render import json_response
from mockidp.oauth.provider import Provider
from mockidp.presets.loginradius import IDENTITY_API_PATHS
from mockidp.types import Params


async def identity(provider: Provider, ex: Exchange) -> Response:
    """One operation of LoginRadius's identity API, named by the endpoint."""
    try:
        params: Params | None = query_params(ex.incoming)
    except InvalidRequest:  # refused in its envelope, by the provider
        params = None
    if params is not None:
        ex.params = {name.lower(): value for name, value in params.items()}  # the log masks them
    answer = provider.vendors.loginradius_identity(
        ex.endpoint,
        ex.params if params is not None else None,
        api_secret=ex.request.headers.get("x-loginradius-apisecret"),
        bearer=bearer_token(ex.request.headers.get("authorization")),
        issuer=ex.issuer,
    )
    return json_response(answer)


ENDPOINTS: dict[str, Endpoint] = {
    name: Endpoint(identity, frozenset({"GET"})) for name in IDENTITY_API_PATHS
}
"""LoginRadius's endpoint names in its preset's layout (one per identity operation)."""
