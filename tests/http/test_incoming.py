"""A request's input is read and parsed once: fault matching and the endpoint share it."""

from __future__ import annotations

import pytest
from starlette.requests import Request
from starlette.types import Message

from mockidp.errors import InvalidRequest
from mockidp.http.input import Incoming, RepeatedParameters, form_params, query_params
from mockidp.oauth.clients.auth import ClientCredentials

pytestmark = pytest.mark.anyio

FORM = [(b"content-type", b"application/x-www-form-urlencoded")]


def _incoming(
    body: bytes, *, query: bytes = b"", headers: list[tuple[bytes, bytes]] = FORM
) -> tuple[Incoming, list[Message]]:
    received: list[Message] = []

    async def receive() -> Message:
        message: Message = {"type": "http.request", "body": body, "more_body": False}
        received.append(message)
        return message

    scope = {
        "type": "http",
        "method": "POST",
        "path": "/token",
        "query_string": query,
        "headers": headers,
    }
    return Incoming(Request(scope, receive)), received


async def test_matching_and_the_endpoint_share_one_reading_of_the_body() -> None:
    incoming, received = _incoming(b"grant_type=password&username=alice", query=b"x=1")
    assert await incoming.readable() == {"x": "1", "grant_type": "password", "username": "alice"}
    assert await form_params(incoming) == {"grant_type": "password", "username": "alice"}
    assert await form_params(incoming) == {"grant_type": "password", "username": "alice"}
    assert len(received) == 1  # the body came off the wire once


async def test_what_strict_reading_refuses_is_still_readable_for_matching() -> None:
    incoming, _ = _incoming(b"scope=a&scope=b&client_id=c")
    assert await incoming.readable() == {"client_id": "c"}
    with pytest.raises(RepeatedParameters):
        await form_params(incoming)


async def test_an_unreadable_body_matches_nothing_and_the_endpoint_refuses_it() -> None:
    incoming, _ = _incoming(b"name=\xff")
    assert await incoming.readable() == {}
    with pytest.raises(InvalidRequest, match="UTF-8"):
        await form_params(incoming)


async def test_a_query_that_is_not_ascii_is_refused_strictly_and_read_leniently() -> None:
    incoming, _ = _incoming(b"", query="a=\u00e9".encode())
    assert incoming.query().readable == {"a": "\u00e9"}
    with pytest.raises(InvalidRequest, match="ASCII"):
        query_params(incoming)


def test_client_credentials_are_read_once_and_so_is_their_error() -> None:
    creds = ClientCredentials("Basic bXlhcHA6c2VjcmV0", {})  # myapp:secret
    first = creds.read()
    assert first is not None and first.client_id == "myapp"
    assert creds.read() is first
    mixed = ClientCredentials("Basic bXlhcHA6c2VjcmV0", {"client_secret": "x"})
    with pytest.raises(InvalidRequest, match="one client authentication method"):
        mixed.read()
    with pytest.raises(InvalidRequest, match="one client authentication method"):
        mixed.read()
