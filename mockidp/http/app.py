"""The endpoint app: one provider's emulated endpoints, routed by its layout.

It routes a request by the provider's current layout (a preset's ``<name>`` segments and
case-insensitive paths too), answers CORS preflights, applies a scripted fault
(:mod:`mockidp.http.scripted`), runs the endpoint (:mod:`mockidp.http.endpoints`) and
renders every error (:mod:`mockidp.http.render`). After each answer it reports the
request, and the back-channel calls made while answering, to a callback: the request
log and the inspector's journal are fed that way, wired by :mod:`mockidp.asgi`.
"""

from __future__ import annotations

import base64
import json
import logging
import time
from collections.abc import Callable, Mapping, Sequence
from functools import cache

import anyio
from starlette.requests import Request
from starlette.responses import Response
from starlette.types import Receive, Scope, Send

from mockidp.errors import (
    InvalidRequest,
    MethodNotAllowed,
    MockIdPError,
    NotFound,
    OAuthError,
    PageError,
)
from mockidp.http import cors as cors_headers
from mockidp.http import links, scripted
from mockidp.http.cookies import SESSION_COOKIE
from mockidp.http.endpoints import ENDPOINTS, authorization_error
from mockidp.http.exchange import Endpoint, Exchange
from mockidp.http.hooks import ResponseHooks, ResponseRequest, hook_failed_response
from mockidp.http.input import Incoming, bearer_token, request_origin, route_path
from mockidp.http.render import (
    oauth_error_response,
    page_error_response,
    server_error_response,
)
from mockidp.http.request import MockIdPRequest
from mockidp.http.split_urls import browser_origin
from mockidp.model.layout import Layout
from mockidp.model.scenario import Fault
from mockidp.oauth.clients.auth import ClientCredentials, read_credentials
from mockidp.oauth.hooks import HookFailed
from mockidp.oauth.provider import Provider
from mockidp.oauth.scripted import faults
from mockidp.presets import known_endpoints
from mockidp.requestlog import RequestRecord, mask_authorization, mask_params
from mockidp.types import Params

log = logging.getLogger("mockidp")

Report = Callable[[RequestRecord, Sequence[RequestRecord], Response | None], None]
"""Called after every answer: the request's record, the back-channel calls made while
answering (their records), and the response sent (None: the connection was dropped)."""


