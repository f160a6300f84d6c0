"""OpenID Connect Session Management 1.0: ``session_state`` and the check_session iframe.

The *OP browser state* is a value derived one-way from the browser's session id, kept
in a cookie that scripts may read (:mod:`mockidp.http.cookies`; the session cookie
itself stays HttpOnly). A new sign-in gives a new session and so a new browser state;
logout deletes the cookie (browser state ``""``). Either way the iframe answers
``changed`` to a relying party still holding its old ``session_state``.

``session_state`` (section 3) is ``SHA-256(client_id " " origin " " browser_state " "
salt)`` in hex, ``.``, and a fresh salt; ``origin`` is the origin (RFC 6454) of the
redirect URI the response goes to. The iframe's script recomputes it from the same
parts, the origin being the message's ``event.origin``, with WebCrypto (which browsers
offer only in secure contexts: https, or http on loopback). The iframe's page and
script are :mod:`mockidp.http.session_pages`'.
"""

from __future__ import annotations

import hashlib
import secrets

from msgspec.structs import replace

from mockidp.oauth.records import token_handle
from mockidp.oauth.signin.flow import AuthorizationResponse, AuthorizeResult
from mockidp.oauth.signin.session import public_sid
from mockidp.oauth.urls import origin

ENDPOINT = "check_session"
"""The layout name of the iframe's endpoint (discovery: ``check_session_iframe``)."""

BROWSER_STATE_INPUT = "browser-state:"
BROWSER_STATE_LENGTH = 32
"""The browser state of a session with public ``sid``: the first ``BROWSER_STATE_LENGTH``
hex digits of ``SHA-256(BROWSER_STATE_INPUT + sid)``, which a page given the ``sid`` can
recompute (Keycloak's login-status iframe compares sessions that way)."""


def browser_state(session_id: str | None) -> str:
    """The OP browser state for a session: a one-way value, never the session id itself.

    Derived from the session's public ``sid`` (itself a one-way value of the id), so a
    page given a token's ``sid`` can recompute it: Keycloak's login-status iframe
    (:mod:`mockidp.oauth.vendors.keycloak.session`) compares sessions that way."""
    if not session_id:
        return ""
    return token_handle(BROWSER_STATE_INPUT + public_sid(session_id))[:BROWSER_STATE_LENGTH]


def session_state(client_id: str, redirect_uri: str, state: str, salt: str | None = None) -> str:
    """The ``session_state`` of an authorization response (section 3): hash.salt, no spaces."""
    salt = salt if salt is not None else secrets.token_hex(8)
    text = f"{client_id} {origin(redirect_uri)} {state} {salt}"
    return hashlib.sha256(text.encode("utf-8")).hexdigest() + "." + salt


def with_session_state(result: AuthorizeResult) -> AuthorizeResult:
    """``result`` with ``session_state`` added when it is an authorization response.

    Successful and error responses alike: an RP checking after an error (``prompt=none``
    answered ``login_required``) learns when the user signs in. The salt is new each
    time, so the value does not identify the user across requests (section 3).
    """
    if not isinstance(result, AuthorizationResponse) or result.client_id is None:
        return result
    value = session_state(
        result.client_id, result.redirect_uri, browser_state(result.browser_session)
    )
    return replace(result, params={**result.params, "session_state": value})
