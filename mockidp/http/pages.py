"""The HTML the user sees: login, consent, errors, form_post, logout, home.

Plain server-rendered HTML that works without JavaScript (form_post auto-submits with a
nonce'd script and keeps a button for when scripts are off). Every echoed value is
escaped.
"""

from __future__ import annotations

from collections.abc import Iterable
from html import escape

from mockidp.model.layout import CONTROL_PREFIX
from mockidp.model.scenario import Scenario, User
from mockidp.oauth.signin.flow import ConsentPage, LoginPage

_STYLE = """
body{font-family:system-ui,sans-serif;max-width:32rem;margin:3rem auto;padding:0 1rem;color:#1d1d1f}
h1{font-size:1.4rem} .muted{color:#666;font-size:.9rem} form{margin:.5rem 0}
button{font-size:1rem;padding:.5rem 1rem;margin:.25rem 0;cursor:pointer}
.user{display:block;width:100%;text-align:left} .notice{background:#fff4ce;padding:.5rem}
.error{background:#fde7e9;padding:.75rem} code{background:#f3f3f3;padding:0 .2rem}
input[type=text]{font-size:1rem;padding:.4rem;width:60%}
"""

LOGIN_TEXT = (
    '<p class="muted" id="login-help">mockidp test provider: pick a user; this page asks '
    "for no password (passwords are for the password grant only).</p>"
)
NO_USERS = "<p>This scenario has no users; type a subject below.</p>"
ANY_SUBJECT = (
    # Any subject signs in, listed or not, as peers' mock IdPs allow; an unlisted one
    # gets a sub and no other claims (README: "Signing in").
    '<label for="login">Or any subject (one the scenario does not list gets only a '
    "<code>sub</code> claim):</label> "
)

SCOPE_TEXT = {
    "openid": "Sign you in",
    "profile": "Your name and profile",
    "email": "Your email address",
    "address": "Your postal address",
    "phone": "Your phone number",
    "offline_access": "Stay signed in (refresh tokens)",
}


def document(title: str, body: str) -> str:
    return (
        f'<!doctype html><html lang="en"><head><meta charset="utf-8">'
        f'<meta name="viewport" content="width=device-width,initial-scale=1">'
        f"<title>{escape(title)} · mockidp</title><style>{_STYLE}</style></head>"
        f"<body>{body}</body></html>"
    )


def hidden(name: str, value: str) -> str:
    return f'<input type="hidden" name="{escape(name)}" value="{escape(value)}">'


def user_buttons(users: Iterable[User], action: str, fields: str) -> str:
    """One sign-in button per user, each a form posting ``login`` plus the hidden ``fields``."""
    return "".join(
        f'<form method="post" action="{escape(action)}">{fields}'
        f'<button class="user" type="submit" name="login" value="{escape(u.sub)}" '
        f'data-user="{escape(u.sub)}">{escape(str(u.claims.get("name", u.username)))} '
        f'<span class="muted">({escape(u.username)})</span></button></form>'
        for u in users
    )


def scope_list(scopes: Iterable[str]) -> str:
    """The requested scopes as list items, each with its plain-language meaning."""
    items = "".join(
        f"<li><code>{escape(s)}</code> {escape(SCOPE_TEXT.get(s, ''))}</li>" for s in scopes
    )
    return items or "<li>No scopes</li>"


def login_page(page: LoginPage, action: str) -> str:
    iid = hidden("interaction", page.interaction)
    notice = f'<p class="notice" role="status">{escape(page.notice)}</p>' if page.notice else ""
    users = user_buttons(page.users, action, iid)
    hint = escape(page.login_hint or "")
    return document(
        "Sign in",
        (
            f"<h1>Sign in to {escape(page.client.name)}</h1>{notice}"
            f"{LOGIN_TEXT}{users or NO_USERS}"
            f'<form method="post" action="{escape(action)}">{iid}'
            f"{ANY_SUBJECT}"
            f'<input type="text" id="login" name="login" value="{hint}" autocomplete="off"> '
            f'<button type="submit" id="login-submit">Sign in</button></form>'
            f'<form method="post" action="{escape(action)}">{iid}'
            f'<button type="submit" name="action" value="cancel" id="cancel">Cancel</button></form>'
        ),
    )


