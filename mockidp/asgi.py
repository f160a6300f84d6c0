"""The ASGI application: composition only.

A request goes, in this order, to a tenant (``/t/{name}/...``, :mod:`mockidp.control.tenants`),
through the control sync (changes another app on the store made,
:mod:`mockidp.control.sync`), then to the test-control API under ``/_mockidp/``
(:mod:`mockidp.control.api`) or to the emulated endpoints (:mod:`mockidp.http.app`).
The endpoint app knows nothing of the control API: it reports each answered request to
a callback, wired here to ``on_request``, the control API's request log and the
inspector's token journal.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from starlette.responses import Response
from starlette.types import Receive, Scope, Send

from mockidp.clock import Clock
from mockidp.control.inspector.journal import JOURNALED, TokenJournal
from mockidp.control.sync import CONTROL_KEY, ControlSync
from mockidp.errors import OAuthError, TemporarilyUnavailable
from mockidp.http.app import EndpointApp
from mockidp.http.input import request_origin, route_path
from mockidp.http.render import oauth_error_response
from mockidp.http.split_urls import check_browser_url
from mockidp.keys.ring import KeyRing
from mockidp.model.layout import (
    DEFAULT_MAX_TENANTS,
    TENANT_PREFIX,
    Layout,
    is_control_path,
    path_inserted,
)
from mockidp.model.scenario import Scenario
from mockidp.oauth.provider import Provider
from mockidp.requestlog import REQUEST_LOG_SIZE, RequestLog, RequestRecord
from mockidp.store import Store

if TYPE_CHECKING:
    from mockidp.control.api import Control
    from mockidp.control.tenants import TenantRegistry


class MockIdPApp:
    """An ASGI app serving one :class:`Provider`.

    ``on_request`` is called with a :class:`RequestRecord` after every answered request.
    ``control`` is the test-control API under ``/_mockidp/`` (:mod:`mockidp.control.api`),
    open unless ``admin_token`` is given; its request log is ``on_request`` when that is
    a :class:`RequestLog` (or its ``record``), else its own.

    Tenants (:mod:`mockidp.control.tenants`): ``/t/{name}/...`` is tenant ``name``'s provider,
    made on first use while fewer than ``max_tenants`` exist (None: no tenants).
    Control changes are shared with every app on the same store (:mod:`mockidp.control.sync`).

    The control API and the tenant registry are built (and their modules imported) when
    first needed: most apps answer only emulated endpoints. The request log and the
    inspector's token journal are the app's own from the start, so they miss nothing.
    """

    def __init__(
        self,
        provider: Provider,
        *,
        on_request: Callable[[RequestRecord], None] | None = None,
        admin_token: str | None = None,
        max_tenants: int | None = DEFAULT_MAX_TENANTS,
        browser_url: str | None = None,
    ) -> None:
        if admin_token is not None and not admin_token.strip():
            raise ValueError("admin_token must not be empty (pass None for no token)")
        if browser_url is not None:
            browser_url = check_browser_url(browser_url)
        self.provider = provider
        self.on_request = on_request
        self.browser_url = browser_url
        self.endpoints = EndpointApp(provider, report=self._report, browser_url=browser_url)
        self.response_hooks = self.endpoints.response_hooks  # test code's (http/hooks)
        log = getattr(on_request, "__self__", on_request)
        self._admin_token = admin_token
        self._max_tenants = max_tenants
        # the control API's request log: the app's own when on_request logs already
        self._log_is_on_request = isinstance(log, RequestLog)
        self.requests = log if isinstance(log, RequestLog) else RequestLog(maxlen=REQUEST_LOG_SIZE)
        self.journal = TokenJournal()
        """The tokens this app handed out lately, for the inspector (every app keeps it)."""
        self.initial_scenario: Scenario = provider.scenario
        self.sync = ControlSync(provider, self.initial_scenario)
        namespace = provider.state.namespace
        provider.state.keep = (f"{namespace}{CONTROL_KEY}",)  # reset keeps control state
        if max_tenants is not None:
            provider.state.keep += (f"{namespace}t/", f"{namespace}mockidp:")
        self._control: Control | None = None
        self._tenants: TenantRegistry | None = None

    @property
    def protected(self) -> bool:
        """Whether the test-control API asks for an admin token (without building it)."""
        return self._admin_token is not None

    @property
    def control(self) -> Control:
        """The test-control API, made on first use."""
        if self._control is None:
            from mockidp.control.api import Control, without_tenant_routes

            control = Control(
                self.provider,
                admin_token=self._admin_token,
                origin=request_origin,
                requests=self.requests,
                journal=self.journal,
                **({} if self._max_tenants is not None else {"routes": without_tenant_routes()}),
            )
            control.initial_scenario = self.initial_scenario
            control.sync = self.sync
            control.tenants = self.tenants
            self._control = control
        return self._control

    @property
    def tenants(self) -> TenantRegistry | None:
        """The app's tenants (None: it has none), the registry made on first use."""
        if self._tenants is None and self._max_tenants is not None:
            from mockidp.control.tenants import TenantRegistry

            # a plain callback (the CLI's printer) hears tenants too; a RequestLog is the
            # base control API's log, which a tenant's requests stay out of
            hook = None if self._log_is_on_request else self.on_request
            admin_token = self._admin_token
            browser_url = self.browser_url
            self._tenants = TenantRegistry(
                self.provider,
                self.initial_scenario,
                lambda tenant: MockIdPApp(
                    tenant,
                    on_request=hook,
                    admin_token=admin_token,
                    max_tenants=None,
                    browser_url=browser_url,
                ),
                fingerprint=lambda: self.sync.fingerprint,
                max_tenants=self._max_tenants,
            )
        return self._tenants

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http":
            path = route_path(scope)
            if self._max_tenants is not None:
                scope, path = self._tenant_metadata(scope, path)
            if (
                self._max_tenants is not None
                and path.startswith(TENANT_PREFIX)
                and self.endpoints.route(path, scope) is None  # a preset's own /t/... path wins
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
        await self.endpoints(scope, receive, send)

    def _report(
        self, record: RequestRecord, outgoing: Sequence[RequestRecord], response: Response | None
    ) -> None:
        """What the endpoint app heard: to on_request, the control API's log, the journal."""
        for entry in [record, *outgoing]:  # the request, then its back-channel calls
            if self.on_request is not None:
                self.on_request(entry)
            if not self._log_is_on_request:
                self.requests.record(entry)  # the control API's request log
        if response is not None and record.endpoint in JOURNALED:  # tokens, for the inspector
            self.journal.observe(record, response, self.provider.clock.now())

    def _tenant_metadata(self, scope: Scope, path: str) -> tuple[Scope, str]:
        """RFC 8414 3.1: a tenant issuer's metadata at the path-insertion URL
        (``/.well-known/oauth-authorization-server/t/NAME``), unless the layout serves
        that path itself."""
        moved = path_inserted(path)
        if moved is None or not moved.startswith(TENANT_PREFIX):
            return scope, path
        if self.endpoints.route(path, scope) is not None:
            return scope, path
        root = str(scope.get("root_path") or "").rstrip("/")
        moved_scope = {**scope, "path": root + moved, "raw_path": (root + moved).encode()}
        return moved_scope, moved

    async def _tenant(self, scope: Scope, receive: Receive, send: Send, path: str) -> None:
        """Hand ``/t/{name}/rest`` to the tenant's app, ``/t/{name}`` becoming root path."""
        from mockidp.control.tenants import split_tenant_path

        tenants = self.tenants
        assert tenants is not None
        name, rest = split_tenant_path(path) or ("", path)
        try:
            tenant = tenants.open(name)
        except OAuthError as exc:  # a bad name, the cap, an unreachable store
            await oauth_error_response(exc, cors=True)(scope, receive, send)
            return
        root = f"{str(scope.get('root_path') or '').rstrip('/')}{TENANT_PREFIX}{name}"
        scope = {**scope, "root_path": root, "path": root + rest}
        await tenant.app.serve(scope, receive, send, rest)


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
    browser_url: str | None = None,
) -> MockIdPApp:
    """An ASGI app for ``scenario`` (a path, a mapping, a Scenario, or None for the default).

    Pass ``provider`` to serve an existing Provider instead; the app's ``.provider``
    attribute gives tests the Python API (``use_scenario``, ``clock``, ``reset``).
    ``admin_token``: every call of the test-control API (``/_mockidp/``) must then send
    ``Authorization: Bearer <admin_token>``; None leaves it open. ``max_tenants`` caps
    the tenants made on first use under ``/t/{name}/`` (None: no tenants at all).
    ``browser_url``: where browsers reach the provider when the app's backend uses
    another address (docker compose): the issuer and the browser endpoints are there,
    the back-channel endpoints at each request's own address
    (:mod:`mockidp.http.split_urls`).
    """
    if provider is None:
        provider = Provider(scenario, store=store, clock=clock, keys=keys, layout=layout)
    elif scenario is not None or store is not None or clock is not None or keys is not None:
        raise TypeError("pass either provider or scenario/store/clock/keys, not both")
    return MockIdPApp(
        provider,
        on_request=on_request,
        admin_token=admin_token,
        max_tenants=max_tenants,
        browser_url=browser_url,
    )
