"""The patches behind :mod:`mockidp.testing.intercept`: one method of each HTTP library's
transport layer, wrapped so a request to an intercepted origin is answered in-process.

Patched, for every client of the library whenever it was made:

- httpx and httpx2: ``HTTPTransport.handle_request``, ``AsyncHTTPTransport.handle_async_request``
  (every Client without a custom transport; Authlib's and Starlette's switch to httpx2
  lands here too);
- requests: ``HTTPAdapter.send`` (sessions keep their cookies, redirects and hooks);
- urllib.request: ``AbstractHTTPHandler.do_open``, under every opener's HTTP and HTTPS
  handlers (``urlopen`` and openers from ``build_opener``, as PyJWT's PyJWKClient makes);
- aiohttp: a middleware put first on each request of ``ClientSession._request``, so
  redirects and the cookie jar stay aiohttp's.

A library that is not installed is skipped. Patches are put on when the first
interception starts and taken off when the last one ends.
"""

from __future__ import annotations

import importlib.util
from collections.abc import Callable
from typing import Any

from mockidp.testing.routes import route_for

_SAVED: list[tuple[Any, str, Any]] = []


def _patch(owner: Any, name: str, make: Callable[[Any], Any]) -> None:
    original = owner.__dict__[name]
    _SAVED.append((owner, name, original))
    setattr(owner, name, make(original))


def _installed(name: str) -> bool:
    return importlib.util.find_spec(name) is not None


def install() -> None:
    """Put every patch on (called under the interception lock)."""
    from mockidp.testing import patch_libs

    for library in ("httpx", "httpx2"):
        if _installed(library):
            patch_httpx(importlib.import_module(library))
    patch_libs.patch_urllib(_patch)
    if _installed("requests"):
        patch_libs.patch_requests(_patch)
    if _installed("aiohttp"):
        from mockidp.testing import patch_aiohttp

        patch_aiohttp.patch_aiohttp(_patch)


def uninstall() -> None:
    """Take every patch off, the last put on first."""
    while _SAVED:
        owner, name, original = _SAVED.pop()
        setattr(owner, name, original)


def patch_httpx(library: Any) -> None:
    """httpx or httpx2 (the same API): route by URL before the connection pool is reached."""
    import httpx

    native = library is httpx

    def make_sync(original: Any) -> Any:
        def handle_request(self: Any, request: Any) -> Any:
            route = route_for(str(request.url))
            if route is None:
                return original(self, request)
            body = request.read()
            if native:
                return route.send(request)
            answer = route.send(_as_httpx(request, body))
            return library.Response(
                answer.status_code,
                headers=answer.headers.multi_items(),
                content=answer.content,
                request=request,
            )

        return handle_request

    def make_async(original: Any) -> Any:
        async def handle_async_request(self: Any, request: Any) -> Any:
            route = route_for(str(request.url))
            if route is None:
                return await original(self, request)
            body = await request.aread()
            answer = await route.send_async(request if native else _as_httpx(request, body))
            if native:
                return answer
            return library.Response(
                answer.status_code,
                headers=answer.headers.multi_items(),
                content=answer.content,
                request=request,
            )

        return handle_async_request

    _patch(library.HTTPTransport, "handle_request", make_sync)
    _patch(library.AsyncHTTPTransport, "handle_async_request", make_async)


def _as_httpx(request: Any, body: bytes) -> Any:
    """An httpx2 request as an httpx one (the ASGI bridge is httpx's)."""
    import httpx

    return httpx.Request(
        request.method, str(request.url), headers=list(request.headers.raw), content=body
    )
