"""A minimal ASGI driver: calls ``app(scope, receive, send)`` directly, no HTTP client.

It builds the same scope httpx.ASGITransport builds (same keys, same header shape), so
the difference between the two transports is what the client library costs, and what
is left over in this driver is (almost) all server time.
"""

from __future__ import annotations

import json
from collections.abc import Awaitable, Callable, MutableMapping, Sequence
from dataclasses import dataclass
from typing import Any

Message = MutableMapping[str, Any]
ASGIApp = Callable[
    [
        MutableMapping[str, Any],
        Callable[[], Awaitable[Message]],
        Callable[[Message], Awaitable[None]],
    ],
    Awaitable[None],
]

_DISCONNECT: dict[str, Any] = {"type": "http.disconnect"}


@dataclass
class DirectResponse:
    status: int
    headers: list[tuple[bytes, bytes]]
    body: bytes

    def header(self, name: bytes) -> bytes | None:
        for key, value in self.headers:
            if key == name:
                return value
        return None

    def json(self) -> Any:
        return json.loads(self.body)


class DirectClient:
    """Sends one request at a time to ``app``, as ``host`` (the Host header)."""

    def __init__(self, app: ASGIApp, host: str = "testserver") -> None:
        self.app = app
        self.host = host
        self._host_header = (b"host", host.encode("ascii"))

    async def request(
        self,
        method: str,
        path: str,
        *,
        query: bytes = b"",
        headers: Sequence[tuple[bytes, bytes]] = (),
        body: bytes = b"",
    ) -> DirectResponse:
        raw_headers = [self._host_header, *headers]
        if body:
            raw_headers.append((b"content-length", str(len(body)).encode("ascii")))
        scope: dict[str, Any] = {
            "type": "http",
            "asgi": {"version": "3.0"},
            "http_version": "1.1",
            "method": method,
            "headers": raw_headers,
            "scheme": "http",
            "path": path,
            "raw_path": path.encode("ascii"),
            "query_string": query,
            "server": (self.host, None),
            "client": ("127.0.0.1", 123),
            "root_path": "",
        }
        sent_body = False

        async def receive() -> Message:
            nonlocal sent_body
            if sent_body:
                return _DISCONNECT
            sent_body = True
            return {"type": "http.request", "body": body, "more_body": False}

        status = 0
        out_headers: list[tuple[bytes, bytes]] = []
        parts: list[bytes] = []

        async def send(message: Message) -> None:
            nonlocal status, out_headers
            if message["type"] == "http.response.start":
                status = message["status"]
                out_headers = list(message.get("headers", []))
            elif message["type"] == "http.response.body":
                chunk = message.get("body", b"")
                if chunk:
                    parts.append(chunk)

        await self.app(scope, receive, send)
        return DirectResponse(status, out_headers, b"".join(parts))

    async def get(
        self, path: str, *, query: bytes = b"", headers: Sequence[tuple[bytes, bytes]] = ()
    ) -> DirectResponse:
        return await self.request("GET", path, query=query, headers=headers)

    async def post_form(
        self, path: str, body: bytes, *, headers: Sequence[tuple[bytes, bytes]] = ()
    ) -> DirectResponse:
        form = (b"content-type", b"application/x-www-form-urlencoded")
        return await self.request("POST", path, headers=[form, *headers], body=body)
