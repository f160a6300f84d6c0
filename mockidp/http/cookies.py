"""The browser session's cookies, set and deleted in one place.

- ``mockidp_session``: the session id, HttpOnly, ``SameSite=Lax``;
- ``mockidp_browser_state``: the OP browser state the check_session iframe's script reads
  (OpenID Connect Session Management 1.0 3.2; Keycloak's login-status iframe too), so not
  HttpOnly, and ``SameSite=None`` over https, where other sites frame the iframe.

Both live as long as the session (the scenario's ``lifetimes.session``), under the app's
root path (a tenant's ``/t/{name}``, a stage), ``Secure`` when the request came over https.
"""

from __future__ import annotations

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
    response.set_cookie(
        SESSION_COOKIE,
        session_id,
        path=ex.cookie_path,
        max_age=max_age,
        secure=ex.secure,
        httponly=True,
        samesite="lax",
    )
    if browser_state is not None:
        response.set_cookie(
            BROWSER_STATE_COOKIE,
            browser_state,
            path=ex.cookie_path,
            max_age=max_age,
            secure=ex.secure,
            httponly=False,  # the iframe's script reads it
            samesite="none" if ex.secure else "lax",  # framed by other sites over https
        )


def clear_session(response: Response, ex: Exchange) -> None:
    """Delete the session cookie, and the browser state's (the iframe then sees "changed")."""
    response.delete_cookie(
        SESSION_COOKIE, path=ex.cookie_path, secure=ex.secure, httponly=True, samesite="lax"
    )
    if BROWSER_STATE_COOKIE in ex.request.cookies:
        response.delete_cookie(
            BROWSER_STATE_COOKIE, path=ex.cookie_path, secure=ex.secure, samesite="lax"
        )
