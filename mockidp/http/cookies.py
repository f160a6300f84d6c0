"""The browser session's cookies, set and deleted in one place.

- ``mockidp_session``: the session id, HttpOnly, ``SameSite=Lax``;
- ``mockidp_browser_state``: the OP browser state the check_session iframe's script reads
  (OpenID Connect Session Management 1.0 3.2; Keycloak's login-status iframe too), so not
  HttpOnly, and ``SameSite=None`` over https, where other sites frame the iframe.

Both live as long as the session (the scenario's ``lifetimes.session``), under the app's
root path (a tenant's ``/t/{name}``, a stage), ``Secure`` when the request came over https.
"""

from __future__ import annotations

import re
from typing import Literal

from starlette.responses import Response

from mockidp.http.exchange import Exchange

SESSION_COOKIE = "mockidp_session"
BROWSER_STATE_COOKIE = "mockidp_browser_state"
"""The cookie the session iframes' scripts read: not HttpOnly, by design."""


def set_session(
    response: Response,
    ex: Exchange,
    session_id: str,
    *,
    max_age: int,
    browser_state: str | None = None,
) -> None:
    """Keep ``session_id`` in the browser, and its ``browser_state`` when the iframe needs it."""
    set_cookie(
        response,
        SESSION_COOKIE,
        session_id,
        path=ex.cookie_path,
        max_age=max_age,
        secure=ex.secure,
        httponly=True,
        samesite="lax",
    )
    if browser_state is not None:
        set_cookie(
            response,
            BROWSER_STATE_COOKIE,
            browser_state,
            path=ex.cookie_path,
            max_age=max_age,
            secure=ex.secure,
            httponly=False,  # the iframe's script reads it
            samesite="none" if ex.secure else "lax",  # framed by other sites over https
        )


_PLAIN = re.compile(r"[A-Za-z0-9_\-]+")
"""Cookie values and paths written as they are: what ``secrets.token_urlsafe`` draws."""
_PLAIN_PATH = re.compile(r"/[A-Za-z0-9_\-./~]*")


def set_cookie(
    response: Response,
    name: str,
    value: str,
    *,
    path: str,
    max_age: int,
    secure: bool,
    httponly: bool,
    samesite: Literal["lax", "none"],
) -> None:
    """``Response.set_cookie``'s header, written directly for a plain value and path.

    Starlette goes through ``http.cookies`` (~7 us a cookie, two per sign-in); anything
    that module would quote or escape still goes its way.
    """
    if _PLAIN.fullmatch(value) is None or _PLAIN_PATH.fullmatch(path) is None:
        response.set_cookie(
            name,
            value,
            path=path,
            max_age=max_age,
            secure=secure,
            httponly=httponly,
            samesite=samesite,
        )
        return
    # http.cookies' attribute order: HttpOnly, Max-Age, Path, SameSite, Secure
    line = f"{name}={value}{'; HttpOnly' if httponly else ''}; Max-Age={max_age}; Path={path}"
    line += f"; SameSite={samesite}{'; Secure' if secure else ''}"
    response.raw_headers.append((b"set-cookie", line.encode("latin-1")))


def clear_session(response: Response, ex: Exchange) -> None:
    """Delete the session cookie, and the browser state's (the iframe then sees "changed")."""
    response.delete_cookie(
        SESSION_COOKIE, path=ex.cookie_path, secure=ex.secure, httponly=True, samesite="lax"
    )
    if BROWSER_STATE_COOKIE in ex.request.cookies:
        response.delete_cookie(
            BROWSER_STATE_COOKIE, path=ex.cookie_path, secure=ex.secure, samesite="lax"
        )
