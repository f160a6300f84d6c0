"""The inspector's HTML (:mod:`mockidp.control.inspector.app`): server-rendered, no script, every
value escaped. Forms and links are relative to ``/_mockidp/inspector``, so the page works
under any root path (a tenant's ``/t/{name}``, an API gateway stage)."""

from __future__ import annotations

import json
import math
from collections.abc import Mapping, Sequence
from datetime import UTC, datetime
from html import escape
from typing import TYPE_CHECKING, Any
from urllib.parse import urlencode

from msgspec import Struct

from mockidp.control.inspector import diagram
from mockidp.requestlog import RequestRecord, fingerprint
from mockidp.signins import SignIn

if TYPE_CHECKING:
    from mockidp.control.inspector.audits import AuditCase, LastAudit
    from mockidp.control.inspector.journal import Decoded
    from mockidp.oauth.provider import Provider

TIME_CLAIMS = ("exp", "iat", "nbf", "auth_time", "updated_at")
_STYLE = """
:root{--bg:#fff;color-scheme:light dark}
body{font-family:system-ui,sans-serif;margin:1.5rem;color:#1d1d1f;background:var(--bg);
font-size:.9rem}
h1{font-size:1.3rem} h2{font-size:1.1rem;margin-top:1.5rem;border-bottom:1px solid #ddd}
table{border-collapse:collapse;width:100%} td,th{border:1px solid #ddd;padding:.2rem .4rem;
text-align:left;vertical-align:top;overflow-wrap:anywhere} th{background:#f3f3f3}
#requests th{white-space:nowrap} code,pre{background:#f6f6f6}
td code{display:block;white-space:pre-wrap;overflow-wrap:anywhere;line-height:1.35}
pre{padding:.4rem;white-space:pre-wrap;overflow-wrap:anywhere;margin:.2rem 0}
.bad{color:#a1001a;font-weight:600}
.ok{color:#0a6b2d} .token{border:1px solid #ccc;padding:.5rem;margin:.5rem 0}
form.inline{display:inline} .muted{color:#666} button{margin:.1rem}
details.signin{border:1px solid #ccc;padding:.4rem;margin:.5rem 0}
#audit th,#audit td.short,#audit td.name>code{white-space:nowrap;overflow-wrap:normal}
details.signin>summary{cursor:pointer;font-weight:600}
@media (prefers-color-scheme: dark){
:root{--bg:#16191d} body{color:#e6e6e6} th{background:#252a31} td,th{border-color:#3a3f46}
code,pre{background:#20252b} .muted{color:#a0a7b0} .bad{color:#ff7b8a} .ok{color:#6fd08c}
.token,details.signin{border-color:#3a3f46} h2{border-color:#3a3f46} a{color:#8ab4f8}}
"""
_STYLE += diagram.STYLE


def _doc(title: str, body: str, *, refresh: bool = False) -> str:
    meta = '<meta http-equiv="refresh" content="5">' if refresh else ""
    return (
        '<!doctype html><html lang="en"><head><meta charset="utf-8">'
        f"{meta}<title>{escape(title)} · mockidp</title><style>{_STYLE}</style></head>"
        f"<body>{body}</body></html>"
    )


def login_page(*, failed: bool, action: str | None = None) -> str:
    """The admin token's form; ``action``: where it posts, relative to the page (the
    audit page's is one level down)."""
    notice = '<p class="bad" role="alert" id="login-failed">That is not the admin token.</p>'
    return _doc(
        "Inspector sign-in",
        "<h1>mockidp inspector</h1>"
        f"{notice if failed else ''}"
        "<p>This mockidp's control API is protected: enter its admin token.</p>"
        f'<form method="post" action="{escape(action or "inspector/login")}">'
        '<label for="token">Admin token</label> '
        '<input type="password" id="token" name="token" autocomplete="off" required> '
        '<button type="submit" id="sign-in">Open the inspector</button></form>',
    )


def message_page(title: str, text: str) -> str:
    return _doc(title, f"<h1>{escape(title)}</h1><p>{escape(text)}</p>")


