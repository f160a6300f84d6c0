"""The browser helpers of :class:`MockIdP`: ``sign_in`` and ``follow`` drive an app's own
test client through a sign-in or a logout (:mod:`mockidp.testing.browser` does the hops)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:  # loaded on first use (mockidp.testing.double says why)
    import httpx

    from mockidp.testing.browser import Browser
    from mockidp.testing.serving import LiveServer, SyncASGITransport


class BrowserHelpers:
    """Mixed into MockIdP, which sets these attributes and defines these methods."""

    server: LiveServer | None
    url: str
    _browser: httpx.Client | None

    def origins(self) -> tuple[str, ...]:
        raise NotImplementedError

    def _portal_transport(self) -> SyncASGITransport:
        raise NotImplementedError

    def sign_in(
        self,
        app_client: Any,
        start: str = "/login",
        *,
        user: str | None = None,
        consent: bool = True,
        origins: Sequence[str] = (),
    ) -> Any:
        """Sign ``user`` in to your app through its own test client (Starlette/FastAPI
        TestClient, an httpx client, Flask's or Django's test client), as a browser would:
        GET ``start``, follow the redirects between app and provider, answer the login
        page for ``user`` (sent as ``login_hint`` too) and the consent page (approve, or
        deny with ``consent=False``), and return the app's final response. The provider
        keeps its session cookie in this object's browser, for :meth:`follow` (logout).
        URLs on :meth:`origins` (and extra ``origins``) go to the provider in-process."""
        return self._browse(origins).run(app_client, start, user=user, consent=consent)

    def follow(
        self,
        app_client: Any,
        start: str,
        *,
        method: str = "GET",
        data: Mapping[str, str] | None = None,
        origins: Sequence[str] = (),
    ) -> Any:
        """Request ``start`` from your app and follow the redirects between app and
        provider with the same browser as :meth:`sign_in` (its cookies): a logout, a
        silent ``prompt=none`` sign-in. The last response (the app's, or a provider page)."""
        body = dict(data) if data is not None else None
        return self._browse(origins).run(app_client, start, method=method, data=body)

    def _browse(self, extra: Sequence[str]) -> Browser:
        import httpx

        from mockidp.testing.browser import Browser
        from mockidp.testing.routes import Origin

        known = [Origin(o) for o in (*self.origins(), *extra)]
        if self.server is not None:
            known.append(Origin(self.url))

        def is_idp(url: str) -> bool:
            parts = httpx.URL(url)
            if not parts.is_absolute_url:
                return False
            port = parts.port or (443 if parts.scheme == "https" else 80)
            return any(o.matches(parts.scheme, parts.host, port) for o in known)

        if self._browser is None:
            self._browser = httpx.Client(transport=self._portal_transport(), base_url=self.url)
        return Browser(self._browser, is_idp)
