"""The Lambda handler, invoked with real event payloads across several containers.

A container is a fresh import of ``mockidp/lambda_handler.py`` (its own app, store
client and memory), all sharing one DynamoDB table on moto's server over HTTP, found
through boto3's own ``AWS_ENDPOINT_URL_DYNAMODB``. A full sign-in goes through API
Gateway HTTP API (payload 2.0, also on a named stage), REST API (payload 1.0, on the
``Prod`` stage) and Function URL events, each request to the next container.
"""

from __future__ import annotations

import base64
import importlib.util
import itertools
import os
import subprocess
import sys
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path
from types import ModuleType
from typing import Any
from urllib.parse import parse_qsl, urlencode, urlsplit

import pytest
from joserfc import jwt
from joserfc.jwk import KeySet

import mockidp
from tests.support.dynamodb import TABLE, aws_environment, moto_server_url, needs_moto
from tests.support.lambda_events import (
    FUNCTION_URL,
    HTTP_API,
    HTTP_API_STAGE,
    REST_API,
    Browser,
    Gateway,
    Handler,
)

HANDLER_FILE = Path(mockidp.__file__).parent / "lambda_handler.py"
REDIRECT_URI = "http://localhost:8080/callback"
BASIC = "Basic " + base64.b64encode(b"mockidp-client:mockidp-secret").decode()
_names = itertools.count()

Containers = Callable[..., list[Handler]]

# Every test gets its own event loop for Mangum (tests/conftest.py).
pytestmark = pytest.mark.usefixtures("event_loop_for_mangum")


def _container(env: dict[str, str]) -> ModuleType:
    """A cold start: the handler module imported afresh with ``env``."""
    name = f"mockidp_lambda_container_{next(_names)}"
    spec = importlib.util.spec_from_file_location(name, HANDLER_FILE)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    with pytest.MonkeyPatch.context() as patch:
        for key in ("MOCKIDP_SCENARIO", "MOCKIDP_ISSUER", "MOCKIDP_TABLE", "MOCKIDP_STORE"):
            patch.delenv(key, raising=False)
        if "MOCKIDP_ADMIN_TOKEN" not in env:  # these tests call no control API
            patch.setenv("MOCKIDP_ALLOW_NO_ADMIN_TOKEN", "1")
        for key, value in env.items():
            patch.setenv(key, value)
        spec.loader.exec_module(module)
    return module


@pytest.fixture
def containers() -> Iterator[Containers]:
    """``containers(n, **env)``: n cold-started handlers sharing a fresh tenant of one table."""
    url = moto_server_url()
    tenant = uuid.uuid4().hex
    with aws_environment(AWS_ENDPOINT_URL_DYNAMODB=url):

        def make(n: int = 3, **env: str) -> list[Handler]:
            env.setdefault("MOCKIDP_STORE", f"dynamodb://{TABLE}?tenant={tenant}")
            return [_container(env).handler for _ in range(n)]

        yield make


def _callback(location: str) -> dict[str, str]:
    assert location.startswith(REDIRECT_URI), location
    return dict(parse_qsl(urlsplit(location).query))


def _sign_in(browser: Browser, **extra: str) -> dict[str, Any]:
    """Discovery, authorize, token, userinfo, refresh: each step to the next container."""
    discovery = browser.request("GET", "/.well-known/openid-configuration")
    assert discovery.status == 200, discovery.body
    metadata = discovery.json()
    assert metadata["issuer"] == browser.gateway.base_url
    jwks = browser.request("GET", metadata["jwks_uri"])
    assert jwks.status == 200
    keys = KeySet.import_key_set(jwks.json())

    query = urlencode(
        {
            "response_type": "code",
            "client_id": "mockidp-client",
            "redirect_uri": REDIRECT_URI,
            "scope": "openid email offline_access",
            "state": "st4te",
            "nonce": "n0nce",
            **extra,
        }
    )
    authorized = browser.request("GET", f"{metadata['authorization_endpoint']}?{query}")
    assert authorized.status in (302, 303), authorized.body
    callback = _callback(authorized.location)
    assert callback["state"] == "st4te"

    form = {"grant_type": "authorization_code", "code": callback["code"]}
    form["redirect_uri"] = REDIRECT_URI
    tokens = browser.request(
        "POST", metadata["token_endpoint"], form=form, headers={"Authorization": BASIC}
    )
    assert tokens.status == 200, tokens.body
    body = tokens.json()
    id_token = jwt.decode(body["id_token"], keys)
    assert id_token.claims["iss"] == browser.gateway.base_url
    assert id_token.claims["sub"] == "alice"
    assert id_token.claims["nonce"] == "n0nce"

    userinfo = browser.request(
        "GET",
        metadata["userinfo_endpoint"],
        headers={"Authorization": f"Bearer {body['access_token']}"},
    )
    assert userinfo.status == 200, userinfo.body
    assert userinfo.json()["email"] == "alice@example.com"

    refresh = {"grant_type": "refresh_token", "refresh_token": body["refresh_token"]}
    rotated = browser.request(
        "POST", metadata["token_endpoint"], form=refresh, headers={"Authorization": BASIC}
    )
    assert rotated.status == 200, rotated.body
    reused = browser.request(
        "POST", metadata["token_endpoint"], form=refresh, headers={"Authorization": BASIC}
    )
    assert reused.status == 400 and reused.json()["error"] == "invalid_grant"

    # reuse of a rotated refresh token revoked the grant: in every container
    dead = browser.request(
        "GET",
        metadata["userinfo_endpoint"],
        headers={"Authorization": f"Bearer {rotated.json()['access_token']}"},
    )
    assert dead.status == 401, dead.body
    return dict(metadata)


