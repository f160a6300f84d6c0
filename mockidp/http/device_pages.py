"""The device verification page's HTML (RFC 8628 3.3): code, sign-in, approval, result.

Plain forms, no JavaScript; every echoed value is escaped. The code form is a GET (it
only looks the code up, like ``verification_uri_complete``); the others post the
page's random ``interaction`` id, which ties them to this browser's way through.
"""

from __future__ import annotations

from html import escape

from mockidp.http.pages import (
    ANY_SUBJECT,
    LOGIN_TEXT,
    NO_USERS,
    document,
    hidden,
    scope_list,
    user_buttons,
)
from mockidp.oauth.signin.device import (
    CodeEntry,
    DeviceConfirm,
    DeviceDone,
    DeviceLogin,
    DevicePage,
)


def device_page(page: DevicePage, action: str) -> str:
    """The HTML for one step; ``action`` is the verification URI the forms go to."""
    if isinstance(page, CodeEntry):
        return _code_entry(page, action)
    if isinstance(page, DeviceLogin):
        return _login(page, action)
    if isinstance(page, DeviceConfirm):
        return _confirm(page, action)
    return _done(page)


def _notice(text: str | None) -> str:
    return f'<p class="notice" role="status" id="notice">{escape(text)}</p>' if text else ""


def _code_entry(page: CodeEntry, action: str) -> str:
    return document(
        "Connect a device",
        (
            f"<h1>Connect a device</h1>{_notice(page.notice)}"
            f"<p>Enter the code your device shows.</p>"
            f'<form method="get" action="{escape(action)}">'
            f'<label for="user_code">Code:</label> '
            f'<input type="text" id="user_code" name="user_code" value="{escape(page.user_code)}" '
            f'autocomplete="off" autocapitalize="characters" spellcheck="false" required> '
            f'<button type="submit" id="continue">Continue</button></form>'
        ),
    )


def _login(page: DeviceLogin, action: str) -> str:
    iid = hidden("interaction", page.interaction) + hidden("action", "login")
    users = user_buttons(page.users, action, iid)
    return document(
        "Sign in",
        (
            f"<h1>Sign in to connect {escape(page.client.name)}</h1>{_notice(page.notice)}"
            f'<p>Device code <code id="user-code">{escape(page.user_code)}</code></p>'
            f"{LOGIN_TEXT}{users or NO_USERS}"
            f'<form method="post" action="{escape(action)}">{iid}'
            f"{ANY_SUBJECT}"
            f'<input type="text" id="login" name="login" autocomplete="off"> '
            f'<button type="submit" id="login-submit">Sign in</button></form>'
        ),
    )


def _confirm(page: DeviceConfirm, action: str) -> str:
    iid = hidden("interaction", page.interaction)
    scopes = scope_list(page.scopes)
    return document(
        "Connect a device",
        (
            f"<h1>Connect {escape(page.client.name)} on your device</h1>"
            f'<p>Check that your device shows <code id="user-code">{escape(page.user_code)}</code>. '
            f"Approve only a device you started yourself.</p>"
            f'<p>Signed in as <strong id="user">{escape(page.user.sub)}</strong>. '
            f"It asks for:</p><ul>{scopes}</ul>"
            f'<form method="post" action="{escape(action)}">{iid}'
            f'<button type="submit" name="action" value="approve" id="approve">Approve</button> '
            f'<button type="submit" name="action" value="deny" id="deny">Deny</button></form>'
            f'<form method="post" action="{escape(action)}">{iid}'
            f'<button type="submit" name="action" value="switch" id="switch">'
            f"Use another account</button></form>"
        ),
    )


def _done(page: DeviceDone) -> str:
    name = escape(page.client.name) if page.client else "the device"
    if page.notice:
        heading = "Nothing changed"
    elif page.approved:
        heading = f"{name} is connected"
    else:
        heading = f"{name} was denied access"
    return document(
        "Device",
        (
            f'<h1 id="result" data-approved="{"true" if page.approved else "false"}">'
            f"{heading}</h1>{_notice(page.notice)}"
            f"<p>You can close this page and return to your device.</p>"
        ),
    )
