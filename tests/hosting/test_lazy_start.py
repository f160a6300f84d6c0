"""What a plain start-up leaves unimported, and that it still works on first use (issue 15).

Each test runs a fresh interpreter: ``create_app()`` and one discovery request, then it
lists ``sys.modules``. The control API, the tenant registry, the inspector's pages, the
scenario file machinery (PyYAML, jsonschema, the checks), DPoP and logout delivery load
when first asked for; the app's request log, token journal and control sync (``control.sync``,
``control.inspector.journal``) are there from the start, so nothing is missed before.
"""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

START = """
import asyncio, json, sys
import httpx
from mockidp import create_app
app = create_app()
async def first(calls):
    transport = httpx.ASGITransport(app=app)
    auth = ("mockidp-client", "mockidp-secret")
    async with httpx.AsyncClient(transport=transport, base_url="http://mockidp.test") as c:
        statuses = []
        for method, path, form, body in calls:
            answer = await c.request(
                method, path, data=form, json=body, auth=auth if form is not None else None
            )
            statuses.append(answer.status_code)
        return statuses
"""

DISCOVERY = "/.well-known/openid-configuration"

LAZY = (
    "yaml",
    "jsonschema",
    "mockidp.control.api",
    "mockidp.control.base",
    "mockidp.control.ops",
    "mockidp.control.routes",
    "mockidp.control.runtime",
    "mockidp.control.openapi",
    "mockidp.control.tenants",
    "mockidp.control.tenant_ops",
    "mockidp.control.inspector.app",
    "mockidp.control.inspector.html",
    "mockidp.scenario.loader",
    "mockidp.scenario.schema",
    "mockidp.scenario.checks",
    "mockidp.scenario.dump",
    "mockidp.oauth.signin.device",
    "mockidp.http.device_pages",
    "mockidp.oauth.clients.registration",
    "mockidp.oauth.clients.metadata",
    "mockidp.oauth.grants.token_exchange",
    "mockidp.oauth.grants.jwt_bearer",
    "mockidp.oauth.tokens.introspection",
    "mockidp.oauth.tokens.revocation",
    "mockidp.oauth.sessions.end_session",
    "mockidp.oauth.tokens.jwt_responses",
    "mockidp.oauth.vendors.superoffice.system_user",
    "mockidp.oauth.vendors.apis",
    "mockidp.http.vendors.superoffice",
    "mockidp.http.vendors.loginradius",
    "mockidp.http.vendors.keycloak",
    "mockidp.oauth.tokens.dpop",
    "mockidp.oauth.sessions.logout",
    "mockidp.oauth.sessions.delivery",
)
"""Modules a plain start-up and a discovery request must not import."""


Call = tuple[str, str, dict[str, str] | None, dict[str, object] | None]
"""(method, path, form sent with the default client's credentials, JSON body)."""


def _get(path: str) -> Call:
    return ("GET", path, None, None)


def _run(paths: list[str], *calls: Call) -> tuple[list[int], set[str]]:
    code = (
        START
        + f"statuses = asyncio.run(first({[*map(_get, paths), *calls]!r}))\n"
        + "print(json.dumps([statuses, sorted(sys.modules)]))\n"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    ).stdout
    statuses, modules = json.loads(out)
    return statuses, set(modules)


def test_start_up_and_discovery_leave_the_occasional_modules_unloaded() -> None:
    statuses, loaded = _run([DISCOVERY])
    assert statuses == [200]
    assert "mockidp.asgi" in loaded  # the probe did run the app
    assert not set(LAZY) & loaded


@pytest.mark.parametrize(
    ("path", "brings"),
    [
        ("/_mockidp/", "mockidp.control.api"),
        ("/_mockidp/inspector", "mockidp.control.inspector.app"),
        ("/t/first-use/.well-known/openid-configuration", "mockidp.control.tenants"),
    ],
)
def test_the_control_api_and_tenants_answer_on_first_use(path: str, brings: str) -> None:
    statuses, loaded = _run([DISCOVERY, path])
    assert statuses == [200, 200]
    assert brings in loaded


@pytest.mark.parametrize(
    ("call", "brings"),
    [
        (
            ("POST", "/device_authorization", {"scope": "openid"}, None),
            "mockidp.oauth.signin.device",
        ),
        (_get("/device"), "mockidp.http.device_pages"),
        (
            ("POST", "/register", None, {"redirect_uris": ["https://app.example/cb"]}),
            "mockidp.oauth.clients.registration",
        ),
        (("POST", "/introspect", {"token": "unknown"}, None), "mockidp.oauth.tokens.introspection"),
        (("POST", "/revoke", {"token": "unknown"}, None), "mockidp.oauth.tokens.revocation"),
        (_get("/end_session"), "mockidp.oauth.sessions.end_session"),
        (_get("/end_session"), "mockidp.oauth.sessions.logout"),
        (_get("/end_session"), "mockidp.oauth.sessions.delivery"),
        (
            ("POST", "/token", {"grant_type": "client_credentials"}, None),
            "mockidp.oauth.tokens.dpop",
        ),
    ],
)
def test_occasional_endpoints_answer_on_first_use(call: Call, brings: str) -> None:
    statuses, loaded = _run([DISCOVERY], call)
    assert statuses[0] == 200
    assert statuses[1] in (200, 201), statuses
    assert brings in loaded


def test_the_request_log_and_journal_hold_what_came_before_the_control_api() -> None:
    import httpx

    from mockidp import create_app
    from mockidp.testing.serving import SyncASGITransport

    app = create_app()
    assert app._control is None  # nothing made the control API yet
    transport = SyncASGITransport(app)
    with httpx.Client(transport=transport, base_url="http://mockidp.test") as client:
        token = client.post(
            "/token",
            data={"grant_type": "client_credentials"},
            auth=("mockidp-client", "mockidp-secret"),
        )
        assert app._control is None
        logged = client.get("/_mockidp/requests").json()
    assert token.status_code == 200, token.text
    assert any(entry.get("endpoint") == "token" for entry in logged["requests"])
    assert len(app.control.journal.items) == 1


def test_the_control_api_answers_first_over_a_live_server() -> None:
    import httpx

    from mockidp import create_app
    from mockidp.testing.serving import LiveServer

    app = create_app()
    server = LiveServer(app)
    try:
        assert httpx.get(f"{server.url}{DISCOVERY}").status_code == 200
        assert app._control is None and app._tenants is None
        assert httpx.get(f"{server.url}/_mockidp/").status_code == 200
        tenant = httpx.get(f"{server.url}/t/live/.well-known/openid-configuration")
        assert tenant.status_code == 200
        assert tenant.json()["issuer"].endswith("/t/live")
    finally:
        server.stop()
