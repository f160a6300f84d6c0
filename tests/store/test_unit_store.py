"""The Store contract (mockidp.store.Store), run against every backend in BACKENDS.

To add a backend (DynamoDB, ...), write a context manager that yields a ready, empty
store and cleans up after itself, and append it to BACKENDS (with a skip mark when its
service is unavailable). Keys carry a per-test prefix so a shared table stays usable.
"""

from __future__ import annotations

import multiprocessing
import tempfile
import threading
import uuid
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import AbstractContextManager, contextmanager
from pathlib import Path
from typing import Any

import pytest

from mockidp import Clock, MemoryStore, Store
from mockidp.errors import TemporarilyUnavailable
from mockidp.store.sqlite import SQLiteStore
from mockidp.store.state import State
from mockidp.types import JSONObject
from tests.support import store_race_worker
from tests.support.dynamodb import mock_aws_store, moto_server_store, needs_moto

StoreFactory = Callable[[], AbstractContextManager[Store]]

NOW = 1_700_000_000.0
LATER = NOW + 600


@contextmanager
def memory_store() -> Iterator[Store]:
    yield MemoryStore()


@contextmanager
def sqlite_store() -> Iterator[Store]:
    with tempfile.TemporaryDirectory() as directory:
        store = SQLiteStore(f"{directory}/state.db")
        yield store
        store.close()


BACKENDS: list[Any] = [
    pytest.param(memory_store, id="memory"),
    pytest.param(sqlite_store, id="sqlite"),
    pytest.param(mock_aws_store, id="dynamodb-mock_aws", marks=needs_moto),
    pytest.param(moto_server_store, id="dynamodb-moto_server", marks=needs_moto),
]


@pytest.fixture(params=BACKENDS)
def store(request: pytest.FixtureRequest) -> Iterator[Store]:
    factory: StoreFactory = request.param
    with factory() as backend:
        yield backend


@pytest.fixture
def key() -> Callable[[str], str]:
    """Unique keys for this test: ``key("code:abc")`` -> ``"<test-prefix>code:abc"``."""
    prefix = f"t{uuid.uuid4().hex[:12]}:"
    return lambda name: prefix + name


RECORD: JSONObject = {
    "sub": "alice",
    "n": 3,
    "ratio": 0.5,
    "ok": True,
    "none": None,
    "scope": ["openid", "email"],
    "nested": {"a": {"b": [1, 2, {"c": "d"}]}},
    "text": "caf\u00e9 \u2603 \U0001f600",
}


def _race(workers: int, task: Callable[[int], Any]) -> list[Any]:
    """Run ``task(i)`` on ``workers`` threads released at the same instant."""
    barrier = threading.Barrier(workers)

    def run(i: int) -> Any:
        barrier.wait()
        return task(i)

    with ThreadPoolExecutor(max_workers=workers) as pool:
        return list(pool.map(run, range(workers)))


# -- put / get / expiry ---------------------------------------------------------------------


def test_put_then_get_round_trips_a_json_record(store: Store, key: Callable[[str], str]) -> None:
    store.put(key("a"), RECORD, expires_at=LATER)
    assert store.get(key("a"), now=NOW) == RECORD


def test_get_of_an_absent_key_is_none(store: Store, key: Callable[[str], str]) -> None:
    assert store.get(key("never-written"), now=NOW) is None


def test_keys_are_exact_and_case_sensitive(store: Store, key: Callable[[str], str]) -> None:
    store.put(key("code:abc"), {"v": 1}, expires_at=LATER)
    assert store.get(key("code:ABC"), now=NOW) is None
    assert store.get(key("code:ab"), now=NOW) is None
    assert store.get(key("code:abcd"), now=NOW) is None
    assert store.get(key("code:abc"), now=NOW) == {"v": 1}


def test_put_replaces_record_and_expiry(store: Store, key: Callable[[str], str]) -> None:
    store.put(key("a"), {"v": 1}, expires_at=NOW + 10)
    store.put(key("a"), {"v": 2}, expires_at=NOW + 100)
    assert store.get(key("a"), now=NOW + 50) == {"v": 2}


def test_put_can_shorten_the_expiry(store: Store, key: Callable[[str], str]) -> None:
    store.put(key("a"), {"v": 1}, expires_at=NOW + 100)
    store.put(key("a"), {"v": 2}, expires_at=NOW + 10)
    assert store.get(key("a"), now=NOW + 50) is None


def test_record_lives_until_its_expiry(store: Store, key: Callable[[str], str]) -> None:
    store.put(key("a"), {"v": 1}, expires_at=NOW + 60)
    assert store.get(key("a"), now=NOW) == {"v": 1}
    assert store.get(key("a"), now=NOW + 59.5) == {"v": 1}
    assert store.get(key("a"), now=NOW + 60.5) is None


