"""Control changes shared through the store (mockidp/control/sync.py): two apps on one
store, as two Lambda containers on one DynamoDB table, see the same scenario, clock,
faults, key timeline and tenants, whichever app was told.

Run on one MemoryStore shared by two apps and on DynamoDB (moto in-process).
"""

from __future__ import annotations

import asyncio
import json
import tempfile
import uuid
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager, contextmanager
from typing import Any

import httpx
import pytest

from mockidp import MockIdPApp, create_app
from mockidp.errors import TemporarilyUnavailable
from mockidp.store import MemoryStore, Store
from mockidp.store.dynamodb import DynamoDBStore
from mockidp.store.sqlite import SQLiteStore
from tests.support.dynamodb import (
    REGION,
    TABLE,
    aws_environment,
    mock_aws_table,
    moto_server_url,
    needs_moto,
)

pytestmark = pytest.mark.anyio

BASE = "http://mockidp.test"
C = "/_mockidp"
AUTH = ("mockidp-client", "mockidp-secret")
CC = {"grant_type": "client_credentials"}
T0 = 1_900_000_000.0

Stores = Callable[[], Store]


@contextmanager
def _memory() -> Iterator[Stores]:
    store = MemoryStore()
    yield lambda: store


@contextmanager
def _sqlite() -> Iterator[Stores]:
    with tempfile.TemporaryDirectory() as directory:
        made: list[SQLiteStore] = []

        def make() -> SQLiteStore:  # a new connection each time
            made.append(SQLiteStore(f"{directory}/state.db"))
            return made[-1]

        yield make
        for store in made:  # Python 3.13 warns of a connection left open
            store.close()


@contextmanager
def _dynamodb() -> Iterator[Stores]:
    tenant = uuid.uuid4().hex
    with mock_aws_table():
        yield lambda: DynamoDBStore(TABLE, tenant=tenant, region=REGION)


@pytest.fixture(
    params=[
        pytest.param(_memory, id="memory"),
        pytest.param(_sqlite, id="sqlite"),
        pytest.param(_dynamodb, id="dynamodb", marks=needs_moto),
    ]
)
def stores(request: pytest.FixtureRequest) -> Iterator[Stores]:
    """``stores()``: a store (a new client each time) on the one shared state."""
    factory: Callable[[], AbstractContextManager[Stores]] = request.param
    with factory() as make:
        yield make


class Apps:
    """Two independent apps (containers) on one store, and a client for each."""

    def __init__(self, stores: Stores, **kwargs: Any) -> None:
        self.apps = [create_app(store=stores(), **kwargs) for _ in range(2)]
        self.clients = [
            httpx.AsyncClient(transport=httpx.ASGITransport(app=a), base_url=BASE)
            for a in self.apps
        ]

    async def aclose(self) -> None:
        for client in self.clients:
            await client.aclose()


@pytest.fixture
async def two(stores: Stores) -> Any:
    apps = Apps(stores)
    yield apps.clients
    await apps.aclose()


async def test_users_and_clients_added_through_one_app_work_in_the_other(
    two: list[httpx.AsyncClient],
) -> None:
    one, other = two
    client = {
        "client_id": "svc",
        "client_secret": "svc-secret",
        "grant_types": ["client_credentials"],
    }
    assert (await one.post(f"{C}/clients", json=client)).status_code == 201
    assert (await one.post(f"{C}/users", json={"sub": "zoe"})).status_code == 201
    assert (await other.post("/token", data=CC, auth=("svc", "svc-secret"))).status_code == 200
    users = (await other.get(f"{C}/users")).json()["users"]
    assert [u["sub"] for u in users][-1] == "zoe"
    patched = await other.patch(
        f"{C}/scenario", json={"users": [{"sub": "yan"}], "default_user": "yan"}
    )
    assert patched.status_code == 200
    assert (await one.get(f"{C}/users")).json() == {"users": [{"sub": "yan"}]}
    assert (await one.post(f"{C}/reset", json={"scenario": True})).status_code == 204
    assert (await other.get(f"{C}/users")).json()["users"][0]["sub"] == "alice"


async def test_a_clock_moved_through_one_app_moves_the_other(
    two: list[httpx.AsyncClient],
) -> None:
    one, other = two
    await one.post(f"{C}/clock", json={"set": T0, "frozen": True})
    await one.post(f"{C}/clock", json={"advance": 3600})
    clock = (await other.get(f"{C}/clock")).json()
    assert clock == {"now": T0 + 3600, "iso": "2030-03-17T18:46:40Z", "frozen": True}
    token = await other.post(f"{C}/tokens", json={"client_id": "mockidp-client", "user": "alice"})
    introspected = await one.post(
        "/introspect", data={"token": token.json()["access_token"]}, auth=AUTH
    )
    assert introspected.json()["iat"] == T0 + 3600


