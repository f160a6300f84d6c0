"""Transports into the app for httpx2 clients (Authlib and Starlette use httpx2 when it is
installed), and the check that tells a transport given to the wrong library.

Each checks the request's library first (:func:`~mockidp.testing.serving.check_library`):
an httpx request names the httpx attribute to use instead.
"""

from __future__ import annotations

import httpx
import httpx2

from mockidp.asgi import MockIdPApp
from mockidp.testing.serving import SyncASGITransport, check_library


class Httpx2ASGITransport(httpx2.ASGITransport):
    """httpx2.ASGITransport to the app, for an httpx2.AsyncClient."""

    async def handle_async_request(self, request: httpx2.Request) -> httpx2.Response:
        check_library(request, "httpx2", "async")
        return await super().handle_async_request(request)


class Httpx2SyncASGITransport(httpx2.BaseTransport):
    """The app for an httpx2.Client: the request runs on the httpx transport's event loop
    thread (:class:`~mockidp.testing.serving.SyncASGITransport`)."""

    def __init__(self, inner: SyncASGITransport) -> None:
        self._inner = inner

    def handle_request(self, request: httpx2.Request) -> httpx2.Response:
        check_library(request, "httpx2", "sync")
        body = request.read()
        answer = self._inner.handle_request(
            httpx.Request(
                request.method, str(request.url), headers=list(request.headers.raw), content=body
            )
        )
        return httpx2.Response(
            answer.status_code,
            headers=answer.headers.multi_items(),
            content=answer.content,
            request=request,
        )


def async_transport(app: MockIdPApp) -> Httpx2ASGITransport:
    return Httpx2ASGITransport(app=app)
