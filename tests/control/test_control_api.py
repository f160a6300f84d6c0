"""The test-control API under /_mockidp/: every operation over HTTP, the admin token,
the OpenAPI document, and that the prefix never leaks into the emulated API.

Tests taking ``http`` run over both transports (in-process and the live server, which
the ``live`` fixture puts back to the default scenario, empty state and real time).
Admin-token tests build their own apps: the token is fixed when an app is created.
"""

from __future__ import annotations

import json
import time
from collections.abc import AsyncIterator
from importlib import resources
from pathlib import Path
from typing import Any

import httpx
import msgspec
import pytest
from openapi_spec_validator import validate

from mockidp import MockIdPApp, Provider, create_app
from mockidp.cli import _parser
from mockidp.control.api import MAX_CONTROL_BODY_BYTES
from mockidp.control.base import PREFIX
from mockidp.control.routes import ROUTES
from mockidp.hosting.settings import Settings
from mockidp.model.layout import Layout
from mockidp.model.scenario import Scenario
from mockidp.presets import PRESETS
from mockidp.requestlog import RequestLog
from mockidp.scenario.dump import HANDLED_FIELDS, dump_scenario
from mockidp.scenario.loader import default_scenario, load_scenario
from tests.conftest import IdP

pytestmark = pytest.mark.anyio

C = PREFIX
CONFIDENTIAL = ("mockidp-client", "mockidp-secret")
DISCOVERY = "/.well-known/openid-configuration"
EXAMPLES = Path(__file__).resolve().parents[2] / "scenarios"
ADMIN = "s3cret-admin-token"


def in_process(app: MockIdPApp, **kwargs: Any) -> httpx.AsyncClient:
    return httpx.AsyncClient(
        transport=httpx.ASGITransport(app=app), base_url="http://mockidp.test", **kwargs
    )


@pytest.fixture
async def admin_client() -> AsyncIterator[tuple[MockIdPApp, httpx.AsyncClient]]:
    """An app with an admin token, and a client that does not send it."""
    app = create_app(admin_token=ADMIN)
    async with in_process(app) as client:
        yield app, client


async def password_grant(http: httpx.AsyncClient, username: str, password: str) -> httpx.Response:
    return await http.post(
        "/token",
        data={"grant_type": "password", "username": username, "password": password},
        auth=CONFIDENTIAL,
    )


# -- index, document, routing ------------------------------------------------------------


async def test_index_lists_every_operation(http: httpx.AsyncClient) -> None:
    for path in (C, C + "/"):
        response = await http.get(path)
        assert response.status_code == 200
        body = response.json()
        assert body["admin_token_required"] is False
        assert body["openapi"].endswith("/_mockidp/openapi.json")
        listed = {(op["method"], op["path"]) for op in body["operations"]}
        assert listed == {(r.method, C + r.path) for r in ROUTES}
        assert response.headers["cache-control"] == "no-store"


async def test_openapi_document_is_valid_and_matches_the_router(http: httpx.AsyncClient) -> None:
    response = await http.get(C + "/openapi.json")
    assert response.status_code == 200
    doc = response.json()
    validate(doc)
    assert doc["openapi"].startswith("3.1")
    served = {(method.upper(), path) for path, ops in doc["paths"].items() for method in ops}
    assert served == {(r.method, C + r.path) for r in ROUTES}
    assert all(path.startswith(C + "/") for path in doc["paths"])
    text = json.dumps(doc)
    for name in {r.request for r in ROUTES} | {r.response for r in ROUTES} - {None}:
        if name is not None:
            assert name in doc["components"]["schemas"], name
    assert '"#/components/schemas/' in text
    assert "security" not in doc
    assert set(doc["paths"][C + "/users/{sub}"]["put"]["responses"]) == {
        "200",
        "201",
        "400",
        "413",
        "415",
    }


