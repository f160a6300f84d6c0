"""Scripted faults, applied: what the endpoint app does with the fault :mod:`mockidp.oauth.scripted.faults` picks.

An answer in place of the endpoint's (``http_status``: exactly the scripted status, body
and headers; ``drop_connection``: no answer at all), or the real answer altered
(``malformed_body``, ``truncate_body``, ``content_type``; ``redirect_state``: a
redirect's ``state`` replaced or left out), and ``latency_ms`` before either is sent.
(``oauth_error`` is raised as the error it names and rendered as any.)
"""

from __future__ import annotations

import secrets
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

from starlette.requests import Request
from starlette.responses import Response
from starlette.types import Send

from mockidp.model.scenario import Fault
from mockidp.oauth.scripted import faults
from mockidp.types import JSONObject, Params


def describe(
    name: str,
    request: Request,
    params: Params,
    *,
    client_id: str | None,
    session_id: str | None,
    bearer: str | None,
) -> faults.Call:
    """The call a fault's ``match`` is compared with."""
    return faults.Call(
        endpoint=name,
        method=request.method,
        params=params,
        client_id=client_id,
        session_id=session_id,
        bearer=bearer,
    )


def bare_response(spec: JSONObject, *, cors: bool) -> Response:
    """An ``http_status`` fault's answer: exactly the scripted status, body and headers."""
    headers: dict[str, str] = dict(spec.get("headers", {}))
    body = str(spec.get("body", ""))
    content_type = spec.get("content_type")
    has_type = any(k.lower() == "content-type" for k in headers)
    if content_type is not None:
        headers = {k: v for k, v in headers.items() if k.lower() != "content-type"}
        headers["Content-Type"] = str(content_type)
    elif body and not has_type:
        headers["Content-Type"] = "text/plain; charset=utf-8"
    response = Response(body.encode("utf-8"), status_code=int(spec["status"]), headers=headers)
    if cors and "access-control-allow-origin" not in response.headers:
        response.headers["Access-Control-Allow-Origin"] = "*"
    return response


def altered(response: Response, fault: Fault) -> Response:
    """The real answer with its body, content type or redirect spoiled as ``fault`` says."""
    if fault.redirect_state is not None:
        location = response.headers.get("location")
        if location is not None:
            response.headers["Location"] = other_state(location, fault.redirect_state)
        return response
    if fault.content_type is not None:
        response.headers["Content-Type"] = fault.content_type
    if fault.malformed_body:
        body = faults.MALFORMED_BODY
    elif fault.truncate_body is not None:
        body = bytes(response.body[: fault.truncate_body])
    else:
        return response
    response.body = body
    response.headers["Content-Length"] = str(len(body))
    return response


OTHER_STATE_PREFIX = "mockidp-other-state-"


def other_state(location: str, how: str) -> str:
    """``location`` with its ``state`` (in the query, or a fragment response's) replaced
    by a fresh value (``other``) or left out (``absent``); a URL without one is kept."""
    parts = urlsplit(location)

    def changed(encoded: str) -> str:
        pairs = parse_qsl(encoded, keep_blank_values=True)
        if not any(name == "state" for name, _ in pairs):
            return encoded
        fresh = OTHER_STATE_PREFIX + secrets.token_urlsafe(12)
        kept = [
            (n, fresh if n == "state" else v) for n, v in pairs if how == "other" or n != "state"
        ]
        return urlencode(kept)

    return urlunsplit(parts._replace(query=changed(parts.query), fragment=changed(parts.fragment)))


async def drop_connection(send: Send, fault: str) -> None:
    """Close the connection without answering.

    uvicorn (httptools and h11 alike) marks the response started before it checks a
    start message, and writes nothing until the check passes: a start it refuses (status
    0), then a normal return, makes it close the socket without sending a byte (it logs
    "ASGI callable returned without completing response"). Clients see the server
    disconnect without a response (httpx.RemoteProtocolError, requests.ConnectionError).

    In-process transports (httpx.ASGITransport, Starlette's TestClient) accept any start
    message; the exception raised then reaches the client as it is: an
    httpx.RemoteProtocolError (a transport error) when httpx is installed, else a
    ConnectionResetError. (With ``raise_app_exceptions=False``, httpx.ASGITransport
    answers the status-0 start instead.) Behind Mangum on AWS Lambda nothing can be
    dropped: the gateway answers an error of its own.
    """
    try:
        await send({"type": "http.response.start", "status": 0, "headers": []})
    except Exception:
        return  # a real server refused the start line: it closes the socket
    message = f"mockidp dropped the connection (scripted fault {fault!r})"
    try:
        import httpx
    except ImportError:  # pragma: no cover - httpx comes with every in-process transport
        raise ConnectionResetError(message) from None
    raise httpx.RemoteProtocolError(message)
