"""The ASGI application: routes by the provider's layout, renders every error.

The only place where exceptions become HTTP: OAuthError -> RFC 6749 5.2 JSON (with
WWW-Authenticate where due), PageError -> an HTML page, anything else -> a JSON
server_error with no traceback (the traceback goes to the log).

Scripted faults (:mod:`mockidp.oauth.faults` picks one) are applied here too: an answer in
place of the endpoint's (``oauth_error``, ``http_status``, ``drop_connection``), or the
real answer altered (``malformed_body``, ``truncate_body``, ``content_type``), and
``latency_ms`` before either is sent.
"""

from __future__ import annotations

import base64
import json
import logging
import re
import time
from collections import deque
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

import anyio
from starlette.datastructures import Headers
from starlette.requests import Request
from starlette.responses import Response
from starlette.types import Message, Receive, Scope, Send

from mockidp.clock import Clock
from mockidp.control.api import Control, is_control_path, without_tenant_routes
from mockidp.control.sync import CONTROL_KEY, ControlSync
from mockidp.control.tenants import (
    DEFAULT_MAX_TENANTS,
    TENANT_PREFIX,
    TenantRegistry,
    split_tenant_path,
)
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
    TemporarilyUnavailable,
)
from mockidp.http import pages
from mockidp.http.endpoints import (
    ENDPOINTS,
    SESSION_COOKIE,
    Endpoint,
    Exchange,
    authorization_error,
    html_response,
    json_response,
)
from mockidp.http.hooks import ResponseHooks, ResponseRequest, hook_failed_response
from mockidp.http.input import (
    MAX_BODY_BYTES,
    RepeatedParameters,
    bearer_token,
    is_form,
    parse_pairs,
)
from mockidp.keys.ring import KeyRing
from mockidp.model.layout import Layout
from mockidp.model.quirks import Quirks
from mockidp.model.scenario import Fault, Scenario
from mockidp.oauth import faults
from mockidp.oauth.client_auth import read_credentials
from mockidp.oauth.hooks import HookFailed
from mockidp.oauth.provider import Provider
from mockidp.oauth.shapes import error_body
from mockidp.requestlog import RequestLog, RequestRecord, mask_authorization, mask_params
from mockidp.store import Store
from mockidp.types import JSONObject, Params

log = logging.getLogger("mockidp")

_HOST = re.compile(r"[A-Za-z0-9.\-]+(:\d{1,5})?|\[[0-9A-Fa-f:.]+\](:\d{1,5})?")
_CORS_ALLOW_HEADERS = "Authorization, Content-Type, DPoP"
REALM = "mockidp"
RETRY_AFTER_SECONDS = 1  # a 503 temporarily_unavailable (state store throttled or unreachable)


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


NO_QUIRKS = Quirks()


def oauth_error_response(error: OAuthError, *, cors: bool, quirks: Quirks = NO_QUIRKS) -> Response:
    """RFC 6749 5.2 JSON, or as the preset's ``quirks`` shape and word it."""
    body, status = error_body(error, quirks)
    response = json_response(body, status=status)
    if isinstance(error, InvalidToken | InsufficientScope):  # RFC 6750 3
        challenge = f'Bearer realm="{REALM}"'
        if not isinstance(error, MissingToken):
            challenge += f', error="{error.error}"'
            if error.description:
                challenge += f', error_description="{_quote(error.description)}"'
        response.headers["WWW-Authenticate"] = challenge
    elif isinstance(error, InvalidClient) and status == 401:  # RFC 6749 5.2
        response.headers["WWW-Authenticate"] = f'Basic realm="{REALM}"'
    elif isinstance(error, TemporarilyUnavailable):  # RFC 9110 10.2.3: when to try again
        response.headers["Retry-After"] = str(RETRY_AFTER_SECONDS)
    if error.headers:  # a DPoP challenge (replacing Bearer's) or a DPoP-Nonce
        extra = dict(error.headers)
        if isinstance(error, MissingToken) and "WWW-Authenticate" in extra:
            # RFC 9449 7.2: no token at all, so both schemes are offered, Bearer first
            bearer = response.headers["WWW-Authenticate"]
            extra["WWW-Authenticate"] = f"{bearer}, {extra['WWW-Authenticate']}"
        response.headers.update(extra)
    if cors:
        response.headers["Access-Control-Allow-Origin"] = "*"
    return response