async def test_openapi_document_declares_the_admin_token() -> None:
    app = create_app(admin_token=ADMIN)
    async with in_process(app, headers={"Authorization": f"Bearer {ADMIN}"}) as client:
        doc = (await client.get(C + "/openapi.json")).json()
    validate(doc)
    assert doc["security"] == [{"adminToken": []}]
    assert doc["components"]["securitySchemes"]["adminToken"]["scheme"] == "bearer"
    operations = [op for ops in doc["paths"].values() for op in ops.values()]
    public = [op for op in operations if op.get("security") == []]  # the audit's attacker key
    assert [op["operationId"] for op in public] == ["attacker_jwks", "attacker_certificate"]
    assert all("401" in op["responses"] for op in operations if op not in public)


async def test_unknown_control_path_is_404_and_wrong_method_405(http: httpx.AsyncClient) -> None:
    response = await http.get(C + "/nothing-here")
    assert response.status_code == 404
    assert response.json()["error"] == "not_found"
    response = await http.delete(C + "/scenario")
    assert response.status_code == 405
    assert response.headers["allow"] == "GET, PATCH, PUT"
    assert set(response.json()) == {"error", "error_description"}


async def test_the_prefix_never_leaks_into_the_emulated_api(http: httpx.AsyncClient) -> None:
    discovery = (await http.get(DISCOVERY)).text
    assert "_mockidp" not in discovery
    # a neighbouring path is the emulated API's, and unknown there
    response = await http.get("/_mockidpx")
    assert response.status_code == 404
    assert "control" not in response.text


def test_no_endpoint_may_move_under_the_prefix() -> None:
    with pytest.raises(ValueError, match="test-control"):
        Layout({"token": "/_mockidp/token"})
    with pytest.raises(ValueError, match="test-control"):
        Layout({"token": "/_mockidp"})
    with pytest.raises(Exception, match="test-control"):
        Provider({**dump_scenario(default_scenario()), "endpoints": {"token": "/_mockidp/t"}})


# -- the scenario ------------------------------------------------------------------------


async def test_get_scenario_returns_a_document_that_puts_back(http: httpx.AsyncClient) -> None:
    doc = (await http.get(C + "/scenario")).json()
    assert [u["sub"] for u in doc["users"]] == ["alice", "bob"]
    response = await http.put(C + "/scenario", json=doc)
    assert response.status_code == 200
    assert response.json() == doc


async def test_put_scenario_as_yaml_replaces_it(http: httpx.AsyncClient, idp: IdP) -> None:
    text = (EXAMPLES / "login-page.yaml").read_text("utf-8")
    response = await http.put(
        C + "/scenario", content=text.encode(), headers={"Content-Type": "application/yaml"}
    )
    assert response.status_code == 200, response.text
    expected = load_scenario(EXAMPLES / "login-page.yaml")
    assert idp.provider.scenario.login == expected.login == "hint_only"
    assert response.json() == dump_scenario(expected)


async def test_a_replaced_scenario_keeps_a_fixed_issuer() -> None:
    app = create_app({**dump_scenario(default_scenario()), "issuer": "https://idp.example"})
    async with in_process(app) as client:
        doc = dump_scenario(default_scenario())
        assert (await client.put(C + "/scenario", json=doc)).json()[
            "issuer"
        ] == "https://idp.example"
        discovery = (await client.get(DISCOVERY)).json()
        assert discovery["issuer"] == "https://idp.example"
        assert (await client.patch(C + "/scenario", json={"issuer": None})).status_code == 200
        assert (await client.get(DISCOVERY)).json()["issuer"] == "http://mockidp.test"


async def test_a_bad_scenario_changes_nothing(http: httpx.AsyncClient, idp: IdP) -> None:
    before = idp.provider.scenario
    bad = "login: sometimes\nusers:\n  - sub: carol\n    colour: blue\n"
    response = await http.put(
        C + "/scenario", content=bad, headers={"Content-Type": "application/yaml"}
    )
    assert response.status_code == 400
    body = response.json()
    assert body["error"] == "invalid_scenario"
    assert "not changed" in body["error_description"]
    where = {p["location"]: p for p in body["problems"]}
    assert where["login"]["line"] == 1
    assert where["users[0].colour"]["line"] == 4
    assert idp.provider.scenario is before