def test_expiry_is_judged_by_the_given_now_not_the_wall_clock(
    store: Store, key: Callable[[str], str]
) -> None:
    # expired long ago in real time, alive on the caller's clock
    store.put(key("past"), {"v": 1}, expires_at=1000.0)
    assert store.get(key("past"), now=999.0) == {"v": 1}
    # alive in real time, expired on the caller's clock
    store.put(key("future"), {"v": 2}, expires_at=4_000_000_000.0)
    assert store.get(key("future"), now=4_000_000_001.0) is None


# -- add: only if absent ----------------------------------------------------------------------


def test_add_stores_when_absent(store: Store, key: Callable[[str], str]) -> None:
    assert store.add(key("jti"), {"v": 1}, expires_at=LATER, now=NOW) is True
    assert store.get(key("jti"), now=NOW) == {"v": 1}


def test_add_refuses_when_a_live_record_exists(store: Store, key: Callable[[str], str]) -> None:
    store.put(key("jti"), {"v": 1}, expires_at=LATER)
    assert store.add(key("jti"), {"v": 2}, expires_at=LATER + 100, now=NOW) is False
    assert store.get(key("jti"), now=NOW) == {"v": 1}
    assert store.get(key("jti"), now=LATER + 50) is None  # and its expiry is unchanged


def test_add_replaces_an_expired_record(store: Store, key: Callable[[str], str]) -> None:
    store.put(key("jti"), {"v": 1}, expires_at=NOW + 10)
    assert store.add(key("jti"), {"v": 2}, expires_at=NOW + 100, now=NOW + 20) is True
    assert store.get(key("jti"), now=NOW + 50) == {"v": 2}


def test_add_twice_second_loses(store: Store, key: Callable[[str], str]) -> None:
    assert store.add(key("k"), {"v": 1}, expires_at=LATER, now=NOW)
    assert not store.add(key("k"), {"v": 2}, expires_at=LATER, now=NOW)


def test_racing_adds_exactly_one_wins(store: Store, key: Callable[[str], str]) -> None:
    workers = 16
    for round_ in range(20):
        k = key(f"race-add-{round_}")

        def add(i: int, k: str = k) -> bool:
            return store.add(k, {"winner": i}, expires_at=LATER, now=NOW)

        results = _race(workers, add)
        assert results.count(True) == 1, results
        winner = results.index(True)
        assert store.get(k, now=NOW) == {"winner": winner}


# -- take: atomic read-and-delete ---------------------------------------------------------------


def test_take_returns_the_record_once(store: Store, key: Callable[[str], str]) -> None:
    store.put(key("code"), RECORD, expires_at=LATER)
    assert store.take(key("code"), now=NOW) == RECORD
    assert store.take(key("code"), now=NOW) is None
    assert store.get(key("code"), now=NOW) is None


def test_take_of_an_absent_key_is_none(store: Store, key: Callable[[str], str]) -> None:
    assert store.take(key("nothing"), now=NOW) is None


def test_take_of_an_expired_record_is_none(store: Store, key: Callable[[str], str]) -> None:
    store.put(key("code"), {"v": 1}, expires_at=NOW + 10)
    assert store.take(key("code"), now=NOW + 11) is None
    assert store.get(key("code"), now=NOW + 11) is None


def test_take_leaves_other_keys(store: Store, key: Callable[[str], str]) -> None:
    store.put(key("a"), {"v": "a"}, expires_at=LATER)
    store.put(key("b"), {"v": "b"}, expires_at=LATER)
    assert store.take(key("a"), now=NOW) == {"v": "a"}
    assert store.get(key("b"), now=NOW) == {"v": "b"}


def test_racing_takes_exactly_one_wins(store: Store, key: Callable[[str], str]) -> None:
    workers = 16
    for round_ in range(20):
        k = key(f"race-take-{round_}")
        store.put(k, {"round": round_}, expires_at=LATER)

        def take(_i: int, k: str = k) -> JSONObject | None:
            return store.take(k, now=NOW)

        results = _race(workers, take)
        winners = [r for r in results if r is not None]
        assert winners == [{"round": round_}], results
        assert store.get(k, now=NOW) is None


def test_racing_takes_over_many_keys_hand_out_each_once(
    store: Store, key: Callable[[str], str]
) -> None:
    keys = [key(f"many-{i}") for i in range(200)]
    for i, k in enumerate(keys):
        store.put(k, {"i": i}, expires_at=LATER)

    def take_all(_worker: int) -> list[int]:
        got = []
        for k in keys:
            record = store.take(k, now=NOW)
            if record is not None:
                got.append(record["i"])
        return got

    taken = [i for batch in _race(8, take_all) for i in batch]
    assert sorted(taken) == list(range(200))


