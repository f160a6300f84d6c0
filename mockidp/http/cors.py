"""CORS headers of the endpoints browsers' scripts call (Fetch standard, "CORS protocol").

Generic: ``Access-Control-Allow-Origin: *``, which browsers refuse for credentialed
requests (``credentials: 'include'``). With the ``credentialed_cors`` quirk (Keycloak),
a request from one of its client's web origins (:mod:`mockidp.oauth.clients.web_origins`) gets
that ``Origin`` echoed with ``Access-Control-Allow-Credentials: true`` and ``Vary:
Origin``; preflights (which name no client) echo any ``Origin`` that way, as Keycloak's
do, leaving the decision to the answer. Any other request keeps ``*``: answered as ever,
and unreadable to a credentialed script.
"""

from __future__ import annotations

from starlette.datastructures import Headers
from starlette.responses import Response

from mockidp.oauth.clients import web_origins
from mockidp.oauth.deps import ClientSource

ALLOW_HEADERS = "Authorization, Content-Type, DPoP"


def preflight(methods: frozenset[str], *, origin: str | None, credentialed: bool) -> Response:
    """The answer to an ``OPTIONS`` preflight of an endpoint serving ``methods``."""
    response = Response(
        status_code=204,
        headers={
            "Access-Control-Allow-Methods": ", ".join(sorted(methods | {"OPTIONS"})),
            "Access-Control-Allow-Headers": ALLOW_HEADERS,
            "Access-Control-Max-Age": "600",
        },
    )
    if credentialed and origin:
        _echo(response, origin)
    else:
        response.headers["Access-Control-Allow-Origin"] = "*"
    return response


def allow(
    response: Response,
    request_headers: Headers,
    *,
    credentialed: bool,
    clients: ClientSource,
    client_id: str | None,
) -> None:
    """Sets ``response``'s CORS headers for a request of ``client_id`` (None: unknown)."""
    origin = request_headers.get("origin")
    if credentialed and web_origins.allowed(clients, client_id, origin):
        _echo(response, str(origin))
        return
    if "access-control-allow-origin" not in response.headers:  # a scripted fault's stays
        response.headers["Access-Control-Allow-Origin"] = "*"
    if credentialed:  # the answer differs by Origin: caches must keep them apart
        _vary_origin(response)


def _echo(response: Response, origin: str) -> None:
    response.headers["Access-Control-Allow-Origin"] = origin
    response.headers["Access-Control-Allow-Credentials"] = "true"
    _vary_origin(response)


def _vary_origin(response: Response) -> None:
    vary = [v.strip() for v in response.headers.get("vary", "").split(",") if v.strip()]
    if "origin" not in {v.lower() for v in vary}:
        response.headers["Vary"] = ", ".join([*vary, "Origin"])
