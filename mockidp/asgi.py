"""The ASGI application: routes by the provider's layout, renders every error.

The only place where exceptions become HTTP: OAuthError -> RFC 6749 5.2 JSON (with
WWW-Authenticate where due), PageError -> an HTML page, anything else -> a JSON
server_error with no traceback (the traceback goes to the log).
"""

from __future__ import annotations

import logging
import re
import time
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

from starlette.datastructures import Headers
from starlette.requests import Request
from starlette.responses import Response
from starlette.types import Receive, Scope, Send

from mockidp import pages
from mockidp.client_auth import read_credentials
from mockidp.clock import Clock
from mockidp.endpoints import ENDPOINTS, Endpoint, Exchange, html_response, json_response
from mockidp.errors import (
    InsufficientScope,
    InvalidClient,
    InvalidRequest,
    InvalidToken,
    MethodNotAllowed,
    MissingToken,
    MockIdPError,
    NotFound,
    OAuthError,
    PageError,
)
from mockidp.keys import KeyRing
from mockidp.layout import Layout
from mockidp.provider import Provider
from mockidp.requestlog import RequestRecord
from mockidp.scenario import Scenario
from mockidp.store import Store

log = logging.getLogger("mockidp")

_HOST = re.compile(r"[A-Za-z0-9.\-]+(:\d{1,5})?|\[[0-9A-Fa-f:.]+\](:\d{1,5})?")
_CORS_ALLOW_HEADERS = "Authorization, Content-Type, DPoP"
REALM = "mockidp"


def request_origin(scope: Scope, headers: Headers) -> str:
    """scheme://host[:port][root_path] of a request: the issuer when none is configured."""
    host = headers.get("host")
    if host is None:
        server = scope.get("server") or ("localhost", None)
        name = f"[{server[0]}]" if ":" in str(server[0]) else str(server[0])
        host = f"{name}:{server[1]}" if server[1] else name
    match = _HOST.fullmatch(host)
    port = (match.group(1) or match.group(2)) if match else None
    if match is None or (port is not None and int(port[1:]) > 65535):
        raise InvalidRequest("the Host header is not a valid host name")
    root = str(scope.get("root_path") or "").rstrip("/")
    return f"{scope.get('scheme', 'http')}://{host}{root}"


def _route_path(scope: Scope) -> str:
    path: str = scope["path"]
    root: str = scope.get("root_path") or ""
    if root and path.startswith(root):
        path = path[len(root) :] or "/"
    return path


def _quote(value: str) -> str:
    return value.replace("\\", "\\\\").replace('"', '\\"')


def oauth_error_response(error: OAuthError, *, cors: bool) -> Response:
    body: dict[str, Any] = {"error": error.error}
    if error.description:
        body["error_description"] = error.description
    response = json_response(body, status=error.status)
    if isinstance(error, InvalidToken | InsufficientScope):  # RFC 6750 3
        challenge = f'Bearer realm="{REALM}"'
        if not isinstance(error, MissingToken):
            challenge += f', error="{error.error}"'
            if error.description:
                challenge += f', error_description="{_quote(error.description)}"'
        response.headers["WWW-Authenticate"] = challenge
    elif isinstance(error, InvalidClient):  # RFC 6749 5.2
        response.headers["WWW-Authenticate"] = f'Basic realm="{REALM}"'
    if cors:
        response.headers["Access-Control-Allow-Origin"] = "*"
    return response


