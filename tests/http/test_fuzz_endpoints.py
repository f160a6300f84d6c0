"""Property-based fuzzing of every endpoint of every preset (Hypothesis).

Each preset's app is called directly through ASGI (no HTTP client normalising what we
send) with arbitrary methods, query strings, duplicated parameters, encodings, content
types, oversized and non-UTF-8 bodies, odd Authorization / Cookie / Host headers. The
endpoints come from the provider's layout, so an endpoint a preset (or a later change)
adds is fuzzed without touching this file.

Invariants checked on every answer:

1. never a 5xx (no scenario here scripts a fault);
2. an error is either RFC 6749 5.2 JSON (``error`` and ``error_description`` within the
   characters 5.2 allows; LoginRadius's envelope, with a numeric ``ErrorCode``, where
   the preset sets ``error_shape`` or ``not_found_shape``)
   or an HTML page; a 401 carries ``WWW-Authenticate``, a 405 ``Allow``;
3. a redirect (``Location``) or a form_post form only ever targets a registered
   redirect / post-logout URI (or a loopback one for a client that allows any port), or
   the provider itself;
4. a rejected request (4xx, or an error redirected back) leaves the state store exactly
   as it was, even when it carries a live session cookie (each app signs a user in
   first). Nothing is exempt: the request log and fault counters live outside the store
   (no fault is scripted). The random values here never hit a live code: a code
   presented with the wrong client or redirect URI is refused *and spent*, by design
   (tests/http/test_security.py).

Runs are bounded and derandomized (a fixed seed per test), so CI is reproducible; raise
``MOCKIDP_FUZZ_EXAMPLES`` for a longer local run.
"""

from __future__ import annotations

import asyncio
import base64
import html
import json
import os
import re
from dataclasses import dataclass, field
from functools import cache
from typing import Any
from urllib.parse import quote, urlencode, urlsplit

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from mockidp import MockIdPApp, create_app
from mockidp.http.input import MAX_BODY_BYTES
from mockidp.oauth.urls import is_loopback_uri
from mockidp.presets import PRESETS
from mockidp.store.memory import MemoryStore

EXAMPLES = int(os.environ.get("MOCKIDP_FUZZ_EXAMPLES", "100"))
HOST = "mockidp.test"
TENANT = "fuzz"
ORIGIN = f"http://{HOST}"
FUZZ = settings(
    max_examples=EXAMPLES,
    deadline=None,
    derandomize=True,
    database=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)

# RFC 6749 5.2: error is 1*NQSCHAR-ish; error_description %x20-21 / %x23-5B / %x5D-7E.
_ERROR_CODE = re.compile(r"[\x20\x21\x23-\x5b\x5d-\x7e]+")
_DESCRIPTION = re.compile(r"[\x20\x21\x23-\x5b\x5d-\x7e]*")
_FORM_ACTION = re.compile(r"<form[^>]*\saction=\"([^\"]*)\"", re.IGNORECASE)

PARAM_NAMES = [
    "client_id",
    "client_secret",
    "redirect_uri",
    "response_type",
    "response_mode",
    "scope",
    "state",
    "nonce",
    "prompt",
    "max_age",
    "login_hint",
    "id_token_hint",
    "code",
    "code_verifier",
    "code_challenge",
    "code_challenge_method",
    "grant_type",
    "refresh_token",
    "token",
    "token_type_hint",
    "post_logout_redirect_uri",
    "request",
    "request_uri",
    "resource",
    "audience",
    "device_code",
    "user_code",
    "interaction",
    "username",
    "password",
    "decision",
    "client_assertion",
    "client_assertion_type",
    "subject_token",
    "subject_token_type",
    "assertion",
    "acr_values",
    "claims",
]
GRANTS = [
    "authorization_code",
    "refresh_token",
    "client_credentials",
    "password",
    "urn:ietf:params:oauth:grant-type:device_code",
    "urn:ietf:params:oauth:grant-type:token-exchange",
    "urn:ietf:params:oauth:grant-type:jwt-bearer",
]
CONTENT_TYPES = [
    "application/x-www-form-urlencoded",
    "application/x-www-form-urlencoded; charset=UTF-8",
    "APPLICATION/X-WWW-FORM-URLENCODED",
    "application/x-www-form-urlencoded; charset=latin-1",
    "application/json",
    "application/json; charset=utf-8",
    "multipart/form-data; boundary=x",
    "text/plain",
    "application/xml",
    "",
    ";;;",
]
PAGE_GETS = frozenset(
    {"authorization", "end_session", "discovery", "oauth_metadata", "jwks", "home"}
)
"""Endpoints a plausible request GETs (the rest are POSTed a form)."""
METHODS = ["GET", "POST", "PUT", "DELETE", "PATCH", "HEAD", "OPTIONS", "TRACE", "FOO"]
EVIL_URIS = [
    "https://evil.example/cb",
    "http://127.0.0.1:8080/callback.evil",
    "http://127.0.0.1:8080/callback/../x",
    "http://127.0.0.1:8080/callbac",
    "http://localhost:8080/callback?x=1",
    "https://localhost@evil.example/",
    "//evil.example",
    "javascript:alert(1)",
]