# -- delete and clear ----------------------------------------------------------------------------


def test_delete_removes_only_that_key(store: Store, key: Callable[[str], str]) -> None:
    store.put(key("a"), {"v": 1}, expires_at=LATER)
    store.put(key("ab"), {"v": 2}, expires_at=LATER)
    store.delete(key("a"))
    assert store.get(key("a"), now=NOW) is None
    assert store.get(key("ab"), now=NOW) == {"v": 2}


def test_delete_of_an_absent_key_is_fine(store: Store, key: Callable[[str], str]) -> None:
    store.delete(key("never-written"))
    store.put(key("a"), {"v": 1}, expires_at=LATER)
    store.delete(key("a"))
    store.delete(key("a"))
    assert store.get(key("a"), now=NOW) is None


def test_add_after_delete_succeeds(store: Store, key: Callable[[str], str]) -> None:
    assert store.add(key("a"), {"v": 1}, expires_at=LATER, now=NOW)
    store.delete(key("a"))
    assert store.add(key("a"), {"v": 2}, expires_at=LATER, now=NOW)
    assert store.get(key("a"), now=NOW) == {"v": 2}


def test_clear_removes_keys_with_the_prefix_only(store: Store, key: Callable[[str], str]) -> None:
    doomed = [key("tenant1:code:a"), key("tenant1:at:b"), key("tenant1:")]
    kept = [key("tenant2:code:a"), key("tenant10:code:a"), key("x-tenant1:code:a")]
    for k in doomed + kept:
        store.put(k, {"k": k}, expires_at=LATER)
    store.clear(key("tenant1:"))
    for k in doomed:
        assert store.get(k, now=NOW) is None, k
    for k in kept:
        assert store.get(k, now=NOW) == {"k": k}, k


def test_clear_without_prefix_removes_everything(store: Store, key: Callable[[str], str]) -> None:
    names = [key("a"), key("b:c"), "other-test-key"]
    for k in names:
        store.put(k, {"v": 1}, expires_at=LATER)
    store.clear()
    assert all(store.get(k, now=NOW) is None for k in names)


def test_clear_with_an_unused_prefix_keeps_everything(
    store: Store, key: Callable[[str], str]
) -> None:
    store.put(key("a"), {"v": 1}, expires_at=LATER)
    store.clear(key("zzz"))
    assert store.get(key("a"), now=NOW) == {"v": 1}


# -- the provider's view: namespaced State on the same backends ---------------------------------


def test_state_namespaces_keep_tenants_apart(store: Store, key: Callable[[str], str]) -> None:
    clock = Clock(frozen_at=NOW)
    one = State(store, clock, namespace=key("one/"))
    two = State(store, clock, namespace=key("two/"))
    one.put("code", "x", {"tenant": 1}, ttl=60)
    two.put("code", "x", {"tenant": 2}, ttl=60)
    assert one.get("code", "x") == {"tenant": 1}
    assert two.get("code", "x") == {"tenant": 2}
    one.clear()
    assert one.get("code", "x") is None
    assert two.get("code", "x") == {"tenant": 2}


def test_state_ttl_follows_the_providers_clock(store: Store, key: Callable[[str], str]) -> None:
    clock = Clock(frozen_at=NOW)
    state = State(store, clock, namespace=key(""))
    state.put("code", "x", {"v": 1}, ttl=60)
    assert state.add("jti", "j", {}, ttl=60) is True
    clock.advance(59)
    assert state.get("code", "x") == {"v": 1}
    assert state.add("jti", "j", {}, ttl=60) is False
    clock.advance(2)
    assert state.get("code", "x") is None
    assert state.take("code", "x") is None
    assert state.add("jti", "j", {}, ttl=60) is True


def test_increment_counts_from_one(store: Store, key: Callable[[str], str]) -> None:
    assert [store.increment(key("n"), expires_at=100, now=0) for _ in range(3)] == [1, 2, 3]
    assert store.get(key("n"), now=0) == {"n": 3}


def test_increment_restarts_after_expiry(store: Store, key: Callable[[str], str]) -> None:
    store.increment(key("n"), expires_at=10, now=0)
    store.increment(key("n"), expires_at=10, now=0)
    assert store.increment(key("n"), expires_at=50, now=20) == 1


