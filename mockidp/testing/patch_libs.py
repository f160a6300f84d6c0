"""Interception patches for the sync libraries that are not httpx: requests and urllib.

Each builds an httpx request from the library's own, has the route answer it, and hands
the answer back in the library's own response type, so the library's redirect, cookie
and error handling run as over a socket.
"""

from __future__ import annotations

import http.client
import io
from collections.abc import Callable, Iterable
from http import HTTPStatus
from typing import Any

import httpx

from mockidp.testing.routes import route_for

Patch = Callable[[Any, str, Callable[[Any], Any]], None]


def _reason(status: int) -> str:
    try:
        return HTTPStatus(status).phrase
    except ValueError:
        return ""


def _body_bytes(body: Any) -> bytes:
    """A request body as bytes, whatever the library held it as."""
    if body is None:
        return b""
    if isinstance(body, bytes):
        return body
    if isinstance(body, str):
        return body.encode("utf-8")
    if hasattr(body, "read"):
        data = body.read()
        return data.encode("utf-8") if isinstance(data, str) else bytes(data)
    if isinstance(body, Iterable):
        return b"".join(c.encode("utf-8") if isinstance(c, str) else bytes(c) for c in body)
    return bytes(body)


def _message(headers: httpx.Headers) -> http.client.HTTPMessage:
    message = http.client.HTTPMessage()
    for name, value in headers.multi_items():
        message[name] = value  # appends: Set-Cookie may repeat
    return message


# -- urllib.request --------------------------------------------------------------------


def patch_urllib(patch: Patch) -> None:
    import urllib.request
    import urllib.response

    def make(original: Any) -> Any:
        def do_open(self: Any, http_class: Any, req: Any, **kwargs: Any) -> Any:
            route = route_for(req.full_url)
            if route is None:
                return original(self, http_class, req, **kwargs)
            headers = dict(req.unredirected_hdrs)
            headers.update({k: v for k, v in req.headers.items() if k not in headers})
            request = httpx.Request(
                req.get_method(), req.full_url, headers=headers, content=_body_bytes(req.data)
            )
            answer = route.send(request)
            response = urllib.response.addinfourl(
                io.BytesIO(answer.content),
                _message(answer.headers),
                req.get_full_url(),
                answer.status_code,
            )
            response.msg = _reason(answer.status_code)  # type: ignore[attr-defined]
            response.reason = response.msg  # type: ignore[attr-defined]
            return response

        return do_open

    patch(urllib.request.AbstractHTTPHandler, "do_open", make)


# -- requests --------------------------------------------------------------------------


class _Original:
    """What requests reads cookies from (``response.raw._original_response.msg``)."""

    def __init__(self, message: http.client.HTTPMessage, method: str) -> None:
        self.msg = message
        self._method = method

    def close(self) -> None:
        pass

    def isclosed(self) -> bool:
        return True


def patch_requests(patch: Patch) -> None:
    import requests.adapters
    from urllib3 import HTTPHeaderDict, HTTPResponse

    def make(original: Any) -> Any:
        def send(self: Any, request: Any, *args: Any, **kwargs: Any) -> Any:
            route = route_for(request.url)
            if route is None:
                return original(self, request, *args, **kwargs)
            outgoing = httpx.Request(
                request.method,
                request.url,
                headers=list(request.headers.items()),
                content=_body_bytes(request.body),
            )
            answer = route.send(outgoing)
            raw = HTTPResponse(
                body=io.BytesIO(answer.content),
                headers=HTTPHeaderDict(answer.headers.multi_items()),
                status=answer.status_code,
                reason=_reason(answer.status_code),
                preload_content=False,
                decode_content=False,
                request_method=request.method,
                request_url=request.url,
            )
            raw._original_response = _Original(_message(answer.headers), request.method)  # type: ignore[assignment]
            return self.build_response(request, raw)

        return send

    patch(requests.adapters.HTTPAdapter, "send", make)