class MockIdPApp:
    """An ASGI app serving one :class:`Provider`.

    ``on_request`` is called with a :class:`RequestRecord` after every answered request.
    ``control`` is the test-control API under ``/_mockidp/`` (:mod:`mockidp.control.api`),
    open unless ``admin_token`` is given; its request log is ``on_request`` when that is
    a :class:`RequestLog` (or its ``record``), else its own.

    Tenants (:mod:`mockidp.control.tenants`): ``/t/{name}/...`` is tenant ``name``'s provider,
    made on first use while fewer than ``max_tenants`` exist (None: no tenants).
    Control changes are shared with every app on the same store (:mod:`mockidp.control.sync`).
    """

    def __init__(
        self,
        provider: Provider,
        *,
        on_request: Callable[[RequestRecord], None] | None = None,
        admin_token: str | None = None,
        max_tenants: int | None = DEFAULT_MAX_TENANTS,
    ) -> None:
        self.provider = provider
        self.on_request = on_request
        self.response_hooks = ResponseHooks(frozenset(ENDPOINTS))  # test code's (http/hooks)
        self._routes: tuple[Layout, dict[str, str]] = (provider.layout, provider.layout.by_path())
        log = getattr(on_request, "__self__", on_request)
        self.control = Control(
            provider,
            admin_token=admin_token,
            origin=request_origin,
            requests=log if isinstance(log, RequestLog) else None,
            **({} if max_tenants is not None else {"routes": without_tenant_routes()}),
        )
        self.sync = ControlSync(provider, self.control.initial_scenario)
        self.control.sync = self.sync
        namespace = provider.deps.state.namespace
        provider.deps.state.keep = (f"{namespace}{CONTROL_KEY}",)  # reset keeps control state
        self.tenants: TenantRegistry | None = None
        if max_tenants is not None:
            # a plain callback (the CLI's printer) hears tenants too; a RequestLog is the
            # base control API's log, which a tenant's requests stay out of
            hook = None if isinstance(log, RequestLog) else on_request
            self.tenants = TenantRegistry(
                provider,
                self.control.initial_scenario,
                lambda tenant: MockIdPApp(
                    tenant, on_request=hook, admin_token=admin_token, max_tenants=None
                ),
                fingerprint=lambda: self.sync.fingerprint,
                max_tenants=max_tenants,
            )
            provider.deps.state.keep += (f"{namespace}t/", f"{namespace}mockidp:")
        self.control.tenants = self.tenants

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http":
            path = _route_path(scope)
            if (
                self.tenants is not None
                and path.startswith(TENANT_PREFIX)
                and self._route(path, scope) is None  # a preset's own /t/... path wins
            ):
                await self._tenant(scope, receive, send, path)
                return
            try:
                self.sync.pull()  # control changes another app (container) made
            except TemporarilyUnavailable as exc:  # the store is unreachable
                if is_control_path(path):  # change nothing the others would not see
                    await oauth_error_response(exc, cors=True)(scope, receive, send)
                    return
                # an endpoint answers from what this app has; its own state access fails
                # as usual (a 503, or a redirect with temporarily_unavailable)
            await self.serve(scope, receive, send, path)
        elif scope["type"] == "lifespan":
            await _lifespan(receive, send)

    async def serve(self, scope: Scope, receive: Receive, send: Send, path: str) -> None:
        """Answer an HTTP request at ``path`` (without the root path), already synced."""
        if is_control_path(path):  # before the layout: never an emulated endpoint
            await self.control(scope, receive, send, path)
            return
        await self._http(scope, receive, send)

    async def _tenant(self, scope: Scope, receive: Receive, send: Send, path: str) -> None:
        """Hand ``/t/{name}/rest`` to the tenant's app, ``/t/{name}`` becoming root path."""
        assert self.tenants is not None
        name, rest = split_tenant_path(path) or ("", path)
        try:
            tenant = self.tenants.open(name)
        except OAuthError as exc:  # a bad name, the cap, an unreachable store
            await oauth_error_response(exc, cors=True)(scope, receive, send)
            return
        root = f"{str(scope.get('root_path') or '').rstrip('/')}{TENANT_PREFIX}{name}"
        scope = {**scope, "root_path": root, "path": root + rest}
        await tenant.app.serve(scope, receive, send, rest)

    def _route(self, path: str, scope: Scope) -> str | None:
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

    async def _http(self, scope: Scope, receive: Receive, send: Send) -> None:
        started = time.perf_counter()
        request = Request(scope, receive)
        name = self._route(_route_path(scope), scope)
        endpoint = ENDPOINTS.get(name) if name else None
        cors = endpoint.cors if endpoint else True
        ex: Exchange | None = None
        error: str | None = None
        fault: Fault | None = None
        peeked: Params = {}
        response: Response | None = None  # None: drop the connection
        try:
            issuer = self.provider.issuer_for(request_origin(scope, request.headers))
            if endpoint is None or name is None:
                raise NotFound(f"no endpoint at {scope['path']}; see the discovery document")
            scenario = self.provider.scenario
            if scenario.faults and not (request.method == "OPTIONS" and endpoint.cors):
                request, peeked = await _peek_params(request)
                call = _describe(name, request, peeked)
                fault = faults.pick(scenario, self.provider.deps.state, call)
            ex = Exchange(request, issuer, name)
            if fault is not None and fault.oauth_error is not None:
                scripted = faults.scripted_error(fault.oauth_error)
                if name != "authorization":
                    raise scripted
                error = scripted.error
                ex.params = peeked
                response = authorization_error(self.provider, ex, scripted)
            elif fault is not None and fault.http_status is not None:
                response = _bare_response(fault.http_status, cors=cors)
            elif fault is None or not fault.drop_connection:
                response = await self._dispatch(endpoint, ex)
        except OAuthError as exc:
            error = exc.error
            quirks = self.provider.scenario.quirks
            response = oauth_error_response(exc, cors=cors, quirks=quirks)
            if isinstance(exc, MethodNotAllowed) and endpoint is not None:
                response.headers["Allow"] = ", ".join(_allowed_methods(endpoint))
        except PageError as exc:
            error = exc.error
            wording = self.provider.scenario.quirks.error_messages.get(exc.reason, {})
            page = pages.error_page(
                str(wording.get("error", exc.error)),
                str(wording.get("description", exc.description)),
            )
            response = html_response(page, status=400)
        except HookFailed as exc:  # test code's token hook raised: a 500 naming it
            error = exc.error
            response = hook_failed_response(exc)
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
        if response is not None and name is not None and self.response_hooks:
            hooked = ResponseRequest(name, request.method, scope["path"], ex.params if ex else {})
            response, failed = self.response_hooks.apply(response, hooked)
            error = failed.error if failed else error
        if fault is not None:
            if response is not None:
                response = _altered(response, fault)
            if fault.latency_ms:
                await anyio.sleep(fault.latency_ms / 1000)
        try:
            if response is None:
                await _drop_connection(send, fault.name if fault else "")
            else:
                await response(scope, request.receive, send)
        finally:
            params = ex.params if ex and ex.params else peeked
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
                fault=fault.name if fault else None,
                params=mask_params(params),
                client_auth=_client_auth(name, params, authorization),
                authorization=mask_authorization(authorization),
            )
            for entry in [record, *(ex.outgoing if ex else ())]:  # then back-channel calls
                if self.on_request is not None:
                    self.on_request(entry)
                self.control.record(entry)  # the control API's request log
            self.control.inspector.observe(record, response)  # tokens, for the inspector

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


