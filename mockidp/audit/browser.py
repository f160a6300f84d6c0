"""The audit's browser: a fresh cookie jar per case that signs in to an app over HTTP, then
refreshes or logs out where a case asks.

It follows redirects, and submits the provider's ``form_post`` page as a browser's script
would (an app that asks for ``response_mode=form_post``, as a hybrid or implicit app served
from a server does); it runs no other script, so an app whose callback needs JavaScript
(a fragment read in the browser) cannot be audited this way.
"""

from __future__ import annotations

import ssl
from html.parser import HTMLParser
from typing import Any

import httpx
from msgspec import Struct

FORM_POST_ID = "form-post"
"""The id of the provider's form_post page's form (:func:`mockidp.http.pages.form_post_page`)."""
MAX_FORMS = 3
"""form_post pages submitted in one sign-in, at most (one is usual)."""


class Attempt(Struct, frozen=True):
    """What one sign-in showed: signed in or not, and the request that showed it."""

    signed_in: bool
    evidence: str = ""


class Landing(Struct, frozen=True):
    """Where the app's logout URL ended after the provider's redirect, and its status."""

    status: int
    evidence: str


class HttpSignIn:
    """Signs in to an app over HTTP: GET ``start`` following redirects with a fresh
    cookie jar (the provider signs in by itself), then GET ``check``: 2xx is signed in.

    ``refresh``: the app's URL that refreshes the signed-in user's tokens, answering 2xx
    only when it took the new ones (the refresh cases). ``logout``: the app's URL that
    logs the user out through the provider's end_session endpoint (RP-initiated logout;
    the logout state cases). ``mounts``: transports by URL prefix (httpx ``mounts``), an
    in-process app's, say.
    """

    def __init__(
        self,
        start: str,
        check: str,
        *,
        refresh: str | None = None,
        logout: str | None = None,
        verify: bool | str = True,
        mounts: dict[str, httpx.BaseTransport] | None = None,
    ) -> None:
        self.start = start
        self.check = check
        self.refresh = refresh
        self.logout = logout
        # one TLS context for every sign-in: loading the CA store costs more than a sign-in
        self.verify: ssl.SSLContext | bool = verify if verify is False else _tls(verify)
        self.mounts = mounts

    def _browser(self) -> httpx.Client:
        return httpx.Client(
            follow_redirects=True, verify=self.verify, timeout=10, mounts=self.mounts
        )

    def _sign_in(self, browser: httpx.Client) -> httpx.Response:
        """GET ``start`` and follow it to the app's callback, form_post pages included."""
        answer = browser.get(self.start)
        for _ in range(MAX_FORMS):
            form = form_post(answer)
            if form is None:
                break
            action, fields = form
            answer = browser.post(str(answer.url.join(action)), data=fields)
        return answer

    def _callback(self, answer: httpx.Response) -> httpx.Response:
        """The app's last answer of a sign-in before any redirect to ``check``: its
        callback's, in effect (the final answer when nothing else is the app's)."""
        app, check = httpx.URL(self.start), httpx.URL(self.check)
        for hop in reversed([*answer.history, answer]):
            url = hop.request.url
            if (url.scheme, url.host, url.port) == (app.scheme, app.host, app.port) and (
                url.path != check.path
            ):
                return hop
        return answer

    def _checked(self, browser: httpx.Client) -> httpx.Response:
        return browser.get(self.check, follow_redirects=False)

    def __call__(self) -> Attempt:
        with self._browser() as browser:
            callback = self._callback(self._sign_in(browser))
            checked = self._checked(browser)
        landed = f"{callback.request.method} {callback.request.url.path} -> {callback.status_code}"
        if not callback.is_success and callback.text.strip():  # the app's own words, if any
            landed += ": " + " ".join(callback.text.split())[:80]
        shown = f"GET {httpx.URL(self.check).path} -> {checked.status_code} (after {landed})"
        return Attempt(checked.is_success, shown)

    def through_logout(self, end_session: str) -> Attempt | None:
        """Sign in, log out at the provider (it POSTs the Logout Token to the app), and
        say whether the user is still signed in; None when the sign-in failed."""
        path = httpx.URL(self.check).path
        with self._browser() as browser:
            self._sign_in(browser)
            if not self._checked(browser).is_success:
                return None
            ended = browser.get(end_session, follow_redirects=False)
            checked = self._checked(browser)
        shown = f"GET {path} -> {checked.status_code} (after the provider's logout -> {ended.status_code})"
        return Attempt(checked.is_success, shown)

    def through_refresh(self) -> Attempt | None:
        """Sign in, then GET the app's refresh URL: 2xx means the app took the refreshed
        tokens (``signed_in``). None when the sign-in failed."""
        if self.refresh is None:
            raise ValueError("this HttpSignIn has no refresh URL")
        with self._browser() as browser:
            self._sign_in(browser)
            if not self._checked(browser).is_success:
                return None
            refreshed = browser.get(self.refresh)
        shown = f"GET {refreshed.request.url.path} -> {refreshed.status_code}"
        if not refreshed.is_success and refreshed.text.strip():
            shown += ": " + " ".join(refreshed.text.split())[:80]
        return Attempt(refreshed.is_success, shown)

    def through_rp_logout(self) -> Landing | None:
        """Sign in, then GET the app's logout URL and follow it through the provider's
        end_session endpoint back to the app; None when the sign-in failed."""
        if self.logout is None:
            raise ValueError("this HttpSignIn has no logout URL")
        with self._browser() as browser:
            self._sign_in(browser)
            if not self._checked(browser).is_success:
                return None
            landed = browser.get(self.logout)
        hops = " -> ".join(f"{r.request.url.path} {r.status_code}" for r in landed.history)
        shown = f"GET {landed.request.url.path} -> {landed.status_code}"
        if not landed.is_success and landed.text.strip():
            shown += ": " + " ".join(landed.text.split())[:80]
        return Landing(landed.status_code, shown + (f" (after {hops})" if hops else ""))


def form_post(answer: httpx.Response) -> tuple[str, dict[str, str]] | None:
    """The provider's form_post page's action and fields, or None for any other answer."""
    if answer.status_code != 200 or f'id="{FORM_POST_ID}"' not in answer.text:
        return None
    parser = _FormPost()
    parser.feed(answer.text)
    return (parser.action, parser.fields) if parser.action is not None else None


class _FormPost(HTMLParser):
    """Reads the form_post form: its action and hidden fields (values unescaped)."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.action: str | None = None
        self.fields: dict[str, str] = {}
        self._inside = False

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        found: dict[str, Any] = dict(attrs)
        if tag == "form" and found.get("id") == FORM_POST_ID:
            self.action, self._inside = found.get("action") or "", True
        elif tag == "input" and self._inside and found.get("name"):
            self.fields[str(found["name"])] = str(found.get("value") or "")

    def handle_endtag(self, tag: str) -> None:
        if tag == "form":
            self._inside = False


def _tls(verify: bool | str) -> ssl.SSLContext:
    return ssl.create_default_context(cafile=None if verify is True else str(verify))
