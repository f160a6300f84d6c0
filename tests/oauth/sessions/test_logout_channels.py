"""Front- and back-channel logout (OpenID Connect Front-Channel / Back-Channel Logout 1.0).

Back-channel: the relying party is a real HTTP server on loopback that records each POST;
the Logout Token it receives is validated with joserfc against the provider's JWKS.
Every HTTP test runs in-process (ASGI) and against the live server (``idp``): either
way the provider POSTs over real loopback HTTP. Front-channel: in headless Chromium,
the relying party's logout URI is loaded in an iframe before the browser continues.
"""

from __future__ import annotations

import base64
import socket
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import TYPE_CHECKING, Any
from urllib.parse import parse_qs, urlencode, urlsplit

import httpx
import pytest
from joserfc import jws, jwt
from joserfc.jwk import KeySet

from mockidp import create_app
from mockidp.errors import ScenarioError
from mockidp.http.csp import source as csp_source
from mockidp.oauth.sessions.delivery import deliver
from mockidp.oauth.sessions.logout import (
    BACK_CHANNEL_EVENT,
    LOGOUT_TOKEN_LIFETIME,
    BackChannelCall,
)
from mockidp.requestlog import RequestLog, RequestRecord
from mockidp.scenario.dump import dump_client
from mockidp.scenario.loader import load_scenario
from tests.conftest import IdP, LiveServer
from tests.support.browser import RelyingParty, single
from tests.support.lambda_events import FUNCTION_URL
from tests.support.lambda_events import Browser as LambdaBrowser

if TYPE_CHECKING:
    from playwright.sync_api import Browser

CLIENT_ID = "logout-app"
SECRET = "logout-secret"
OTHER_ID = "other-app"
CALLBACK = "http://127.0.0.1:8080/callback"
LOGGED_OUT = "http://127.0.0.1:8080/logged-out"


# -- a relying party's back-channel logout endpoint ---------------------------------------


@dataclass
class Receiver:
    """A loopback server recording each POSTed form; ``/fail`` answers 500."""

    url: str = ""
    posts: list[tuple[str, dict[str, str]]] = field(default_factory=list)


@contextmanager
def serve_receiver() -> Iterator[Receiver]:
    receiver = Receiver()

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            body = self.rfile.read(int(self.headers.get("Content-Length") or 0)).decode()
            receiver.posts.append((self.path, single(parse_qs(body))))
            status = 500 if self.path.startswith("/fail") else 200
            self.send_response(status)
            self.send_header("Cache-Control", "no-store")
            self.send_header("Content-Length", "0")
            self.end_headers()

        def log_message(self, format: str, *args: Any) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.daemon_threads = True
    receiver.url = f"http://127.0.0.1:{server.server_address[1]}"
    thread = threading.Thread(target=server.serve_forever, name="backchannel-rp", daemon=True)
    thread.start()
    try:
        yield receiver
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)


@pytest.fixture(scope="module")
def receiver_server() -> Iterator[Receiver]:
    with serve_receiver() as receiver:
        yield receiver


@pytest.fixture
def receiver(receiver_server: Receiver) -> Receiver:
    """The back-channel receiver, with nothing recorded yet."""
    receiver_server.posts.clear()
    return receiver_server