_CLIENT_AUTH_ENDPOINTS = frozenset({"token", "introspection", "revocation", "device_authorization"})


def _client_auth(name: str | None, params: Params, authorization: str | None) -> str | None:
    """How the request authenticated its client, for the request log (None: not at all)."""
    if name not in _CLIENT_AUTH_ENDPOINTS:
        return None
    try:
        creds = read_credentials(authorization, params)
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


async def _peek_params(request: Request) -> tuple[Request, Params]:
    """The query and form parameters, read before the endpoint runs so faults can match
    them, and a Request whose body can still be read (what was read is replayed).

    Lenient where endpoints are strict: unreadable parameters are just not there. A
    body past the endpoints' cap is not parsed; the endpoint refuses it as usual.
    """
    params = _lenient(request.scope.get("query_string", b""))
    if request.method != "POST" or not is_form(request):
        return request, params
    declared = request.headers.get("content-length")
    if declared is not None and declared.isdigit() and int(declared) > MAX_BODY_BYTES:
        return request, params
    read: deque[Message] = deque()
    size = 0
    complete = False
    while not complete and size <= MAX_BODY_BYTES:
        message = await request.receive()
        read.append(message)
        if message["type"] != "http.request":
            break
        size += len(message.get("body", b""))
        complete = not message.get("more_body", False)
    if complete and size <= MAX_BODY_BYTES:
        body = b"".join(m.get("body", b"") for m in read)
        params = {**params, **_lenient(body)}
    receive = request.receive

    async def replay() -> Message:
        return read.popleft() if read else await receive()

    return Request(request.scope, replay), params


