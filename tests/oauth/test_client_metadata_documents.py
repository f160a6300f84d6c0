"""OAuth Client ID Metadata Documents: an https client_id is the URL of the client's
metadata; fetched (short timeout, size cap, HTTP caching) or, in-process, taken from
the scenario; checked (its client_id is the URL, the redirect_uri is listed, public
unless it says otherwise)."""

from __future__ import annotations

import base64
import hashlib
import json
import secrets
import ssl
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlsplit

import httpx
import pytest

from mockidp.hosting.tls import local_tls
from mockidp.oauth.clients.metadata_documents import freshness
from mockidp.testing import MockIdP

URL = "https://app.example/oauth/client.json"
CALLBACK = "http://127.0.0.1:7000/callback"
DOCUMENT = {
    "client_id": URL,
    "client_name": "An MCP client",
    "redirect_uris": [CALLBACK],
    "grant_types": ["authorization_code", "refresh_token"],
    "response_types": ["code"],
    "token_endpoint_auth_method": "none",
}


def _idp(documents: dict[str, Any] | None = None, **settings: Any) -> MockIdP:
    section = {"documents": documents if documents is not None else {URL: DOCUMENT}, **settings}
    return MockIdP.in_process({"client_metadata_documents": section, "users": [{"sub": "ada"}]})


@pytest.fixture
def idp() -> Iterator[MockIdP]:
    made = _idp()
    yield made
    made.close()


def _pkce() -> tuple[str, str]:
    verifier = secrets.token_urlsafe(48)
    digest = hashlib.sha256(verifier.encode()).digest()
    return verifier, base64.urlsafe_b64encode(digest).rstrip(b"=").decode()


def _authorize(idp: MockIdP, client_id: str, redirect_uri: str = CALLBACK) -> httpx.Response:
    verifier, challenge = _pkce()
    query = {
        "response_type": "code",
        "client_id": client_id,
        "redirect_uri": redirect_uri,
        "scope": "openid",
        "state": verifier,  # carried back, for the exchange below
        "code_challenge": challenge,
        "code_challenge_method": "S256",
        "login_hint": "ada",
    }
    return idp.client.get("/authorize", params=query)


def _exchange(idp: MockIdP, answer: httpx.Response, client_id: str) -> httpx.Response:
    found = {k: v[0] for k, v in parse_qs(urlsplit(answer.headers["location"]).query).items()}
    form = {
        "grant_type": "authorization_code",
        "code": found["code"],
        "redirect_uri": CALLBACK,
        "client_id": client_id,
        "code_verifier": found["state"],
    }
    return idp.client.post("/token", data=form)


def test_discovery_says_documents_are_supported() -> None:
    generic, keycloak = MockIdP.in_process(), MockIdP.in_process({"preset": "keycloak"})
    try:
        doc = generic.client.get("/.well-known/openid-configuration").json()
        realm = keycloak.client.get("/realms/mockidp/.well-known/openid-configuration").json()
    finally:
        generic.close()
        keycloak.close()
    assert doc["client_id_metadata_document_supported"] is True
    assert "client_id_metadata_document_supported" not in realm  # Keycloak's has none


def test_a_document_client_signs_in_as_a_public_client(idp: MockIdP) -> None:
    answer = _authorize(idp, URL)
    assert answer.status_code == 302, answer.text
    tokens = _exchange(idp, answer, URL)
    assert tokens.status_code == 200, tokens.text
    assert "access_token" in tokens.json() and "id_token" in tokens.json()


@pytest.mark.parametrize(
    "redirect_uri", ["http://127.0.0.1:7000/other", "https://evil.example/callback"]
)
def test_a_redirect_uri_the_document_does_not_list_is_refused(
    idp: MockIdP, redirect_uri: str
) -> None:
    answer = _authorize(idp, URL, redirect_uri)
    assert answer.status_code == 400
    assert "location" not in answer.headers


@pytest.mark.parametrize(
    ("change", "why"),
    [
        ({"client_id": "https://app.example/other.json"}, "another client_id"),
        ({"token_endpoint_auth_method": "client_secret_post"}, "shared secret"),
        ({"client_secret": "s"}, "shared secret"),
        ({"redirect_uris": ["javascript:alert(1)"]}, "not valid"),
    ],
)
def test_a_document_that_does_not_hold_is_an_invalid_client(
    change: dict[str, Any], why: str
) -> None:
    idp = _idp({URL: {**DOCUMENT, **change}})
    try:
        answer = _authorize(idp, URL)
    finally:
        idp.close()
    assert answer.status_code in (400, 401), answer.text
    assert "location" not in answer.headers
    assert why in answer.text