class View(Struct, frozen=True):
    """Everything the inspector page shows."""

    provider: Provider
    records: Sequence[RequestRecord]
    total: int
    endpoints: Sequence[str]
    filters: Mapping[str, str]
    tokens: Sequence[Decoded]
    sign_ins: list[SignIn]
    broken: Mapping[str, str]
    """What looks wrong with a token (by fingerprint), for the diagrams."""
    csrf: str
    protected: bool
    refresh: bool


def inspector_page(view: View) -> str:
    now = view.provider.clock.now()
    body = (
        "<h1>mockidp inspector</h1>"
        f'<p>Clock: <strong id="clock">{escape(_date(now))}</strong>'
        f"{' (frozen)' if view.provider.clock.frozen else ''}"
        f" · scenario preset <code>{escape(view.provider.scenario.preset)}</code>"
        ' · <a href="inspector/audit" id="audit-link">Last audit</a></p>'
        + _actions(view)
        + diagram.section(view.sign_ins, view.broken)
        + _log(view)
        + _tokens(view, now)
        + _scenario(view)
    )
    return _doc("Inspector", body, refresh=view.refresh)


# -- sections -----------------------------------------------------------------------------


def _csrf(view: View) -> str:
    return f'<input type="hidden" name="csrf" value="{escape(view.csrf)}">'


def _actions(view: View) -> str:
    steps = (("60", "+1 min"), ("300", "+5 min"), ("3600", "+1 hour"), ("86400", "+1 day"))
    clock = "".join(
        f'<button type="submit" name="advance" value="{v}" id="advance-{v}">{label}</button>'
        for v, label in steps
    )
    refresh_query = {**view.filters}
    if view.refresh:
        refresh_query.pop("refresh", None)
        refresh_link = "Stop auto-refresh"
    else:
        refresh_query["refresh"] = "5"
        refresh_link = "Auto-refresh every 5 s"
    logout = (
        f'<form class="inline" method="post" action="inspector/logout">{_csrf(view)}'
        '<button type="submit" id="logout">Sign out</button></form>'
        if view.protected
        else ""
    )
    return (
        '<p><form class="inline" method="post" action="inspector/reset">'
        f'{_csrf(view)}<button type="submit" id="reset">Reset state</button></form> '
        f'<form class="inline" method="post" action="inspector/clock">{_csrf(view)}'
        f"Move the clock: {clock}"
        '<button type="submit" name="reset" value="1" id="clock-reset">Real time</button></form> '
        f'<a href="inspector?{escape(urlencode(refresh_query))}" id="refresh">{refresh_link}</a> '
        f"{logout}</p>"
    )


def _log(view: View) -> str:
    f = view.filters
    options = "".join(
        f'<option value="{escape(e)}"{" selected" if f.get("endpoint") == e else ""}>'
        f"{escape(e)}</option>"
        for e in view.endpoints
    )
    refresh = '<input type="hidden" name="refresh" value="5">' if view.refresh else ""
    form = (
        '<form method="get" action="inspector" id="filters">'
        f'<label>Endpoint <select name="endpoint" id="filter-endpoint"><option value="">any</option>'
        f"{options}</select></label> "
        f'<label>Client <input name="client" id="filter-client" value="{escape(f.get("client", ""))}">'
        "</label> "
        f'<label>Status <input name="status" id="filter-status" size="6" '
        f'placeholder="400, 4xx, error" value="{escape(f.get("status", ""))}"></label> '
        f'{refresh}<button type="submit" id="filter">Filter</button> <a href="inspector">clear</a>'
        "</form>"
    )
    rows = "".join(_row(r) for r in view.records)
    table = (
        '<table id="requests"><thead><tr><th>method</th><th>path</th><th>endpoint</th>'
        "<th>client</th><th>grant</th><th>status</th><th>error</th><th>fault</th>"
        "<th>ms</th><th>parameters (secrets masked)</th></tr></thead>"
        f"<tbody>{rows}</tbody></table>"
        if rows
        else '<p id="requests-empty">No requests match.</p>'
    )
    return (
        f'<h2>Requests</h2><p class="muted">Newest first; {len(view.records)} shown of '
        f"{view.total} logged.</p>{form}{table}"
    )


