"""The test-control API under ``/_mockidp/``: script a running provider over HTTP.

Any language, a container or a deployed per-PR IdP can replace or patch the scenario,
add and change users and clients, queue faults, move the clock, reset state, read the
request log and mint tokens. The operations live in :mod:`mockidp.control.ops`; this
module is their HTTP shell: the admin token, body reading, routing, and errors as JSON
``{error, error_description}`` (``problems`` too for a scenario that does not load).

The prefix never leaks into the emulated API: the app (:mod:`mockidp.asgi`) hands it
over before routing by the layout, no endpoint may be moved under it, and discovery
does not mention it.
"""

from __future__ import annotations

import hmac
import logging
from collections.abc import Callable
from typing import Any

from starlette.datastructures import Headers
from starlette.requests import Request
from starlette.responses import Response
from starlette.types import Receive, Scope, Send

from mockidp.control.base import ControlCall, ControlError, Route, ok
from mockidp.control.inspector.app import Inspector, is_inspector_path
from mockidp.control.inspector.audits import AuditShelf
from mockidp.control.inspector.journal import TokenJournal
from mockidp.control.routes import ROUTES
from mockidp.control.sync import ControlSync
from mockidp.control.tenants import TenantRegistry
from mockidp.errors import MockIdPError, OAuthError, ScenarioError
from mockidp.http.render import NO_STORE
from mockidp.http.request import MockIdPRequest
from mockidp.model.layout import CONTROL_PREFIX
from mockidp.model.scenario import Scenario
from mockidp.oauth.provider import Provider
from mockidp.requestlog import REQUEST_LOG_SIZE, RequestLog, RequestRecord

log = logging.getLogger("mockidp")

TENANT_ROUTES = "/tenants"
_UNSHARED = (TENANT_ROUTES, "/tokens", "/requests", "/audit")
"""Operations that change no provider configuration (tenants share their own records)."""
MAX_CONTROL_BODY_BYTES = 1024 * 1024
REALM = "mockidp-control"

Origin = Callable[[Scope, Headers], str]


def without_tenant_routes(routes: tuple[Route, ...] = ROUTES) -> tuple[Route, ...]:
    """The routes of an app without tenants (a tenant's own control API, say)."""
    return tuple(r for r in routes if not r.path.startswith(TENANT_ROUTES))


