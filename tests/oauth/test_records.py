"""Stored records are typed: one class per kind, named once, ``scope`` always a list, and
a record in another shape (an older mockidp's, in a store kept across an upgrade) reads
as absent rather than failing the request."""

from __future__ import annotations

import msgspec
import pytest

from mockidp.clock import Clock
from mockidp.oauth import records
from mockidp.oauth.records import Code, Record, Refresh, Session, token_handle
from mockidp.store import MemoryStore
from mockidp.store.state import State
from tests.support.issuance import introspect, make_idp, password_grant, refresh, scenario

pytestmark = pytest.mark.anyio


def _state() -> State:
    return State(MemoryStore(), Clock())


def test_every_kind_is_named_once() -> None:
    def classes(cls: type[Record]) -> list[type[Record]]:
        return [c for sub in cls.__subclasses__() for c in (sub, *classes(sub))]

    kinds = [c.kind for c in classes(Record)]
    assert len(kinds) > 20
    assert len(set(kinds)) == len(kinds), sorted(kinds)


def test_a_record_is_stored_under_its_kind_and_read_back_typed() -> None:
    state = _state()
    records.put(state, "s1", Session(sub="alice", auth_time=7), ttl=60)
    assert state.get("session", "s1") == {"sub": "alice", "auth_time": 7}
    assert records.get(state, Session, "s1") == Session(sub="alice", auth_time=7)
    assert records.take(state, Session, "s1") == Session(sub="alice", auth_time=7)
    assert records.get(state, Session, "s1") is None


def test_scope_is_stored_as_a_list() -> None:
    state = _state()
    code = Code(
        client_id="c",
        redirect_uri="https://rp.example/cb",
        redirect_uri_given=True,
        scope=("openid", "profile"),
        sub="alice",
        auth_time=0,
    )
    records.put(state, "h", code, ttl=60)
    stored = state.get("code", "h")
    assert stored is not None and stored["scope"] == ["openid", "profile"]


def test_a_record_is_stored_as_its_json_and_shares_nothing_with_the_caller() -> None:
    """What the store holds is what the record's JSON reads back as (every backend
    holds that), and no container of it is the caller's."""
    claims = {"roles": ("a", "b"), "nested": {1: [1.5, None, True]}, "name": "caf\xe9"}
    access = records.Access(claims=claims, scope=("openid",), uid="u")
    state = _state()
    records.put(state, "h", access, ttl=60)
    stored = state.get(records.Access.kind, "h")
    assert stored == msgspec.json.decode(msgspec.json.encode(access))
    assert stored is not None and stored["claims"]["nested"] == {"1": [1.5, None, True]}
    claims["nested"][1].append("later")  # type: ignore[index]
    assert state.get(records.Access.kind, "h") == stored


def test_a_record_of_another_shape_reads_as_absent() -> None:
    state = _state()
    state.put("session", "old", {"subject": "alice"}, ttl=60)
    assert records.get(state, Session, "old") is None
    assert records.take(state, Session, "old") is None


async def test_an_old_refresh_record_is_invalid_grant_not_a_server_error() -> None:
    idp = make_idp(scenario())
    token = (await password_grant(idp, "alice"))["refresh_token"]
    state = idp.provider.deps.state
    handle = token_handle(token)
    current = records.get(state, Refresh, handle)
    assert current is not None
    stored = state.get("rt", handle)
    assert stored is not None
    old = {**stored, "scope": " ".join(current.scope)}  # the shape before typed records
    state.put("rt", handle, old, ttl=600)
    answer = await refresh(idp, token)
    assert answer.status_code == 400, answer.text
    assert answer.json()["error"] == "invalid_grant"
    assert (await introspect(idp, token)) == {"active": False}
