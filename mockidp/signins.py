"""Sign-ins read from the request log: who called whom, in order, as text, JSON and Mermaid.

A sign-in is the requests that share a browser session or hand each other a credential:
the authorization answer's interaction that the login form posts back, the code the
token request redeems, the refresh token a refresh sends, the device code a device
polls with. Records carry fingerprints of these (``session``, ``issued``, masked
``params``), so the reading never needs a secret. Discovery and key set requests join the
sign-in that follows them; a back-channel logout call joins the logout that made it.

Each request is a :class:`Step` from a lifeline (``browser``, ``app``, ``idp``) to
another, with its answer. The inspector draws them as SVG
(:mod:`mockidp.control.inspector.diagram`); the pytest plugin prints :func:`story`.
"""

from __future__ import annotations

import threading
from collections import deque
from collections.abc import Callable, Iterable, Mapping, Sequence
from types import MappingProxyType

from msgspec import Struct

from mockidp.requestlog import RequestRecord, fingerprint

BROWSER_ENDPOINTS = frozenset(
    {
        "authorization",
        "authorization_tenant",
        "login",
        "consent",
        "end_session",
        "end_session_legacy",
        "device",
        "check_session",
        "home",
    }
)
"""Endpoints a browser calls; the app calls the others."""
BACK_CHANNEL = "backchannel_logout"
PREAMBLE = frozenset({"discovery", "oauth_metadata", "jwks", "realm_info"})
"""Requests that belong to whichever sign-in comes next."""
KEY_PARAMS = ("response_type", "scope", "prompt", "grant_type", "response_mode")
"""The parameters a step's label shows (besides the client)."""
_NOTHING: Mapping[str, str] = MappingProxyType({})
_LINK_PARAMS = frozenset(
    {
        "code",
        "refresh_token",
        "access_token",
        "id_token_hint",
        "token",
        "device_code",
        "user_code",
        "request_uri",
        "interaction",
    }
)


class Step(Struct, frozen=True):
    """One request and its answer: from ``source`` to ``target`` (lifeline names)."""

    source: str
    target: str
    method: str
    endpoint: str
    path: str
    params: dict[str, str]
    """The key parameters (:data:`KEY_PARAMS`)."""
    status: int
    error: str | None
    error_description: str | None
    fault: str | None
    issued: dict[str, str]
    """What the answer handed out (``code``, ``id_token``...) by fingerprint."""

    @property
    def failed(self) -> bool:
        return self.status >= 400 or self.status == 0 or self.error is not None

    def request_text(self) -> str:
        params = " ".join(f"{k}={v}" for k, v in self.params.items())
        return f"{self.method} {self.endpoint} {params}".rstrip()

    def answer_text(self) -> str:
        """``302 code`` / ``400 invalid_grant: the code expired`` / ``dropped``."""
        text = str(self.status) if self.status else "dropped"
        if self.error:
            text += f" {self.error}"
            if self.error_description:
                text += f": {self.error_description}"
        elif "interaction" in self.issued:
            text += " page"  # a login, consent or device page the user answers
        else:
            text += "".join(f" {k}" for k in self.issued)
        return text


class SignIn(Struct, frozen=True):
    """The steps of one sign-in, oldest first, and the lifelines they use."""

    number: int
    """1 for the oldest sign-in in the log."""
    client_id: str | None
    steps: tuple[Step, ...]

    @property
    def lifelines(self) -> tuple[str, ...]:
        used = {s.source for s in self.steps} | {s.target for s in self.steps}
        return tuple(n for n in ("browser", "app", "idp", BACK_CHANNEL) if n in used)

    @property
    def failed(self) -> bool:
        return any(s.failed for s in self.steps)

    def to_json(self) -> dict[str, object]:
        return {
            "number": self.number,
            "client_id": self.client_id,
            "lifelines": list(self.lifelines),
            "steps": [_step_json(s) for s in self.steps],
        }


def _step_json(step: Step) -> dict[str, object]:
    return {
        "from": step.source,
        "to": step.target,
        "method": step.method,
        "endpoint": step.endpoint,
        "path": step.path,
        "params": step.params,
        "status": step.status,
        "error": step.error,
        "error_description": step.error_description,
        "fault": step.fault,
        "issued": step.issued,
    }


