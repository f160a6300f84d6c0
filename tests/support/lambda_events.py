"""Real Lambda event payloads for the handler: API Gateway HTTP API (payload 2.0), REST
API (payload 1.0) and Lambda Function URLs, shaped as AWS documents them, and a small
client that sends requests through them with a cookie jar, like a browser would.
"""

from __future__ import annotations

import base64
import itertools
import json
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from http.cookies import SimpleCookie
from typing import Any
from urllib.parse import parse_qsl, urlencode, urlsplit

Handler = Callable[[dict[str, Any], Any], dict[str, Any]]

ACCOUNT = "123456789012"
_ids = itertools.count(1)


@dataclass(frozen=True)
class Gateway:
    """How requests reach the function: its public domain and the payload it builds."""

    kind: str  # "http_api" | "rest_api" | "function_url"
    domain: str
    stage: str = "$default"

    @property
    def base_url(self) -> str:
        prefix = f"/{self.stage}" if self.kind == "rest_api" or self.stage != "$default" else ""
        return f"https://{self.domain}{prefix}"


HTTP_API = Gateway("http_api", "a1b2c3d4e5.execute-api.eu-west-1.amazonaws.com")
HTTP_API_STAGE = Gateway("http_api", "a1b2c3d4e5.execute-api.eu-west-1.amazonaws.com", "dev")
REST_API = Gateway("rest_api", "f6g7h8i9j0.execute-api.eu-west-1.amazonaws.com", "Prod")
FUNCTION_URL = Gateway(
    "function_url", "abcdefghijklmnopqrstuvwxyz012345.lambda-url.eu-west-1.on.aws"
)


@dataclass
class Answer:
    status: int
    headers: dict[str, str]
    cookies: list[str]
    body: bytes

    def json(self) -> Any:
        return json.loads(self.body)

    @property
    def location(self) -> str:
        return self.headers["location"]


def _request_id() -> str:
    return f"c6af9ac6-7b61-11e6-9a41-93e8{next(_ids):08d}"


def v2_event(
    gateway: Gateway,
    method: str,
    path: str,
    query: str,
    headers: Mapping[str, str],
    cookies: Sequence[str],
    body: bytes | None,
) -> dict[str, Any]:
    """Payload format 2.0: HTTP APIs and Function URLs (rawPath holds a named stage)."""
    raw_path = path if gateway.stage == "$default" else f"/{gateway.stage}{path}"
    event: dict[str, Any] = {
        "version": "2.0",
        "routeKey": "$default",
        "rawPath": raw_path,
        "rawQueryString": query,
        "headers": {
            "host": gateway.domain,
            "user-agent": "mockidp-tests",
            "x-amzn-trace-id": "Root=1-5e6722a7-cc56xmpl46db7ae02d4da47e",
            "x-forwarded-for": "198.51.100.7",
            "x-forwarded-port": "443",
            "x-forwarded-proto": "https",
            **{k.lower(): v for k, v in headers.items()},
        },
        "requestContext": {
            "accountId": ACCOUNT if gateway.kind == "http_api" else "anonymous",
            "apiId": gateway.domain.split(".")[0],
            "domainName": gateway.domain,
            "domainPrefix": gateway.domain.split(".")[0],
            "http": {
                "method": method,
                "path": raw_path,
                "protocol": "HTTP/1.1",
                "sourceIp": "198.51.100.7",
                "userAgent": "mockidp-tests",
            },
            "requestId": _request_id(),
            "routeKey": "$default",
            "stage": gateway.stage,
            "time": "23/Nov/2026:19:03:58 +0000",
            "timeEpoch": 1795460638390,
        },
        "isBase64Encoded": False,
    }
    if query:
        params: dict[str, str] = {}
        for k, v in parse_qsl(query, keep_blank_values=True):
            params[k] = f"{params[k]},{v}" if k in params else v
        event["queryStringParameters"] = params
    if cookies:
        event["cookies"] = list(cookies)
    if body is not None:
        event["body"] = base64.b64encode(body).decode("ascii")
        event["isBase64Encoded"] = True
    if gateway.kind == "http_api":
        event["pathParameters"] = {}
        event["stageVariables"] = {}
    return event