def consent_page(page: ConsentPage, action: str) -> str:
    scopes = scope_list(page.scopes)
    return document(
        "Consent",
        (
            f"<h1>{escape(page.client.name)} wants access</h1>"
            f"<p>Signed in as <strong>{escape(page.user.sub)}</strong>. It asks for:</p><ul>{scopes}</ul>"
            f'<form method="post" action="{escape(action)}">{hidden("interaction", page.interaction)}'
            f'<button type="submit" name="decision" value="approve" id="approve">Approve</button> '
            f'<button type="submit" name="decision" value="deny" id="deny">Deny</button></form>'
        ),
    )


def error_page(error: str, description: str) -> str:
    return document(
        "Error",
        (
            f'<h1>Sign-in cannot continue</h1><p class="error" role="alert"><strong id="error">'
            f'{escape(error)}</strong>: <span id="error-description">{escape(description)}</span></p>'
            f'<p class="muted">The request was not sent back to the application because its '
            f"client or redirect address could not be trusted.</p>"
        ),
    )


def form_post_page(uri: str, params: dict[str, str], nonce: str) -> str:
    """OAuth 2.0 Form Post Response Mode: a form the browser submits to the client."""
    fields = "".join(hidden(k, v) for k, v in params.items())
    return document(
        "Continue",
        (
            f'<form method="post" action="{escape(uri)}" id="form-post">{fields}'
            f'<noscript><button type="submit">Continue</button></noscript></form>'
            f'<script nonce="{escape(nonce)}">document.getElementById("form-post").submit()</script>'
        ),
    )


def logged_out_page() -> str:
    return document("Signed out", '<h1 id="signed-out">You are signed out</h1>')


def front_channel_logout_page(uris: tuple[str, ...], continue_to: str | None, nonce: str) -> str:
    """Front-Channel Logout 1.0: each RP's logout URI in a hidden iframe; once they have
    loaded (or after a few seconds), a nonce'd script follows the Continue link."""
    frames = "".join(
        f'<iframe class="rp-logout" src="{escape(u)}" title="Signing out" hidden></iframe>'
        for u in uris
    )
    link = (
        f'<p><a id="continue" href="{escape(continue_to)}">Continue</a></p>' if continue_to else ""
    )
    script = (
        "(function(){var link=document.getElementById('continue');if(!link){return;}"
        "var frames=document.querySelectorAll('iframe.rp-logout'),left=frames.length,done=false;"
        "function go(){if(!done){done=true;window.location.replace(link.href);}}"
        "for(var i=0;i<frames.length;i++){frames[i].addEventListener('load',function(){"
        "left-=1;if(left<=0){go();}});}setTimeout(go,5000);})();"
    )
    return document(
        "Signed out",
        (
            f'<h1 id="signed-out">You are signed out</h1>{frames}{link}'
            f'<script nonce="{escape(nonce)}">{script}</script>'
        ),
    )


def home_page(scenario: Scenario, issuer: str, discovery_url: str | None, *, root: str = "") -> str:
    """What a newcomer opening ``/`` needs: the issuer, discovery, where the inspector and
    the test-control API are (under ``root``, the app's root path), clients and users."""
    discovery = (
        f'<p>Discovery: <a href="{escape(discovery_url)}">{escape(discovery_url)}</a></p>'
        if discovery_url
        else ""
    )
    control = f"{root.rstrip('/')}{CONTROL_PREFIX.rstrip('/')}"
    discovery += (
        f'<p><a id="inspector" href="{escape(control)}/inspector">Inspector</a>: the request log, '
        "the tokens issued lately, decoded, and buttons to reset state or move the clock.</p>"
        f'<p><a id="control-api" href="{escape(control)}/">Test-control API</a> '
        f'(<a id="openapi" href="{escape(control)}/openapi.json">OpenAPI document</a>): '
        "scenario, users, faults, clock, request log, token minting.</p>"
    )
    clients = "".join(
        f"<li><code>{escape(c.client_id)}</code>"
        + (f" secret <code>{escape(c.client_secret)}</code>" if c.client_secret else " (public)")
        + "</li>"
        for c in scenario.clients
    )
    users = "".join(f"<li><code>{escape(u.sub)}</code></li>" for u in scenario.users)
    return document(
        "mockidp",
        (
            f"<h1>mockidp</h1><p>Issuer: <code>{escape(issuer)}</code></p>{discovery}"
            f"<h2>Clients</h2><ul>{clients}</ul><h2>Users</h2><ul>{users}</ul>"
        ),
    )