@needs_moto
@pytest.mark.parametrize(
    "gateway",
    [HTTP_API, HTTP_API_STAGE, REST_API, FUNCTION_URL],
    ids=["http_api", "http_api_stage", "rest_api", "function_url"],
)
def test_a_sign_in_across_containers(containers: Containers, gateway: Gateway) -> None:
    browser = Browser(gateway, containers(3))
    metadata = _sign_in(browser)
    # the session made in one container signs the user in silently in another
    assert "mockidp_session" in browser.jar
    query = urlencode(
        {
            "response_type": "code",
            "client_id": "mockidp-client",
            "redirect_uri": REDIRECT_URI,
            "scope": "openid",
            "prompt": "none",
        }
    )
    silent = browser.request("GET", f"{metadata['authorization_endpoint']}?{query}")
    assert silent.status in (302, 303), silent.body
    assert "code" in _callback(silent.location)


@needs_moto
def test_a_login_page_posted_to_another_container(containers: Containers) -> None:
    scenario = (  # inline YAML in MOCKIDP_SCENARIO
        "login: page\n"
        "consent: auto\n"
        "clients:\n"
        "  - client_id: mockidp-client\n"
        "    client_secret: mockidp-secret\n"
        f"    redirect_uris: [{REDIRECT_URI}]\n"
        "users:\n"
        "  - {sub: alice}\n"
        "  - {sub: bob}\n"
    )
    browser = Browser(FUNCTION_URL, containers(2, MOCKIDP_SCENARIO=scenario))
    query = urlencode(
        {
            "response_type": "code",
            "client_id": "mockidp-client",
            "redirect_uri": REDIRECT_URI,
            "scope": "openid",
        }
    )
    page = browser.request("GET", f"/authorize?{query}", container=0)
    assert page.status == 200, page.body
    fields = dict(_hidden_inputs(page.body.decode()))  # the interaction id
    assert "interaction" in fields
    fields["login"] = "bob"
    answer = browser.request("POST", "/interaction/login", form=fields, container=1)
    assert answer.status in (302, 303), answer.body
    code = _callback(answer.location)["code"]
    tokens = browser.request(
        "POST",
        "/token",
        form={"grant_type": "authorization_code", "code": code, "redirect_uri": REDIRECT_URI},
        headers={"Authorization": BASIC},
        container=0,
    )
    assert tokens.status == 200, tokens.body
    assert jwt.decode(tokens.json()["id_token"], _keys(browser)).claims["sub"] == "bob"


def _keys(browser: Browser) -> KeySet:
    return KeySet.import_key_set(browser.request("GET", "/.well-known/jwks.json").json())


def _hidden_inputs(html: str) -> list[tuple[str, str]]:
    from html.parser import HTMLParser

    found: list[tuple[str, str]] = []

    class Inputs(HTMLParser):
        def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
            data = dict(attrs)
            if tag == "input" and data.get("type") == "hidden" and data.get("name"):
                found.append((str(data["name"]), data.get("value") or ""))

    Inputs().feed(html)
    return found


def test_without_a_table_the_handler_uses_memory_and_the_configured_issuer() -> None:
    module = _container({"MOCKIDP_ISSUER": "https://idp.example.com/"})
    assert type(module.app.provider.deps.state.store).__name__ == "MemoryStore"
    browser = Browser(FUNCTION_URL, [module.handler])
    discovery = browser.request("GET", "/.well-known/openid-configuration")
    assert discovery.json()["issuer"] == "https://idp.example.com"


def test_an_unreachable_table_answers_503_through_the_gateway() -> None:
    with aws_environment(AWS_ENDPOINT_URL_DYNAMODB="http://127.0.0.1:9"):
        module = _container({"MOCKIDP_TABLE": "mockidp"})
        browser = Browser(HTTP_API, [module.handler])
        answer = browser.request(
            "POST",
            "/token",
            form={"grant_type": "authorization_code", "code": "x", "redirect_uri": REDIRECT_URI},
            headers={"Authorization": BASIC},
        )
    assert answer.status == 503, answer.body
    assert answer.json()["error"] == "temporarily_unavailable"
    assert answer.headers["retry-after"] == "1"


def test_importing_the_handler_imports_no_boto3() -> None:
    code = (
        "import sys, mockidp.lambda_handler as h; "
        "assert 'boto3' not in sys.modules and 'botocore' not in sys.modules, 'boto3 imported'; "
        "print(type(h.app.provider.deps.state.store).__name__)"
    )
    env = {**os.environ, "MOCKIDP_TABLE": "mockidp", "AWS_REGION": "eu-west-1"}
    env["MOCKIDP_ADMIN_TOKEN"] = "an-admin-token-of-16+"
    result = subprocess.run(
        [sys.executable, "-c", code], env=env, capture_output=True, text=True, check=False
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "DynamoDBStore"