def step_of(record: RequestRecord) -> Step:
    endpoint = record.endpoint or "-"
    if endpoint == BACK_CHANNEL:
        source, target = "idp", BACK_CHANNEL
    elif endpoint in BROWSER_ENDPOINTS:
        source, target = "browser", "idp"
    else:
        source, target = "app", "idp"
    params = {k: record.params[k] for k in ("client_id", *KEY_PARAMS) if k in record.params}
    if "client_id" not in params and record.client_id:
        params = {"client_id": record.client_id, **params}
    return Step(
        source=source,
        target=target,
        method=record.method,
        endpoint=endpoint,
        path=record.path,
        params=params,
        status=record.status,
        error=record.error,
        error_description=record.error_description,
        fault=record.fault,
        issued=dict(record.issued),
    )


def _keys(record: RequestRecord) -> set[str]:
    """What joins a record to others: its session, the credentials it sent and got."""
    # a session joins browser requests only: a test's one HTTP client sends its cookies
    # to the token endpoint too, which would join every sign-in of the test
    browser = record.endpoint in BROWSER_ENDPOINTS
    keys = {f"s:{record.session}"} if record.session and browser else set()
    keys |= {f"t:{v}" for v in record.issued.values()}
    for name, value in record.params.items():
        if name in _LINK_PARAMS and value:
            keys.add(f"t:{value if value.startswith('***') else fingerprint(value)}")
    if record.authorization and record.endpoint not in ("token", "introspection", "revocation"):
        keys.add(f"t:{record.authorization.rpartition(' ')[2]}")  # Bearer ***1a2b3c4d
    return keys


def sign_ins(records: Iterable[RequestRecord]) -> list[SignIn]:
    """The sign-ins in ``records`` (oldest first), oldest first."""
    return [_sign_in(number, group) for number, group in enumerate(groups(records), 1)]


def _sign_in(number: int, members: list[RequestRecord]) -> SignIn:
    clients = [r.client_id for r in members if r.client_id and r.endpoint != BACK_CHANNEL]
    steps = tuple(step_of(r) for r in members)
    return SignIn(number, clients[0] if clients else None, steps)


def groups(records: Iterable[RequestRecord]) -> list[list[RequestRecord]]:
    """The records of each sign-in in ``records`` (oldest first), oldest first."""
    ordered = list(records)
    joined: list[list[int]] = []  # record indices
    owner: dict[str, int] = {}  # a key -> the group holding it
    waiting: list[int] = []  # discovery and the like, for the next group
    for i, record in enumerate(ordered):
        if record.endpoint in PREAMBLE and record.status < 400:
            waiting.append(i)
            continue
        # a back-channel call is reported right after the logout (or call) before it
        keys = {f"r:{i - 1}"} if record.endpoint == BACK_CHANNEL and i else _keys(record)
        found = sorted({owner[k] for k in keys if k in owner})
        if found:
            index = found[0]
            for other in found[1:]:  # a credential joins two groups: one sign-in after all
                joined[index] += joined[other]
                joined[other] = []
            owner = {k: index if v in found else v for k, v in owner.items()}
        else:
            joined.append([])
            index = len(joined) - 1
        joined[index] += [*waiting, i]
        waiting = []
        for k in [*keys, f"r:{i}"]:
            owner[k] = index
    if waiting:
        joined.append(waiting)
    in_order = sorted((sorted(g) for g in joined if g), key=lambda g: g[0])
    return [[ordered[i] for i in group] for group in in_order]


# -- text ---------------------------------------------------------------------------------


def story_line(record: RequestRecord, broken: Mapping[str, str] = _NOTHING) -> str:
    """One request for a failure report: method, path, key parameters, status, error,
    the fault applied and what is wrong with a token it handed out (``broken``: what
    is wrong with a token, by fingerprint)."""
    step = step_of(record)
    parts = [f"{record.method} {record.path}"]
    parts += [f"{k}={v}" for k, v in step.params.items()]
    parts.append(f"-> {step.answer_text()}")
    if record.fault:
        parts.append(f"[fault {record.fault}]")
    parts += [f"[broken {k}: {broken[v]}]" for k, v in record.issued.items() if v in broken]
    return " ".join(parts)


def story(
    records: Sequence[RequestRecord], *, dropped: int = 0, broken: Mapping[str, str] = _NOTHING
) -> str:
    """The requests, one line each, oldest first: what the IdP saw in a test."""
    if not records:
        return "mockidp received no requests."
    lines = [f"{i:>3}. {story_line(r, broken)}" for i, r in enumerate(records, 1)]
    if dropped:
        lines.insert(0, f"({dropped} older requests fell out of the log)")
    return "\n".join(lines)


