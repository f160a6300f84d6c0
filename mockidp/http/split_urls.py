"""Split URLs: the browser reaches the provider at one address, the app's backend at another.

In docker compose the browser opens ``http://localhost:8000`` while the app's backend
calls ``http://idp:8000``; neither can use the other's address. With a browser URL
configured (``MOCKIDP_BROWSER_URL``, ``--browser-url``), the issuer is fixed to that URL
(or ``MOCKIDP_ISSUER``) for every request, the endpoints a browser visits (authorize,
end session, check session, the login, consent and device pages) are at the browser URL,
and the back-channel endpoints (token, JWKS, userinfo, introspection, revocation,
registration, PAR, device authorization) are at whatever address the request used: the
discovery document the backend fetches from ``http://idp:8000`` sends it back there.
"""

from __future__ import annotations

from typing import Final
from urllib.parse import urlsplit

from starlette.types import Scope

from mockidp.types import JSONObject

__all__ = ["BACK_CHANNEL", "back_channel_urls", "browser_origin", "check_browser_url"]

BACK_CHANNEL: Final = (
    "token_endpoint",
    "jwks_uri",
    "userinfo_endpoint",
    "introspection_endpoint",
    "revocation_endpoint",
    "registration_endpoint",
    "pushed_authorization_request_endpoint",
    "device_authorization_endpoint",
    "registration_client_uri",  # RFC 7592: in a registration's answer
)
"""Members holding a URL the app's backend (or a device) calls, never a browser."""


def check_browser_url(url: str) -> str:
    """``url`` without its trailing ``/``; ValueError unless it is http(s)://host[:port][/path]."""
    parts = urlsplit(url.strip())
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise ValueError(f"the browser URL must be http(s)://HOST[:PORT], not {url!r}")
    if parts.query or parts.fragment or parts.username or parts.password:
        raise ValueError(f"the browser URL takes no query, fragment or user, not {url!r}")
    try:
        parts.port  # noqa: B018 - raises for a port out of range
    except ValueError:
        raise ValueError(f"the browser URL has a bad port: {url!r}") from None
    return url.strip().rstrip("/")


def browser_origin(browser_url: str, scope: Scope) -> str:
    """The browser's base URL for this request: a tenant's ``/t/{name}`` root path kept."""
    root = str(scope.get("root_path") or "").rstrip("/")
    return browser_url + root


def back_channel_urls(doc: JSONObject, *, front: str, back: str) -> JSONObject:
    """``doc`` with each back-channel URL under ``front`` moved under ``back``."""
    if front == back:
        return doc
    moved = dict(doc)
    for name in BACK_CHANNEL:
        value = doc.get(name)
        if isinstance(value, str) and (value == front or value.startswith(front + "/")):
            moved[name] = back + value[len(front) :]
    return moved
