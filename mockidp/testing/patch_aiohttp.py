"""The aiohttp interception patch: a client middleware (aiohttp >= 3.12) put first on every
request a ``ClientSession`` makes.

A middleware sees each hop of a redirect chain and hands back a ``ClientResponse``, so
aiohttp's own redirect handling, cookie jar, ``raise_for_status`` and tracing run as over
a socket; only the connection is skipped.
"""

from __future__ import annotations

import functools
from typing import Any

import httpx

from mockidp.testing.patch_libs import Patch, _reason
from mockidp.testing.routes import route_for


async def _answer(request: Any, handler: Any) -> Any:
    """The middleware: an intercepted URL is answered in-process, any other goes on."""
    route = route_for(str(request.url))
    if route is None:
        return await handler(request)
    body = request.body
    content = await body.as_bytes() if hasattr(body, "as_bytes") else bytes(body or b"")
    headers = list(request.headers.items())
    if content and not any(k.lower() == "content-length" for k, _ in headers):
        headers.append(("Content-Length", str(len(content))))
    outgoing = httpx.Request(request.method, str(request.url), headers=headers, content=content)
    answer = await route.send_async(outgoing)
    return _response(request, answer)


def _response(request: Any, answer: httpx.Response) -> Any:
    from aiohttp import ClientResponse, HttpVersion11
    from aiohttp.base_protocol import BaseProtocol
    from aiohttp.streams import StreamReader
    from multidict import CIMultiDict, CIMultiDictProxy

    loop = request.loop
    make: Any = request.response_class or ClientResponse  # its signature is aiohttp's own
    response: Any = make(
        request.method,
        request.original_url,
        writer=None,
        continue100=None,
        timer=None,
        request_info=request.request_info,
        traces=[],
        loop=loop,
        session=request._session,
        stream_writer=_NoWriter(),
    )
    response.version = HttpVersion11
    response.status = answer.status_code
    response.reason = _reason(answer.status_code)
    pairs = answer.headers.multi_items()
    response._headers = CIMultiDictProxy(CIMultiDict(pairs))
    response._raw_headers = tuple((k.encode(), v.encode()) for k, v in pairs)
    cookies = answer.headers.get_list("set-cookie")
    if cookies:
        response._raw_cookie_headers = tuple(cookies)
    stream = StreamReader(BaseProtocol(loop), limit=2**16, loop=loop)
    stream.feed_data(answer.content)
    stream.feed_eof()
    response.content = stream
    response._body = answer.content
    response._closed = False
    return response


class _NoWriter:
    """The request was never written to a socket: nothing was sent over one."""

    output_size = 0


def patch_aiohttp(patch: Patch) -> None:
    import inspect

    import aiohttp

    if "middlewares" not in inspect.signature(aiohttp.ClientSession._request).parameters:
        return  # before aiohttp 3.12 there are no client middlewares: left alone

    def make(original: Any) -> Any:
        @functools.wraps(original)
        async def _request(self: Any, *args: Any, middlewares: Any = None, **kwargs: Any) -> Any:
            chain = self._middlewares if middlewares is None else middlewares
            return await original(self, *args, middlewares=(_answer, *chain), **kwargs)

        return _request

    patch(aiohttp.ClientSession, "_request", make)