def compact(sign_in: SignIn) -> str:
    """A sign-in on one console line: ``sign-in 2 (client): authorize 200 > login 302 ...``."""
    steps = " > ".join(
        f"{s.endpoint} {s.answer_text() if s.failed else s.status or 'dropped'}"
        + (f" [fault {s.fault}]" if s.fault else "")
        for s in sign_in.steps
    )
    return f"sign-in {sign_in.number} ({sign_in.client_id or 'no client'}): {steps}"


_MERMAID_NAMES = {"browser": "Browser", "app": "App", "idp": "IdP", BACK_CHANNEL: "AppBackChannel"}


def mermaid(sign_in: SignIn) -> str:
    """A Mermaid ``sequenceDiagram`` of the sign-in, for a bug report."""
    lines = ["sequenceDiagram"]
    for name in sign_in.lifelines:
        title = {
            "app": f"App {sign_in.client_id or ''}".strip(),
            BACK_CHANNEL: "App back-channel logout",
            "idp": "mockidp",
            "browser": "Browser",
        }[name]
        lines.append(f"    participant {_MERMAID_NAMES[name]} as {_mermaid_text(title)}")
    for s in sign_in.steps:
        source, target = _MERMAID_NAMES[s.source], _MERMAID_NAMES[s.target]
        lines.append(f"    {source}->>{target}: {_mermaid_text(s.request_text())}")
        arrow = "--x" if s.failed else "-->>"
        lines.append(f"    {target}{arrow}{source}: {_mermaid_text(s.answer_text())}")
        if s.fault:
            lines.append(f"    Note over {target}: fault {_mermaid_text(s.fault)}")
    return "\n".join(lines) + "\n"


def _mermaid_text(text: str) -> str:
    """Text Mermaid reads as a label: no line breaks, no ``;`` or ``#`` (its syntax)."""
    cleaned = " ".join(text.split())
    return cleaned.replace(";", ",").replace("#", "no.").replace("%%", "%")


# -- the console ----------------------------------------------------------------------------

FINISHING_GRANTS = frozenset(
    {"authorization_code", "urn:ietf:params:oauth:grant-type:device_code", "password"}
)


def finishes(record: RequestRecord) -> bool:
    """Whether a request ends a sign-in: tokens for a code or device grant, a logout, an
    error the app or the user is told about."""
    if record.error is not None or record.status >= 400 or record.status == 0:
        return True
    if record.endpoint in ("end_session", "end_session_legacy"):
        return True
    return record.endpoint == "token" and record.grant_type in FINISHING_GRANTS


class SignInPrinter:
    """``mockidp serve --sign-ins``: an ``on_request`` hook printing each finished sign-in
    on one line (:func:`compact`), read from the last ``window`` requests. A sign-in
    keeps its number when it is printed again (a refresh token reused, a logout)."""

    def __init__(self, write: Callable[[str], None], *, window: int = 200) -> None:
        self._write = write
        self._records: deque[RequestRecord] = deque(maxlen=window)
        self._lock = threading.Lock()
        self._numbers: dict[int, int] = {}  # id() of a sign-in's first record -> its number
        self._count = 0

    def __call__(self, record: RequestRecord) -> None:
        with self._lock:
            self._records.append(record)
            if not finishes(record):
                return
            found = [g for g in groups(self._records) if g[-1] is record]
            if not found:
                return
            first = id(found[0][0])
            if first not in self._numbers:
                if len(self._numbers) > 2 * (self._records.maxlen or 0):
                    alive = {id(r) for r in self._records}  # forget the sign-ins gone by
                    self._numbers = {k: v for k, v in self._numbers.items() if k in alive}
                self._count += 1
                self._numbers[first] = self._count
            line = compact(_sign_in(self._numbers[first], found[0]))
        self._write(line)


def console_hook(
    write: Callable[[str], None], *, each_request: bool, sign_ins: bool
) -> Callable[[RequestRecord], None] | None:
    """``mockidp serve``'s ``on_request``: each request's line, each finished sign-in's
    line (``--sign-ins``), both, or nothing (None)."""
    hooks: list[Callable[[RequestRecord], None]] = []
    if each_request:
        hooks.append(lambda record: write(record.line()))
    if sign_ins:
        hooks.append(SignInPrinter(write))
    if len(hooks) < 2:
        return hooks[0] if hooks else None

    def both(record: RequestRecord) -> None:
        for hook in hooks:
            hook(record)

    return both