def _row(r: RequestRecord) -> str:
    failed = r.status >= 400 or r.status == 0 or r.error is not None  # errors by redirect too
    status_class = "bad" if failed else "ok"
    params = " ".join(f"{k}={v}" for k, v in r.params.items())
    if r.authorization:
        params = f"Authorization: {r.authorization} {params}"
    return (
        f'<tr class="request" data-endpoint="{escape(r.endpoint or "")}">'
        f"<td>{escape(r.method)}</td><td>{escape(r.path)}</td>"
        f"<td>{escape(r.endpoint or '-')}</td><td>{escape(r.client_id or '-')}</td>"
        f"<td>{escape(r.grant_type or '')}</td>"
        f'<td class="{status_class}">{r.status or "dropped"}</td>'
        f"<td>{_error(r)}</td><td>{escape(r.fault or '')}</td>"
        f"<td>{r.duration_ms:.1f}</td><td><code>{escape(params)}</code></td></tr>"
    )


def _error(r: RequestRecord) -> str:
    """The error and, beside it, its description."""
    if not r.error:
        return ""
    described = (
        f'<br><span class="description">{escape(r.error_description)}</span>'
        if r.error_description
        else ""
    )
    return f'<span class="error">{escape(r.error)}</span>{described}'


def _tokens(view: View, now: float) -> str:
    if not view.tokens:
        return (
            '<h2>Tokens</h2><p id="tokens-empty">No tokens issued yet (since the last reset).</p>'
        )
    return "<h2>Tokens</h2>" + "".join(_token(t, now) for t in view.tokens)


def _token(t: Decoded, now: float) -> str:
    issued = t.issued
    verdict = "ok" if t.signature.startswith("valid") else "bad"
    state = "bad" if t.state.startswith(("expired", "not")) else "ok"
    header = (
        f'<pre class="header">{escape(json.dumps(t.header, indent=2, ensure_ascii=False))}</pre>'
        if t.header is not None
        else ""
    )
    claims = ""
    if t.claims is not None:
        claims = (
            '<table class="claims">'
            + "".join(
                f"<tr><th>{escape(name)}</th><td>{_claim(name, value, now)}</td></tr>"
                for name, value in t.claims.items()
            )
            + "</table>"
        )
    return (
        f'<section class="token" data-kind="{escape(issued.kind)}" '
        f'id="token-{escape(fingerprint(issued.value)[3:])}">'
        f"<strong>{escape(issued.kind)}</strong> to <code>{escape(issued.client_id or '-')}</code>"
        f" from {escape(issued.endpoint)} at {escape(_date(issued.at))}"
        f'<br>signature: <span class="signature {verdict}">{escape(t.signature)}</span>'
        f' · state: <span class="state {state}">{escape(t.state)}</span>'
        f"{header}{claims}</section>"
    )


def _claim(name: str, value: Any, now: float) -> str:
    text = escape(json.dumps(value, ensure_ascii=False))
    is_time = isinstance(value, int | float) and not isinstance(value, bool)
    if name in TIME_CLAIMS and is_time and math.isfinite(value) and abs(value) < 1e12:
        relative = _relative(value - now)
        if name == "exp":
            relative = f"expires {relative}" if value > now else f"expired {relative}"
        text += f' <span class="when">{escape(_date(value))} ({escape(relative)})</span>'
    return text


def _scenario(view: View) -> str:
    scenario = view.provider.scenario
    users = "".join(
        f"<tr><td><code>{escape(u.sub)}</code></td><td>{escape(u.username)}</td>"
        f"<td>{escape(str(u.claims.get('name', '')))}</td>"
        f"<td>{escape(str(u.claims.get('email', '')))}</td></tr>"
        for u in scenario.users
    )
    clients = "".join(
        f'<tr class="client"><td><code>{escape(c.client_id)}</code></td><td>{escape(c.name)}</td>'
        f"<td>{escape(c.token_endpoint_auth_method)}"
        f"{' (public)' if c.public else ' (secret not shown)'}</td>"
        f"<td>{escape(' '.join(c.grant_types))}</td>"
        f"<td>{'<br>'.join(escape(u) for u in c.redirect_uris)}</td></tr>"
        for c in scenario.clients
    )
    return (
        '<h2>Users</h2><table id="users"><tr><th>sub</th><th>username</th><th>name</th>'
        f"<th>email</th></tr>{users}</table>"
        '<h2>Clients</h2><table id="clients"><tr><th>client_id</th><th>name</th>'
        f"<th>authentication</th><th>grant types</th><th>redirect URIs</th></tr>{clients}</table>"
        '<p class="muted">Clients registered at run time (RFC 7591) are not listed.</p>'
    )