@pytest.mark.parametrize(
    ("content", "content_type", "status"),
    [
        (b"{not json", "application/json", 400),
        (b"\xff\xfe", "application/json", 400),
        (b"[1, 2]", "application/json", 400),
        (b"", "application/json", 400),
        (b"a: [", "application/yaml", 400),
        (b"<scenario/>", "application/xml", 415),
    ],
)
async def test_put_scenario_refuses_unreadable_bodies(
    http: httpx.AsyncClient, idp: IdP, content: bytes, content_type: str, status: int
) -> None:
    before = idp.provider.scenario
    response = await http.put(
        C + "/scenario", content=content, headers={"Content-Type": content_type}
    )
    assert response.status_code == status, response.text
    assert set(response.json()) >= {"error", "error_description"}
    assert idp.provider.scenario is before


async def test_yaml_aliases_cannot_blow_a_document_up(http: httpx.AsyncClient) -> None:
    lines = ["x-0: &a0 [x, x, x, x, x, x, x, x, x, x]"]
    lines += [f"x-{i}: &a{i} [{', '.join([f'*a{i - 1}'] * 10)}]" for i in range(1, 8)]
    started = time.perf_counter()
    response = await http.put(
        C + "/scenario", content="\n".join(lines), headers={"Content-Type": "application/yaml"}
    )
    assert response.status_code == 400
    assert "aliases" in response.json()["problems"][0]["message"]
    assert time.perf_counter() - started < 10


async def test_patch_merges_top_level_keys(http: httpx.AsyncClient, idp: IdP) -> None:
    response = await http.patch(C + "/scenario", json={"login": "page", "default_user": None})
    assert response.status_code == 200, response.text
    assert response.json()["login"] == "page"
    assert "default_user" not in response.json()
    assert idp.provider.scenario.login == "page"
    assert idp.provider.scenario.default_user is None
    assert [u.sub for u in idp.provider.scenario.users] == ["alice", "bob"]


async def test_patch_refuses_what_would_not_load(http: httpx.AsyncClient, idp: IdP) -> None:
    before = idp.provider.scenario
    response = await http.patch(C + "/scenario", json={"default_user": "nobody"})
    assert response.status_code == 400
    assert response.json()["problems"][0]["location"] == "default_user"
    for body in (b"[]", b"nope"):
        response = await http.patch(
            C + "/scenario", content=body, headers={"Content-Type": "application/json"}
        )
        assert response.status_code == 400
    assert idp.provider.scenario is before


async def test_edits_keep_the_clock_and_keys(http: httpx.AsyncClient, idp: IdP) -> None:
    response = await http.patch(C + "/scenario", json={"clock": {"at": 1_000_000, "frozen": True}})
    assert response.status_code == 200
    assert idp.provider.clock.now() == 1_000_000
    await http.post(C + "/clock", json={"advance": 60})
    keys = idp.provider.keys
    assert (await http.post(C + "/users", json={"sub": "carol"})).status_code == 201
    assert idp.provider.clock.now() == 1_000_060  # the clock section is not applied again
    assert idp.provider.keys is keys
    assert (await http.patch(C + "/scenario", json={"signing_alg": "ES256"})).status_code == 200
    assert idp.provider.keys is not keys
    assert idp.provider.keys.alg == "ES256"


# -- users and clients -------------------------------------------------------------------


async def test_users_can_be_added_changed_and_removed(http: httpx.AsyncClient) -> None:
    carol = {"sub": "carol", "password": "pw", "claims": {"email": "carol@example.com"}}
    response = await http.post(C + "/users", json=carol)
    assert response.status_code == 201
    assert response.json() == carol
    assert (await password_grant(http, "carol", "pw")).status_code == 200
    assert (await http.post(C + "/users", json=carol)).status_code == 409
    assert (await http.get(C + "/users/carol")).json() == carol
    subs = [u["sub"] for u in (await http.get(C + "/users")).json()["users"]]
    assert subs == ["alice", "bob", "carol"]

    response = await http.put(C + "/users/carol", json={"password": "new"})
    assert response.status_code == 200
    assert response.json() == {"sub": "carol", "password": "new"}
    assert (await password_grant(http, "carol", "pw")).status_code == 400
    assert (await password_grant(http, "carol", "new")).status_code == 200

    response = await http.put(C + "/users/dave", json={"sub": "dave"})
    assert response.status_code == 201
    assert (await http.put(C + "/users/dave", json={"sub": "erin"})).status_code == 400

    assert (await http.delete(C + "/users/carol")).status_code == 204
    assert (await http.get(C + "/users/carol")).status_code == 404
    assert (await http.delete(C + "/users/carol")).status_code == 404
    assert (await password_grant(http, "carol", "new")).status_code == 400