class EndpointApp:
    """The emulated endpoints of ``provider``, reporting each answered request to ``report``."""

    def __init__(
        self, provider: Provider, *, report: Report, browser_url: str | None = None
    ) -> None:
        self.provider = provider
        self.report = report
        self.browser_url = browser_url
        """Where browsers reach the provider, when that differs from the app's address
        (:mod:`mockidp.http.split_urls`); None: each request's own address."""
        self.response_hooks = ResponseHooks(_hookable_endpoints())
        """Test code's hooks on responses (:mod:`mockidp.http.hooks`)."""
        self._routes: tuple[Layout, dict[str, str]] = (provider.layout, provider.layout.by_path())

    def route(self, path: str, scope: Scope) -> str | None:
        """The endpoint at ``path`` in the provider's current layout (use_scenario may change it).

        A path with ``<name>`` segments (a preset's) matches too; the values go to
        ``scope["path_params"]`` (what ``Request.path_params`` reads).
        """
        layout, routes = self._routes
        if layout is not self.provider.layout:
            layout = self.provider.layout
            routes = layout.by_path()
            self._routes = (layout, routes)
        name = routes.get(path)
        if name is None:
            found = layout.match(path)
            if found is None and self.provider.scenario.quirks.case_insensitive_paths:
                found = layout.match_ignoring_case(path)
            if found is not None:
                name, scope["path_params"] = found
        return name

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        started = time.perf_counter()
        request = MockIdPRequest(scope, receive)
        incoming = Incoming(request)
        name = self.route(route_path(scope), scope)
        endpoint = (ENDPOINTS.get(name) or _vendor_endpoint(name)) if name else None
        cors = endpoint.cors if endpoint else True
        ex: Exchange | None = None
        error: str | None = None
        description: str | None = None  # the error's, for the log
        fault: Fault | None = None
        readable: Params = {}
        response: Response | None = None  # None: drop the connection
        try:
            origin = request_origin(scope, request.headers)
            back_channel = None
            if self.browser_url is not None:  # the issuer is the browser's, whoever asks
                back_channel = origin
                origin = browser_origin(self.browser_url, scope)
            issuer = self.provider.issuer_for(origin)
            if endpoint is None or name is None:
                raise NotFound(f"no endpoint at {scope['path']}; see the discovery document")
            scenario = self.provider.scenario
            if scenario.faults and not (request.method == "OPTIONS" and endpoint.cors):
                readable = await incoming.readable()
                call = scripted.describe(
                    name,
                    request,
                    readable,
                    client_id=_client_of(readable, request),
                    session_id=request.cookies.get(SESSION_COOKIE),
                    bearer=bearer_token(request.headers.get("authorization")),
                )
                fault = faults.pick(scenario, self.provider.state, call)
            ex = Exchange(incoming, issuer, name, back_channel=back_channel)
            if fault is not None and fault.oauth_error is not None:
                error_raised = faults.scripted_error(fault.oauth_error)
                if name != "authorization":
                    raise error_raised
                error, description = error_raised.error, error_raised.description
                ex.params = readable
                response = authorization_error(self.provider, ex, error_raised)
            elif fault is not None and fault.http_status is not None:
                response = scripted.bare_response(fault.http_status, cors=cors)
            elif fault is None or not fault.drop_connection:
                response = await self._dispatch(endpoint, ex)
        except OAuthError as exc:
            error, description = exc.error, exc.description
            quirks = self.provider.scenario.quirks
            response = oauth_error_response(exc, cors=cors, quirks=quirks)
            if isinstance(exc, MethodNotAllowed) and endpoint is not None:
                response.headers["Allow"] = ", ".join(_allowed_methods(endpoint))
        except PageError as exc:
            error, description = exc.error, exc.description
            response = page_error_response(exc, self.provider.scenario.quirks)
        except HookFailed as exc:  # test code's token hook raised: a 500 naming it
            error, description = exc.error, str(exc)
            response = hook_failed_response(exc)
        except MockIdPError as exc:  # any other deliberate error: a clear 400, not a 500
            error, description = "invalid_request", str(exc)
            response = oauth_error_response(InvalidRequest(str(exc)), cors=cors)
        except Exception:
            log.exception("mockidp failed on %s %s", scope.get("method"), scope.get("path"))
            error, description = "server_error", "mockidp failed; see its log"
            response = server_error_response()
        if response is not None and endpoint is not None and endpoint.cors:
            self._cors(response, request, ex.params if ex and ex.params else readable)
        if response is not None and name is not None and self.response_hooks:
            hooked = ResponseRequest(name, request.method, scope["path"], ex.params if ex else {})
            response, failed = self.response_hooks.apply(response, hooked)
            if failed:
                error, description = failed.error, str(failed)
        if fault is not None:
            if response is not None:
                response = scripted.altered(response, fault)
            if fault.latency_ms:
                await anyio.sleep(fault.latency_ms / 1000)
        # The record is in the log before the answer's first byte is sent, so a client
        # that has its answer always finds it there (the live server answers on a thread).
        params = ex.params if ex and ex.params else readable
        authorization = request.headers.get("authorization")
        record = RequestRecord(
            method=scope.get("method", ""),
            path=scope["path"],
            endpoint=name,
            status=response.status_code if response is not None else 0,
            duration_ms=(time.perf_counter() - started) * 1000,
            client_id=_client_of(params, request),
            grant_type=params.get("grant_type"),
            error=error or (ex.error if ex else None),
            error_description=description or (ex.error_description if ex else None) or None,
            fault=fault.name if fault else None,
            params=mask_params(params),
            client_auth=_client_auth(name, _credentials(ex, params, authorization)),
            authorization=mask_authorization(authorization),
            session=links.session(
                request.cookies.get(SESSION_COOKIE), ex.started_session if ex else None
            ),
            issued=links.issued(ex.handed_out) if ex else links.issued({}),
        )
        self.report(record, ex.outgoing if ex else (), response)
        if response is None:
            await scripted.drop_connection(send, fault.name if fault else "")
        else:
            await response(scope, request.receive, send)

    async def _dispatch(self, endpoint: Endpoint, ex: Exchange) -> Response:
        method = ex.request.method
        if method == "OPTIONS" and endpoint.cors:
            return cors_headers.preflight(
                endpoint.methods,
                origin=ex.request.headers.get("origin"),
                credentialed=self.provider.scenario.quirks.credentialed_cors,
            )
        if method not in endpoint.methods and not (method == "HEAD" and "GET" in endpoint.methods):
            raise MethodNotAllowed(
                f"{method} is not allowed here; use {', '.join(sorted(endpoint.methods))}"
            )
        return await endpoint.handler(self.provider, ex)

    def _cors(self, response: Response, request: Request, params: Params) -> None:
        """CORS headers on an answer (an error too) of an endpoint scripts call; a
        preflight's were set with it."""
        if request.method == "OPTIONS" and "access-control-allow-methods" in response.headers:
            return
        credentialed = self.provider.scenario.quirks.credentialed_cors
        cors_headers.allow(
            response,
            request.headers,
            credentialed=credentialed,
            clients=self.provider,
            # only a credentialed answer depends on the client: spare the header's decoding
            client_id=_client_of(params, request) if credentialed else None,
        )


