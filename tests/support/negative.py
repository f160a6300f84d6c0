"""Helpers shared by the negative tests (tests/test_negative_*.py).

Requests that drive the default scenario through an authorization, plus assertions
that pin an error down exactly: its HTTP status, its OAuth error code, and its shape
(a JSON error, an error redirect, or an HTML page that never redirects).
"""

from __future__ import annotations

import asyncio
import base64
import hashlib
import re
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any
from urllib.parse import parse_qsl, urlencode, urlsplit

import httpx
from starlette.types import Message

from mockidp import MockIdPApp
from tests.support.session_state import assert_session_state

if TYPE_CHECKING:
    from tests.conftest import IdP  # the conftest imports this module

CLIENT_ID = "mockidp-client"
CLIENT_SECRET = "mockidp-secret"
PUBLIC_ID = "mockidp-public"
REDIRECT_URI = "http://localhost:8080/callback"
OTHER_REDIRECT_URI = "http://127.0.0.1:8080/callback"
VERIFIER = "dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk"  # RFC 7636 appendix B
CHALLENGE = "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM"
BASIC = (CLIENT_ID, CLIENT_SECRET)
FORM = "application/x-www-form-urlencoded"

_ERROR_CODE = re.compile(r'<strong id="error">([^<]*)</strong>')


async def _no_server_errors(response: httpx.Response) -> None:
    assert response.status_code < 500, (
        f"{response.request.method} {response.request.url} answered {response.status_code}"
    )


def guarded_client(idp: IdP, **kwargs: Any) -> httpx.AsyncClient:
    """An httpx client for ``idp`` that fails the test on any 5xx response."""
    return idp.client(event_hooks={"response": [_no_server_errors]}, **kwargs)


def s256(verifier: str) -> str:
    digest = hashlib.sha256(verifier.encode("ascii")).digest()
    return base64.urlsafe_b64encode(digest).rstrip(b"=").decode("ascii")


def basic(client_id: str, secret: str) -> str:
    raw = f"{client_id}:{secret}".encode()
    return "Basic " + base64.b64encode(raw).decode("ascii")


def single_values(query: str) -> dict[str, str]:
    """A query or fragment as a dict, failing if any parameter appears twice."""
    pairs = parse_qsl(query, keep_blank_values=True, strict_parsing=bool(query))
    out = dict(pairs)
    assert len(out) == len(pairs), f"a parameter is repeated in {query!r}"
    return out


def redirect_params(response: httpx.Response, redirect_uri: str = REDIRECT_URI) -> dict[str, str]:
    """The query of a 302 back to ``redirect_uri`` (asserting it goes exactly there)."""
    assert response.status_code == 302, response.text
    location = response.headers["location"]
    base, _, query = location.partition("?")
    assert base == redirect_uri
    assert "#" not in location
    return single_values(query)


def assert_error_redirect(
    response: httpx.Response,
    error: str,
    *,
    issuer: str,
    state: str | None = "xyz",
    redirect_uri: str = REDIRECT_URI,
    session_state: bool = True,
) -> dict[str, str]:
    """RFC 6749 4.1.2.1 + RFC 9207: error, error_description, state and iss; no code.

    ``session_state``: the response carries one (Session Management 1.0 3: error
    responses too), as with the generic layout's check_session iframe."""
    params = redirect_params(response, redirect_uri)
    assert params["error"] == error
    assert params["error_description"]
    assert params["iss"] == issuer
    if state is None:
        assert "state" not in params
    else:
        assert params["state"] == state
    assert "code" not in params
    if session_state:
        assert_session_state(params)
    else:
        assert "session_state" not in params
    assert set(params) <= {"error", "error_description", "state", "iss", "session_state"}
    assert response.headers["cache-control"] == "no-store"
    return params


def assert_error_page(response: httpx.Response, error: str) -> str:
    """An HTML error page with status 400 that sends the user nowhere."""
    assert response.status_code == 400, response.text
    assert "location" not in response.headers
    assert response.headers["content-type"].startswith("text/html")
    assert "refresh" not in response.headers
    found = _ERROR_CODE.search(response.text)
    assert found is not None, response.text
    assert found.group(1) == error
    assert "<form" not in response.text  # no form_post to an untrusted address either
    assert "<script" not in response.text
    return response.text


def assert_oauth_error(response: httpx.Response, status: int, error: str) -> dict[str, Any]:
    """A JSON error response (RFC 6749 5.2) with exactly this status and error code."""
    assert response.status_code == status, response.text
    assert response.headers["content-type"].startswith("application/json")
    body: dict[str, Any] = response.json()
    assert body["error"] == error
    assert set(body) <= {"error", "error_description", "error_uri"}
    return body


def assert_invalid_client(response: httpx.Response) -> dict[str, Any]:
    """RFC 6749 5.2: invalid_client is a 401 with a WWW-Authenticate challenge."""
    body = assert_oauth_error(response, 401, "invalid_client")
    assert response.headers["www-authenticate"].startswith("Basic realm=")
    return body


def assert_no_store(response: httpx.Response) -> None:
    """RFC 6749 5.1 / 5.2: token endpoint answers must not be cached."""
    assert response.headers["cache-control"] == "no-store"
    assert response.headers["pragma"] == "no-cache"


async def authorize(http: httpx.AsyncClient, **params: str) -> httpx.Response:
    return await http.get("/authorize", params=params)


