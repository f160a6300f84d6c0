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
from typing import Any

from starlette.responses import Response
from starlette.types import Receive, Scope, Send

from mockidp.clock import Clock
from mockidp.control.api import Control, is_control_path, without_tenant_routes
from mockidp.control.sync import CONTROL_KEY, ControlSync
from mockidp.control.tenants import (
    DEFAULT_MAX_TENANTS,
    TENANT_PREFIX,
    TenantRegistry,
    split_tenant_path,
)
from mockidp.errors import OAuthError, TemporarilyUnavailable
from mockidp.http.app import EndpointApp
from mockidp.http.input import request_origin, route_path
from mockidp.http.render import oauth_error_response
from mockidp.keys.ring import KeyRing
from mockidp.model.layout import Layout
from mockidp.model.scenario import Scenario
from mockidp.oauth.provider import Provider
from mockidp.requestlog import RequestLog, RequestRecord
from mockidp.store import Store


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
        self.endpoints = EndpointApp(provider, report=self._report)
        self.response_hooks = self.endpoints.response_hooks  # test code's (http/hooks)
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
            path = route_path(scope)
            if (
                self.tenants is not None
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
            self.control.record(entry)  # the control API's request log
        self.control.inspector.observe(record, response)  # tokens, for the inspector

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