@cache
def _hookable_endpoints() -> frozenset[str]:
    """Every endpoint name a response hook may name: each app's, built once."""
    return frozenset(ENDPOINTS) | frozenset(known_endpoints())


def _vendor_endpoint(name: str) -> Endpoint | None:
    """A vendor's own endpoint (:mod:`mockidp.http.vendors`), loaded on its first request."""
    from mockidp.http.vendors import endpoints

    return endpoints().get(name)


def _allowed_methods(endpoint: Endpoint) -> list[str]:
    """The methods a 405's Allow header lists: OPTIONS only where preflights are answered."""
    return sorted(endpoint.methods | ({"OPTIONS"} if endpoint.cors else set()))


def _client_of(params: Mapping[str, str], request: Request) -> str | None:
    if "client_id" in params:
        return params["client_id"]
    try:
        creds = read_credentials(request.headers.get("authorization"), {})
    except OAuthError:
        return None
    return creds.client_id if creds else None


_CLIENT_AUTH_ENDPOINTS = frozenset({"token", "introspection", "revocation", "device_authorization"})


def _credentials(
    ex: Exchange | None, params: Params, authorization: str | None
) -> ClientCredentials:
    """The credentials the endpoint read, else (it stopped before) from what was read."""
    if ex is not None and ex.credentials is not None:
        return ex.credentials
    return ClientCredentials(authorization, params)


def _client_auth(name: str | None, credentials: ClientCredentials) -> str | None:
    """How the request authenticated its client, for the request log (None: not at all)."""
    if name not in _CLIENT_AUTH_ENDPOINTS:
        return None
    try:
        creds = credentials.read()  # what the provider read, not a second reading
    except OAuthError:
        return None
    if creds is None or creds.method != "jwt":
        return creds.method if creds else None
    header = (creds.assertion or "").split(".", 1)[0]
    try:
        alg = json.loads(base64.urlsafe_b64decode(header + "=" * (-len(header) % 4))).get("alg")
    except (ValueError, AttributeError):
        alg = None
    return "client_secret_jwt" if str(alg).startswith("HS") else "private_key_jwt"