async def authorize_pairs(http: httpx.AsyncClient, pairs: list[tuple[str, str]]) -> httpx.Response:
    """An authorization request with parameters in this order, repeats allowed."""
    return await http.get("/authorize?" + urlencode(pairs))


def auth_headers(credentials: tuple[str, str] | None) -> dict[str, str]:
    """An Authorization header for Basic ``(client_id, secret)``, or none."""
    return {"authorization": basic(*credentials)} if credentials is not None else {}


def auth_params(
    client_id: str = CLIENT_ID,
    *,
    scope: str = "openid",
    pkce: bool = False,
    state: str = "xyz",
    **extra: str,
) -> dict[str, str]:
    params = {
        "client_id": client_id,
        "redirect_uri": REDIRECT_URI,
        "response_type": "code",
        "scope": scope,
        "state": state,
    }
    if pkce:
        params["code_challenge"] = CHALLENGE
        params["code_challenge_method"] = "S256"
    params.update(extra)
    return params


async def get_code(
    http: httpx.AsyncClient,
    client_id: str = CLIENT_ID,
    *,
    scope: str = "openid",
    pkce: bool = False,
    **extra: str,
) -> str:
    """Run the authorization request (auto login as alice) and return the code."""
    response = await authorize(http, **auth_params(client_id, scope=scope, pkce=pkce, **extra))
    params = redirect_params(response, extra.get("redirect_uri", REDIRECT_URI))
    assert "error" not in params, params
    return params["code"]


async def redeem(
    http: httpx.AsyncClient,
    code: str,
    *,
    client_id: str = CLIENT_ID,
    verifier: str | None = None,
    redirect_uri: str | None = REDIRECT_URI,
) -> httpx.Response:
    """Exchange ``code`` at the token endpoint (Basic for the confidential client)."""
    data = {"grant_type": "authorization_code", "code": code}
    if redirect_uri is not None:
        data["redirect_uri"] = redirect_uri
    if verifier is not None:
        data["code_verifier"] = verifier
    if client_id == CLIENT_ID:
        return await http.post("/token", data=data, auth=BASIC)
    return await http.post("/token", data={**data, "client_id": client_id})


async def code_flow_tokens(
    http: httpx.AsyncClient, *, scope: str = "openid offline_access"
) -> dict[str, Any]:
    """Tokens for alice through the confidential client's code flow."""
    code = await get_code(http, scope=scope)
    response = await redeem(http, code)
    assert response.status_code == 200, response.text
    tokens: dict[str, Any] = response.json()
    return tokens


async def password_tokens(
    http: httpx.AsyncClient, *, scope: str = "openid", username: str = "alice"
) -> dict[str, Any]:
    response = await http.post(
        "/token",
        data={"grant_type": "password", "username": username, "password": username, "scope": scope},
        auth=BASIC,
    )
    assert response.status_code == 200, response.text
    tokens: dict[str, Any] = response.json()
    return tokens


async def userinfo_status(http: httpx.AsyncClient, access_token: str) -> int:
    response = await http.get("/userinfo", headers={"Authorization": f"Bearer {access_token}"})
    return response.status_code


# -- raw requests: what httpx refuses to send ------------------------------------------


async def asgi_request(
    app: MockIdPApp,
    method: str,
    path: str,
    *,
    query: bytes = b"",
    headers: Mapping[str, bytes] | None = None,
    body: bytes = b"",
    host: bytes | None = b"mockidp.test",
) -> tuple[int, dict[str, str], bytes]:
    """One request straight into the ASGI app, with bytes no HTTP client would send."""
    raw_headers = [(k.lower().encode("latin-1"), v) for k, v in (headers or {}).items()]
    if host is not None:
        raw_headers.append((b"host", host))
    scope = {
        "type": "http",
        "asgi": {"version": "3.0"},
        "http_version": "1.1",
        "method": method,
        "scheme": "http",
        "path": path,
        "raw_path": path.encode("ascii"),
        "root_path": "",
        "query_string": query,
        "headers": raw_headers,
        "client": ("127.0.0.1", 50000),
        "server": ("mockidp.test", 80),
    }
    sent = False
    messages: list[Message] = []

    async def receive() -> Message:
        nonlocal sent
        if not sent:
            sent = True
            return {"type": "http.request", "body": body, "more_body": False}
        await asyncio.sleep(3600)
        return {"type": "http.disconnect"}

    async def send(message: Message) -> None:
        messages.append(message)

    await app(scope, receive, send)
    start = next(m for m in messages if m["type"] == "http.response.start")
    out_headers = {k.decode("latin-1"): v.decode("latin-1") for k, v in start["headers"]}
    content = b"".join(m.get("body", b"") for m in messages if m["type"] == "http.response.body")
    return start["status"], out_headers, content


async def socket_request(base_url: str, raw: bytes) -> tuple[int, bytes]:
    """Send ``raw`` bytes to a live server; its status line's code and the whole answer."""
    parts = urlsplit(base_url)
    assert parts.hostname is not None and parts.port is not None
    reader, writer = await asyncio.open_connection(parts.hostname, parts.port)
    try:
        writer.write(raw)
        await writer.drain()
        answer = await asyncio.wait_for(reader.read(65536), timeout=10)
    finally:
        writer.close()
        await writer.wait_closed()
    status_line = answer.split(b"\r\n", 1)[0]
    return int(status_line.split()[1]), answer