def _lenient(raw: bytes) -> Params:
    try:
        return parse_pairs(raw.decode("utf-8"))
    except RepeatedParameters as exc:
        return exc.params
    except (UnicodeDecodeError, MockIdPError):
        return {}


def _describe(name: str, request: Request, params: Params) -> faults.Call:
    return faults.Call(
        endpoint=name,
        method=request.method,
        params=params,
        client_id=_client_of(params, request),
        session_id=request.cookies.get(SESSION_COOKIE),
        bearer=bearer_token(request.headers.get("authorization")),
    )


def _bare_response(spec: JSONObject, *, cors: bool) -> Response:
    """An ``http_status`` fault's answer: exactly the scripted status, body and headers."""
    headers: dict[str, str] = dict(spec.get("headers", {}))
    body = str(spec.get("body", ""))
    content_type = spec.get("content_type")
    has_type = any(k.lower() == "content-type" for k in headers)
    if content_type is not None:
        headers = {k: v for k, v in headers.items() if k.lower() != "content-type"}
        headers["Content-Type"] = str(content_type)
    elif body and not has_type:
        headers["Content-Type"] = "text/plain; charset=utf-8"
    response = Response(body.encode("utf-8"), status_code=int(spec["status"]), headers=headers)
    if cors and "access-control-allow-origin" not in response.headers:
        response.headers["Access-Control-Allow-Origin"] = "*"
    return response


def _altered(response: Response, fault: Fault) -> Response:
    """The real answer with its body or content type spoiled as ``fault`` says."""
    if fault.content_type is not None:
        response.headers["Content-Type"] = fault.content_type
    if fault.malformed_body:
        body = faults.MALFORMED_BODY
    elif fault.truncate_body is not None:
        body = bytes(response.body[: fault.truncate_body])
    else:
        return response
    response.body = body
    response.headers["Content-Length"] = str(len(body))
    return response


async def _drop_connection(send: Send, fault: str) -> None:
    """Close the connection without answering.

    uvicorn (httptools and h11 alike) marks the response started before it checks a
    start message, and writes nothing until the check passes: a start it refuses (status
    0), then a normal return, makes it close the socket without sending a byte (it logs
    "ASGI callable returned without completing response"). Clients see the server
    disconnect without a response (httpx.RemoteProtocolError, requests.ConnectionError).

    In-process transports (httpx.ASGITransport, Starlette's TestClient) accept any start
    message; the exception raised then reaches the client as it is: an
    httpx.RemoteProtocolError (a transport error) when httpx is installed, else a
    ConnectionResetError. (With ``raise_app_exceptions=False``, httpx.ASGITransport
    answers the status-0 start instead.) Behind Mangum on AWS Lambda nothing can be
    dropped: the gateway answers an error of its own.
    """
    try:
        await send({"type": "http.response.start", "status": 0, "headers": []})
    except Exception:
        return  # a real server refused the start line: it closes the socket
    message = f"mockidp dropped the connection (scripted fault {fault!r})"
    try:
        import httpx
    except ImportError:  # pragma: no cover - httpx comes with every in-process transport
        raise ConnectionResetError(message) from None
    raise httpx.RemoteProtocolError(message)


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
    admin_token: str | None = None,
    max_tenants: int | None = DEFAULT_MAX_TENANTS,
) -> MockIdPApp:
    """An ASGI app for ``scenario`` (a path, a mapping, a Scenario, or None for the default).

    Pass ``provider`` to serve an existing Provider instead; the app's ``.provider``
    attribute gives tests the Python API (``use_scenario``, ``clock``, ``reset``).
    ``admin_token``: every call of the test-control API (``/_mockidp/``) must then send
    ``Authorization: Bearer <admin_token>``; None leaves it open. ``max_tenants`` caps
    the tenants made on first use under ``/t/{name}/`` (None: no tenants at all).
    """
    if provider is None:
        provider = Provider(scenario, store=store, clock=clock, keys=keys, layout=layout)
    elif scenario is not None or store is not None or clock is not None or keys is not None:
        raise TypeError("pass either provider or scenario/store/clock/keys, not both")
    return MockIdPApp(
        provider, on_request=on_request, admin_token=admin_token, max_tenants=max_tenants
    )