class Control:
    """The test-control API of one app: its admin token, request log and initial scenario.

    ``requests`` is the log ``GET /_mockidp/requests`` reads: the app's own (a pytest
    plugin's RequestLog, say) or, by default, a new one of REQUEST_LOG_SIZE records.

    ``admin_token`` None leaves the API open (local tests); otherwise every call must
    carry ``Authorization: Bearer <admin_token>``.
    """

    def __init__(
        self,
        provider: Provider,
        *,
        admin_token: str | None = None,
        origin: Origin,
        routes: tuple[Route, ...] = ROUTES,
        requests: RequestLog | None = None,
        journal: TokenJournal | None = None,
    ) -> None:
        if admin_token is not None and not admin_token.strip():
            raise ValueError("admin_token must not be empty (pass None for no token)")
        self.provider = provider
        self.routes = routes
        self.initial_scenario: Scenario = provider.scenario
        self.requests = requests if requests is not None else RequestLog(maxlen=REQUEST_LOG_SIZE)
        self._own_log = requests is None
        self._admin = admin_token.encode("utf-8") if admin_token is not None else None
        self._origin = origin
        self.sync: ControlSync | None = None
        """Shares every change with the apps on the same store (set by the app)."""
        self.tenants: TenantRegistry | None = None
        """The app's tenants, for the ``/tenants`` operations (None: no tenants)."""
        self.audits = AuditShelf()
        """The last relying-party audit that reported here (its inspector page shows it)."""
        self.inspector = Inspector(self, self._admin, journal=journal)
        """The inspector web page (``/_mockidp/inspector``) and its token journal."""

    @property
    def protected(self) -> bool:
        return self._admin is not None

    @property
    def journal(self) -> TokenJournal:
        return self.inspector.journal

    def record(self, record: RequestRecord) -> None:
        """Log ``record``, unless the log is the app's own (its ``on_request`` logged it)."""
        if self._own_log:
            self.requests.record(record)

    async def __call__(self, scope: Scope, receive: Receive, send: Send, path: str) -> None:
        request = MockIdPRequest(scope, receive)
        try:
            response = await self._answer(request, path)
        except ControlError as exc:
            response = error_response(exc)
        except ScenarioError as exc:
            response = error_response(scenario_error(exc))
        except OAuthError as exc:
            response = error_response(ControlError(exc.status, exc.error, exc.description))
        except MockIdPError as exc:
            response = error_response(ControlError(400, "invalid_request", str(exc)))
        except Exception:
            log.exception("mockidp control API failed on %s %s", request.method, path)
            response = error_response(
                ControlError(500, "server_error", "mockidp failed; see its log")
            )
        await response(scope, receive, send)

    async def _answer(self, request: Request, path: str) -> Response:
        sub_path = path[len(CONTROL_PREFIX) - 1 :] or "/"
        if is_inspector_path(sub_path):  # a web page: admin token by header or its cookie
            base = self._origin(request.scope, request.headers)
            page = await self.inspector.answer(request, sub_path, base)
            if self.sync is not None and request.method == "POST" and page.status_code < 400:
                self.sync.push()  # its buttons reset state or move the clock: share that
            return page
        method = "GET" if request.method == "HEAD" else request.method
        if not any(
            r.public and r.method == method and r.match(sub_path) is not None for r in self.routes
        ):
            self._authorize(request.headers.get("authorization"))
        matched = [
            (route, params)
            for route in self.routes
            if (params := route.match(sub_path)) is not None
        ]
        if not matched:
            raise ControlError(
                404, "not_found", f"no control operation at {path}; see GET {CONTROL_PREFIX}"
            )
        chosen = next(((r, p) for r, p in matched if r.method == method), None)
        if chosen is None:
            allowed = sorted({r.method for r, _ in matched})
            raise ControlError(
                405,
                "invalid_request",
                f"{request.method} is not allowed here; use {', '.join(allowed)}",
                headers={"Allow": ", ".join(allowed)},
            )
        route, params = chosen
        body = await _read_body(request)
        base = self._origin(request.scope, request.headers)
        call = ControlCall(self, request, params, body, base, query=dict(request.query_params))
        response = await route.handler(call)
        response.headers.update(NO_STORE)
        shared = method != "GET" and not route.path.startswith(_UNSHARED)
        if self.sync is not None and shared and response.status_code < 400:
            self.sync.push()  # other apps (Lambda containers) on the store load the change
        return response

    def _authorize(self, header: str | None) -> None:
        if self._admin is None:
            return
        scheme, _, value = (header or "").partition(" ")
        if not header or scheme.lower() != "bearer":
            raise ControlError(
                401,
                "unauthorized",
                "the control API needs 'Authorization: Bearer <admin token>'",
                headers={"WWW-Authenticate": f'Bearer realm="{REALM}"'},
            )
        if not hmac.compare_digest(value.strip().encode("utf-8"), self._admin):
            raise ControlError(
                401,
                "invalid_token",
                "the admin token is wrong",
                headers={"WWW-Authenticate": f'Bearer realm="{REALM}", error="invalid_token"'},
            )


async def _read_body(request: Request) -> bytes:
    """The whole body, refused past MAX_CONTROL_BODY_BYTES (413) before it is all read."""
    declared = request.headers.get("content-length")
    if declared is not None and declared.isdigit() and int(declared) > MAX_CONTROL_BODY_BYTES:
        raise _too_large()
    chunks: list[bytes] = []
    size = 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > MAX_CONTROL_BODY_BYTES:
            raise _too_large()
        chunks.append(chunk)
    return b"".join(chunks)


def _too_large() -> ControlError:
    return ControlError(413, "invalid_request", f"the body is over {MAX_CONTROL_BODY_BYTES} bytes")


def scenario_error(exc: ScenarioError) -> ControlError:
    """A scenario that does not load: 400 listing every problem, each located."""
    problems = [
        {"location": p.location, "message": p.message, **({"line": p.line} if p.line else {})}
        for p in exc.problems
    ]
    summary = "; ".join(str(p) for p in exc.problems[:5])
    more = f" (and {len(exc.problems) - 5} more)" if len(exc.problems) > 5 else ""
    return ControlError(
        400,
        "invalid_scenario",
        f"the scenario was not changed: {summary}{more}",
        problems=problems,
    )


def error_response(error: ControlError) -> Response:
    body: dict[str, Any] = {"error": error.error, "error_description": error.description}
    if error.problems is not None:
        body["problems"] = error.problems
    return ok(body, error.status, {**NO_STORE, **error.headers})