# -- time ---------------------------------------------------------------------------------


# -- the last audit ----------------------------------------------------------------------

_VERDICT_CLASS = {"pass": "ok", "fail": "bad", "error": "bad", "lenient": "", "n/a": "muted"}


def audit_page(last: LastAudit | None, *, now: float) -> str:
    """The last relying-party audit (``/_mockidp/inspector/audit``): one row a case."""
    back = '<p><a href="../inspector" id="back">Back to the inspector</a></p>'
    if last is None:
        body = (
            '<p id="no-audit">No audit has reported to this mockidp yet. Run '
            "<code>mockidp audit --idp URL --start URL --check URL</code> against it, or "
            "the pytest API (<code>check_case</code>): each leaves its result here.</p>"
        )
        return _doc("Last audit", f"<h1>Last audit</h1>{back}{body}")
    failed = "bad" if last.failed else "ok"
    head = (
        f'<p id="audit-summary"><strong class="{failed}">{escape(last.summary)}</strong>'
        f" · from <code>{escape(last.source)}</code> · received {escape(_date(last.received))}"
        f" ({escape(_relative(last.received - now) if now > last.received else 'just now')})"
        "</p>"
    )
    rows = "".join(_audit_row(c) for c in last.cases)
    table = (
        '<table id="audit"><thead><tr><th>case</th><th>expected</th><th>observed</th>'
        "<th>verdict</th><th>evidence</th><th>OpenID Foundation / rp id</th>"
        f"<th>replay it with</th></tr></thead><tbody>{rows}</tbody></table>"
    )
    return _doc("Last audit", f"<h1>Last audit</h1>{back}{head}{table}")


def _audit_row(c: AuditCase) -> str:
    evidence = c.evidence + (f"; then called {', '.join(c.called_after)}" if c.called_after else "")
    ids = " / ".join(i for i in (c.oidf, c.rp) if i) or "—"
    replay = ""
    if c.rule is not None:
        section = "faults" if "respond" in c.rule else "broken_tokens"
        replay = f"{section}: [{json.dumps(c.rule, separators=(', ', ': '))}]"
    if c.clients:
        replay += f" clients: {json.dumps(c.clients, separators=(', ', ': '))}"
    cls = _VERDICT_CLASS.get(c.verdict, "")
    return (
        f'<tr class="case" data-case="{escape(c.case)}" data-verdict="{escape(c.verdict)}">'
        f'<td class="name"><code>{escape(c.case)}</code>'
        f'<div class="muted">{escape(c.checks)}</div></td>'
        f'<td class="short">{escape(c.expected)}</td><td class="short">{escape(c.observed)}</td>'
        f'<td class="short verdict {cls}">{escape(c.verdict)}</td><td>{escape(evidence)}</td>'
        f"<td>{escape(ids)}</td><td><code>{escape(replay.strip())}</code></td></tr>"
    )


def _date(epoch: float) -> str:
    try:
        return datetime.fromtimestamp(epoch, UTC).strftime("%Y-%m-%d %H:%M:%S UTC")
    except (OverflowError, OSError, ValueError):
        return "out of range"


def _relative(seconds: float) -> str:
    """``in 59m 58s`` or ``2m 3s ago``."""
    whole = int(abs(seconds))
    days, rest = divmod(whole, 86400)
    hours, rest = divmod(rest, 3600)
    minutes, secs = divmod(rest, 60)
    parts = [f"{v}{u}" for v, u in ((days, "d"), (hours, "h"), (minutes, "m")) if v]
    parts.append(f"{secs}s")
    span = " ".join(parts[:2])
    return f"in {span}" if seconds >= 0 else f"{span} ago"
