"""The request log is complete when the response is: a client that has its answer finds
the record (README: ``mockidp_server.requests.assert_called(...)`` right after a call).

A live server answers on another thread, so "after" must hold by construction, not by
luck: each test drives the ASGI app with a ``send`` that looks at the log at the moment
the answer's last byte leaves, which is the earliest a client can have it.
"""

from __future__ import annotations

from urllib.parse import urlencode

import pytest

from mockidp import create_app
from mockidp.asgi import MockIdPApp
from mockidp.types import JSONObject

pytestmark = pytest.mark.anyio


async def _call(
    app: MockIdPApp, method: str, path: str, form: dict[str, str] | None = None
) -> list[int]:
    """Run one request; the log's length each time a last body part is sent."""
    body = urlencode(form or {}).encode()
    headers = [(b"host", b"mockidp.test")]
    if form is not None:
        headers.append((b"content-type", b"application/x-www-form-urlencoded"))
    scope: JSONObject = {
        "type": "http",
        "http_version": "1.1",
        "method": method,
        "scheme": "http",
        "path": path,
        "raw_path": path.encode(),
        "root_path": "",
        "query_string": b"",
        "headers": headers,
        "client": ("127.0.0.1", 50000),
        "server": ("mockidp.test", 80),
    }
    sent = False

    async def receive() -> JSONObject:
        nonlocal sent
        if sent:
            return {"type": "http.disconnect"}
        sent = True
        return {"type": "http.request", "body": body, "more_body": False}

    seen: list[int] = []

    async def send(message: JSONObject) -> None:
        if message["type"] == "http.response.body" and not message.get("more_body", False):
            seen.append(len(app.requests))

    await app(scope, receive, send)  # type: ignore[arg-type]
    return seen


async def test_a_token_answer_is_logged_before_its_last_byte_is_sent() -> None:
    app = create_app()
    form = {
        "grant_type": "client_credentials",
        "client_id": "mockidp-client",
        "client_secret": "mockidp-secret",
    }
    assert await _call(app, "POST", "/token", form) == [1]
    [record] = app.requests
    assert (record.endpoint, record.status, record.grant_type) == (
        "token",
        200,
        "client_credentials",
    )


async def test_an_error_answer_is_logged_before_its_last_byte_is_sent() -> None:
    app = create_app()
    assert await _call(app, "POST", "/token", {"grant_type": "nonsense"}) == [1]
    [record] = app.requests
    assert record.status >= 400 and record.error is not None


async def test_a_missing_endpoint_is_logged_before_its_last_byte_is_sent() -> None:
    app = create_app()
    assert await _call(app, "GET", "/no-such-endpoint") == [1]
    assert [r.status for r in app.requests] == [404]


async def test_a_request_is_logged_once_whatever_the_send() -> None:
    app = create_app()
    await _call(app, "GET", "/.well-known/openid-configuration")
    await _call(app, "GET", "/.well-known/jwks.json")
    assert [r.endpoint for r in app.requests] == ["discovery", "jwks"]