def v1_event(
    gateway: Gateway,
    method: str,
    path: str,
    query: str,
    headers: Mapping[str, str],
    cookies: Sequence[str],
    body: bytes | None,
) -> dict[str, Any]:
    """Payload format 1.0: a REST API proxy integration (``/{proxy+}``) on a stage."""
    all_headers = {
        "Host": gateway.domain,
        "User-Agent": "mockidp-tests",
        "X-Amzn-Trace-Id": "Root=1-5e6722a7-cc56xmpl46db7ae02d4da47e",
        "X-Forwarded-For": "198.51.100.7",
        "X-Forwarded-Port": "443",
        "X-Forwarded-Proto": "https",
        **dict(headers),
    }
    if cookies:
        all_headers["Cookie"] = "; ".join(cookies)
    multi_query: dict[str, list[str]] = {}
    for k, v in parse_qsl(query, keep_blank_values=True):
        multi_query.setdefault(k, []).append(v)
    return {
        "resource": "/{proxy+}",
        "path": path,
        "httpMethod": method,
        "headers": all_headers,
        "multiValueHeaders": {k: [v] for k, v in all_headers.items()},
        "queryStringParameters": {k: v[-1] for k, v in multi_query.items()} or None,
        "multiValueQueryStringParameters": multi_query or None,
        "pathParameters": {"proxy": path.lstrip("/")},
        "stageVariables": None,
        "requestContext": {
            "accountId": ACCOUNT,
            "apiId": gateway.domain.split(".")[0],
            "domainName": gateway.domain,
            "domainPrefix": gateway.domain.split(".")[0],
            "extendedRequestId": "BQGojGkFoAMFfcA=",
            "httpMethod": method,
            "identity": {"sourceIp": "198.51.100.7", "userAgent": "mockidp-tests"},
            "path": f"/{gateway.stage}{path}",
            "protocol": "HTTP/1.1",
            "requestId": _request_id(),
            "requestTime": "23/Nov/2026:19:03:58 +0000",
            "requestTimeEpoch": 1795460638390,
            "resourceId": "2gxmpl",
            "resourcePath": "/{proxy+}",
            "stage": gateway.stage,
        },
        "body": base64.b64encode(body).decode("ascii") if body is not None else None,
        "isBase64Encoded": body is not None,
    }


class LambdaContext:
    """What the handler may read from its context object."""

    function_name = "mockidp"
    memory_limit_in_mb = 512
    invoked_function_arn = f"arn:aws:lambda:eu-west-1:{ACCOUNT}:function:mockidp"
    aws_request_id = "8f507cfc-xmpl-4697-b07a-ac58fc914c95"

    def get_remaining_time_in_millis(self) -> int:
        return 10_000


@dataclass
class Browser:
    """Sends requests through ``gateway`` to the given containers in turn, keeping cookies."""

    gateway: Gateway
    containers: Sequence[Handler]
    jar: dict[str, str] = field(default_factory=dict)
    _turn: itertools.count[int] = field(default_factory=itertools.count)

    def url(self, path: str) -> str:
        return self.gateway.base_url + path

    def request(
        self,
        method: str,
        url_or_path: str,
        *,
        form: Mapping[str, str] | None = None,
        headers: Mapping[str, str] | None = None,
        container: int | None = None,
    ) -> Answer:
        parts = urlsplit(url_or_path)
        path = parts.path
        if parts.netloc:
            assert url_or_path.startswith(self.gateway.base_url + "/"), url_or_path
            path = url_or_path[len(self.gateway.base_url) :].split("?")[0]
        sent = dict(headers or {})
        body = None
        if form is not None:
            body = urlencode(form).encode()
            sent["Content-Type"] = "application/x-www-form-urlencoded"
        cookies = [f"{k}={v}" for k, v in self.jar.items()]
        build = v1_event if self.gateway.kind == "rest_api" else v2_event
        event = build(self.gateway, method, path, parts.query, sent, cookies, body)
        index = next(self._turn) if container is None else container
        result = self.containers[index % len(self.containers)](event, LambdaContext())
        return self._answer(result)

    def _answer(self, result: dict[str, Any]) -> Answer:
        headers = {k.lower(): v for k, v in (result.get("headers") or {}).items()}
        cookies = list(result.get("cookies") or [])
        for name, values in (result.get("multiValueHeaders") or {}).items():
            if name.lower() == "set-cookie":
                cookies.extend(values)
            else:
                headers.setdefault(name.lower(), ",".join(values))
        if "set-cookie" in headers:
            cookies.append(headers.pop("set-cookie"))
        for line in cookies:
            jar = SimpleCookie()
            jar.load(line)
            for name, morsel in jar.items():
                if morsel["max-age"] == "0" or not morsel.value:
                    self.jar.pop(name, None)
                else:
                    self.jar[name] = morsel.value
        raw = result.get("body") or ""
        body = base64.b64decode(raw) if result.get("isBase64Encoded") else raw.encode()
        return Answer(int(result["statusCode"]), headers, cookies, body)
