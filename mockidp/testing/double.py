"""Providers for tests: what the pytest plugin's fixtures hand out, usable without pytest.

:class:`MockIdP` wraps one :class:`~mockidp.asgi.MockIdPApp` with its request log,
httpx clients routed to it, and helpers that mint tokens, sign users in, move time and
queue faults. It serves in-process (httpx's ASGITransport for async clients,
:class:`~mockidp.testing.serving.SyncASGITransport` for sync ones) or behind a
:class:`~mockidp.testing.serving.LiveServer` (uvicorn on a random loopback port in a thread)
for clients that need a real socket.
"""

from __future__ import annotations

import ssl
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from mockidp.asgi import MockIdPApp, create_app
from mockidp.hosting.tls import TLSFiles
from mockidp.http.hooks import ResponseHook
from mockidp.model.scenario import Client, User
from mockidp.oauth.hooks import TokenHook
from mockidp.oauth.provider import Provider
from mockidp.oauth.tokens.scopes import requested_scopes
from mockidp.requestlog import RequestLog
from mockidp.scenario.source import ScenarioSource
from mockidp.testing.browsing import BrowserHelpers
from mockidp.testing.faults import FaultHelpers
from mockidp.testing.scenarios import scenario_for_test
from mockidp.testing.travel import Travels
from mockidp.testing.vendor_hosts import vendor_origins
from mockidp.types import JSONObject

if TYPE_CHECKING:  # httpx and what is built on it load on first use: a test that only
    # mints tokens or reads the provider needs none of it (~70 ms of a suite's first use)
    import httpx

    from mockidp.testing.intercept import Interception
    from mockidp.testing.login_flow import AuthorizationCode
    from mockidp.testing.serving import LiveServer, SyncASGITransport

IN_PROCESS_URL = "http://mockidp.test"
"""The origin in-process clients use: the issuer, unless the scenario fixes one."""
DEFAULT_SCOPES = ("openid", "profile", "email", "offline_access")