def test_racing_increments_lose_no_count(store: Store, key: Callable[[str], str]) -> None:
    counter = key("race")
    results: list[int] = []

    def bump() -> None:
        for _ in range(50):
            results.append(store.increment(counter, expires_at=100, now=0))

    threads = [threading.Thread(target=bump) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(results) == list(range(1, 401))


# -- SQLite: the same atomicity across processes (serve --workers) ---------------------------


def _in_processes(count: int, task: Callable[..., Any], *args: Any) -> list[Any]:
    context = multiprocessing.get_context("spawn")  # fresh interpreters, no inherited state
    barrier = context.Barrier(count, timeout=60)  # opens when all have arrived
    with context.Pool(count, initializer=store_race_worker.join, initargs=(barrier,)) as pool:
        return pool.starmap(task, [args] * count)


def test_sqlite_takes_racing_in_four_processes_get_each_record_once(tmp_path: Path) -> None:
    path = str(tmp_path / "state.db")
    store = SQLiteStore(path)
    keys = [f"code:{i}" for i in range(300)]
    for k in keys:
        store.put(k, {"k": k}, expires_at=LATER)
    taken = [k for batch in _in_processes(4, store_race_worker.take_all, path, keys) for k in batch]
    assert sorted(taken) == sorted(keys)  # every record taken, none twice
    assert len(store) == 0


def test_sqlite_increments_racing_in_four_processes_lose_no_count(tmp_path: Path) -> None:
    path = str(tmp_path / "state.db")
    counts = _in_processes(4, store_race_worker.increment_many, path, "counter", 300)
    seen = sorted(n for batch in counts for n in batch)
    assert seen == list(range(1, 1201))  # each value handed out exactly once


def test_sqlite_processes_opening_a_new_file_together_all_succeed(tmp_path: Path) -> None:
    # The first use of a new file switches it to WAL and creates the table; processes
    # doing that at one instant must wait for each other, never fail. Twenty tries.
    paths = [str(tmp_path / f"state-{i}.db") for i in range(20)]
    counts = _in_processes(4, store_race_worker.first_increments, paths)
    for per_file in zip(*counts, strict=True):
        assert sorted(per_file) == [1, 2, 3, 4]


def test_sqlite_state_outlives_the_store_object(tmp_path: Path) -> None:
    path = tmp_path / "state.db"
    first = SQLiteStore(path)
    first.put("session:s", RECORD, expires_at=LATER)
    first.close()
    assert SQLiteStore(path).get("session:s", now=NOW) == RECORD


def test_sqlite_connections_of_ended_threads_are_closed_not_left_to_the_gc(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import sqlite3

    made: list[sqlite3.Connection] = []
    connect = sqlite3.connect

    def recording(*args: Any, **kwargs: Any) -> sqlite3.Connection:
        made.append(connect(*args, **kwargs))
        return made[-1]

    monkeypatch.setattr(sqlite3, "connect", recording)
    store = SQLiteStore(tmp_path / "state.db")
    store.put("k", RECORD, expires_at=LATER)
    _race(4, lambda i: store.get("k", now=NOW))  # four threads, ended on return
    assert len(made) == 5

    def is_open(db: sqlite3.Connection) -> bool:
        try:
            db.execute("SELECT 1")
        except sqlite3.ProgrammingError:  # "Cannot operate on a closed database."
            return False
        return True

    worker = threading.Thread(target=store.get, args=("k",), kwargs={"now": NOW})
    worker.start()
    worker.join()  # opening its connection closed the four ended threads' ones
    assert [is_open(db) for db in made] == [True, False, False, False, False, True]
    store.close()  # this thread's and the ended worker's
    assert not any(is_open(db) for db in made)
    assert store.get("k", now=NOW) == RECORD  # a closed store opens again on use
    store.close()


def test_sqlite_store_refuses_no_file_and_reports_a_bad_one(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="needs a file path"):
        SQLiteStore(":memory:")
    broken = SQLiteStore(tmp_path / "no-such-directory" / "state.db")
    with pytest.raises(TemporarilyUnavailable, match="state store is unavailable"):
        broken.get("k", now=NOW)


def test_a_forked_process_builds_its_own_dynamodb_client(monkeypatch: pytest.MonkeyPatch) -> None:
    """``serve --workers`` forks after the start-up probe built a client: a worker must
    not share that client's connections with its parent."""
    from mockidp.store import dynamodb

    built: list[object] = []

    def new_client(*args: Any) -> object:
        built.append(object())
        return built[-1]

    monkeypatch.setattr(dynamodb, "_require_boto3", lambda: None)
    monkeypatch.setattr(dynamodb, "_new_client", new_client)
    store = dynamodb.DynamoDBStore("t")
    parent = store.client
    assert store.client is parent  # one client per process
    monkeypatch.setattr(dynamodb.os, "getpid", lambda: -1)  # as in a forked worker
    child = store.client
    assert child is not parent and store.client is child
    injected = dynamodb.DynamoDBStore("t", client="given")
    assert injected.client == "given"  # an injected client is the caller's to manage
