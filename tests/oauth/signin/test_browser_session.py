"""signin/session.py is the one owner of a browser session: what it starts, every
ending (by the cookie's id or by the tokens' public sid) removes whole."""

from __future__ import annotations

from mockidp.model.scenario import User
from mockidp.oauth import records
from mockidp.oauth.records import SessionOfSid
from mockidp.oauth.signin import session
from tests.support.issuance import make_idp, scenario


def test_a_started_session_is_found_by_its_id_and_its_public_sid() -> None:
    deps = make_idp(scenario()).provider.deps
    sid = session.start(deps, User(sub="alice", username="alice"))
    found = session.find(deps, sid)
    assert found is not None and found.sub == "alice"
    assert session.public_sid(sid) != sid  # tokens never carry the cookie's value
    by_sid = records.get(deps.state, SessionOfSid, session.public_sid(sid))
    assert by_sid == SessionOfSid(session=sid)


def test_ending_by_id_removes_both_records() -> None:
    deps = make_idp(scenario()).provider.deps
    sid = session.start(deps, User(sub="alice", username="alice"))
    session.end(deps, sid)
    assert session.find(deps, sid) is None
    assert records.get(deps.state, SessionOfSid, session.public_sid(sid)) is None


def test_ending_by_public_sid_ends_that_session_only() -> None:
    deps = make_idp(scenario()).provider.deps
    mine, other = (session.start(deps, User(sub=s, username=s)) for s in ("alice", "bob"))
    session.end_by_public_sid(deps, session.public_sid(mine))
    session.end_by_public_sid(deps, "unknown")  # nothing to end: no error
    assert session.find(deps, mine) is None
    assert session.find(deps, other) is not None


def test_nothing_is_found_for_a_missing_or_odd_id() -> None:
    deps = make_idp(scenario()).provider.deps
    assert session.find(deps, None) is None
    assert session.find(deps, "") is None
    assert session.find(deps, 42) is None
    assert session.find(deps, "no-such-session") is None