@dataclass
class Target:
    """One preset's app and the values worth drawing for it."""

    name: str
    app: MockIdPApp
    store: MemoryStore
    paths: list[str]
    values: list[str]
    names: dict[str, str]  # path -> endpoint name
    sessions: list[str] = field(default_factory=list)  # live session cookies


@cache
def target(name: str) -> Target:
    """``name`` is a preset, or ``PRESET@tenant``: that preset's endpoints in tenant
    ``fuzz`` (``/t/fuzz/...``, made before fuzzing so no request creates it)."""
    preset, _, tenant = name.partition("@")
    app = create_app({"preset": preset})
    store = app.provider.deps.state.store
    assert isinstance(store, MemoryStore)
    scenario = app.provider.scenario
    values: list[str] = [*GRANTS, *EVIL_URIS]
    for client in scenario.clients:
        values += [client.client_id, *client.redirect_uris, *client.post_logout_redirect_uris]
        values += [client.client_secret] if client.client_secret else []
    values += ["openid", "openid profile email offline_access", "code", "token id_token"]
    values += ["none", "login consent", "S256", "plain", "form_post", "fragment", "query"]
    values += ["E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM", "x" * 43, "-1", "0"]
    prefix = f"/t/{TENANT}" if tenant else ""
    paths = {endpoint: prefix + path for endpoint, path in app.provider.layout.paths.items()}
    names = {path: endpoint for endpoint, path in paths.items()}
    t = Target(name, app, store, list(paths.values()), values, names)
    t.sessions = _signed_in(t)
    return t


def _signed_in(t: Target) -> list[str]:
    """A live browser session (the automatic sign-in's cookie), for the fuzzer to send:
    a rejected request carrying it must leave it (and everything else) alone."""
    path = next((p for p, endpoint in t.names.items() if endpoint == "authorization"), None)
    if path is None:
        return []
    request = {
        "method": "GET",
        "path": path,
        "query": urlencode(plausible(t, "authorization")).encode(),
        "headers": [(b"host", HOST.encode())],
        "body": b"",
    }
    answer = asyncio.run(_call(t.app, request))
    found = re.search(r"mockidp_session=([^;]+)", answer.headers.get("set-cookie", ""))
    return [found.group(1)] if found else []


def plausible(t: Target, endpoint: str) -> list[tuple[str, str]]:
    """A well-formed request for ``endpoint``: the fuzzer mutates it, reaching past the
    first check of each endpoint (malformed-only input is rejected at the door)."""
    clients = t.app.provider.scenario.clients
    secret = next((c for c in clients if c.client_secret), clients[0])
    public = next((c for c in clients if not c.client_secret), clients[0])
    redirect = (public.redirect_uris or ("http://127.0.0.1:8080/callback",))[0]
    challenge = [("code_challenge", "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM")]
    templates: dict[str, list[tuple[str, str]]] = {
        "authorization": [
            ("client_id", public.client_id),
            ("redirect_uri", redirect),
            ("response_type", "code"),
            ("scope", "openid profile"),
            ("state", "s1"),
            ("nonce", "n1"),
            *challenge,
            ("code_challenge_method", "S256"),
        ],
        "token": [
            ("grant_type", "client_credentials"),
            ("client_id", secret.client_id),
            ("client_secret", secret.client_secret or ""),
            ("scope", "openid"),
        ],
        "end_session": [
            ("client_id", public.client_id),
            ("post_logout_redirect_uri", (public.post_logout_redirect_uris or (redirect,))[0]),
            ("state", "s1"),
        ],
        "registration": [("redirect_uris", redirect), ("client_name", "fuzz")],
    }
    generic = [("client_id", secret.client_id), ("client_secret", secret.client_secret or "")]
    return list(templates.get(endpoint, [*generic, ("token", "x"), *challenge]))


