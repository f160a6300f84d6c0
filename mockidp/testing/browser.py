"""A browser for an app's own test client: it follows the redirects between the app and the
provider, answers the provider's login and consent pages, and keeps the provider's
cookies (so a later logout or ``prompt=none`` behaves as in a real browser).

Requests to the app go through the app's test client (Starlette/FastAPI ``TestClient``,
an httpx or httpx2 client, Flask's or Django's test client), which keeps the app's
cookies; requests to the provider's origins go in-process to its app through one httpx
client per provider (:meth:`MockIdP.sign_in`, :meth:`MockIdP.follow`).
"""

from __future__ import annotations

import html
import re
from collections.abc import Callable
from typing import Any
from urllib.parse import parse_qsl, urlencode, urljoin, urlsplit, urlunsplit

import httpx

from mockidp.testing.login_flow import LoginFailed

MAX_HOPS = 30
_FORM = re.compile(r'<form[^>]*\baction="([^"]*)"[^>]*>(.*?)</form>', re.S)
_FIELD = re.compile(r'<(?:input|button)[^>]*\bname="([^"]*)"[^>]*\bvalue="([^"]*)"')
_CONTINUE = re.compile(r'<a id="continue" href="([^"]*)"')


def _app_call(client: Any, method: str, url: str, data: dict[str, str] | None) -> Any:
    """One request through the app's test client, redirects not followed."""
    module = type(client).__module__.partition(".")[0]
    if module in ("httpx", "httpx2", "starlette", "fastapi") or hasattr(client, "build_request"):
        return client.request(method, url, data=data, follow_redirects=False)
    if method == "GET":
        return client.get(url)  # Flask's and Django's test clients never follow by default
    return client.post(url, data=data or {})


def _location(response: Any) -> str | None:
    if not 300 <= response.status_code < 400:
        return None
    value = response.headers.get("location")
    return str(value) if value else None


def _forms(page: str) -> list[tuple[str, dict[str, str]]]:
    return [
        (
            html.unescape(action),
            {html.unescape(k): html.unescape(v) for k, v in _FIELD.findall(inner)},
        )
        for action, inner in _FORM.findall(page)
    ]


def _text(page: str) -> str:
    """A page's words, without its markup and style: what a person would read."""
    body = re.sub(r"<(style|script)[^>]*>.*?</\1>", " ", page, flags=re.S)
    return " ".join(html.unescape(re.sub(r"<[^>]+>", " ", body)).split())[:500]


def _with_login_hint(url: str, user: str) -> str:
    """An authorization request for ``user``: its login_hint, unless the app set one."""
    parts = urlsplit(url)
    query = dict(parse_qsl(parts.query, keep_blank_values=True))
    if "response_type" not in query or "client_id" not in query or "login_hint" in query:
        return url
    query["login_hint"] = user
    return urlunsplit(parts._replace(query=urlencode(query)))


class Browser:
    """Drives ``app_client`` and the provider (``idp_client``, any URL ``is_idp`` claims)."""

    def __init__(self, idp_client: httpx.Client, is_idp: Callable[[str], bool]) -> None:
        self.idp = idp_client
        self.is_idp = is_idp

    def run(
        self,
        app_client: Any,
        start: str,
        *,
        method: str = "GET",
        data: dict[str, str] | None = None,
        user: str | None = None,
        consent: bool | None = True,
    ) -> Any:
        """Request ``start`` from the app and follow every hop; the app's last response."""
        url, answered_consent = start, False
        app_response: Any = None
        for _ in range(MAX_HOPS):
            if not self.is_idp(url):
                app_response = _app_call(app_client, method, url, data)
                location = _location(app_response)
                if location is None:
                    if consent is False and not answered_consent:
                        raise LoginFailed(
                            "consent=False, but the provider asked for no consent: set the "
                            "scenario's consent to 'page' (@pytest.mark.mockidp(consent="
                            "'page')) to have it ask"
                        )
                    return app_response
                url, method, data = urljoin(url, location), "GET", None
                continue
            if user is not None and method == "GET":
                url = _with_login_hint(url, user)
            response = self.idp.request(method, url, data=data)
            location = response.headers.get("location") if response.is_redirect else None
            if location is not None:
                url, method, data = urljoin(url, location), "GET", None
                continue
            if response.status_code == 200 and not _forms(response.text):
                link = _CONTINUE.search(response.text)
                if link is None:  # a page that ends the journey (signed out)
                    return response
                url, method, data = urljoin(url, html.unescape(link.group(1))), "GET", None
                continue  # front-channel logout: the Continue link
            url, method, data, answered = self._answer_page(response, url, user, consent)
            answered_consent = answered_consent or answered
        raise LoginFailed(f"no end after {MAX_HOPS} redirects and pages; the last URL: {url}")

    def _answer_page(
        self, response: httpx.Response, url: str, user: str | None, consent: bool | None
    ) -> tuple[str, str, dict[str, str] | None, bool]:
        """The next request a person would make on a provider page: (url, method, form,
        whether it answered a consent page)."""
        page = response.text
        forms = _forms(page) if response.status_code == 200 else []
        for action, fields in forms:
            if fields.get("decision") and consent is not None:
                decision = "approve" if consent else "deny"
                form = {"interaction": fields.get("interaction", ""), "decision": decision}
                return urljoin(url, action), "POST", form, True
        for action, fields in forms:
            if "login" in fields or 'name="login"' in page:
                form = {"interaction": fields.get("interaction", "")}
                form["login"] = user or fields.get("login", "")
                if not form["login"]:
                    raise LoginFailed("the provider asks who signs in: pass user=")
                return urljoin(url, action), "POST", form, False
        if 'id="form-post"' in page and forms:  # response_mode=form_post: to the app
            action, fields = forms[0]
            return urljoin(url, action), "POST", fields, False
        raise LoginFailed(f"the provider answered {response.status_code} at {url}: {_text(page)}")