async def test_user_edits_are_validated(http: httpx.AsyncClient, idp: IdP) -> None:
    before = idp.provider.scenario
    response = await http.post(C + "/users", json={"sub": "carol", "claims": {"sub": "x"}})
    assert response.status_code == 400
    assert response.json()["problems"][0]["location"] == "users[2].claims.sub"
    assert (await http.post(C + "/users", json={"claims": {}})).status_code == 400
    response = await http.delete(C + "/users/alice")  # the default user
    assert response.status_code == 400
    assert response.json()["problems"][0]["location"] == "default_user"
    assert idp.provider.scenario is before


async def test_text_beyond_the_basic_plane_survives(http: httpx.AsyncClient, idp: IdP) -> None:
    user = {"sub": "\U0001f600", "claims": {"name": "Grin \U0001f600"}}
    response = await http.post(C + "/users", json=user)
    assert response.status_code == 201, response.text
    assert response.json() == user
    assert idp.provider.scenario.user("\U0001f600") is not None
    assert (await http.get(C + "/users/%F0%9F%98%80")).json() == user


@pytest.mark.parametrize("path", ["/users", "/tokens", "/faults"])
async def test_lone_surrogates_are_refused(http: httpx.AsyncClient, path: str) -> None:
    body = b'{"sub": "\\ud800", "client_id": "\\ud800", "respond": {"content_type": "\\udfff"}}'
    response = await http.post(C + path, content=body, headers={"Content-Type": "application/json"})
    assert response.status_code == 400
    assert "surrogate" in response.json()["error_description"]
    yaml_body = 'users: [{sub: "\\ud800"}]'
    response = await http.put(
        C + "/scenario", content=yaml_body, headers={"Content-Type": "application/yaml"}
    )
    assert response.status_code == 400
    assert (await http.get(C + "/users")).status_code == 200


async def test_a_subject_may_hold_a_slash(http: httpx.AsyncClient) -> None:
    response = await http.put(C + "/users/team%2Fcarol", json={})
    assert response.status_code == 201
    assert response.json() == {"sub": "team/carol"}
    assert (await http.get(C + "/users/team%2Fcarol")).json() == {"sub": "team/carol"}


async def test_clients_can_be_added_and_removed(http: httpx.AsyncClient) -> None:
    client = {
        "client_id": "svc",
        "client_secret": "svc-secret",
        "grant_types": ["client_credentials"],
    }
    assert (await http.post(C + "/clients", json=client)).status_code == 201
    token = await http.post(
        "/token", data={"grant_type": "client_credentials"}, auth=("svc", "svc-secret")
    )
    assert token.status_code == 200
    assert (await http.get(C + "/clients/svc")).json() == client
    assert len((await http.get(C + "/clients")).json()["clients"]) == 3
    assert (await http.delete(C + "/clients/svc")).status_code == 204
    token = await http.post(
        "/token", data={"grant_type": "client_credentials"}, auth=("svc", "svc-secret")
    )
    assert token.status_code == 401


# -- faults ------------------------------------------------------------------------------


async def test_faults_can_be_queued_and_cleared(http: httpx.AsyncClient) -> None:
    fault = {
        "name": "down",
        "match": {"endpoint": "token"},
        "respond": {"http_status": {"status": 503}},
    }
    response = await http.post(C + "/faults", json=fault)
    assert response.status_code == 201
    assert response.json() == {**fault, "match": {"endpoint": ["token"]}}
    assert (await http.get(C + "/faults")).json()["faults"][0]["name"] == "down"
    token = await http.post("/token", data={"grant_type": "client_credentials"}, auth=CONFIDENTIAL)
    assert token.status_code == 503
    assert (await http.delete(C + "/faults")).status_code == 204
    assert (await http.get(C + "/faults")).json() == {"faults": []}
    token = await http.post("/token", data={"grant_type": "client_credentials"}, auth=CONFIDENTIAL)
    assert token.status_code == 200


