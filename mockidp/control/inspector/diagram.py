"""A sign-in (:class:`mockidp.signins.SignIn`) drawn as an SVG sequence diagram.

Drawn on the server, so the page needs no script and no CDN. Colours come from the
page's stylesheet (:data:`STYLE`), which follows ``prefers-color-scheme``; every label is
escaped. An answer that handed out tokens links each to its decoded form on the page
(``#token-<fingerprint>``); a scripted fault and a token that looks broken are marked
on the arrow that carried them.
"""

from __future__ import annotations

from collections.abc import Mapping
from html import escape

from mockidp.signins import BACK_CHANNEL, SignIn, Step, mermaid

WIDTH = 1160
ROW = 30
TOP = 56
_X = {"browser": 90, "app": 420, "idp": 760, BACK_CHANNEL: 1060}
_LABEL_CHARS = 92
TOKEN_KINDS = ("id_token", "access_token", "refresh_token")

STYLE = """
svg.seq{width:100%;max-width:1160px;height:auto;font:12px ui-monospace,monospace;
color:inherit;display:block}
.seq .life{stroke:#999;stroke-dasharray:4 4}
.seq .head rect{fill:#eef2f7;stroke:#8793a3} .seq .head text{font-weight:600}
.seq text{fill:currentColor;paint-order:stroke;stroke:var(--bg);stroke-width:4px;
stroke-linejoin:round}
.seq line.call,.seq line.answer{stroke:#335;stroke-width:1.4}
.seq line.answer{stroke-dasharray:6 3}
.seq marker path{fill:#335}
.seq .failed line{stroke:#b3001b} .seq .failed text.status{fill:#b3001b;font-weight:600}
.seq marker.bad path{fill:#b3001b}
.seq text.mark{fill:#8a4b00;font-weight:600}
.seq a text,.seq a tspan{fill:#0b57d0;text-decoration:underline}
@media (prefers-color-scheme: dark){
.seq .head rect{fill:#26303d;stroke:#6b7a8c}
.seq line.call,.seq line.answer{stroke:#b9c4d0} .seq marker path{fill:#b9c4d0}
.seq .failed line{stroke:#ff7b8a} .seq .failed text.status{fill:#ff7b8a}
.seq marker.bad path{fill:#ff7b8a} .seq text.mark{fill:#ffb454}
.seq a text,.seq a tspan{fill:#8ab4f8}}
"""

_TITLES = {"browser": "Browser", "idp": "mockidp", BACK_CHANNEL: "back-channel logout"}


def svg(sign_in: SignIn, broken: Mapping[str, str]) -> str:
    """The sign-in's SVG. ``broken`` maps a token's fingerprint to what is wrong with it."""
    n = sign_in.number
    rows = sum(2 + bool(_marks(s, broken)) for s in sign_in.steps)
    height = TOP + rows * ROW + 24
    lanes = sign_in.lifelines
    parts = [
        f'<svg class="seq" id="signin-{n}-svg" xmlns="http://www.w3.org/2000/svg" '
        f'viewBox="0 0 {WIDTH} {height}" role="img" '
        f'aria-labelledby="signin-{n}-title">'
        f'<title id="signin-{n}-title">Sign-in {n}: {len(sign_in.steps)} requests</title>'
        "<defs>"
        f'<marker id="arrow-{n}" viewBox="0 0 10 10" refX="10" refY="5" markerWidth="8" '
        'markerHeight="8" orient="auto-start-reverse"><path d="M0,0L10,5L0,10z"/></marker>'
        f'<marker id="arrow-bad-{n}" class="bad" viewBox="0 0 10 10" refX="10" refY="5" '
        'markerWidth="8" markerHeight="8" orient="auto-start-reverse">'
        '<path d="M0,0L10,5L0,10z"/></marker></defs>'
    ]
    for lane in lanes:
        x = _X[lane]
        title = _TITLES.get(lane) or f"app {sign_in.client_id or ''}".strip()
        box = max(len(title) * 8 + 20, 90)
        parts.append(
            f'<g class="head" data-lifeline="{escape(lane)}">'
            f'<rect x="{x - box // 2}" y="8" width="{box}" height="26" rx="4"/>'
            f'<text x="{x}" y="26" text-anchor="middle">{escape(title)}</text></g>'
            f'<line class="life" x1="{x}" y1="34" x2="{x}" y2="{height - 8}"/>'
        )
    y = TOP
    for index, step in enumerate(sign_in.steps, 1):
        parts.append(_step(step, index, y, n, broken))
        y += ROW * (2 + bool(_marks(step, broken)))
    parts.append("</svg>")
    return "".join(parts)


