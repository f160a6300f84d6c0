"""Scripted faults, applied: what the endpoint app does with the fault :mod:`mockidp.oauth.scripted.faults` picks.

An answer in place of the endpoint's (``http_status``: exactly the scripted status, body
and headers; ``drop_connection``: no answer at all), or the real answer altered
(``malformed_body``, ``truncate_body``, ``content_type``), and ``latency_ms`` before
either is sent. (``oauth_error`` is raised as the error it names and rendered as any.)
"""

from __future__ import annotations

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
    """The real answer with its body or content type spoiled as ``fault`` says."""
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