def _fill(path: str, segment: str) -> str:
    value = segment.replace("/", "%2F") or "x"
    return re.sub(r"<[A-Za-z_][A-Za-z0-9_]*>", lambda _: value, path)


@st.composite
def requests(draw: st.DrawFn, t: Target) -> dict[str, Any]:
    """One request to one of ``t``'s endpoints: half of them *plausible* (well-formed, a
    good request's parameters mutated: dropped, replaced, added), half *wild* (any
    method, encoding, content type, length, host, body)."""
    text = st.text(max_size=40)
    value = st.one_of(st.sampled_from(t.values), text, st.just(""), st.just("a" * 3000))
    name = st.one_of(st.sampled_from(PARAM_NAMES), text)
    pairs = st.lists(st.tuples(name, value), max_size=8)
    template = draw(st.sampled_from(t.paths))
    endpoint = t.names[template]
    path = _fill(template, draw(st.one_of(st.sampled_from(t.values), text)))
    base = plausible(t, endpoint)
    kept = [pair for pair in base if draw(st.integers(0, 9)) != 0]  # drop some
    changed = [(k, draw(value)) if draw(st.integers(0, 5)) == 0 else (k, v) for k, v in kept]
    mutated = changed + draw(st.lists(st.tuples(name, value), max_size=2))
    headers: list[tuple[bytes, bytes]] = []
    if not draw(st.booleans()):  # plausible
        form = endpoint not in PAGE_GETS
        method = "POST" if form else "GET"
        query = b"" if form else urlencode(mutated).encode()
        body = urlencode(mutated).encode() if form else b""
        headers += [(b"host", HOST.encode()), (b"content-length", str(len(body)).encode())]
        if form:
            headers.append((b"content-type", b"application/x-www-form-urlencoded"))
    else:
        method = draw(st.sampled_from(METHODS))
        query_pairs = draw(st.one_of(st.just(mutated), pairs))
        query = draw(
            st.one_of(
                st.just(urlencode(query_pairs).encode()),
                st.just(urlencode(query_pairs + query_pairs[:1]).encode()),  # a duplicate
                st.binary(max_size=60),  # bad percent-encoding, raw bytes
            )
        )
        body_pairs = draw(st.one_of(st.just(mutated), pairs))
        kinds = ["none", "form", "dup", "json", "raw", "latin1", "big", "many"]
        body = {
            "none": b"",
            "form": urlencode(body_pairs).encode(),
            "dup": urlencode(body_pairs + body_pairs).encode(),
            "json": json.dumps(dict(body_pairs)).encode(),
            "raw": draw(st.binary(max_size=200)),
            "latin1": urlencode(body_pairs).encode() + b"&x=\xff\xfe",
            "big": b"a=" + b"b" * (MAX_BODY_BYTES + 10),
            "many": "&".join(f"p{i}=v" for i in range(400)).encode(),
        }[draw(st.sampled_from(kinds))]
        host = draw(st.sampled_from([HOST, "bad host", "[::1]:99999", "h:0"]))
        headers.append((b"host", host.encode()))
        content_type = draw(st.one_of(st.none(), st.sampled_from(CONTENT_TYPES)))
        if content_type is not None:
            headers.append((b"content-type", content_type.encode()))
        length = draw(st.sampled_from(["true", "none", "lie"]))
        if length != "none":
            declared = len(body) if length == "true" else len(body) + 7
            headers.append((b"content-length", str(declared).encode()))
    auth = draw(
        st.one_of(
            st.none(),
            st.builds(
                lambda u, p: "Basic " + base64.b64encode(f"{u}:{p}".encode()).decode(),
                value,
                value,
            ),
            st.sampled_from(["Basic !!!", "Basic ", "Bearer", "Bearer a b", "DPoP x", "Negotiate"]),
            st.builds(lambda v: f"Bearer {v}", text),
        )
    )
    if auth is not None:
        headers.append((b"authorization", auth.encode("utf-8")))
    if draw(st.booleans()):
        session = draw(st.one_of(st.sampled_from(t.sessions or ["none"]), text.map(quote)))
        headers.append((b"cookie", f"mockidp_session={session}".encode()))
    if draw(st.booleans()):
        headers.append((b"dpop", draw(text).encode("utf-8")))
    return {"method": method, "path": path, "query": query, "headers": headers, "body": body}