@pytest.mark.parametrize(
    "client_id",
    [
        "https://app.example",
        "https://app.example/",
        "https://app.example/a/../client.json",
        "https://user@app.example/client.json",
    ],
)
def test_urls_the_draft_rules_out_are_refused(idp: MockIdP, client_id: str) -> None:
    answer = _authorize(idp, client_id)
    assert answer.status_code in (400, 401)
    assert "location" not in answer.headers


def test_documents_can_be_switched_off() -> None:
    idp = _idp(enabled=False)
    try:
        doc = idp.client.get("/.well-known/openid-configuration").json()
        answer = _authorize(idp, URL)
    finally:
        idp.close()
    assert "client_id_metadata_document_supported" not in doc
    assert answer.status_code == 400 and "location" not in answer.headers  # unknown client


# -- fetched over HTTPS (the local CA of `serve --tls`) ---------------------------------------


class _Server:
    """An HTTPS server on loopback answering one document with chosen headers."""

    def __init__(self) -> None:
        self.fetches = 0
        self.body = b""
        self.headers: dict[str, str] = {}
        outer = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                outer.fetches += 1
                self.send_response(200)
                self.send_header("Content-Type", "application/json")
                for name, value in outer.headers.items():
                    self.send_header(name, value)
                self.end_headers()
                self.wfile.write(outer.body)

            def log_message(self, *args: Any) -> None:
                return None

        tls = local_tls()
        context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        context.load_cert_chain(tls.cert_file, tls.key_file)
        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.socket = context.wrap_socket(self.server.socket, server_side=True)
        self.url = f"https://localhost:{self.server.server_address[1]}/client.json"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def serve(self, document: dict[str, Any] | bytes, **headers: str) -> None:
        raw = document if isinstance(document, bytes) else json.dumps(document).encode()
        self.body, self.headers = raw, headers

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def server() -> Iterator[_Server]:
    made = _Server()
    yield made
    made.close()


def test_a_fetched_document_is_kept_as_its_cache_headers_say(server: _Server) -> None:
    server.serve({**DOCUMENT, "client_id": server.url}, **{"Cache-Control": "max-age=60"})
    idp = _idp({})
    try:
        first = _authorize(idp, server.url)
        second = _authorize(idp, server.url)
        assert (first.status_code, second.status_code) == (302, 302), first.text
        assert server.fetches == 1  # fresh for 60 s: not fetched again
        idp.advance(61)
        assert _authorize(idp, server.url).status_code == 302
        assert server.fetches == 2
    finally:
        idp.close()


def test_a_no_store_document_is_fetched_every_time(server: _Server) -> None:
    server.serve({**DOCUMENT, "client_id": server.url}, **{"Cache-Control": "no-store"})
    idp = _idp({})
    try:
        assert _authorize(idp, server.url).status_code == 302
        before = server.fetches
        assert _authorize(idp, server.url).status_code == 302
    finally:
        idp.close()
    assert server.fetches > before >= 1


def test_a_document_over_the_size_cap_is_refused(server: _Server) -> None:
    big = {**DOCUMENT, "client_id": server.url, "client_name": "x" * 6000}
    server.serve(big)
    idp = _idp({})
    try:
        answer = _authorize(idp, server.url)
    finally:
        idp.close()
    assert answer.status_code in (400, 401) and "larger than" in answer.text


def test_local_documents_are_refused_when_loopback_is_not_allowed(server: _Server) -> None:
    server.serve({**DOCUMENT, "client_id": server.url})
    idp = _idp({}, allow_loopback=False)
    try:
        answer = _authorize(idp, server.url)
    finally:
        idp.close()
    assert answer.status_code in (400, 401) and "local addresses" in answer.text
    assert server.fetches == 0


@pytest.mark.parametrize(
    ("cache_control", "expires", "fresh"),
    [
        ("max-age=120", None, 120),
        ("public, max-age=0", None, 0),
        ("no-store", None, 0),
        ("no-cache, max-age=60", None, 0),
        ("max-age=99999999", None, 24 * 3600),
        (None, "Thu, 01 Jan 1970 00:01:40 GMT", 40),
        (None, "not a date", 0),
        (None, None, 300),
    ],
)
def test_freshness_follows_http_caching(
    cache_control: str | None, expires: str | None, fresh: float
) -> None:
    assert freshness(cache_control, expires, now=60) == fresh
