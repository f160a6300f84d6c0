"""Split URLs for containers: the browser at one address, the app's backend at another.

With ``browser_url`` (``MOCKIDP_BROWSER_URL``, ``--browser-url``) the issuer and the
browser endpoints are at the browser's address, whoever asks; the back-channel endpoints
are at the address each request used. Here the browser is ``http://localhost:8000`` and
the backend reaches the provider as ``http://idp:8000`` (a compose service name).
"""

from __future__ import annotations

import base64
import hashlib
import json
import subprocess
import sys
from collections.abc import AsyncIterator
from typing import Any
from urllib.parse import parse_qs, urlsplit

import httpx
import pytest

from mockidp import create_app
from mockidp.hosting.settings import Settings

BROWSER = "http://localhost:8000"
BACKEND = "http://idp:8000"
REDIRECT = "http://127.0.0.1:8080/callback"
FRONT_CHANNEL = ("authorization_endpoint", "end_session_endpoint", "check_session_iframe")
BACK_CHANNEL = (
    "token_endpoint",
    "jwks_uri",
    "userinfo_endpoint",
    "introspection_endpoint",
    "revocation_endpoint",
    "registration_endpoint",
    "pushed_authorization_request_endpoint",
    "device_authorization_endpoint",
)


pytestmark = pytest.mark.anyio
Client = httpx.AsyncClient


@pytest.fixture
async def clients(request: pytest.FixtureRequest) -> AsyncIterator[tuple[Client, Client]]:
    """The browser's and the backend's client of one app with ``browser_url=BROWSER``."""
    scenario = getattr(request, "param", None)
    app = create_app(scenario, browser_url=BROWSER + "/")  # a trailing / is dropped
    transport = httpx.ASGITransport(app=app)
    async with (
        Client(transport=transport, base_url=BROWSER) as browser,
        Client(transport=transport, base_url=BACKEND) as backend,
    ):
        yield browser, backend


async def _discovery(client: Client, prefix: str = "") -> dict[str, Any]:
    answer = await client.get(prefix + "/.well-known/openid-configuration")
    assert answer.status_code == 200, answer.text
    doc: dict[str, Any] = answer.json()
    return doc


async def test_the_backend_gets_back_channel_urls_at_its_own_address(
    clients: tuple[Client, Client],
) -> None:
    _, backend = clients
    doc = await _discovery(backend)
    assert doc["issuer"] == BROWSER
    for name in FRONT_CHANNEL:
        assert doc[name].startswith(BROWSER + "/"), (name, doc[name])
    for name in BACK_CHANNEL:
        assert doc[name].startswith(BACKEND + "/"), (name, doc[name])
    assert doc["token_endpoint"] == BACKEND + "/token"
    assert doc["authorization_endpoint"] == BROWSER + "/authorize"


async def test_the_browser_gets_every_url_at_its_address(
    clients: tuple[Client, Client],
) -> None:
    browser, _ = clients
    doc = await _discovery(browser)
    assert doc["issuer"] == BROWSER
    for name in (*FRONT_CHANNEL, *BACK_CHANNEL):
        assert doc[name].startswith(BROWSER + "/"), (name, doc[name])


def _claims(jwt: str) -> dict[str, Any]:
    part = jwt.split(".")[1]
    claims: dict[str, Any] = json.loads(base64.urlsafe_b64decode(part + "=" * (-len(part) % 4)))
    return claims


async def test_a_sign_in_across_both_addresses_has_one_issuer(
    clients: tuple[Client, Client],
) -> None:
    browser, backend = clients
    verifier = "v" * 50
    challenge = (
        base64.urlsafe_b64encode(hashlib.sha256(verifier.encode()).digest()).rstrip(b"=").decode()
    )
    authorize = (await _discovery(backend))["authorization_endpoint"]
    answer = await browser.get(
        authorize,
        params={
            "client_id": "mockidp-public",
            "response_type": "code",
            "scope": "openid profile",
            "redirect_uri": REDIRECT,
            "state": "s",
            "code_challenge": challenge,
            "code_challenge_method": "S256",
        },
    )
    assert answer.status_code == 302, answer.text
    query = parse_qs(urlsplit(answer.headers["location"]).query)
    assert query["iss"] == [BROWSER]  # RFC 9207
    tokens = (
        await backend.post(
            "/token",
            data={
                "grant_type": "authorization_code",
                "client_id": "mockidp-public",
                "code": query["code"][0],
                "redirect_uri": REDIRECT,
                "code_verifier": verifier,
            },
        )
    ).json()
    assert _claims(tokens["id_token"])["iss"] == BROWSER
    userinfo = await backend.get(
        "/userinfo", headers={"Authorization": f"Bearer {tokens['access_token']}"}
    )
    assert userinfo.status_code == 200 and userinfo.json()["sub"] == "alice"