@pytest.fixture
def refused_url() -> Iterator[str]:
    """A loopback URL that refuses connections: its port is bound, but nobody listens
    (and, held for the test, no other process can take it)."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        yield f"http://127.0.0.1:{sock.getsockname()[1]}/backchannel"


def logout_scenario(backchannel: str | None, **client: Any) -> dict[str, Any]:
    app: dict[str, Any] = {
        "client_id": CLIENT_ID,
        "client_secret": SECRET,
        "redirect_uris": [CALLBACK],
        "post_logout_redirect_uris": [LOGGED_OUT],
        "frontchannel_logout_uri": "http://127.0.0.1:8080/fc-logout?app=1",
        "frontchannel_logout_session_required": True,
        **client,
    }
    app = {k: v for k, v in app.items() if v is not None}  # None: leave the field out
    if backchannel is not None:
        app["backchannel_logout_uri"] = backchannel
    other = {
        "client_id": OTHER_ID,
        "client_secret": "other-secret",
        "redirect_uris": [CALLBACK],
        "backchannel_logout_uri": backchannel or "http://127.0.0.1:9/unused",
    }
    return {"users": [{"sub": "alice"}], "default_user": "alice", "clients": [app, other]}


# -- helpers ------------------------------------------------------------------------------


async def sign_in(http: httpx.AsyncClient, client_id: str = CLIENT_ID) -> str:
    """A code from a real authorization request; the client keeps the session cookie."""
    response = await http.get(
        "/authorize",
        params={
            "client_id": client_id,
            "redirect_uri": CALLBACK,
            "response_type": "code",
            "scope": "openid",
            "nonce": "n-1",
        },
    )
    assert response.status_code == 302, response.text
    return single(parse_qs(urlsplit(response.headers["location"]).query))["code"]


async def id_token_claims(http: httpx.AsyncClient, code: str) -> tuple[str, dict[str, Any]]:
    response = await http.post(
        "/token",
        data={"grant_type": "authorization_code", "code": code, "redirect_uri": CALLBACK},
        auth=(CLIENT_ID, SECRET),
    )
    assert response.status_code == 200, response.text
    token = response.json()["id_token"]
    return token, jwt.decode(token, await jwks(http)).claims


async def jwks(http: httpx.AsyncClient) -> KeySet:
    return KeySet.import_key_set((await http.get("/.well-known/jwks.json")).json())


async def end_session(http: httpx.AsyncClient, id_token: str, **extra: str) -> httpx.Response:
    params = {"id_token_hint": id_token, **extra}
    return await http.get("/end_session", params=params)


@pytest.fixture
def log(idp: IdP) -> RequestLog:
    """The provider's request log (the live server's is shared), emptied."""
    requests = idp.app.control.requests
    requests.clear()
    return requests


def logout_records(log: RequestLog) -> list[RequestRecord]:
    return [r for r in log if r.endpoint == "backchannel_logout"]


# -- back-channel -------------------------------------------------------------------------


@pytest.mark.anyio
async def test_back_channel_logout_posts_a_valid_logout_token(
    idp: IdP, http: httpx.AsyncClient, receiver: Receiver, log: RequestLog
) -> None:
    idp.provider.use_scenario(logout_scenario(f"{receiver.url}/backchannel"))
    id_token, id_claims = await id_token_claims(http, await sign_in(http))
    response = await end_session(http, id_token, post_logout_redirect_uri=LOGGED_OUT)
    assert response.status_code == 200  # the front-channel page, then LOGGED_OUT
    assert len(receiver.posts) == 1  # only the client that signed in is told
    path, form = receiver.posts[0]
    assert (path, set(form)) == ("/backchannel", {"logout_token"})
    token = form["logout_token"]
    header = jws.extract_compact(token.encode()).protected
    assert header["typ"] == "logout+jwt"
    claims = jwt.decode(token, await jwks(http)).claims
    assert claims["iss"] == id_claims["iss"]
    assert claims["aud"] == CLIENT_ID
    assert claims["sub"] == id_claims["sub"] == "alice"
    assert claims["sid"] == id_claims["sid"]
    assert claims["events"] == {BACK_CHANNEL_EVENT: {}}
    assert "nonce" not in claims
    assert 0 < claims["exp"] - claims["iat"] <= LOGOUT_TOKEN_LIFETIME
    assert claims["jti"]
    [record] = logout_records(log)
    assert (record.status, record.error, record.client_id) == (200, None, CLIENT_ID)
    assert record.params["logout_token"].startswith("***")  # masked like every token


@pytest.mark.anyio
async def test_back_channel_logout_only_for_a_session_that_exists(
    idp: IdP, http: httpx.AsyncClient, receiver: Receiver
) -> None:
    idp.provider.use_scenario(logout_scenario(f"{receiver.url}/backchannel"))
    id_token, _ = await id_token_claims(http, await sign_in(http))
    await end_session(http, id_token)
    receiver.posts.clear()
    await end_session(http, id_token)  # the session is gone: nobody is told twice
    assert receiver.posts == []


@pytest.mark.anyio
async def test_every_client_signed_in_through_the_session_is_told(
    idp: IdP, http: httpx.AsyncClient, receiver: Receiver
) -> None:
    idp.provider.use_scenario(logout_scenario(f"{receiver.url}/backchannel"))
    await sign_in(http, OTHER_ID)
    id_token, id_claims = await id_token_claims(http, await sign_in(http))
    await end_session(http, id_token)
    keys = await jwks(http)
    tokens = [jwt.decode(form["logout_token"], keys).claims for _, form in receiver.posts]
    assert sorted(c["aud"] for c in tokens) == [CLIENT_ID, OTHER_ID]
    assert {c["sid"] for c in tokens} == {id_claims["sid"]}
    assert len({c["jti"] for c in tokens}) == 2


@pytest.mark.anyio
async def test_an_unreachable_back_channel_is_logged_and_logout_goes_on(
    idp: IdP, http: httpx.AsyncClient, log: RequestLog, refused_url: str
) -> None:
    idp.provider.use_scenario(logout_scenario(refused_url, frontchannel_logout_uri=None))
    id_token, _ = await id_token_claims(http, await sign_in(http))
    response = await end_session(http, id_token, post_logout_redirect_uri=LOGGED_OUT, state="s")
    assert response.status_code == 302
    assert response.headers["location"] == f"{LOGGED_OUT}?state=s"
    assert "mockidp_session=" in response.headers["set-cookie"]  # deleted all the same
    [record] = logout_records(log)
    assert (record.status, record.error, record.client_id) == (0, "logout_unreachable", CLIENT_ID)
    assert record.method == "POST" and record.path.startswith("http://127.0.0.1:")
    listed = await http.get("/_mockidp/requests", params={"endpoint": "backchannel_logout"})
    found = [(r["client_id"], r["status"], r["error"]) for r in listed.json()["requests"]]
    assert found == [(CLIENT_ID, 0, "logout_unreachable")]


@pytest.mark.anyio
async def test_a_back_channel_error_status_is_logged(
    idp: IdP, http: httpx.AsyncClient, receiver: Receiver, log: RequestLog
) -> None:
    scenario = logout_scenario(f"{receiver.url}/fail", frontchannel_logout_uri=None)
    idp.provider.use_scenario(scenario)
    id_token, _ = await id_token_claims(http, await sign_in(http))
    response = await end_session(http, id_token)
    assert response.status_code == 200
    assert len(receiver.posts) == 1
    [record] = logout_records(log)
    assert (record.status, record.error) == (500, "logout_rejected")


# -- front-channel, as HTML ---------------------------------------------------------------


@pytest.mark.anyio
async def test_front_channel_page_frames_the_logout_uri_with_iss_and_sid(
    idp: IdP, http: httpx.AsyncClient
) -> None:
    idp.provider.use_scenario(logout_scenario(None))
    id_token, id_claims = await id_token_claims(http, await sign_in(http))
    response = await end_session(http, id_token, post_logout_redirect_uri=LOGGED_OUT)
    assert response.status_code == 200
    expected = "http://127.0.0.1:8080/fc-logout?" + urlencode(
        {"app": "1", "iss": id_claims["iss"], "sid": id_claims["sid"]}
    )
    assert f'src="{expected.replace("&", "&amp;")}"' in response.text
    assert f'href="{LOGGED_OUT}"' in response.text
    csp = response.headers["content-security-policy"]
    assert "frame-src http://127.0.0.1:8080;" in csp
    assert "frame-ancestors 'none'" in csp
    assert response.headers["x-frame-options"] == "DENY"


@pytest.mark.anyio
async def test_front_channel_without_session_required_sends_no_parameters(
    idp: IdP, http: httpx.AsyncClient
) -> None:
    scenario = logout_scenario(None, frontchannel_logout_session_required=False)
    idp.provider.use_scenario(scenario)
    id_token, _ = await id_token_claims(http, await sign_in(http))
    response = await end_session(http, id_token)
    assert 'src="http://127.0.0.1:8080/fc-logout?app=1"' in response.text
    assert "sid=" not in response.text


# -- discovery and scenario ---------------------------------------------------------------


@pytest.mark.anyio
async def test_discovery_lists_the_logout_channels_while_logout_works(
    idp: IdP, http: httpx.AsyncClient
) -> None:
    names = (
        "frontchannel_logout_supported",
        "frontchannel_logout_session_supported",
        "backchannel_logout_supported",
        "backchannel_logout_session_supported",
    )
    doc = (await http.get("/.well-known/openid-configuration")).json()
    assert all(doc[name] is True for name in names)
    idp.provider.use_scenario({"sessions": False})
    doc = (await http.get("/.well-known/openid-configuration")).json()
    assert not set(names) & set(doc)  # no session: nothing to log out of


def test_scenario_checks_logout_uris() -> None:
    bad = {
        "clients": [
            {
                "client_id": "a",
                "redirect_uris": ["https://app.example/cb"],
                "frontchannel_logout_uri": "https://elsewhere.example/logout",
                "backchannel_logout_uri": "ftp://app.example/logout",
            }
        ]
    }
    with pytest.raises(ScenarioError) as caught:
        load_scenario(bad)
    text = str(caught.value)
    assert "frontchannel_logout_uri" in text and "redirect_uris" in text
    assert "backchannel_logout_uri" in text and "http(s)" in text


def test_logout_metadata_round_trips_through_the_scenario_dump() -> None:
    client = {
        "client_id": "a",
        "client_secret": "s",
        "redirect_uris": ["https://app.example/cb"],
        "frontchannel_logout_uri": "https://app.example/fc",
        "frontchannel_logout_session_required": True,
        "backchannel_logout_uri": "https://app.example/bc",
        "backchannel_logout_session_required": True,
    }
    loaded = load_scenario({"clients": [client]}).client("a")
    assert loaded is not None
    assert dump_client(loaded) == client


@pytest.mark.parametrize(
    ("uri", "source"),
    [
        ("http://127.0.0.1:8080/fc?x=1", "http://127.0.0.1:8080"),
        ("https://app.example:443/fc", "https://app.example"),
        ("http://[::1]:8080/fc", "http:"),  # a host source cannot name an IPv6 literal
    ],
)
def test_front_channel_page_csp_sources(uri: str, source: str) -> None:
    assert csp_source(uri) == source


def test_front_channel_uri_may_be_any_loopback_port_for_loopback_clients() -> None:
    client = {
        "client_id": "a",
        "redirect_uris": ["http://127.0.0.1:8080/cb"],
        "loopback_redirects": True,
        "frontchannel_logout_uri": "http://127.0.0.1:5000/fc",
    }
    assert load_scenario({"clients": [client]}).client("a") is not None
    with pytest.raises(ScenarioError, match="frontchannel_logout_uri"):
        load_scenario({"clients": [{**client, "loopback_redirects": False}]})


@pytest.mark.anyio
async def test_a_back_channel_that_never_answers_times_out() -> None:
    with socket.socket() as silent:  # listens (the kernel accepts) but never answers
        silent.bind(("127.0.0.1", 0))
        silent.listen()
        uri = f"http://127.0.0.1:{silent.getsockname()[1]}/backchannel"
        call = BackChannelCall(CLIENT_ID, uri, "a.logout.token")
        [record] = await deliver((call,), timeout=0.2)
    assert (record.status, record.error, record.path) == (0, "logout_timeout", uri)


# -- on AWS Lambda ------------------------------------------------------------------------


@pytest.mark.usefixtures("event_loop_for_mangum")
def test_on_lambda_the_logout_token_is_sent_before_the_answer(receiver: Receiver) -> None:
    from mangum import Mangum

    app = create_app(logout_scenario(f"{receiver.url}/backchannel"))
    browser = LambdaBrowser(FUNCTION_URL, [Mangum(app, lifespan="off")])
    query = urlencode(
        {
            "client_id": CLIENT_ID,
            "redirect_uri": CALLBACK,
            "response_type": "code",
            "scope": "openid",
        }
    )
    code = single(parse_qs(urlsplit(browser.request("GET", f"/authorize?{query}").location).query))
    form = {"grant_type": "authorization_code", "code": code["code"], "redirect_uri": CALLBACK}
    basic = base64.b64encode(f"{CLIENT_ID}:{SECRET}".encode()).decode()
    token = browser.request(
        "POST", "/token", form=form, headers={"Authorization": f"Basic {basic}"}
    )
    logout = urlencode({"id_token_hint": token.json()["id_token"]})
    answer = browser.request("GET", f"/end_session?{logout}")
    assert answer.status == 200
    assert [path for path, _ in receiver.posts] == ["/backchannel"]  # before the answer


# -- front-channel in Chromium ------------------------------------------------------------
# (last in the module: anyio tests cannot run while Playwright's sync API is up)


@pytest.mark.browser
def test_front_channel_logout_in_a_browser_reaches_the_rp_then_continues(
    browser: Browser, live: LiveServer, rp: RelyingParty
) -> None:
    live.provider.use_scenario(
        logout_scenario(
            None,
            redirect_uris=[rp.callback],
            post_logout_redirect_uris=[rp.logged_out],
            frontchannel_logout_uri=f"{rp.url}/fc-logout?app=1",
        )
    )
    context = browser.new_context()
    context.set_default_timeout(10_000)
    page = context.new_page()
    try:
        query = urlencode(
            {
                "client_id": CLIENT_ID,
                "redirect_uri": rp.callback,
                "response_type": "code",
                "scope": "openid",
            }
        )
        page.goto(f"{live.url}/authorize?{query}")
        page.wait_for_url(f"{rp.callback}?*")
        code = single(parse_qs(urlsplit(page.url).query))["code"]
        token = httpx.post(
            f"{live.url}/token",
            data={"grant_type": "authorization_code", "code": code, "redirect_uri": rp.callback},
            auth=(CLIENT_ID, SECRET),
        ).json()["id_token"]
        keys = KeySet.import_key_set(httpx.get(f"{live.url}/.well-known/jwks.json").json())
        sid = jwt.decode(token, keys).claims["sid"]
        logout = urlencode({"id_token_hint": token, "post_logout_redirect_uri": rp.logged_out})
        page.goto(f"{live.url}/end_session?{logout}")
        page.wait_for_url(rp.logged_out)
    finally:
        context.close()
    paths = [urlsplit(hit.url) for hit in rp.hits]
    [front] = [p for p in paths if p.path == "/fc-logout"]
    assert single(parse_qs(front.query)) == {"app": "1", "iss": live.url, "sid": sid}
    assert [p.path for p in paths][-1] == "/logged-out"  # after the iframe had loaded