@dataclass
class Answer:
    status: int
    headers: dict[str, str]
    body: bytes


async def _call(app: MockIdPApp, request: dict[str, Any]) -> Answer:
    body: bytes = request["body"]
    chunks = [body[i : i + 16384] for i in range(0, len(body), 16384)] or [b""]
    messages = [
        {"type": "http.request", "body": c, "more_body": i < len(chunks) - 1}
        for i, c in enumerate(chunks)
    ]
    scope = {
        "type": "http",
        "asgi": {"version": "3.0"},
        "http_version": "1.1",
        "method": request["method"],
        "scheme": "http",
        "path": request["path"],
        "raw_path": request["path"].encode("utf-8", "surrogateescape"),
        "root_path": "",
        "query_string": request["query"],
        "headers": request["headers"],
        "client": ("127.0.0.1", 50000),
        "server": (HOST, 80),
    }

    async def receive() -> dict[str, Any]:
        return messages.pop(0) if messages else {"type": "http.disconnect"}

    status = 0
    headers: dict[str, str] = {}
    out = bytearray()

    async def send(message: dict[str, Any]) -> None:
        nonlocal status
        if message["type"] == "http.response.start":
            status = message["status"]
            for key, val in message.get("headers", []):
                name = key.decode("latin-1").lower()
                seen = headers.get(name)  # repeated (Set-Cookie): kept, comma-joined
                text = val.decode("latin-1")
                headers[name] = text if seen is None else f"{seen}, {text}"
        elif message["type"] == "http.response.body":
            out.extend(message.get("body", b""))

    await app(scope, receive, send)  # type: ignore[arg-type]
    return Answer(status, headers, bytes(out))


def _snapshot(store: MemoryStore) -> str:
    return json.dumps(
        {k: v for k, v in store._items.items()}, sort_keys=True, default=str, ensure_ascii=True
    )


def _allowed_targets(t: Target) -> tuple[list[str], bool]:
    """Registered redirect / post-logout URIs (scenario and registered clients), and
    whether any client accepts every loopback port."""
    uris: list[str] = []
    loopback = False
    for client in t.app.provider.scenario.clients:
        uris += [*client.redirect_uris, *client.post_logout_redirect_uris]
        loopback = loopback or client.loopback_redirects
    for record, _ in list(t.store._items.values()):  # dynamically registered clients
        data = record.get("client") if isinstance(record, dict) else None
        if isinstance(data, dict):
            uris += [*data.get("redirect_uris", []), *data.get("post_logout_redirect_uris", [])]
    return uris, loopback


def _target_ok(t: Target, location: str, host: str = HOST) -> bool:
    if location.startswith("/") and not location.startswith("//"):
        return True  # the provider's own path
    origin = f"http://{host}"  # with no MOCKIDP_ISSUER, the issuer follows the Host header
    if location.startswith(origin + "/") or location == origin:
        return True
    uris, loopback = _allowed_targets(t)
    for uri in uris:
        if location == uri or (location.startswith(uri) and location[len(uri)] in "?&#"):
            return True
    base = re.split(r"[?#]", location, maxsplit=1)[0]
    return loopback and is_loopback_uri(base)


def _is_rejection(answer: Answer) -> bool:
    if answer.status >= 400:
        return True
    location = answer.headers.get("location", "")
    parts = urlsplit(location)
    return "error=" in parts.query or "error=" in parts.fragment


