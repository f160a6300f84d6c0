"""Tenants: isolated issuers under /t/{name}/ in one running app (mockidp/control/tenants.py).

A tenant's codes, refresh tokens, sessions, faults, clock and request log never reach
another tenant or the base provider; discovery, the control API and a whole Authlib
sign-in work under the prefix; names are checked and first-use creation is capped.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any
from urllib.parse import parse_qs, urlsplit

import httpx
import pytest
from openapi_spec_validator import validate

from mockidp import MockIdPApp, create_app
from tests.conftest import IdP
from tests.support.e2e import (
    CONFIDENTIAL,
    REDIRECT_URI,
    SECRET,
    discover,
    oauth_client,
    sign_in,
)
from tests.support.flows import code_request

pytestmark = pytest.mark.anyio

BASE = "http://mockidp.test"
C = "/_mockidp"
DISCOVERY = "/.well-known/openid-configuration"
AUTH = (CONFIDENTIAL, SECRET)


def _app(**kwargs: Any) -> MockIdPApp:
    return create_app(**kwargs)


@pytest.fixture
async def http(app: MockIdPApp) -> AsyncIterator[httpx.AsyncClient]:
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url=BASE) as c:
        yield c


async def _code(http: httpx.AsyncClient, prefix: str, **params: str) -> httpx.Response:
    """GET the authorization endpoint under ``prefix`` (alice signs in automatically)."""
    query = code_request(
        CONFIDENTIAL, REDIRECT_URI, scope="openid offline_access", state="s1", challenge=None
    )
    return await http.get(f"{prefix}/authorize", params=query | params)


def _callback(response: httpx.Response) -> dict[str, str]:
    assert response.status_code == 302, response.text
    return {k: v[0] for k, v in parse_qs(urlsplit(response.headers["location"]).query).items()}


async def _redeem(http: httpx.AsyncClient, prefix: str, code: str) -> httpx.Response:
    form = {"grant_type": "authorization_code", "code": code, "redirect_uri": REDIRECT_URI}
    return await http.post(f"{prefix}/token", data=form, auth=AUTH)


async def _refresh(http: httpx.AsyncClient, prefix: str, token: str) -> httpx.Response:
    form = {"grant_type": "refresh_token", "refresh_token": token}
    return await http.post(f"{prefix}/token", data=form, auth=AUTH)


# -- discovery and a whole sign-in -------------------------------------------------------


async def test_discovery_of_a_tenant_names_its_issuer_and_endpoints(idp: IdP) -> None:
    async with idp.client() as http:
        doc = (await http.get(f"/t/acme{DISCOVERY}")).json()
        base = (await http.get(DISCOVERY)).json()
        keys = await http.get(doc["jwks_uri"])
    assert doc["issuer"] == f"{idp.base_url}/t/acme"
    assert base["issuer"] == idp.base_url
    for name in ("authorization_endpoint", "token_endpoint", "userinfo_endpoint", "jwks_uri"):
        assert doc[name].startswith(f"{idp.base_url}/t/acme/"), (name, doc[name])
        assert doc[name].replace("/t/acme", "") == base[name]
    assert keys.status_code == 200 and keys.json()["keys"]


async def test_authlib_signs_in_against_a_tenant_issuer(idp: IdP) -> None:
    assert idp.app.tenants is not None
    tenant = idp.app.tenants.open("pr-42")
    at_tenant = IdP(idp.kind, f"{idp.base_url}/t/pr-42", tenant.provider, idp.app)
    async with oauth_client(at_tenant, CONFIDENTIAL, client_secret=SECRET) as client:
        provider = await discover(client)
        assert provider.issuer == f"{idp.base_url}/t/pr-42"
        signed = await sign_in(client, provider, clock=tenant.provider.clock, scope="openid")
        cookie = next(c for c in client.cookies.jar if c.name == "mockidp_session")
        userinfo = await client.get(provider.endpoint("userinfo_endpoint"))
    assert signed.id_token["iss"] == f"{idp.base_url}/t/pr-42"
    assert cookie.path == "/t/pr-42"  # a browser keeps the session to its tenant
    assert userinfo.json()["sub"] == "alice"
    async with idp.client() as http:  # the tenant's access token means nothing elsewhere
        bearer = {"Authorization": f"Bearer {signed.token['access_token']}"}
        assert (await http.get("/userinfo", headers=bearer)).status_code == 401
        assert (await http.get("/t/other/userinfo", headers=bearer)).status_code == 401


# -- isolation ---------------------------------------------------------------------------


async def test_codes_and_refresh_tokens_work_only_in_their_tenant(
    http: httpx.AsyncClient,
) -> None:
    code = _callback(await _code(http, "/t/a"))["code"]
    for elsewhere in ("", "/t/b"):
        refused = await _redeem(http, elsewhere, code)
        assert refused.status_code == 400 and refused.json()["error"] == "invalid_grant"
    tokens = await _redeem(http, "/t/a", code)  # the other attempts did not spend it
    assert tokens.status_code == 200, tokens.text
    refresh = tokens.json()["refresh_token"]
    for elsewhere in ("", "/t/b"):
        refused = await _refresh(http, elsewhere, refresh)
        assert refused.status_code == 400 and refused.json()["error"] == "invalid_grant"
    assert (await _refresh(http, "/t/a", refresh)).status_code == 200


async def test_a_session_is_seen_only_by_its_tenant(http: httpx.AsyncClient) -> None:
    first = await _code(http, "/t/a")
    session = first.cookies["mockidp_session"]
    cookie = {"Cookie": f"mockidp_session={session}"}
    http.cookies.clear()
    again = await http.get(
        "/t/a/authorize",
        params=_query(prompt="none"),
        headers=cookie,
    )
    assert "code" in _callback(again)
    for elsewhere in ("", "/t/b"):
        answer = await http.get(
            f"{elsewhere}/authorize", params=_query(prompt="none"), headers=cookie
        )
        assert _callback(answer)["error"] == "login_required"


def _query(**extra: str) -> dict[str, str]:
    return {
        "response_type": "code",
        "client_id": CONFIDENTIAL,
        "redirect_uri": REDIRECT_URI,
        "scope": "openid",
        **extra,
    }


async def test_faults_clock_and_request_log_belong_to_their_tenant(
    http: httpx.AsyncClient,
) -> None:
    fault = {"match": {"endpoint": "token"}, "respond": {"http_status": {"status": 503}}}
    assert (await http.post(f"/t/a{C}/faults", json=fault)).status_code == 201
    moved = await http.post(f"/t/a{C}/clock", json={"set": "2001-02-03T04:05:06Z", "frozen": True})
    assert moved.json()["iso"] == "2001-02-03T04:05:06Z"
    form = {"grant_type": "client_credentials"}
    assert (await http.post("/t/a/token", data=form, auth=AUTH)).status_code == 503
    assert (await http.post("/t/b/token", data=form, auth=AUTH)).status_code == 200
    assert (await http.post("/token", data=form, auth=AUTH)).status_code == 200
    assert (await http.get(f"/t/b{C}/faults")).json() == {"faults": []}
    assert (await http.get(f"{C}/faults")).json() == {"faults": []}
    for elsewhere in ("", "/t/b"):
        clock = (await http.get(f"{elsewhere}{C}/clock")).json()
        assert clock["frozen"] is False and clock["iso"] > "2026"
    logged = {
        prefix: [r["path"] for r in (await http.get(f"{prefix}{C}/requests")).json()["requests"]]
        for prefix in ("", "/t/a", "/t/b")
    }
    assert logged["/t/a"] == ["/t/a/token"]
    assert logged["/t/b"] == ["/t/b/token"]
    assert logged[""] == ["/token"]


async def test_a_reset_touches_only_its_own_provider(http: httpx.AsyncClient) -> None:
    tokens = {}
    for prefix in ("", "/t/a"):
        code = _callback(await _code(http, prefix))["code"]
        tokens[prefix] = (await _redeem(http, prefix, code)).json()["refresh_token"]
    assert (await http.post(f"{C}/reset")).status_code == 204
    assert (await _refresh(http, "", tokens[""])).status_code == 400
    kept = await _refresh(http, "/t/a", tokens["/t/a"])  # the base reset spared the tenant
    assert kept.status_code == 200
    assert (await http.get(f"{C}/tenants")).json()["tenants"][0]["name"] == "a"
    code = _callback(await _code(http, ""))["code"]
    base_tokens = (await _redeem(http, "", code)).json()
    assert (await http.post(f"/t/a{C}/reset")).status_code == 204
    assert (await _refresh(http, "/t/a", kept.json()["refresh_token"])).status_code == 400
    assert (await _refresh(http, "", base_tokens["refresh_token"])).status_code == 200


# -- the control API ---------------------------------------------------------------------


async def test_a_tenants_control_api_takes_the_same_admin_token() -> None:
    app = _app(admin_token="s3cret-token")
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url=BASE) as http:
        for path in (f"/t/a{C}/clock", f"/t/a{C}/", f"{C}/tenants"):
            missing = await http.get(path)
            assert missing.status_code == 401 and missing.json()["error"] == "unauthorized"
            wrong = await http.get(path, headers={"Authorization": "Bearer nope"})
            assert wrong.status_code == 401 and wrong.json()["error"] == "invalid_token"
            right = await http.get(path, headers={"Authorization": "Bearer s3cret-token"})
            assert right.status_code == 200, (path, right.text)
        assert (await http.get(f"/t/a{DISCOVERY}")).status_code == 200  # endpoints stay open


async def test_tenants_are_created_listed_replaced_and_deleted(http: httpx.AsyncClient) -> None:
    yaml = b"users: [{sub: zed}]\nclients: [{client_id: app, client_secret: s, grant_types: [client_credentials]}]\n"
    made = await http.put(
        f"{C}/tenants/beta", content=yaml, headers={"Content-Type": "application/yaml"}
    )
    assert made.status_code == 201, made.text
    assert made.json()["issuer"] == f"{BASE}/t/beta"
    assert made.json()["discovery"] == f"{BASE}/t/beta{DISCOVERY}"
    assert made.json()["control"] == f"{BASE}/t/beta{C}/"
    assert (await http.get(f"/t/beta{C}/users")).json() == {"users": [{"sub": "zed"}]}
    assert (await http.get(f"{C}/users")).json()["users"][0]["sub"] == "alice"
    form = {"grant_type": "client_credentials"}
    assert (await http.post("/t/beta/token", data=form, auth=("app", "s"))).status_code == 200
    assert (await http.post("/token", data=form, auth=("app", "s"))).status_code == 401

    code = _callback(await _code(http, "/t/gamma"))["code"]  # gamma: made on first use
    listed = (await http.get(f"{C}/tenants")).json()
    assert [t["name"] for t in listed["tenants"]] == ["beta", "gamma"]
    assert listed["max_tenants"] == 100
    replaced = await http.put(f"{C}/tenants/gamma")
    assert replaced.status_code == 200
    assert (await _redeem(http, "/t/gamma", code)).json()["error"] == "invalid_grant"

    assert (await http.get(f"{C}/tenants/beta")).json()["name"] == "beta"
    assert (await http.delete(f"{C}/tenants/beta")).status_code == 204
    for answer in (await http.delete(f"{C}/tenants/beta"), await http.get(f"{C}/tenants/beta")):
        assert answer.status_code == 404 and answer.json()["error"] == "not_found"
    assert [t["name"] for t in (await http.get(f"{C}/tenants")).json()["tenants"]] == ["gamma"]
    again = await http.get(f"/t/beta{C}/users")  # first use again: the initial scenario
    assert again.json()["users"][0]["sub"] == "alice"


async def test_a_tenant_scenario_that_does_not_load_changes_nothing(
    http: httpx.AsyncClient,
) -> None:
    bad = await http.put(f"{C}/tenants/beta", json={"users": [{"claims": {}}]})
    assert bad.status_code == 400 and bad.json()["error"] == "invalid_scenario"
    assert bad.json()["problems"]
    assert (await http.get(f"{C}/tenants/beta")).status_code == 404
    wrong_type = await http.put(
        f"{C}/tenants/beta", content=b"x", headers={"Content-Type": "text/plain"}
    )
    assert wrong_type.status_code == 415


async def test_the_openapi_document_covers_the_tenant_operations(
    http: httpx.AsyncClient,
) -> None:
    doc = (await http.get(f"{C}/openapi.json")).json()
    validate(doc)
    assert set(doc["paths"][f"{C}/tenants/{{name}}"]) == {"get", "put", "delete"}
    assert "get" in doc["paths"][f"{C}/tenants"]
    own = (await http.get(f"/t/a{C}/openapi.json")).json()
    validate(own)
    assert own["servers"] == [{"url": f"{BASE}/t/a"}]
    assert not [p for p in own["paths"] if p.startswith(f"{C}/tenants")]
    index = (await http.get(f"/t/a{C}/")).json()
    assert not [op for op in index["operations"] if op["path"].startswith(f"{C}/tenants")]


@pytest.mark.parametrize(
    "path",
    ["/t/-x/token", "/t/a.b/token", "/t/%C3%A9/token", "/t//token", "/t/" + "a" * 64 + "/token"],
)
async def test_invalid_tenant_names_are_refused(http: httpx.AsyncClient, path: str) -> None:
    answer = await http.get(path)
    assert answer.status_code == 400
    assert answer.json()["error"] == "invalid_request"
    assert "tenant name" in answer.json()["error_description"]
    assert (await http.get(f"{C}/tenants")).json()["tenants"] == []


async def test_invalid_names_in_the_control_api(http: httpx.AsyncClient) -> None:
    for name in ("-x", "a.b", "a/b", "a" * 64):
        answer = await http.put(f"{C}/tenants/{name}")
        assert answer.status_code == 400, name
        assert answer.json()["error"] == "invalid_request"
        assert "tenant name" in answer.json()["error_description"]
    assert (await http.put(f"{C}/tenants/" + "a" * 63)).status_code == 201


async def test_first_use_creation_is_capped() -> None:
    app = _app(max_tenants=2)
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url=BASE) as http:
        for name in ("a", "b"):
            assert (await http.get(f"/t/{name}{DISCOVERY}")).status_code == 200
        refused = await http.get(f"/t/c{DISCOVERY}")
        assert refused.status_code == 404 and refused.json()["error"] == "not_found"
        assert "PUT /_mockidp/tenants/c" in refused.json()["error_description"]
        assert (await http.get(f"/t/a{DISCOVERY}")).status_code == 200  # existing ones work
        assert (await http.put(f"{C}/tenants/c")).status_code == 201  # the admin may
        assert (await http.get(f"/t/c{DISCOVERY}")).status_code == 200
        assert (await http.delete(f"{C}/tenants/a")).status_code == 204
        assert (await http.delete(f"{C}/tenants/b")).status_code == 204
        assert (await http.get(f"/t/d{DISCOVERY}")).status_code == 200


async def test_tenants_can_be_switched_off() -> None:
    app = _app(max_tenants=None)
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url=BASE) as http:
        assert (await http.get(f"/t/a{DISCOVERY}")).status_code == 404
        assert (await http.get(f"{C}/tenants")).status_code == 404
        index = (await http.get(f"{C}/")).json()
    assert not [op for op in index["operations"] if "tenants" in op["path"]]


async def test_a_configured_issuer_gains_the_tenant_path() -> None:
    app = _app(scenario={"issuer": "https://idp.example.com/base"})
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url=BASE) as http:
        doc = (await http.get(f"/t/acme{DISCOVERY}")).json()
        made = (await http.put(f"{C}/tenants/beta", json={"login": "auto"})).json()
    assert doc["issuer"] == "https://idp.example.com/base/t/acme"
    assert made["issuer"] == "https://idp.example.com/base/t/beta"


def test_the_harness_reset_drops_every_tenant() -> None:
    """The pytest plugin's reset (between tests on one server): no tenant outlives its test."""
    from mockidp.testing import MockIdP

    idp = MockIdP.in_process()
    with idp.client as http:
        http.put(f"{C}/tenants/made", json={"users": [{"sub": "zed"}]})
        assert http.get(f"/t/made{C}/users").json() == {"users": [{"sub": "zed"}]}
        idp.reset()
        assert http.get(f"{C}/tenants").json()["tenants"] == []
        assert http.get(f"/t/made{C}/users").json()["users"][0]["sub"] == "alice"


