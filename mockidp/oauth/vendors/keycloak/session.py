"""Keycloak's browser-session pages, as keycloak-js (``checkLoginIframe``) uses them.

- ``3p-cookies/step1.html`` sets a test cookie and goes on to ``step2.html``, which tells
  the parent window ``"supported"`` or ``"unsupported"`` (whether the browser lets the
  framed provider keep cookies; keycloak-js turns its iframe off on ``unsupported``).
- ``login-status-iframe.html`` (discovery's ``check_session_iframe``) answers messages
  ``"<client_id> <sid>"``, the ``sid`` claim of the client's tokens, with ``unchanged``,
  ``changed`` or ``error``. Its first message for a client and origin is checked by
  ``login-status-iframe.html/init?client_id&origin`` (204: the origin is one of the
  client's web origins; 403: not), as Keycloak's does; an unchecked pair is ``error``.

The session is compared as :mod:`mockidp.oauth.sessions.session_management` keeps it: the
script-readable cookie holds a one-way value of the session id (Keycloak's cookie holds
a hash of it as well), which the iframe recomputes from the message's ``sid`` with
WebCrypto. No cookie: a ``sid`` means the session ended (``changed``), none is
``unchanged``.
"""

from __future__ import annotations

from html import escape

from mockidp.oauth.sessions.session_management import BROWSER_STATE_COOKIE

TEST_COOKIE = "mockidp_3p_cookie"
"""The cookie step 1 sets and step 2 looks for (Keycloak's ``KEYCLOAK_3P_COOKIE``)."""

_STEP1 = """
(function () {
  "use strict";
  document.cookie = "%(cookie)s=supported; Max-Age=60; Path=/; SameSite=None; Secure";
  document.cookie = "%(cookie)s_lax=supported; Max-Age=60; Path=/";
  window.location.replace("step2.html");
})();
"""

_STEP2 = """
(function () {
  "use strict";
  var found = document.cookie.indexOf("%(cookie)s") !== -1;
  document.cookie = "%(cookie)s=; Max-Age=0; Path=/; SameSite=None; Secure";
  document.cookie = "%(cookie)s_lax=; Max-Age=0; Path=/";
  window.parent.postMessage(found ? "supported" : "unsupported", "*");
})();
"""

_LOGIN_STATUS = """
(function () {
  "use strict";
  var COOKIE = "%(cookie)s";
  var checked = {};
  function cookieValue() {
    var items = document.cookie ? document.cookie.split("; ") : [];
    for (var i = 0; i < items.length; i++) {
      if (items[i].indexOf(COOKIE + "=") === 0) {
        return decodeURIComponent(items[i].substring(COOKIE.length + 1));
      }
    }
    return "";
  }
  function hex(buffer) {
    var bytes = new Uint8Array(buffer), out = "";
    for (var i = 0; i < bytes.length; i++) { out += (bytes[i] + 256).toString(16).slice(1); }
    return out;
  }
  function compare(sid, reply) {
    var cookie = cookieValue();
    if (!cookie || !sid) { reply(!cookie && !sid ? "unchanged" : "changed"); return; }
    if (!(window.crypto && window.crypto.subtle)) { reply("error"); return; }
    var text = new TextEncoder().encode("browser-state:" + sid);
    window.crypto.subtle.digest("SHA-256", text).then(
      function (digest) { reply(hex(digest).substring(0, 32) === cookie ? "unchanged" : "changed"); },
      function () { reply("error"); }
    );
  }
  window.addEventListener("message", function (event) {
    if (typeof event.data !== "string" || !event.source) { return; }
    var parts = event.data.split(" ");
    if (parts.length !== 2) { return; }
    var clientId = parts[0], sid = parts[1], origin = event.origin, source = event.source;
    var reply = function (status) { source.postMessage(status, origin); };
    var key = clientId + " " + origin;
    if (checked[key]) { compare(sid, reply); return; }
    var url = window.location.pathname + "/init?client_id=" + encodeURIComponent(clientId) +
      "&origin=" + encodeURIComponent(origin);
    fetch(url, { credentials: "same-origin" }).then(
      function (response) {
        if (response.status !== 204) { reply("error"); return; }
        checked[key] = true;
        compare(sid, reply);
      },
      function () { reply("error"); }
    );
  }, false);
})();
"""


def _page(title: str, nonce: str, script: str) -> str:
    return (
        '<!doctype html><html lang="en"><head><meta charset="utf-8">'
        f"<title>{escape(title)}</title></head><body>"
        f'<script nonce="{escape(nonce)}">{script}</script></body></html>'
    )


def step1_page(nonce: str) -> str:
    return _page("mockidp 3p-cookies step 1", nonce, _STEP1 % {"cookie": TEST_COOKIE})


def step2_page(nonce: str) -> str:
    return _page("mockidp 3p-cookies step 2", nonce, _STEP2 % {"cookie": TEST_COOKIE})


def login_status_page(nonce: str) -> str:
    return _page("mockidp login status", nonce, _LOGIN_STATUS % {"cookie": BROWSER_STATE_COOKIE})


def framed_csp(nonce: str) -> str:
    """Only the nonce'd script runs, it may call back home (``/init``), any page frames it."""
    return (
        f"default-src 'none'; script-src 'nonce-{nonce}'; connect-src 'self'; "
        "frame-ancestors *; base-uri 'none'"
    )