class MockIdP(FaultHelpers, BrowserHelpers):
    """A provider for tests, reached at ``url`` in-process or, with ``server``, over HTTP.

    ``requests`` is the request log (assert on it); ``provider`` the Python API.
    """

    def __init__(
        self, app: MockIdPApp, requests: RequestLog, *, server: LiveServer | None = None
    ) -> None:
        self.app = app
        self.requests = requests
        if requests.paths is None:  # endpoints named by their path: the scenario's layout
            requests.paths = lambda: app.provider.layout.paths
        self.server = server
        self.url = server.url if server is not None else IN_PROCESS_URL
        self._client: httpx.Client | None = None
        self._async_client: httpx.AsyncClient | None = None
        self._sync_transport: SyncASGITransport | None = None
        self._travels = Travels()
        self._browser: httpx.Client | None = None

    def __repr__(self) -> str:
        kind = "live" if self.server is not None else "in-process"
        return f"<MockIdP {kind} {self.url} scenario={self.provider.scenario.source!r}>"

    @classmethod
    def in_process(cls, scenario: ScenarioSource = None, *, log_size: int = 1000) -> MockIdP:
        log = RequestLog(maxlen=log_size)
        return cls(create_app(scenario, on_request=log.record), log)

    @classmethod
    def serve(
        cls,
        scenario: ScenarioSource = None,
        *,
        host: str = "127.0.0.1",
        log_size: int = 1000,
        tls: TLSFiles | None = None,
    ) -> MockIdP:
        """A live server on a random port of ``host``; over HTTPS with ``tls``
        (:func:`mockidp.hosting.tls.local_tls` makes a certificate signed by a local CA)."""
        from mockidp.testing.serving import LiveServer

        log = RequestLog(maxlen=log_size)
        app = create_app(scenario, on_request=log.record)
        return cls(app, log, server=LiveServer(app, host=host, tls=tls))

    # -- where it is --------------------------------------------------------------------

    @property
    def provider(self) -> Provider:
        return self.app.provider

    @property
    def ca_file(self) -> Path | None:
        """The CA certificate (PEM) an HTTPS server's clients must trust; None over HTTP."""
        return self.server.ca_file if self.server is not None else None

    @property
    def issuer(self) -> str:
        """The issuer its tokens carry: the scenario's, else :attr:`url`."""
        return self.provider.issuer_for(self.url)

    @property
    def transport(self) -> httpx.AsyncBaseTransport:
        """An httpx.ASGITransport to the app: mount it in your app's own AsyncClient."""
        if self.server is not None:
            raise RuntimeError("a live server has no ASGI transport; connect to its .url")
        from mockidp.testing.serving import ASGITransport

        return ASGITransport(app=self.app)

    @property
    def sync_transport(self) -> httpx.BaseTransport:
        """A transport to the app for sync httpx clients (in-process only)."""
        if self.server is not None:
            raise RuntimeError("a live server has no ASGI transport; connect to its .url")
        return self._portal_transport()

    @property
    def httpx2_transport(self) -> Any:
        """:attr:`transport` for httpx2's AsyncClient (an httpx2.ASGITransport; needs httpx2)."""
        if self.server is not None:
            raise RuntimeError("a live server has no ASGI transport; connect to its .url")
        from mockidp.testing.httpx2_transports import async_transport

        return async_transport(self.app)

    @property
    def httpx2_sync_transport(self) -> Any:
        """:attr:`sync_transport` for httpx2's Client (needs httpx2)."""
        if self.server is not None:
            raise RuntimeError("a live server has no ASGI transport; connect to its .url")
        from mockidp.testing.httpx2_transports import Httpx2SyncASGITransport

        return Httpx2SyncASGITransport(self._portal_transport())

    def _portal_transport(self) -> SyncASGITransport:
        if self._sync_transport is None:
            from mockidp.testing.serving import SyncASGITransport

            self._sync_transport = SyncASGITransport(self.app)
        return self._sync_transport

    # -- interception -------------------------------------------------------------------

    def origins(self) -> tuple[str, ...]:
        """What :meth:`intercept` answers with no argument: the in-process origin, the
        scenario's issuer's, and the real hosts of its preset's vendor."""
        found = [IN_PROCESS_URL]
        issuer = self.provider.scenario.issuer
        if issuer:
            import httpx

            parts = httpx.URL(issuer)
            port = f":{parts.port}" if parts.port else ""
            found.append(f"{parts.scheme}://{parts.host}{port}")
        found += vendor_origins(self.provider.scenario.preset)
        return tuple(dict.fromkeys(found))

    def intercept(self, *origins: str) -> Interception:
        """While active (``with mockidp.intercept(): ...``, or as a decorator), every
        request this process makes with httpx, httpx2, requests, urllib.request or aiohttp
        to :meth:`origins` or to the extra ``origins`` given (``"https://api.example.com"``;
        a ``*`` in a host matches any part) is answered by this provider in-process: no
        socket, no certificate, the request log and faults see it. Other hosts are left
        alone."""
        from mockidp.testing.intercept import Interception

        return Interception(self.app, (*self.origins(), *origins), self._portal_transport)

    @property
    def client(self) -> httpx.Client:
        """A sync httpx.Client with base_url :attr:`url`, routed to the provider."""
        if self._client is None:
            self._client = self._new_client()
        return self._client

    @property
    def async_client(self) -> httpx.AsyncClient:
        """An httpx.AsyncClient with base_url :attr:`url`, routed to the provider."""
        if self._async_client is None:
            import httpx

            if self.server is None:
                self._async_client = httpx.AsyncClient(transport=self.transport, base_url=self.url)
            else:  # no idle connections: nothing is left open for another event loop
                limits = httpx.Limits(max_keepalive_connections=0)
                self._async_client = httpx.AsyncClient(
                    base_url=self.url, limits=limits, verify=self._verify()
                )
        return self._async_client

    def _new_client(self) -> httpx.Client:
        import httpx

        if self.server is None:
            return httpx.Client(transport=self.sync_transport, base_url=self.url)
        return httpx.Client(base_url=self.url, verify=self._verify())

    def _verify(self) -> ssl.SSLContext | bool:
        """Over HTTPS, the clients trust the server's CA (and only that)."""
        if self.ca_file is None:
            return True
        return ssl.create_default_context(cafile=str(self.ca_file))

    # -- state, time, scenario ----------------------------------------------------------

    def reset(self, scenario: ScenarioSource = None) -> None:
        """Back to a fresh start on ``scenario``: no state, real time, an empty log, no hooks."""
        self.clear_hooks()
        self._travels.stop()
        if self._browser is not None:  # the old sessions are gone: so are their cookies
            self._browser.cookies.clear()
        if self.app.tenants is not None:  # no tenant outlives the test that made it
            self.app.tenants.clear()
        self.provider.reset()
        self.provider.clock.reset()
        self.requests.clear()
        self.provider.use_scenario(scenario)  # after the clock reset: its clock section holds

    def advance(self, seconds: float) -> None:
        """Move only the provider's clock forward by ``seconds``: clock skew between app
        and IdP (the IdP's tokens expire, the app's clock stays). :meth:`travel` moves both."""
        self.provider.clock.advance(seconds)

    def travel(self, seconds: float) -> None:
        """Move the app's clock and the provider's together by ``seconds``, through
        time-machine or freezegun (a travel the test already runs is shifted; else one
        starts, ended by :meth:`close` / :meth:`reset`). The provider's clock follows the
        process's time; a frozen provider clock is moved too."""
        self._travels.travel(seconds)
        if self.provider.clock.frozen:  # it does not read the process's time
            self.provider.clock.advance(seconds)

    def use_scenario(self, scenario: ScenarioSource = None, **changes: Any) -> None:
        """Serve another scenario (see :func:`scenario_for_test`), keeping sessions and tokens."""
        self.provider.use_scenario(scenario_for_test(scenario, **changes))

    # -- hooks: test code run per request (mockidp.oauth.hooks, mockidp.http.hooks) -------

    def on_token(self, fn: TokenHook) -> TokenHook:
        """Run ``fn(token, request)`` on every ID token and JWT access token before it is
        signed: change ``token.claims`` / ``token.header`` in place (``token.kind`` is
        ``id_token`` or ``access_token``). Returns ``fn``, so it works as a decorator.
        A hook that raises fails the request with a 500 naming it."""
        return self.provider.hooks.add(fn)

    def on_response(self, endpoint: str, fn: ResponseHook) -> ResponseHook:
        """Run ``fn(response, request)`` on every response of ``endpoint`` (``"*"``: all)
        before it is sent: change ``response.status`` / ``.headers`` / ``.body`` (or
        ``response.set_json(...)``). A hook that raises answers a 500 naming it."""
        return self.app.response_hooks.add(endpoint, fn)

    def clear_hooks(self) -> None:
        """Forget every token and response hook (the fixtures do after each test)."""
        self.provider.hooks.clear()
        self.app.response_hooks.clear()

    # -- tokens -------------------------------------------------------------------------

    def issue_tokens(
        self,
        user: str | None = None,
        *,
        client: str | None = None,
        scope: str | Sequence[str] | None = None,
        nonce: str | None = None,
    ) -> JSONObject:
        """A valid token response for ``user`` and ``client``, minted without a request.

        Defaults: the scenario's default user (else its first), its first client, and
        ``openid profile email offline_access`` as far as the client may ask for them.
        The tokens are recorded like any other: userinfo, introspection and refresh work.
        """
        scenario = self.provider.scenario
        found_client = self._client_named(client)
        found_user = self._user_named(user)
        if scope is None:
            allowed = found_client.scopes if found_client.scopes is not None else scenario.scopes
            scope = " ".join(s for s in DEFAULT_SCOPES if s in allowed)
        elif not isinstance(scope, str):
            scope = " ".join(scope)
        scopes = requested_scopes(scenario, found_client, scope)
        return self.provider.mint(
            found_client,
            found_user,
            scopes,
            issuer=self.issuer,
            nonce=nonce,
            grant_type="authorization_code",
        )

    def authorize(
        self,
        user: str | None = None,
        *,
        client: str | None = None,
        scope: str | None = None,
        redirect_uri: str | None = None,
        **params: str,
    ) -> AuthorizationCode:
        """The browser part of :meth:`login`: sign ``user`` in and return the code (with
        its ``redirect_uri`` and PKCE ``code_verifier``) for your client to redeem."""
        found_client = self._client_named(client, flow="authorization_code")
        login = user or self._user_named(None).sub
        from mockidp.testing.login_flow import run_authorization

        with self._new_client() as http:
            return run_authorization(
                http,
                self.provider,
                found_client,
                login,
                scope=scope or " ".join(DEFAULT_SCOPES),
                redirect_uri=redirect_uri,
                params=params,
            )

    def login(
        self,
        user: str | None = None,
        *,
        client: str | None = None,
        scope: str | None = None,
        redirect_uri: str | None = None,
        **params: str,
    ) -> JSONObject:
        """Sign ``user`` in through the whole authorization code flow (PKCE S256) over
        HTTP, answering login and consent pages, and return the token response.

        ``params`` are extra authorization request parameters. The requests are logged.
        """
        found_client = self._client_named(client, flow="authorization_code")
        login = user or self._user_named(None).sub
        from mockidp.testing.login_flow import run_login

        with self._new_client() as http:
            return run_login(
                http,
                self.provider,
                found_client,
                login,
                scope=scope or " ".join(DEFAULT_SCOPES),
                redirect_uri=redirect_uri,
                params=params,
            )

    def _client_named(self, client_id: str | None, *, flow: str | None = None) -> Client:
        scenario = self.provider.scenario
        if client_id is not None:
            found = self.provider.client(client_id)  # registered clients too
            if found is None:
                raise ValueError(f"no client {client_id!r} in the scenario")
            return found
        for candidate in scenario.clients:
            if flow is None or flow in candidate.grant_types:
                return candidate
        raise ValueError("the scenario has no client to use; name one with client=")

    def _user_named(self, login: str | None) -> User:
        scenario = self.provider.scenario
        found = (
            scenario.user(login)
            if login is not None
            else scenario.default or next(iter(scenario.users), None)
        )
        if found is None:
            raise ValueError(f"no user {login!r} in the scenario" if login else "no users")
        return found

    def close(self) -> None:
        """Close the clients and transports this object made (not the server), and end
        the travels :meth:`travel` started."""
        self._travels.stop()
        if self._client is not None:
            self._client.close()
        if self._browser is not None:
            self._browser.close()
        if self._sync_transport is not None:
            self._sync_transport.close()
        self._client = self._async_client = self._sync_transport = self._browser = None