async def test_the_device_page_is_at_the_browser_address(
    clients: tuple[Client, Client],
) -> None:
    _, backend = clients
    answer = (
        await backend.post(
            "/device_authorization", data={"client_id": "mockidp-public", "scope": "openid"}
        )
    ).json()
    assert answer["verification_uri"].startswith(BROWSER + "/"), answer
    assert answer["verification_uri_complete"].startswith(BROWSER + "/"), answer


async def test_a_registered_clients_uri_is_at_the_backends_address(
    clients: tuple[Client, Client],
) -> None:
    _, backend = clients
    answer = await backend.post("/register", json={"redirect_uris": ["https://app.example/cb"]})
    assert answer.status_code == 201, answer.text
    uri = answer.json()["registration_client_uri"]
    assert uri.startswith(BACKEND + "/"), uri
    token = answer.json()["registration_access_token"]
    read = await backend.get(uri, headers={"Authorization": f"Bearer {token}"})
    assert read.status_code == 200 and read.json()["registration_client_uri"] == uri


@pytest.mark.parametrize("clients", [{"preset": "keycloak"}], indirect=True)
async def test_a_presets_issuer_path_is_kept(clients: tuple[Client, Client]) -> None:
    _, backend = clients
    doc = await _discovery(backend, "/realms/mockidp")
    realm = "/realms/mockidp"
    assert doc["issuer"] == BROWSER + realm
    assert doc["authorization_endpoint"] == BROWSER + realm + "/protocol/openid-connect/auth"
    assert doc["token_endpoint"] == BACKEND + realm + "/protocol/openid-connect/token"


async def test_a_tenant_keeps_its_prefix_on_both_addresses(
    clients: tuple[Client, Client],
) -> None:
    _, backend = clients
    doc = await _discovery(backend, "/t/pr-7")
    assert doc["issuer"] == BROWSER + "/t/pr-7"
    assert doc["authorization_endpoint"] == BROWSER + "/t/pr-7/authorize"
    assert doc["token_endpoint"] == BACKEND + "/t/pr-7/token"


async def test_without_a_browser_url_the_issuer_follows_each_request() -> None:
    transport = httpx.ASGITransport(app=create_app())
    async with Client(transport=transport, base_url=BACKEND) as backend:
        doc = await _discovery(backend)
    assert doc["issuer"] == BACKEND
    assert doc["authorization_endpoint"] == BACKEND + "/authorize"


def test_the_setting_is_read_from_the_environment() -> None:
    settings = Settings.from_env({"MOCKIDP_BROWSER_URL": "http://localhost:8000/"})
    assert settings.browser_url == "http://localhost:8000"
    assert Settings.from_env({}).browser_url is None


@pytest.mark.parametrize(
    "value", ["localhost:8000", "ftp://localhost", "http://", "http://h:99999", "http://h/?q=1"]
)
def test_a_bad_browser_url_is_refused_with_the_reason(value: str) -> None:
    with pytest.raises(ValueError, match="MOCKIDP_BROWSER_URL: the browser URL"):
        Settings.from_env({"MOCKIDP_BROWSER_URL": value})
    with pytest.raises(ValueError, match="the browser URL"):
        create_app(browser_url=value)


def test_serve_refuses_a_bad_browser_url_without_a_traceback() -> None:
    done = subprocess.run(
        [sys.executable, "-m", "mockidp", "serve", "--port", "0", "--browser-url", "nope"],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert done.returncode == 2
    assert "mockidp: the browser URL must be http(s)://HOST[:PORT], not 'nope'" in done.stderr
    assert "Traceback" not in done.stderr