async def test_a_bad_fault_is_refused_with_its_location(http: httpx.AsyncClient) -> None:
    response = await http.post(C + "/faults", json={"respond": {"teapot": True}})
    assert response.status_code == 400
    assert response.json()["problems"][0]["location"] == "faults[0].respond.teapot"


# -- the clock ---------------------------------------------------------------------------


async def test_the_clock_moves(http: httpx.AsyncClient, idp: IdP) -> None:
    now = (await http.get(C + "/clock")).json()
    assert now["frozen"] is False
    assert abs(now["now"] - time.time()) < 5
    frozen = (
        await http.post(C + "/clock", json={"freeze": True, "at": "2030-01-01T00:00:00Z"})
    ).json()
    assert frozen == {"now": 1893456000.0, "iso": "2030-01-01T00:00:00Z", "frozen": True}
    moved = (await http.post(C + "/clock", json={"advance": 3600})).json()
    assert moved["now"] == 1893459600.0
    assert idp.provider.clock.now() == 1893459600.0
    assert (await http.post(C + "/clock", json={"unfreeze": True})).json()["frozen"] is False
    state = (await http.post(C + "/clock", json={"set": 2_000_000_000, "frozen": True})).json()
    assert state["now"] == 2_000_000_000
    state = (await http.post(C + "/clock", json={"reset": True})).json()
    assert abs(state["now"] - time.time()) < 5
    assert state["frozen"] is False


@pytest.mark.parametrize(
    "body",
    [
        {},
        {"advance": 1, "reset": True},
        {"advance": "soon"},
        {"advance": True},
        {"advance": 1e300},
        {"freeze": False},
        {"freeze": True, "at": "tomorrow"},
        {"freeze": True, "at": "2030-01-01T00:00:00"},
        {"advance": 1, "at": 5},
        {"set": 5, "frozen": "yes"},
        {"rewind": 5},
        {"set": 2.6e22},
        {"set": -1},
        {"freeze": True, "at": "0001-01-01T00:00:00+00:00"},
    ],
)
async def test_bad_clock_changes_are_refused(http: httpx.AsyncClient, body: Any) -> None:
    response = await http.post(C + "/clock", json=body)
    assert response.status_code == 400
    assert response.json()["error"] == "invalid_request"


# -- reset, requests, tokens -------------------------------------------------------------


async def test_minted_tokens_work_and_reset_forgets_them(http: httpx.AsyncClient) -> None:
    response = await http.post(
        C + "/tokens",
        json={
            "client_id": "mockidp-client",
            "user": "alice",
            "scope": "openid email offline_access",
        },
    )
    assert response.status_code == 200, response.text
    tokens = response.json()
    assert {"access_token", "id_token", "refresh_token"} <= set(tokens)
    headers = {"Authorization": f"Bearer {tokens['access_token']}"}
    userinfo = await http.get("/userinfo", headers=headers)
    assert userinfo.status_code == 200
    assert userinfo.json()["sub"] == "alice"
    refreshed = await http.post(
        "/token",
        data={"grant_type": "refresh_token", "refresh_token": tokens["refresh_token"]},
        auth=CONFIDENTIAL,
    )
    assert refreshed.status_code == 200
    assert (await http.post(C + "/reset")).status_code == 204
    assert (await http.get("/userinfo", headers=headers)).status_code == 401


async def test_a_client_token_has_no_user(http: httpx.AsyncClient) -> None:
    tokens = (await http.post(C + "/tokens", json={"client_id": "mockidp-client"})).json()
    assert set(tokens) == {"access_token", "token_type", "expires_in"}


