"""A light HTTP/1.1 client for the loopback figures: one keep-alive socket, no pooling,
no cookies, no URL objects.

The load generator must measure the server, not itself: on a 2-core machine an httpx
request costs ~1.2 ms of client time and ``http.client`` ~0.3 ms; this one sends
prebuilt bytes and parses only the status line, the headers and a Content-Length or
chunked body (tens of microseconds).
"""

from __future__ import annotations

import json
import socket
from typing import Any


class Response:
    __slots__ = ("body", "headers", "status")

    def __init__(self, status: int, headers: dict[str, str], body: bytes) -> None:
        self.status = status
        self.headers = headers
        self.body = body

    def json(self) -> Any:
        return json.loads(self.body)


class Connection:
    """One keep-alive connection to ``host:port``; reconnects if the server closed it."""

    def __init__(self, host: str, port: int, timeout: float = 10.0) -> None:
        self.host = host
        self.port = port
        self.timeout = timeout
        self._host_header = f"Host: {host}:{port}\r\n".encode("ascii")
        self._sock: socket.socket | None = None
        self._buf = b""

    def _connect(self) -> socket.socket:
        sock = socket.create_connection((self.host, self.port), timeout=self.timeout)
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        self._sock, self._buf = sock, b""
        return sock

    def close(self) -> None:
        if self._sock is not None:
            self._sock.close()
            self._sock = None

    def request(
        self,
        method: str,
        target: str,
        headers: dict[str, str] | None = None,
        body: bytes = b"",
    ) -> Response:
        head = [f"{method} {target} HTTP/1.1\r\n".encode("ascii"), self._host_header]
        for name, value in (headers or {}).items():
            head.append(f"{name}: {value}\r\n".encode("latin-1"))
        if body or method == "POST":
            head.append(f"Content-Length: {len(body)}\r\n".encode("ascii"))
        head.append(b"\r\n")
        data = b"".join(head) + body
        for attempt in (0, 1):
            sock = self._sock or self._connect()
            try:
                sock.sendall(data)
                return self._read(sock)
            except (ConnectionError, _Closed):
                self.close()
                if attempt:
                    raise
        raise AssertionError("unreachable")

    def _fill(self, sock: socket.socket) -> None:
        chunk = sock.recv(65536)
        if not chunk:
            raise _Closed
        self._buf += chunk

    def _read(self, sock: socket.socket) -> Response:
        while (end := self._buf.find(b"\r\n\r\n")) < 0:
            self._fill(sock)
        lines = self._buf[:end].decode("latin-1").split("\r\n")
        self._buf = self._buf[end + 4 :]
        status = int(lines[0].split(" ", 2)[1])
        headers: dict[str, str] = {}
        for line in lines[1:]:
            name, _, value = line.partition(":")
            headers[name.strip().lower()] = value.strip()
        if headers.get("transfer-encoding", "").lower() == "chunked":
            body = self._read_chunked(sock)
        else:
            length = int(headers.get("content-length", "0"))
            while len(self._buf) < length:
                self._fill(sock)
            body, self._buf = self._buf[:length], self._buf[length:]
        if headers.get("connection", "").lower() == "close":
            self.close()
        return Response(status, headers, body)

    def _read_chunked(self, sock: socket.socket) -> bytes:
        parts = []
        while True:
            while (end := self._buf.find(b"\r\n")) < 0:
                self._fill(sock)
            size = int(self._buf[:end].split(b";")[0], 16)
            self._buf = self._buf[end + 2 :]
            while len(self._buf) < size + 2:
                self._fill(sock)
            parts.append(self._buf[:size])
            self._buf = self._buf[size + 2 :]
            if size == 0:
                return b"".join(parts)


class _Closed(Exception):
    """The server closed the connection."""
