"""Where intercepted requests go: the active routes (origins -> app), looked up by URL.

The patches (:mod:`mockidp.testing.patches`) ask :func:`route_for` on every request;
:mod:`mockidp.testing.intercept` adds and removes routes.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from fnmatch import fnmatchcase
from typing import TYPE_CHECKING
from urllib.parse import urlsplit

import httpx

if TYPE_CHECKING:
    from mockidp.asgi import MockIdPApp
    from mockidp.testing.serving import SyncASGITransport

DEFAULT_PORTS = {"http": 80, "https": 443}


class Origin:
    """``scheme://host[:port]``; a ``*`` in the host matches any part of a name."""

    def __init__(self, url: str) -> None:
        if not isinstance(url, str) or "://" not in url:
            raise ValueError(f"intercept: {url!r} is not an origin like 'https://api.example.com'")
        parts = urlsplit(url)
        if parts.scheme not in DEFAULT_PORTS or not parts.hostname:
            raise ValueError(f"intercept: {url!r} is not an http(s) origin")
        self.scheme = parts.scheme
        self.host = parts.hostname.lower()
        self.port = parts.port or DEFAULT_PORTS[parts.scheme]
        self.text = url

    def matches(self, scheme: str, host: str, port: int) -> bool:
        return (
            scheme == self.scheme
            and port == self.port
            and (host == self.host or fnmatchcase(host, self.host))
        )

    def __repr__(self) -> str:
        return self.text


class Route:
    """One active interception: its origins and the app that answers them."""

    def __init__(
        self, app: MockIdPApp, origins: tuple[Origin, ...], sync: Callable[[], SyncASGITransport]
    ) -> None:
        self.app = app
        self.origins = origins
        self.sync = sync
        self.asgi = httpx.ASGITransport(app=app)

    def covers(self, url: str) -> bool:
        parts = urlsplit(url)
        scheme, host = parts.scheme.lower(), (parts.hostname or "").lower()
        port = parts.port or DEFAULT_PORTS.get(scheme, 0)
        return any(o.matches(scheme, host, port) for o in self.origins)

    def send(self, request: httpx.Request) -> httpx.Response:
        """Answer ``request`` (its body read) from the app, on the app's helper thread."""
        return self.sync().handle_request(request)

    async def send_async(self, request: httpx.Request) -> httpx.Response:
        """Answer ``request`` from the app, on the caller's event loop."""
        response = await self.asgi.handle_async_request(request)
        await response.aread()
        return response


_ROUTES: list[Route] = []
LOCK = threading.RLock()
"""Held while routes change (and the patches go on or off with the first or last)."""


def route_for(url: str) -> Route | None:
    """The newest active interception covering ``url``, if any."""
    with LOCK:
        routes = list(_ROUTES)
    for route in reversed(routes):
        if route.covers(url):
            return route
    return None


def add(route: Route) -> bool:
    """Make ``route`` active; True if it is the only one (the patches must go on)."""
    with LOCK:
        _ROUTES.append(route)
        return len(_ROUTES) == 1


def remove(route: Route) -> bool:
    """End ``route``; True if none is left (the patches must come off)."""
    with LOCK:
        _ROUTES.remove(route)
        return not _ROUTES