async def test_a_fault_queued_through_one_app_hits_the_other(
    two: list[httpx.AsyncClient],
) -> None:
    one, other = two
    fault = {
        "match": {"endpoint": "token"},
        "when": {"nth": 2},
        "respond": {"oauth_error": {"error": "temporarily_unavailable"}},
    }
    assert (await one.post(f"{C}/faults", json=fault)).status_code == 201
    first = await other.post("/token", data=CC, auth=AUTH)
    second = await one.post("/token", data=CC, auth=AUTH)  # the count is shared too
    third = await other.post("/token", data=CC, auth=AUTH)
    assert [first.status_code, second.status_code, third.status_code] == [200, 503, 200]
    assert (await other.delete(f"{C}/faults")).status_code == 204
    assert (await one.get(f"{C}/faults")).json() == {"faults": []}


async def test_the_key_rotation_timeline_is_shared(two: list[httpx.AsyncClient]) -> None:
    one, other = two
    await one.post(f"{C}/clock", json={"freeze": True, "at": T0})
    scenario = {
        "keys": [
            {"kid": "old", "packaged": "rsa-1", "alg": "RS256"},
            {"kid": "new", "packaged": "rsa-2", "alg": "RS256"},
        ],
        "key_rotation": [{"after": 60, "publish": "new"}, {"after": 120, "sign_with": "new"}],
    }
    assert (await one.put(f"{C}/scenario", json=scenario)).status_code == 200
    await other.post(f"{C}/clock", json={"advance": 90})
    for app in (one, other):
        kids = [k["kid"] for k in (await app.get("/.well-known/jwks.json")).json()["keys"]]
        assert kids == ["old", "new"]


async def test_tenants_made_through_one_app_exist_in_the_other(
    two: list[httpx.AsyncClient],
) -> None:
    one, other = two
    made = await one.put(f"{C}/tenants/pr-7", json={"users": [{"sub": "zed"}]})
    assert made.status_code == 201
    assert (await other.get(f"/t/pr-7{C}/users")).json() == {"users": [{"sub": "zed"}]}
    assert [t["name"] for t in (await other.get(f"{C}/tenants")).json()["tenants"]] == ["pr-7"]
    await other.post(f"/t/pr-7{C}/clock", json={"set": T0, "frozen": True})
    assert (await one.get(f"/t/pr-7{C}/clock")).json()["now"] == T0
    assert (await one.get(f"{C}/clock")).json()["frozen"] is False  # the base kept its own
    assert (await one.post(f"/t/pr-7{C}/users", json={"sub": "extra"})).status_code == 201
    assert (await other.post(f"/t/pr-7{C}/reset", json={"scenario": True})).status_code == 204
    assert (await one.get(f"/t/pr-7{C}/users")).json() == {"users": [{"sub": "zed"}]}

    await other.get("/t/auto/.well-known/openid-configuration")  # made on first use
    names = [t["name"] for t in (await one.get(f"{C}/tenants")).json()["tenants"]]
    assert names == ["auto", "pr-7"]

    assert (await other.delete(f"{C}/tenants/pr-7")).status_code == 204
    assert (await one.get(f"{C}/tenants/pr-7")).status_code == 404
    again = (await one.get(f"/t/pr-7{C}/users")).json()["users"]  # first use again
    assert again[0]["sub"] == "alice"


async def test_two_apps_making_one_tenant_at_once_keep_one_and_its_state(
    stores: Stores, monkeypatch: pytest.MonkeyPatch
) -> None:
    """First use racing in two containers: the second adopts the first's tenant (an atomic
    add), so nothing the first stored is wiped."""
    apps = Apps(stores)
    one, other = apps.clients
    made = await one.post(f"/t/race{C}/tokens", json={"client_id": "mockidp-client"})
    token = made.json()["access_token"]
    registry = apps.apps[1].tenants
    assert registry is not None
    real = registry.find
    seen: list[str] = []

    def not_yet(name: str) -> Any:  # the second app looked just before the first wrote
        seen.append(name)
        return None if len(seen) == 1 else real(name)

    monkeypatch.setattr(registry, "find", not_yet)
    answer = await other.post("/t/race/introspect", data={"token": token}, auth=AUTH)
    assert answer.json()["active"] is True
    assert seen == ["race", "race"]
    await apps.aclose()


