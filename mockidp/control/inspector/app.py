"""The inspector: a web page under ``/_mockidp/inspector`` for debugging a failing sign-in.

It shows the request log (newest first, filtered by endpoint, client and status in the
query string), every token the provider handed out lately decoded (header, claims with
dates, signature, expiry and whether the provider still honours it), the scenario's
users and clients (never a secret), and buttons that reset state or move the clock;
``/_mockidp/inspector/audit`` shows the last relying-party audit that reported here
(:mod:`mockidp.control.inspector.audits`).

Tokens: the request log masks them, so the inspector keeps its own small journal of
the token responses and authorization redirects this app sent
(:class:`~mockidp.control.inspector.journal.TokenJournal`, in memory, per process). A
token's value is never shown, only what it decodes to.

Access, when the control API has an admin token: ``Authorization: Bearer <token>``
as for the control API, or the page's sign-in form (or ``?token=`` once), which sets
an HttpOnly, SameSite=Strict cookie holding a value derived from the admin token (not
the token). The buttons POST forms that must carry the page's CSRF token and, when an
``Origin`` header comes, the page's own origin.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from collections.abc import Mapping
from typing import Protocol
from urllib.parse import urlsplit

from starlette.requests import Request
from starlette.responses import HTMLResponse, RedirectResponse, Response

from mockidp.control.inspector.audits import AuditShelf
from mockidp.control.inspector.html import (
    View,
    audit_page,
    inspector_page,
    login_page,
    message_page,
)
from mockidp.control.inspector.journal import JOURNALED, TokenJournal, decode, looks_broken
from mockidp.control.sync import ControlSync
from mockidp.errors import MockIdPError
from mockidp.http.input import bearer_token, parse_pairs, read_body
from mockidp.model.layout import CONTROL_PREFIX
from mockidp.oauth.provider import Provider
from mockidp.requestlog import RequestLog, RequestRecord, fingerprint
from mockidp.signins import sign_ins

PATH = "/inspector"
COOKIE = "mockidp_inspector"
LOG_ROWS = 200
_CLOCK_STEPS = {"60": 60, "300": 300, "3600": 3600, "86400": 86400}
CSP = (
    "default-src 'none'; style-src 'unsafe-inline'; form-action 'self'; "
    "frame-ancestors 'none'; base-uri 'none'"
)
HEADERS = {
    "Cache-Control": "no-store",
    "X-Frame-Options": "DENY",
    "X-Content-Type-Options": "nosniff",
    # same-origin, not no-referrer: with no-referrer Chromium sends "Origin: null" on the
    # page's own form posts, and the buttons check Origin
    "Referrer-Policy": "same-origin",
    "Content-Security-Policy": CSP,
}


def is_inspector_path(sub_path: str) -> bool:
    """Whether a control sub-path (``/inspector/...``) is the inspector's."""
    return sub_path == PATH or sub_path.startswith(PATH + "/")


# -- the HTTP side ------------------------------------------------------------------------


class Inspected(Protocol):
    """What the inspector shows and changes: the app's provider, its request log, and
    the record that shares its changes with other apps (None: nothing to share with)."""

    @property
    def provider(self) -> Provider: ...

    @property
    def requests(self) -> RequestLog: ...

    @property
    def sync(self) -> ControlSync | None: ...

    @property
    def audits(self) -> AuditShelf: ...


