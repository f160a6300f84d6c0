"""Responses: JSON and HTML answers, and every error rendered as HTTP.

The only place where exceptions become HTTP: OAuthError -> RFC 6749 5.2 JSON (with
WWW-Authenticate where due, RFC 6750 3), PageError -> an HTML page, anything else -> a
JSON server_error with no traceback (the traceback goes to the log).
"""

from __future__ import annotations

from typing import Any

import msgspec
from starlette.responses import HTMLResponse, JSONResponse, Response

from mockidp.errors import (
    InsufficientScope,
    InvalidClient,
    InvalidToken,
    MissingToken,
    OAuthError,
    PageError,
    TemporarilyUnavailable,
)
from mockidp.http import csp, pages
from mockidp.model.quirks import Quirks
from mockidp.oauth.tokens.shapes import error_body
from mockidp.types import JSONObject

REALM = "mockidp"
RETRY_AFTER_SECONDS = 1  # a 503 temporarily_unavailable (state store throttled or unreachable)
NO_QUIRKS = Quirks()

INTROSPECTION_JWT = "application/token-introspection+jwt"
"""RFC 9701's media type: an introspection answer as a JWT (asked for with Accept)."""
USERINFO_JWT = "application/jwt"
"""A signed UserInfo answer's media type (OpenID Connect Core 5.3.2)."""

NO_STORE = {"Cache-Control": "no-store", "Pragma": "no-cache"}
PAGE_HEADERS = {
    **NO_STORE,
    "X-Frame-Options": "DENY",
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
    # No form-action: browsers apply it to the redirect that follows a form, which
    # must be free to reach any registered redirect URI.
    "Content-Security-Policy": csp.policy(styles=True, images=True),
}


_ENCODE_JSON = msgspec.json.Encoder().encode


class JSONAnswer(JSONResponse):
    """A JSON answer written by msgspec: the bytes Starlette's ``JSONResponse`` writes
    (compact, UTF-8), in a fraction of the time; anything msgspec cannot write goes the
    ``json`` way."""

    def render(self, content: Any) -> bytes:
        try:
            return _ENCODE_JSON(content)
        except (TypeError, msgspec.EncodeError, OverflowError):
            return super().render(content)


def json_response(data: JSONObject, *, status: int = 200, no_store: bool = True) -> Response:
    return JSONAnswer(data, status_code=status, headers=NO_STORE if no_store else None)


def html_response(body: str, *, status: int = 200, csp: str | None = None) -> Response:
    headers = dict(PAGE_HEADERS)
    if csp is not None:
        headers["Content-Security-Policy"] = csp
    return HTMLResponse(body, status_code=status, headers=headers)


def framed_html_response(body: str, *, policy: str) -> Response:
    """A page relying parties frame on purpose: no X-Frame-Options, and its own CSP
    (:func:`mockidp.http.csp.policy` with ``framed``)."""
    headers = {k: v for k, v in PAGE_HEADERS.items() if k != "X-Frame-Options"}
    headers["Content-Security-Policy"] = policy
    return HTMLResponse(body, headers=headers)


def _quote(value: str) -> str:
    return value.replace("\\", "\\\\").replace('"', '\\"')


def oauth_error_response(error: OAuthError, *, cors: bool, quirks: Quirks = NO_QUIRKS) -> Response:
    """RFC 6749 5.2 JSON, or as the preset's ``quirks`` shape and word it."""
    body, status = error_body(error, quirks)
    response = json_response(body, status=status)
    if isinstance(error, InvalidToken | InsufficientScope):  # RFC 6750 3
        challenge = f'Bearer realm="{REALM}"'
        if not isinstance(error, MissingToken):
            challenge += f', error="{error.error}"'
            if error.description:
                challenge += f', error_description="{_quote(error.description)}"'
        response.headers["WWW-Authenticate"] = challenge
    elif isinstance(error, InvalidClient) and status == 401:  # RFC 6749 5.2
        response.headers["WWW-Authenticate"] = f'Basic realm="{REALM}"'
    elif isinstance(error, TemporarilyUnavailable):  # RFC 9110 10.2.3: when to try again
        response.headers["Retry-After"] = str(RETRY_AFTER_SECONDS)
    if error.headers:  # a DPoP challenge (replacing Bearer's) or a DPoP-Nonce
        extra = dict(error.headers)
        if isinstance(error, MissingToken) and "WWW-Authenticate" in extra:
            # RFC 9449 7.2: no token at all, so both schemes are offered, Bearer first
            bearer = response.headers["WWW-Authenticate"]
            extra["WWW-Authenticate"] = f"{bearer}, {extra['WWW-Authenticate']}"
        response.headers.update(extra)
    if cors:
        response.headers["Access-Control-Allow-Origin"] = "*"
    return response


def page_error_response(error: PageError, quirks: Quirks) -> Response:
    """An error a person sees in the browser: an HTML page, worded as the preset words it."""
    wording = quirks.error_messages.get(error.reason, {})
    page = pages.error_page(
        str(wording.get("error", error.error)),
        str(wording.get("description", error.description)),
    )
    return html_response(page, status=400)


def server_error_response() -> Response:
    """A failure of mockidp itself: 500 JSON, no traceback (that goes to the log)."""
    return json_response(
        {"error": "server_error", "error_description": "mockidp failed; see its log"},
        status=500,
    )
