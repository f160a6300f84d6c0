"""The pages relying parties frame to watch the browser session, and their scripts.

OpenID Connect Session Management 1.0's check_session iframe (:func:`check_session_page`),
and what Keycloak's session pages (:mod:`mockidp.http.vendors.keycloak`) share with it:
the page around one nonce'd script (:func:`script_page`), the script's reading of the
browser-state cookie and its hex encoding of a WebCrypto digest, written once here.

What the scripts compare is the core's: ``session_state`` and the OP browser state
(:mod:`mockidp.oauth.sessions.session_management`), the cookie is :mod:`mockidp.http.cookies`'.
"""

from __future__ import annotations

from html import escape

from starlette.responses import Response

from mockidp.http import csp
from mockidp.http.cookies import BROWSER_STATE_COOKIE
from mockidp.http.render import framed_html_response


def read_cookie(function: str) -> str:
    """A script's function ``function()``: the value of the cookie named by its ``COOKIE``
    variable, ``""`` when the browser has none."""
    return f"""  function {function}() {{
    var items = document.cookie ? document.cookie.split("; ") : [];
    for (var i = 0; i < items.length; i++) {{
      if (items[i].indexOf(COOKIE + "=") === 0) {{
        return decodeURIComponent(items[i].substring(COOKIE.length + 1));
      }}
    }}
    return "";
  }}
"""


HEX = """  function hex(buffer) {
    var bytes = new Uint8Array(buffer), out = "";
    for (var i = 0; i < bytes.length; i++) { out += (bytes[i] + 256).toString(16).slice(1); }
    return out;
  }
"""
"""A script's function ``hex(buffer)``: a digest's bytes as lowercase hex."""


def script_start(cookie: str) -> str:
    """A page script's opening: strict mode, and ``COOKIE``, the cookie it reads."""
    return f'\n(function () {{\n  "use strict";\n  var COOKIE = "{cookie}";\n'


def script_page(title: str, nonce: str, script: str) -> str:
    """A page with no visible content and one script, allowed by ``nonce``."""
    return (
        '<!doctype html><html lang="en"><head><meta charset="utf-8">'
        f"<title>{escape(title)}</title></head><body>"
        f'<script nonce="{escape(nonce)}">{script}</script></body></html>'
    )


# The iframe's script (section 3.2): the message is "client_id session_state"; it is
# answered only when it comes from the parent window, at the parent's origin.
_PARENT_ORIGIN = """  function parentOrigin() {
    var ancestors = window.location.ancestorOrigins;
    if (ancestors && ancestors.length) { return ancestors[0]; }
    try { return document.referrer ? new URL(document.referrer).origin : null; }
    catch (e) { return null; }
  }
"""

_CHECK_SESSION_LISTENER = """  window.addEventListener("message", function (event) {
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

CHECK_SESSION_SCRIPT = (
    script_start(BROWSER_STATE_COOKIE)
    + read_cookie("opBrowserState")
    + _PARENT_ORIGIN
    + HEX
    + _CHECK_SESSION_LISTENER
)
"""The check_session iframe's script: it recomputes the relying party's ``session_state``
from the message's client_id and salt, the sender's origin and the browser-state cookie."""


def framed_page(title: str, script: str, *, connect_self: bool = False) -> Response:
    """A page relying parties frame: no X-Frame-Options, one nonce'd script; it may call
    home (``connect_self``: Keycloak's ``/init``)."""
    script_nonce = csp.nonce()
    policy = csp.policy(script_nonce=script_nonce, connect_self=connect_self, framed=True)
    return framed_html_response(script_page(title, script_nonce, script), policy=policy)


def check_session_page() -> Response:
    """Session Management 1.0 3.2: the OP iframe. Relying parties frame it, so it may be."""
    return framed_page("mockidp check_session", CHECK_SESSION_SCRIPT)