class Inspector:
    """The inspector of one control API (its admin token, request log and journal)."""

    def __init__(
        self, control: Inspected, admin: bytes | None, *, journal: TokenJournal | None = None
    ) -> None:
        self.control = control
        self._admin = admin
        self.journal = journal if journal is not None else TokenJournal()
        key = admin if admin is not None else secrets.token_bytes(32)
        self._session = _derive(key, "session") if admin is not None else None
        self._csrf = _derive(key, "csrf")

    def observe(self, record: RequestRecord, response: Response | None) -> None:
        """Journal the tokens ``response`` carried (the app calls this for every request)."""
        if response is not None and record.endpoint in JOURNALED:
            self.journal.observe(record, response, self.control.provider.clock.now())

    async def answer(self, request: Request, sub_path: str, base: str) -> Response:
        action = sub_path[len(PATH) :].strip("/")
        if action == "login" and request.method == "POST":
            return await self._login(request, base)
        token = request.query_params.get("token")
        if token is not None and request.method in ("GET", "HEAD") and not action:
            return self._token_login(token, base)
        if not self._allowed(request):  # the form posts to inspector/login from either page
            return _page(login_page(failed=False, action="login" if action else None), 401)
        allowed = ("GET", "HEAD") if action in ("", "audit") else ("POST",)
        if action not in ("", "audit", "login", "reset", "clock", "logout"):
            return _page(message_page("Not found", "No inspector page here."), 404)
        if request.method not in allowed:
            response = _page(message_page("Not allowed", f"Use {' or '.join(allowed)}."), 405)
            response.headers["Allow"] = ", ".join(allowed)
            return response
        if not action:
            return self._view(request)
        if action == "audit":
            now = self.control.provider.clock.now()
            return _page(audit_page(self.control.audits.last, now=now), 200)
        return await self._act(request, action, base)

    # -- access -----------------------------------------------------------------------

    def _allowed(self, request: Request) -> bool:
        if self._session is None:
            return True  # an open control API: an open inspector
        cookie = request.cookies.get(COOKIE, "")
        if cookie and hmac.compare_digest(cookie.encode(), self._session.encode()):
            return True
        token = bearer_token(request.headers.get("authorization"))
        return token is not None and self._is_admin(token)

    def _is_admin(self, token: str) -> bool:
        admin = self._admin
        return admin is not None and hmac.compare_digest(token.encode("utf-8"), admin)

    async def _login(self, request: Request, base: str) -> Response:
        form = await _form(request)
        if self._session is None:
            return _see_other(base)
        if not self._is_admin(form.get("token", "")):
            return _page(login_page(failed=True), 401)
        return self._signed_in(base)

    def _token_login(self, token: str, base: str) -> Response:
        if self._session is not None and not self._is_admin(token):
            return _page(login_page(failed=True), 401)
        return self._signed_in(base)  # the token leaves the address bar at once

    def _signed_in(self, base: str) -> Response:
        response = _see_other(base)
        if self._session is not None:
            response.set_cookie(
                COOKIE,
                self._session,
                path=_cookie_path(base),
                httponly=True,
                samesite="strict",
                secure=base.startswith("https:"),
            )
        return response

    # -- the page and its buttons -----------------------------------------------------

    def _view(self, request: Request) -> Response:
        control = self.control
        query = {k: v for k, v in request.query_params.items() if k != "token"}
        records = list(reversed(control.requests.records))
        endpoints = sorted({r.endpoint for r in records if r.endpoint})
        shown = [r for r in records if _matches(r, query)][:LOG_ROWS]
        tokens = [decode(control.provider, item) for item in reversed(self.journal.items)]
        oldest_first = list(reversed(records))
        view = View(
            provider=control.provider,
            records=shown,
            total=len(records),
            endpoints=endpoints,
            filters=query,
            tokens=tokens,
            sign_ins=sign_ins(oldest_first),
            broken={fingerprint(t.issued.value): p for t in tokens if (p := looks_broken(t))},
            csrf=self._csrf,
            protected=self._session is not None,
            refresh=query.get("refresh") in ("2", "5", "10"),
        )
        return _page(inspector_page(view), 200)

    async def _act(self, request: Request, action: str, base: str) -> Response:
        form = await _form(request)
        origin = request.headers.get("origin")
        same_origin = origin is None or base.startswith(origin.rstrip("/"))
        if not same_origin or not hmac.compare_digest(form.get("csrf", ""), self._csrf):
            return _page(message_page("Refused", "The form is stale; reload the page."), 403)
        provider = self.control.provider
        if action == "logout":
            response = _see_other(base)
            response.delete_cookie(COOKIE, path=_cookie_path(base))
            return response
        if action == "reset":
            provider.reset()
            self.control.requests.clear()
            self.journal.clear()
        else:
            step = form.get("advance", "")
            if form.get("reset") == "1":
                provider.clock.reset()
            elif step in _CLOCK_STEPS:
                provider.clock.advance(_CLOCK_STEPS[step])
            else:
                return _page(message_page("Refused", "Unknown clock change."), 400)
        if self.control.sync is not None:
            self.control.sync.push()  # other apps on the store follow, as for the control API
        return _see_other(base)


def _matches(record: RequestRecord, query: Mapping[str, str]) -> bool:
    endpoint = query.get("endpoint")
    client = query.get("client")
    status = query.get("status", "").strip().lower()
    if endpoint and record.endpoint != endpoint:
        return False
    if client and record.client_id != client:
        return False
    if status in ("", "any"):
        return True
    if status in ("2xx", "3xx", "4xx", "5xx"):
        return str(record.status).startswith(status[0])
    if status == "error":
        return record.status >= 400 or record.status == 0 or record.error is not None
    return str(record.status) == status


async def _form(request: Request) -> dict[str, str]:
    try:
        body = await read_body(request, limit=4096)
        return dict(parse_pairs(body.decode("utf-8")))
    except (MockIdPError, UnicodeDecodeError):
        return {}


def _derive(key: bytes, purpose: str) -> str:
    return hmac.new(key, f"mockidp-inspector:{purpose}".encode(), hashlib.sha256).hexdigest()


def _cookie_path(base: str) -> str:
    root = urlsplit(base).path.rstrip("/")
    return f"{root}{CONTROL_PREFIX}"


def _see_other(base: str) -> Response:
    location = f"{urlsplit(base).path.rstrip('/')}{CONTROL_PREFIX}{PATH.lstrip('/')}"
    return RedirectResponse(location, status_code=303, headers={"Cache-Control": "no-store"})


def _page(html: str, status: int) -> Response:
    response = HTMLResponse(html, status_code=status, headers=HEADERS)
    if status == 401:  # RFC 9110 11.6.1; the page's form is the other way in
        response.headers["WWW-Authenticate"] = 'Bearer realm="mockidp-control"'
    return response
