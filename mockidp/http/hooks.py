"""Response hooks: test code that changes an endpoint's response before it is sent, and
the 500 answered when any hook (a token hook of :mod:`mockidp.oauth.hooks` too) raises.

The counterpart of oauth2-mock-server's ``beforeResponse``: registered in-process
(``MockIdP.on_response(endpoint, fn)``), run in registration order on the endpoint's
answer (errors included; before a scripted fault spoils it), cleared by
``MockIdP.reset``. Endpoint names are the layout's (``token``, ``userinfo``,
``authorization``, ...; ``"*"`` for every endpoint).
"""

from __future__ import annotations

import difflib
import json
import logging
from collections.abc import Callable, Mapping
from typing import Any

from msgspec import Struct, field
from starlette.responses import JSONResponse, Response

from mockidp.oauth.hooks import HookFailed, hook_name

log = logging.getLogger("mockidp")

EVERY_ENDPOINT = "*"
_UNSENT = frozenset({"content-length", "set-cookie"})


class ResponseDraft(Struct):
    """A response about to be sent: change ``status``, ``headers``, ``body`` in place.

    ``headers`` has one value per name (``Set-Cookie`` values are in ``cookies``);
    ``Content-Length`` is recomputed.
    """

    status: int
    headers: dict[str, str]
    body: bytes
    cookies: list[str] = field(default_factory=list)

    def json(self) -> Any:
        """The body parsed as JSON."""
        return json.loads(self.body)

    def set_json(self, data: Any) -> None:
        """Replace the body with ``data`` as JSON (and say so in Content-Type)."""
        self.body = json.dumps(data).encode("utf-8")
        self.headers = {k: v for k, v in self.headers.items() if k.lower() != "content-type"}
        self.headers["content-type"] = "application/json"


class ResponseRequest(Struct, frozen=True):
    """The request being answered: endpoint name, method, path and parameters (unmasked)."""

    endpoint: str
    method: str
    path: str
    params: Mapping[str, str] = field(default_factory=dict)


ResponseHook = Callable[[ResponseDraft, ResponseRequest], None]
"""``fn(response, request) -> None``: changes ``response`` in place."""


class ResponseHooks:
    """The response hooks of one app, by endpoint name, in registration order."""

    def __init__(self, endpoints: frozenset[str]) -> None:
        self._endpoints = endpoints
        self._hooks: list[tuple[str, ResponseHook]] = []

    def add(self, endpoint: str, fn: ResponseHook) -> ResponseHook:
        """Run ``fn`` on every response of ``endpoint`` (``"*"``: every one); returns ``fn``."""
        if endpoint != EVERY_ENDPOINT and endpoint not in self._endpoints:
            close = difflib.get_close_matches(endpoint, sorted(self._endpoints), n=1)
            hint = f"; did you mean {close[0]!r}?" if close else ""
            known = ", ".join(sorted(self._endpoints))
            raise ValueError(f"no endpoint named {endpoint!r}{hint} (known: {known}, or '*')")
        if not callable(fn):
            raise TypeError(f"a response hook is a function (response, request), not {fn!r}")
        self._hooks.append((endpoint, fn))
        return fn

    def clear(self) -> None:
        self._hooks.clear()

    def __bool__(self) -> bool:
        return bool(self._hooks)

    def apply(
        self, response: Response, request: ResponseRequest
    ) -> tuple[Response, HookFailed | None]:
        """``response`` as the hooks for its endpoint left it, or a 500 naming the hook
        that raised (with that failure, for the request log)."""
        hooks = [fn for e, fn in self._hooks if e in (EVERY_ENDPOINT, request.endpoint)]
        if not hooks:
            return response, None
        draft = _draft(response)
        for fn in hooks:
            try:
                fn(draft, request)
            except Exception as exc:
                failed = HookFailed(hook_name(fn), exc)
                return hook_failed_response(failed), failed
        return _rebuilt(draft), None


def hook_failed_response(failed: HookFailed) -> Response:
    """A 500 whose body names the hook that raised, and what it raised."""
    log.error("mockidp: %s", failed, exc_info=failed.cause)
    body = {"error": failed.error, "error_description": str(failed), "hook": failed.hook}
    return JSONResponse(body, status_code=500, headers={"Cache-Control": "no-store"})


def _draft(response: Response) -> ResponseDraft:
    headers: dict[str, str] = {}
    cookies: list[str] = []
    for raw_name, raw_value in response.raw_headers:
        name, value = raw_name.decode("latin-1"), raw_value.decode("latin-1")
        if name.lower() == "set-cookie":
            cookies.append(value)
        elif name.lower() not in _UNSENT:
            headers[name] = value
    return ResponseDraft(response.status_code, headers, bytes(response.body), cookies)


def _rebuilt(draft: ResponseDraft) -> Response:
    headers = {k: v for k, v in draft.headers.items() if k.lower() not in _UNSENT}
    response = Response(draft.body, status_code=draft.status, headers=headers)
    response.raw_headers += [(b"set-cookie", c.encode("latin-1")) for c in draft.cookies]
    return response