async def test_a_request_callback_hears_tenants_but_a_request_log_does_not() -> None:
    from mockidp.requestlog import RequestLog, RequestRecord

    heard: list[RequestRecord] = []
    printer = _app(on_request=heard.append)
    log = RequestLog(maxlen=10)
    logged = _app(on_request=log.record)
    for app in (printer, logged):
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url=BASE) as http:
            await http.get(f"/t/a{DISCOVERY}")
            await http.get(DISCOVERY)
            tenant_log = (await http.get(f"/t/a{C}/requests")).json()["requests"]
            assert [r["path"] for r in tenant_log] == [f"/t/a{DISCOVERY}"]
    assert [r.path for r in heard] == [f"/t/a{DISCOVERY}", DISCOVERY]
    assert [r.path for r in log.records] == [DISCOVERY]


async def test_max_tenants_comes_from_the_settings() -> None:
    from mockidp.hosting.settings import Settings
    from mockidp.hosting.wiring import app_from_settings

    assert Settings.from_env({}).max_tenants == 100
    with pytest.raises(ValueError, match="MOCKIDP_MAX_TENANTS"):
        Settings.from_env({"MOCKIDP_MAX_TENANTS": "many"})
    app = app_from_settings(Settings.from_env({"MOCKIDP_MAX_TENANTS": "0"}))
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url=BASE) as http:
        refused = await http.get(f"/t/a{DISCOVERY}")
        assert refused.status_code == 404
        assert "not made on first use" in refused.json()["error_description"]
        assert (await http.put(f"{C}/tenants/a")).status_code == 201
        assert (await http.get(f"/t/a{DISCOVERY}")).status_code == 200