def _marks(step: Step, broken: Mapping[str, str]) -> list[str]:
    marks = [f"fault: {step.fault}"] if step.fault else []
    marks += [
        f"broken {kind}: {broken[fp]}"
        for kind, fp in step.issued.items()
        if kind in TOKEN_KINDS and fp in broken
    ]
    return marks


def _step(step: Step, index: int, y: int, n: int, broken: Mapping[str, str]) -> str:
    x1, x2 = _X[step.source], _X[step.target]
    marker = f"arrow-bad-{n}" if step.failed else f"arrow-{n}"
    anchor, lx = ("start", min(x1, x2) + 8)
    if x1 > x2:  # a right-to-left call: label beside its target
        anchor, lx = ("start", x2 + 8)
    request = _clip(f"{index}. {step.request_text()}")
    answer_y = y + ROW
    status = escape(step.answer_text()[:_LABEL_CHARS])
    links = "".join(
        f' <a href="#token-{escape(fp[3:])}" class="token-link" data-kind="{escape(kind)}">'
        f"<tspan>{escape(kind)}</tspan></a>"
        for kind, fp in step.issued.items()
        if kind in TOKEN_KINDS
    )
    if links:  # the plain kinds become links
        status = escape(str(step.status))
    marks = _marks(step, broken)
    full = f"{step.method} {step.path} {step.request_text()} → {step.answer_text()}"
    mark = (
        f'<text class="mark" x="{lx}" y="{answer_y + ROW - 10}" text-anchor="{anchor}">'
        f"⚠ {escape('; '.join(marks))}</text>"
        if marks
        else ""
    )
    return (
        f'<g class="step{" failed" if step.failed else ""}" data-endpoint="{escape(step.endpoint)}"'
        f' data-status="{step.status}"><title>{escape(full)}</title>'
        f'<text class="request" x="{lx}" y="{y - 6}" text-anchor="{anchor}">{escape(request)}</text>'
        f'<line class="call" x1="{x1}" y1="{y}" x2="{x2}" y2="{y}" marker-end="url(#arrow-{n})"/>'
        f'<text class="status" x="{lx}" y="{answer_y - 6}" text-anchor="{anchor}">'
        f"{status}{links}</text>"
        f'<line class="answer" x1="{x2}" y1="{answer_y}" x2="{x1}" y2="{answer_y}" '
        f'marker-end="url(#{marker})"/>{mark}</g>'
    )


def _clip(text: str) -> str:
    return text if len(text) <= _LABEL_CHARS else text[: _LABEL_CHARS - 1] + "…"


def section(sign_ins: list[SignIn], broken: Mapping[str, str], *, shown: int = 10) -> str:
    """The page's "Sign-ins" section: the newest ``shown`` sign-ins, newest first, each
    drawn, with its Mermaid text and its JSON in the control API."""
    if not sign_ins:
        return '<h2>Sign-ins</h2><p id="signins-empty">No sign-ins logged yet.</p>'
    figures: list[str] = []
    for sign_in in list(reversed(sign_ins))[:shown]:
        n = sign_in.number
        state = "failed" if sign_in.failed else "ok"
        figures.append(
            f'<details class="signin" id="signin-{n}" data-state="{state}"'
            f"{' open' if not figures else ''}><summary>Sign-in {n} · client "
            f"<code>{escape(sign_in.client_id or '-')}</code> · {len(sign_in.steps)} requests"
            f"{' · <span class=bad>failed</span>' if sign_in.failed else ''}</summary>"
            f"{svg(sign_in, broken)}"
            f'<details class="mermaid"><summary>Mermaid (for a bug report)</summary>'
            f'<pre id="signin-{n}-mermaid">{escape(mermaid(sign_in))}</pre></details>'
            f'<p class="muted">JSON: <a href="signins/{n}">GET /_mockidp/signins/{n}</a></p>'
            "</details>"
        )
    more = len(sign_ins) - shown
    note = f'<p class="muted">{more} older sign-ins are not drawn.</p>' if more > 0 else ""
    return (
        '<h2>Sign-ins</h2><p class="muted">The requests of each sign-in, joined by browser '
        "session, code and tokens; newest first. Numbers count from the oldest request "
        f"still logged.</p>{''.join(figures)}{note}"
    )