@pytest.mark.parametrize(
    ("body", "error"),
    [
        ({"client_id": "nobody"}, "invalid_request"),
        ({"client_id": "mockidp-client", "user": "nobody"}, "invalid_request"),
        (
            {"client_id": "mockidp-client", "user": "alice", "scope": "openid admin"},
            "invalid_scope",
        ),
        ({"user": "alice"}, "invalid_request"),
        ({"client_id": 7}, "invalid_request"),
        ({"client_id": "mockidp-client", "colour": "blue"}, "invalid_request"),
    ],
)
async def test_minting_refuses_bad_requests(
    http: httpx.AsyncClient, body: dict[str, Any], error: str
) -> None:
    response = await http.post(C + "/tokens", json=body)
    assert response.status_code == 400
    assert response.json()["error"] == error


async def test_reset_can_restore_the_scenario_and_clock(http: httpx.AsyncClient, idp: IdP) -> None:
    await http.post(C + "/users", json={"sub": "carol"})
    await http.post(C + "/clock", json={"advance": 86400})
    assert (
        await http.post(C + "/reset", json={"scenario": True, "clock": True})
    ).status_code == 204
    assert [u.sub for u in idp.provider.scenario.users] == ["alice", "bob"]
    assert abs(idp.provider.clock.now() - time.time()) < 5
    for bad in ({"everything": True}, {"clock": "yes"}):
        assert (await http.post(C + "/reset", json=bad)).status_code == 400


async def test_the_request_log_is_oldest_first_as_in_python(http: httpx.AsyncClient) -> None:
    assert (await http.delete(C + "/requests")).status_code == 204
    await http.get(DISCOVERY)
    await http.post("/token", data={"grant_type": "client_credentials"}, auth=CONFIDENTIAL)
    records = (await http.get(C + "/requests")).json()["requests"]
    assert [r["endpoint"] for r in records] == ["discovery", "token"]  # control calls unlogged
    assert records[-1]["client_id"] == "mockidp-client"
    assert records[-1]["params"] == {"grant_type": "client_credentials"}
    assert records[-1]["status"] == 200
    only = (await http.get(C + "/requests", params={"endpoint": "discovery"})).json()
    assert [r["endpoint"] for r in only["requests"]] == ["discovery"]
    newest = (await http.get(C + "/requests?limit=1")).json()["requests"]
    assert [r["endpoint"] for r in newest] == ["token"]  # the last records, not the first
    assert (await http.get(C + "/requests?limit=0")).status_code == 400
    assert (await http.get(C + "/requests?limit=x")).status_code == 400
    await http.post(C + "/reset")
    assert (await http.get(C + "/requests")).json() == {"requests": []}


async def test_the_request_log_is_the_apps_own_when_it_has_one() -> None:
    log = RequestLog(maxlen=10)
    app = create_app(on_request=log.record)
    assert app.control.requests is log
    async with in_process(app) as client:
        await client.get(DISCOVERY)
        records = (await client.get(C + "/requests")).json()["requests"]
    assert len(log) == 1
    assert [r["endpoint"] for r in records] == ["discovery"]


# -- bodies ------------------------------------------------------------------------------


