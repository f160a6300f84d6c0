"""OpenID Connect Session Management 1.0: ``session_state`` and the check_session iframe.

The *OP browser state* is a value derived one-way from the browser's session id, kept
in a cookie that scripts may read (:data:`BROWSER_STATE_COOKIE`; the session cookie
itself stays HttpOnly). A new sign-in gives a new session and so a new browser state;
logout deletes the cookie (browser state ``""``). Either way the iframe answers
``changed`` to a relying party still holding its old ``session_state``.

``session_state`` (section 3) is ``SHA-256(client_id " " origin " " browser_state " "
salt)`` in hex, ``.``, and a fresh salt; ``origin`` is the origin (RFC 6454) of the
redirect URI the response goes to. The iframe's script recomputes it from the same
parts, the origin being the message's ``event.origin``, with WebCrypto (which browsers
offer only in secure contexts: https, or http on loopback).
"""

from __future__ import annotations

import hashlib
import re
import secrets
from html import escape
from urllib.parse import urlsplit

from msgspec.structs import replace

from mockidp.oauth.records import token_handle
from mockidp.oauth.signin.flow import AuthorizationResponse, AuthorizeResult
from mockidp.oauth.signin.session import public_sid
from mockidp.oauth.urls import origin

BROWSER_STATE_COOKIE = "mockidp_browser_state"
"""The cookie the check_session iframe reads: not HttpOnly, by design (section 3.2)."""

ENDPOINT = "check_session"
"""The layout name of the iframe's endpoint (discovery: ``check_session_iframe``)."""

_HOST_SOURCE = re.compile(r"https?://[A-Za-z0-9.-]+(:[0-9]+)?")


def browser_state(session_id: str | None) -> str:
    """The OP browser state for a session: a one-way value, never the session id itself.

    Derived from the session's public ``sid`` (itself a one-way value of the id), so a
    page given a token's ``sid`` can recompute it: Keycloak's login-status iframe
    (:mod:`mockidp.oauth.vendors.keycloak.session`) compares sessions that way."""
    if not session_id:
        return ""
    return token_handle("browser-state:" + public_sid(session_id))[:32]


def csp_source(uri: str) -> str:
    """A CSP source expression allowing ``uri``'s origin; just its scheme where a host
    source cannot say it (IPv6 literals, odd characters)."""
    value = origin(uri)
    if _HOST_SOURCE.fullmatch(value):
        return value
    return urlsplit(uri).scheme.lower() + ":" if value != "null" else "'none'"


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


# The iframe's script (section 3.2): the message is "client_id session_state"; it is
# answered only when it comes from the parent window, at the parent's origin.
_SCRIPT = """
(function () {
  "use strict";
  var COOKIE = "%(cookie)s";
  function opBrowserState() {
    var items = document.cookie ? document.cookie.split("; ") : [];
    for (var i = 0; i < items.length; i++) {
      if (items[i].indexOf(COOKIE + "=") === 0) {
        return decodeURIComponent(items[i].substring(COOKIE.length + 1));
      }
    }
    return "";
  }
  function parentOrigin() {
    var ancestors = window.location.ancestorOrigins;
    if (ancestors && ancestors.length) { return ancestors[0]; }
    try { return document.referrer ? new URL(document.referrer).origin : null; }
    catch (e) { return null; }
  }
  function hex(buffer) {
    var bytes = new Uint8Array(buffer), out = "";
    for (var i = 0; i < bytes.length; i++) { out += (bytes[i] + 256).toString(16).slice(1); }
    return out;
  }
  window.addEventListener("message", function (event) {
    if (event.source !== window.parent) { return; }
    var expected = parentOrigin();
    if (expected !== null && event.origin !== expected) { return; }
    var reply = function (status) { event.source.postMessage(status, event.origin); };
    var data = event.data;
    var space = typeof data === "string" ? data.lastIndexOf(" ") : -1;
    if (space < 1) { reply("error"); return; }
    var clientId = data.substring(0, space);
    var sessionState = data.substring(space + 1);
    var dot = sessionState.lastIndexOf(".");
    if (dot < 1 || dot === sessionState.length - 1) { reply("error"); return; }
    var salt = sessionState.substring(dot + 1);
    if (!(window.crypto && window.crypto.subtle)) { reply("error"); return; }
    var text = clientId + " " + event.origin + " " + opBrowserState() + " " + salt;
    window.crypto.subtle.digest("SHA-256", new TextEncoder().encode(text)).then(
      function (digest) {
        reply(hex(digest) + "." + salt === sessionState ? "unchanged" : "changed");
      },
      function () { reply("error"); }
    );
  }, false);
})();
"""


def check_session_page(nonce: str) -> str:
    """The OP iframe: no visible content, one script allowed by ``nonce``."""
    script = _SCRIPT % {"cookie": BROWSER_STATE_COOKIE}
    return (
        '<!doctype html><html lang="en"><head><meta charset="utf-8">'
        "<title>mockidp check_session</title></head><body>"
        f'<script nonce="{escape(nonce)}">{script}</script></body></html>'
    )


def check_session_csp(nonce: str) -> str:
    """Only the nonce'd script runs, and any relying party may embed the page."""
    return f"default-src 'none'; script-src 'nonce-{nonce}'; frame-ancestors *; base-uri 'none'"