def check(t: Target, request: dict[str, Any], answer: Answer, before: str) -> None:
    shown = {**request, "body": request["body"][:300]}
    assert answer.status < 500, (shown, answer)
    assert answer.status >= 100, (shown, answer)
    ctype = answer.headers.get("content-type", "")
    host = dict(request["headers"]).get(b"host", HOST.encode()).decode()
    if answer.status >= 400 and request["method"] != "HEAD":
        if ctype.startswith("application/json"):
            body = json.loads(answer.body)
            quirks = t.app.provider.scenario.quirks
            # LoginRadius's envelope: its presets' identity API and unserved paths, and
            # every error with error_shape loginradius
            envelope = "loginradius" in (quirks.error_shape, quirks.not_found_shape)
            if envelope and "Message" in body:
                assert {"Description", "ErrorCode", "Message"} <= body.keys(), (shown, body)
                assert isinstance(body["ErrorCode"], int), (shown, body)  # never null
            else:
                assert set(body) <= {"error", "error_description"}, (shown, body)
                assert _ERROR_CODE.fullmatch(body["error"]), (shown, body)
                description = body.get("error_description", "")
                assert _DESCRIPTION.fullmatch(description), (shown, body)
        else:
            assert ctype.startswith("text/html"), (shown, answer)
    if answer.status == 401:
        assert "www-authenticate" in answer.headers, (shown, answer)
    if answer.status == 405:
        assert "allow" in answer.headers, (shown, answer)
    if 300 <= answer.status < 400 and "location" in answer.headers:
        assert _target_ok(t, answer.headers["location"], host), (shown, answer)
    if ctype.startswith("text/html"):
        for action in _FORM_ACTION.findall(answer.body.decode("utf-8", "replace")):
            assert _target_ok(t, html.unescape(action), host), (shown, action)
    if _is_rejection(answer):
        assert _snapshot(t.store) == before, (shown, answer)


def _fuzz(name: str) -> None:
    t = target(name)

    @FUZZ
    @given(request=requests(t))
    def run(request: dict[str, Any]) -> None:
        before = _snapshot(t.store)
        answer = asyncio.run(_call(t.app, request))
        check(t, request, answer, before)

    run()


@pytest.mark.parametrize("preset", sorted(PRESETS))
def test_every_endpoint_survives_arbitrary_requests(preset: str) -> None:
    _fuzz(preset)


def test_a_tenants_endpoints_survive_arbitrary_requests() -> None:
    """The same under /t/{name}/ (a tenant of its own: provider, state namespace)."""
    _fuzz("generic@tenant")


def test_the_fuzzer_reaches_every_endpoint_of_a_preset() -> None:
    """The strategy draws every layout path (else a new endpoint would go unfuzzed)."""
    t = target("generic")
    seen: set[str] = set()

    @settings(max_examples=1000, deadline=None, derandomize=True, database=None)
    @given(request=requests(t))
    def run(request: dict[str, Any]) -> None:
        seen.add(request["path"])

    run()
    fixed = {p for p in t.paths if "<" not in p}
    assert fixed <= seen


@pytest.mark.parametrize(
    ("answer", "changed"),
    [
        (Answer(500, {"content-type": "application/json"}, b'{"error":"server_error"}'), False),
        (Answer(400, {"content-type": "application/json"}, b'{"message":"no"}'), False),
        (Answer(400, {"content-type": "application/json"}, b'{"error":"a\\"b"}'), False),
        (Answer(400, {"content-type": "text/plain"}, b"no"), False),
        (Answer(401, {"content-type": "application/json"}, b'{"error":"invalid_client"}'), False),
        (Answer(302, {"location": "https://evil.example/cb?code=x"}, b""), False),
        (Answer(302, {"location": "javascript:alert(1)//http://localhost:8080/"}, b""), False),
        (
            Answer(200, {"content-type": "text/html"}, b'<form action="https://evil.example/">'),
            False,
        ),
        (Answer(400, {"content-type": "application/json"}, b'{"error":"invalid_request"}'), True),
    ],
)
def test_the_checks_catch_each_violation(answer: Answer, changed: bool) -> None:
    """Each invariant can fail: a violating answer (or a changed store) is caught."""
    t = target("generic")
    request = {"method": "GET", "path": "/token", "query": b"", "headers": [], "body": b""}
    before = _snapshot(t.store)
    if changed:
        before = before[:-1] + ', "extra": 1}'
    with pytest.raises(AssertionError):
        check(t, request, answer, before)