async def test_a_record_of_another_deployment_is_ignored(stores: Stores) -> None:
    old = create_app(store=stores())
    new = create_app({"users": [{"sub": "nina"}], "login": "auto"}, store=stores())
    async with (
        httpx.AsyncClient(transport=httpx.ASGITransport(app=old), base_url=BASE) as was,
        httpx.AsyncClient(transport=httpx.ASGITransport(app=new), base_url=BASE) as now,
    ):
        await was.post(f"{C}/users", json={"sub": "zoe"})
        await was.put(f"{C}/tenants/t1", json={"users": [{"sub": "zed"}]})
        assert (await now.get(f"{C}/users")).json() == {"users": [{"sub": "nina"}]}
        assert (await now.get(f"{C}/tenants")).json()["tenants"] == []
        assert (await now.get(f"/t/t1{C}/users")).json() == {"users": [{"sub": "nina"}]}


def test_clear_keeps_what_it_is_told_to(stores: Stores) -> None:
    """The base provider's reset spares tenants and control records (Store.clear keep)."""
    store = stores()
    for key in ("code:1", "t/a/code:1", "mockidp:control", "mockidp:tenants", "session:2"):
        store.put(key, {"k": key}, expires_at=T0 * 2)
    store.clear("", keep=("t/", "mockidp:"))
    left = [
        k
        for k in ("code:1", "t/a/code:1", "mockidp:control", "mockidp:tenants", "session:2")
        if store.get(k, now=T0) is not None
    ]
    assert left == ["t/a/code:1", "mockidp:control", "mockidp:tenants"]
    store.clear("t/", keep=("t/a/mockidp:",))
    assert store.get("t/a/code:1", now=T0) is None


class _Unreachable(MemoryStore):
    def get(self, key: str, *, now: float) -> Any:
        raise TemporarilyUnavailable("the state store is unreachable (a test)")


async def test_an_unreachable_store_answers_503_not_500() -> None:
    """The control API and tenants need the store; endpoints answer what they can."""
    app: MockIdPApp = create_app(store=_Unreachable())
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url=BASE) as http:
        for path in (f"{C}/clock", f"{C}/tenants", "/t/a/.well-known/openid-configuration"):
            answer = await http.get(path)
            assert answer.status_code == 503, path
            assert answer.json()["error"] == "temporarily_unavailable"
            assert answer.headers["Retry-After"] == "1"
        assert (await http.get("/.well-known/openid-configuration")).status_code == 200


# -- Lambda containers ---------------------------------------------------------------------


@needs_moto
def test_lambda_containers_share_control_changes_and_tenants() -> None:
    """Two cold-started handlers behind a REST API stage, one table: what the control API
    did through one container is what the other serves."""
    from tests.hosting.test_lambda_handler import _container
    from tests.support.lambda_events import REST_API, Browser, LambdaContext, v1_event

    token = "an-admin-token-of-16+"
    loop = asyncio.new_event_loop()
    asyncio.set_event_loop(loop)
    try:
        with aws_environment(AWS_ENDPOINT_URL_DYNAMODB=moto_server_url()):
            env = {
                "MOCKIDP_STORE": f"dynamodb://{TABLE}?tenant={uuid.uuid4().hex}",
                "MOCKIDP_ADMIN_TOKEN": token,
            }
            first, second = (Browser(REST_API, [_container(env).handler]) for _ in range(2))

            def call(browser: Browser, method: str, path: str, body: Any = None) -> Any:
                headers = {"Authorization": f"Bearer {token}"}
                data = None
                if body is not None:
                    headers["Content-Type"] = "application/json"
                    data = json.dumps(body).encode()
                event = v1_event(REST_API, method, path, "", headers, [], data)
                return browser._answer(browser.containers[0](event, LambdaContext()))

            made = call(first, "PUT", "/_mockidp/tenants/pr-9", {"users": [{"sub": "zed"}]})
            assert made.status == 201, made.body
            assert made.json()["issuer"] == f"{REST_API.base_url}/t/pr-9"
            call(first, "POST", "/t/pr-9/_mockidp/clock", {"set": T0, "frozen": True})
            call(first, "POST", "/_mockidp/users", {"sub": "zoe"})
            assert call(second, "GET", "/t/pr-9/_mockidp/users").json() == {
                "users": [{"sub": "zed"}]
            }
            assert call(second, "GET", "/t/pr-9/_mockidp/clock").json()["now"] == T0
            assert call(second, "GET", "/_mockidp/users/zoe").status == 200
            doc = second.request("GET", "/t/pr-9/.well-known/openid-configuration")
            assert doc.json()["issuer"] == f"{REST_API.base_url}/t/pr-9"
    finally:
        asyncio.set_event_loop(None)
        loop.close()