async def test_bodies_are_capped(http: httpx.AsyncClient) -> None:
    big = b"x" * (MAX_CONTROL_BODY_BYTES + 1)
    response = await http.put(
        C + "/scenario", content=big, headers={"Content-Type": "application/yaml"}
    )
    assert response.status_code == 413

    async def chunks() -> AsyncIterator[bytes]:  # no Content-Length: counted as it comes
        for _ in range(MAX_CONTROL_BODY_BYTES // 65536 + 2):
            yield b" " * 65536

    response = await http.post(
        C + "/users", content=chunks(), headers={"Content-Type": "application/json"}
    )
    assert response.status_code == 413


async def test_json_bodies_must_be_json(http: httpx.AsyncClient) -> None:
    response = await http.post(
        C + "/users",
        content=b"sub=carol",
        headers={"Content-Type": "application/x-www-form-urlencoded"},
    )
    assert response.status_code == 415
    response = await http.post(
        C + "/users", content=b'{"sub": NaN}', headers={"Content-Type": "application/json"}
    )
    assert response.status_code == 400
    deep = b"[" * 100_000 + b"]" * 100_000
    response = await http.post(
        C + "/users", content=deep, headers={"Content-Type": "application/json"}
    )
    assert response.status_code == 400


@pytest.mark.parametrize(
    ("method", "path"),
    [("PATCH", "/scenario"), ("POST", "/reset"), ("POST", "/clock"), ("PUT", "/users/carol")],
)
async def test_a_null_body_is_not_an_object(
    http: httpx.AsyncClient, method: str, path: str
) -> None:
    response = await http.request(
        method, C + path, content=b"null", headers={"Content-Type": "application/json"}
    )
    assert response.status_code == 400
    assert response.json()["error_description"] == "the body must be a JSON object"


async def test_advancing_past_the_year_9999_is_refused(http: httpx.AsyncClient) -> None:
    await http.post(C + "/clock", json={"set": 253402300000})
    response = await http.post(C + "/clock", json={"advance": 86400})
    assert response.status_code == 400
    assert (await http.get(C + "/clock")).json()["now"] < 253402300799


# -- the admin token ---------------------------------------------------------------------


async def test_the_admin_token_is_required_when_configured(
    admin_client: tuple[MockIdPApp, httpx.AsyncClient],
) -> None:
    app, client = admin_client
    for method, path in [
        ("GET", C + "/scenario"),
        ("GET", C),
        ("GET", C + "/nothing"),
        ("POST", C + "/reset"),
    ]:
        response = await client.request(method, path)
        assert response.status_code == 401, path
        assert response.headers["www-authenticate"] == 'Bearer realm="mockidp-control"'
        assert set(response.json()) == {"error", "error_description"}
    wrong = await client.get(C + "/scenario", headers={"Authorization": "Bearer nope"})
    assert wrong.status_code == 401
    assert wrong.json()["error"] == "invalid_token"
    assert 'error="invalid_token"' in wrong.headers["www-authenticate"]
    basic = await client.get(C + "/scenario", auth=("admin", ADMIN))
    assert basic.status_code == 401
    right = await client.get(C + "/scenario", headers={"Authorization": f"Bearer {ADMIN}"})
    assert right.status_code == 200
    index = await client.get(C, headers={"Authorization": f"bearer {ADMIN}"})
    assert index.json()["admin_token_required"] is True
    # the emulated endpoints stay as they are
    assert (await client.get(DISCOVERY)).status_code == 200
    token = await client.post(
        "/token", data={"grant_type": "client_credentials"}, auth=CONFIDENTIAL
    )
    assert token.status_code == 200
    assert app.provider.scenario is not None


def test_an_empty_admin_token_is_refused() -> None:
    with pytest.raises(ValueError, match="admin_token"):
        create_app(admin_token=" ")


def test_the_admin_token_comes_from_settings_and_the_command_line() -> None:
    assert Settings.from_env({"MOCKIDP_ADMIN_TOKEN": "abc"}).admin_token == "abc"
    assert Settings.from_env({}).admin_token is None
    args = _parser().parse_args(["serve", "--admin-token", "xyz"])
    assert args.admin_token == "xyz"


# -- the scenario as a document ----------------------------------------------------------


def test_every_scenario_field_is_dumped() -> None:
    assert {f.name for f in msgspec.structs.fields(Scenario)} == HANDLED_FIELDS


@pytest.mark.parametrize(
    "path",
    [*sorted(EXAMPLES.glob("*.yaml")), resources.files("mockidp") / "scenarios" / "default.yaml"],
    ids=lambda p: Path(str(p)).name,
)
def test_a_dumped_scenario_loads_back_equal(path: Path) -> None:
    scenario = load_scenario(Path(str(path)))
    again = load_scenario(dump_scenario(scenario))
    assert msgspec.structs.replace(again, source=scenario.source) == scenario


@pytest.mark.parametrize("preset", sorted(PRESETS))
def test_a_dumped_preset_scenario_loads_back_equal(preset: str) -> None:
    # defaults the preset would otherwise override on reload
    data = {"preset": preset, "lifetimes": {"access_token": 3600}, "login": "auto"}
    scenario = load_scenario(data)
    again = load_scenario(dump_scenario(scenario))
    assert msgspec.structs.replace(again, source=scenario.source) == scenario
