"""Keycloak's own endpoints: its realm document and the browser-session pages keycloak-js
(``checkLoginIframe``) frames, with their scripts.

- ``3p-cookies/step1.html`` sets a test cookie and goes on to ``step2.html``, which tells
  the parent window ``"supported"`` or ``"unsupported"`` (whether the browser lets the
  framed provider keep cookies; keycloak-js turns its iframe off on ``unsupported``).
- ``login-status-iframe.html`` (discovery's ``check_session_iframe``) answers messages
  ``"<client_id> <sid>"``, the ``sid`` claim of the client's tokens, with ``unchanged``,
  ``changed`` or ``error``. Its first message for a client and origin is checked by
  ``login-status-iframe.html/init?client_id&origin`` (204: the origin is one of the
  client's web origins; 403: not), as Keycloak's does; an unchecked pair is ``error``.

The iframe recomputes the browser state (:mod:`mockidp.oauth.sessions.session_management`)
from the message's ``sid`` with WebCrypto and compares it with the script-readable cookie
(:mod:`mockidp.http.cookies`). No cookie: a ``sid`` means the session ended (``changed``),
none is ``unchanged``. The core's part is :mod:`mockidp.oauth.vendors.keycloak`.
"""

from __future__ import annotations

from starlette.responses import Response

from mockidp.errors import NotFound
from mockidp.http.cookies import BROWSER_STATE_COOKIE
from mockidp.http.exchange import Endpoint, Exchange
from mockidp.http.input import query_params
from mockidp.http.render import NO_STORE, json_response
from mockidp.http.session_pages import HEX, framed_page, read_cookie, script_start
from mockidp.oauth.provider import Provider
from mockidp.oauth.sessions.session_management import BROWSER_STATE_INPUT, BROWSER_STATE_LENGTH

TEST_COOKIE = "mockidp_3p_cookie"
"""The cookie step 1 sets and step 2 looks for (Keycloak's ``KEYCLOAK_3P_COOKIE``)."""

_STEP1 = f"""
(function () {{
  "use strict";
  document.cookie = "{TEST_COOKIE}=supported; Max-Age=60; Path=/; SameSite=None; Secure";
  document.cookie = "{TEST_COOKIE}_lax=supported; Max-Age=60; Path=/";
  window.location.replace("step2.html");
}})();
"""

_STEP2 = f"""
(function () {{
  "use strict";
  var found = document.cookie.indexOf("{TEST_COOKIE}") !== -1;
  document.cookie = "{TEST_COOKIE}=; Max-Age=0; Path=/; SameSite=None; Secure";
  document.cookie = "{TEST_COOKIE}_lax=; Max-Age=0; Path=/";
  window.parent.postMessage(found ? "supported" : "unsupported", "*");
}})();
"""

_COMPARE = f"""  function compare(sid, reply) {{
    var cookie = cookieValue();
    if (!cookie || !sid) {{ reply(!cookie && !sid ? "unchanged" : "changed"); return; }}
    if (!(window.crypto && window.crypto.subtle)) {{ reply("error"); return; }}
    var text = new TextEncoder().encode("{BROWSER_STATE_INPUT}" + sid);
    window.crypto.subtle.digest("SHA-256", text).then(
      function (digest) {{ reply(hex(digest).substring(0, {BROWSER_STATE_LENGTH}) === cookie ? "unchanged" : "changed"); }},
      function () {{ reply("error"); }}
    );
  }}
"""

_LOGIN_STATUS_LISTENER = """  window.addEventListener("message", function (event) {
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

LOGIN_STATUS_SCRIPT = (
    script_start(BROWSER_STATE_COOKIE)
    + "  var checked = {};\n"
    + read_cookie("cookieValue")
    + HEX
    + _COMPARE
    + _LOGIN_STATUS_LISTENER
)


def _require_pages(provider: Provider) -> None:
    if not provider.scenario.quirks.keycloak_login_status:
        raise NotFound("Keycloak's session pages are off (quirk keycloak_login_status)")


async def third_party_cookies_step1(provider: Provider, ex: Exchange) -> Response:
    _require_pages(provider)
    return framed_page("mockidp 3p-cookies step 1", _STEP1, connect_self=True)


async def third_party_cookies_step2(provider: Provider, ex: Exchange) -> Response:
    _require_pages(provider)
    return framed_page("mockidp 3p-cookies step 2", _STEP2, connect_self=True)


async def login_status(provider: Provider, ex: Exchange) -> Response:
    """The login-status iframe (served at check_session, quirk ``keycloak_login_status``)."""
    return framed_page("mockidp login status", LOGIN_STATUS_SCRIPT, connect_self=True)


async def login_status_init(provider: Provider, ex: Exchange) -> Response:
    """204 when ``origin`` is one of ``client_id``'s web origins, else 403 (Keycloak's)."""
    _require_pages(provider)
    ex.params = query_params(ex.incoming)
    client_id, origin = ex.params.get("client_id"), ex.params.get("origin")
    status = 204 if provider.vendors.keycloak_origin_checked(client_id, origin) else 403
    return Response(b"", status_code=status, headers=NO_STORE)


async def realm_info(provider: Provider, ex: Exchange) -> Response:
    """Keycloak's ``GET /realms/{realm}`` (python-keycloak's ``public_key()``)."""
    realm = provider.scenario.path_params.get("realm", "")
    document = provider.vendors.keycloak_realm(realm, issuer=ex.issuer)
    return json_response(document, no_store=False)


_GET = frozenset({"GET"})

ENDPOINTS: dict[str, Endpoint] = {
    "realm_info": Endpoint(realm_info, _GET),
    "third_party_cookies_step1": Endpoint(third_party_cookies_step1, _GET, cors=False),
    "third_party_cookies_step2": Endpoint(third_party_cookies_step2, _GET, cors=False),
    "login_status_init": Endpoint(login_status_init, _GET, cors=False),
}
"""Keycloak's endpoint names in its preset's layout, and how each is served."""