class MockIdPApp:
    """An ASGI app serving one :class:`Provider`.

    ``on_request`` is called with a :class:`RequestRecord` after every answered request.
    """

    def __init__(
        self, provider: Provider, *, on_request: Callable[[RequestRecord], None] | None = None
    ) -> None:
        self.provider = provider
        self.on_request = on_request
        self._routes = provider.layout.by_path()

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http":
            await self._http(scope, receive, send)
        elif scope["type"] == "lifespan":
            await _lifespan(receive, send)

    async def _http(self, scope: Scope, receive: Receive, send: Send) -> None:
        started = time.perf_counter()
        request = Request(scope, receive)
        name = self._routes.get(_route_path(scope))
        endpoint = ENDPOINTS.get(name) if name else None
        cors = endpoint.cors if endpoint else True
        ex: Exchange | None = None
        error: str | None = None
        try:
            issuer = self.provider.issuer_for(request_origin(scope, request.headers))
            if endpoint is None or name is None:
                raise NotFound(f"no endpoint at {scope['path']}; see the discovery document")
            ex = Exchange(request, issuer, name)
            response = await self._dispatch(endpoint, ex)
        except OAuthError as exc:
            error = exc.error
            response = oauth_error_response(exc, cors=cors)
            if isinstance(exc, MethodNotAllowed) and endpoint is not None:
                response.headers["Allow"] = ", ".join(_allowed_methods(endpoint))
        except PageError as exc:
            error = exc.error
            response = html_response(pages.error_page(exc.error, exc.description), status=400)
        except MockIdPError as exc:  # any other deliberate error: a clear 400, not a 500
            error = "invalid_request"
            response = oauth_error_response(InvalidRequest(str(exc)), cors=cors)
        except Exception:
            log.exception("mockidp failed on %s %s", scope.get("method"), scope.get("path"))
            error = "server_error"
            response = json_response(
                {"error": "server_error", "error_description": "mockidp failed; see its log"},
                status=500,
            )
        await response(scope, receive, send)
        if self.on_request is not None:
            params = ex.params if ex else {}
            self.on_request(
                RequestRecord(
                    method=scope.get("method", ""),
                    path=scope["path"],
                    endpoint=name,
                    status=response.status_code,
                    duration_ms=(time.perf_counter() - started) * 1000,
                    client_id=_client_of(params, request),
                    grant_type=params.get("grant_type"),
                    error=error,
                )
            )

    async def _dispatch(self, endpoint: Endpoint, ex: Exchange) -> Response:
        method = ex.request.method
        if method == "OPTIONS" and endpoint.cors:
            return _preflight(endpoint)
        if method not in endpoint.methods and not (method == "HEAD" and "GET" in endpoint.methods):
            raise MethodNotAllowed(
                f"{method} is not allowed here; use {', '.join(sorted(endpoint.methods))}"
            )
        response = await endpoint.handler(self.provider, ex)
        if endpoint.cors:
            response.headers["Access-Control-Allow-Origin"] = "*"
        return response


def _allowed_methods(endpoint: Endpoint) -> list[str]:
    """The methods a 405's Allow header lists: OPTIONS only where preflights are answered."""
    return sorted(endpoint.methods | ({"OPTIONS"} if endpoint.cors else set()))


def _preflight(endpoint: Endpoint) -> Response:
    return Response(
        status_code=204,
        headers={
            "Access-Control-Allow-Origin": "*",
            "Access-Control-Allow-Methods": ", ".join(sorted(endpoint.methods | {"OPTIONS"})),
            "Access-Control-Allow-Headers": _CORS_ALLOW_HEADERS,
            "Access-Control-Max-Age": "600",
        },
    )


def _client_of(params: Mapping[str, str], request: Request) -> str | None:
    if "client_id" in params:
        return params["client_id"]
    try:
        creds = read_credentials(request.headers.get("authorization"), {})
    except OAuthError:
        return None
    return creds.client_id if creds else None


async def _lifespan(receive: Receive, send: Send) -> None:
    while True:
        message = await receive()
        if message["type"] == "lifespan.startup":
            await send({"type": "lifespan.startup.complete"})
        elif message["type"] == "lifespan.shutdown":
            await send({"type": "lifespan.shutdown.complete"})
            return


def create_app(
    scenario: Scenario | str | Path | Mapping[str, Any] | None = None,
    *,
    provider: Provider | None = None,
    store: Store | None = None,
    clock: Clock | None = None,
    keys: KeyRing | None = None,
    layout: Layout | None = None,
    on_request: Callable[[RequestRecord], None] | None = None,
) -> MockIdPApp:
    """An ASGI app for ``scenario`` (a path, a mapping, a Scenario, or None for the default).

    Pass ``provider`` to serve an existing Provider instead; the app's ``.provider``
    attribute gives tests the Python API (``use_scenario``, ``clock``, ``reset``).
    """
    if provider is None:
        provider = Provider(scenario, store=store, clock=clock, keys=keys, layout=layout)
    elif scenario is not None or store is not None or clock is not None or keys is not None:
        raise TypeError("pass either provider or scenario/store/clock/keys, not both")
    return MockIdPApp(provider, on_request=on_request)
