"""A small API protected by bearer tokens, as the API side of an app does it: verify the
JWT against the issuer's JWKS (discovery first), then let each route's rule decide from
the claims. tests/presets/test_api_side.py gives it each vendor's rules."""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Mapping
from typing import Any

import httpx
from joserfc import jwt
from joserfc.errors import JoseError
from joserfc.jwk import KeySet
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

Claims = dict[str, Any]
Rule = Callable[[Claims], bool]


class Unauthorized(Exception):
    """The token is not one this API accepts (RFC 6750 3.1: invalid_token)."""


class JwksVerifier:
    """Signature (the issuer's JWKS, found through discovery), ``iss``, ``exp``, and
    whatever ``check`` adds (audience, token kind): what every vendor's library does."""

    def __init__(
        self,
        http: httpx.Client,
        issuer: str,
        *,
        now: Callable[[], float],
        check: Callable[[Claims, Mapping[str, Any]], None] | None = None,
    ) -> None:
        metadata = http.get(issuer.rstrip("/") + "/.well-known/openid-configuration").json()
        assert metadata["issuer"] == issuer
        self.issuer = issuer
        self.keys = KeySet.import_key_set(http.get(metadata["jwks_uri"]).json())
        self.now = now
        self.check = check

    def __call__(self, token: str) -> Claims:
        try:
            decoded = jwt.decode(token, self.keys)
        except (JoseError, ValueError) as exc:
            raise Unauthorized(f"signature: {exc}") from exc
        claims: Claims = dict(decoded.claims)
        if claims.get("iss") != self.issuer:
            raise Unauthorized("wrong issuer")
        if int(claims.get("exp", 0)) <= self.now():
            raise Unauthorized("expired")
        if self.check is not None:
            self.check(claims, decoded.header)
        return claims


def protected_api(verify: Callable[[str], Claims], rules: Mapping[str, Rule]) -> Starlette:
    """An API whose every route (``/{name}``) needs a valid bearer token and its rule:
    401 without a valid token, 403 when the rule refuses (RFC 6750 3.1), else 200."""

    def route(rule: Rule) -> Callable[[Request], Any]:
        async def endpoint(request: Request) -> JSONResponse:
            scheme, _, token = request.headers.get("authorization", "").partition(" ")
            if scheme.lower() != "bearer" or not token:
                return JSONResponse({"error": "invalid_request"}, status_code=401)
            try:
                claims = verify(token)
            except Unauthorized as exc:
                return JSONResponse({"error": "invalid_token", "why": str(exc)}, 401)
            if not rule(claims):
                return JSONResponse({"error": "insufficient_scope"}, status_code=403)
            return JSONResponse({"sub": claims.get("sub")})

        return endpoint

    return Starlette(routes=[Route(f"/{name}", route(rule)) for name, rule in rules.items()])


class ApiCaller:
    """Calls an ASGI API from synchronous test code (one event loop per call), as
    ``GET path`` with a bearer token; answers the status code."""

    def __init__(self, app: Starlette) -> None:
        self.app = app

    def get(self, path: str, token: str) -> int:
        scope = {
            "type": "http",
            "asgi": {"version": "3.0"},
            "http_version": "1.1",
            "method": "GET",
            "scheme": "http",
            "path": path,
            "raw_path": path.encode(),
            "root_path": "",
            "query_string": b"",
            "headers": [(b"host", b"api.test"), (b"authorization", f"Bearer {token}".encode())],
            "server": ("api.test", 80),
            "client": ("127.0.0.1", 1234),
        }
        status: list[int] = []

        async def receive() -> dict[str, Any]:
            return {"type": "http.request", "body": b"", "more_body": False}

        async def send(message: Mapping[str, Any]) -> None:
            if message["type"] == "http.response.start":
                status.append(int(message["status"]))

        asyncio.run(self.app(scope, receive, send))
        return status[0]
