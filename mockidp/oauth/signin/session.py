"""A browser's session at the provider: the one place that starts, finds and ends it.

A session is two records: ``Session`` under its id (the cookie's value: who signed in,
and when) and ``SessionOfSid`` under its public sid (the ``sid`` claim its tokens
carry), so a logout that holds only a token finds the session it came from. Sign-in,
the device page and every logout go through here, so the two records never drift apart.
"""

from __future__ import annotations

from functools import lru_cache

from mockidp.model.scenario import User
from mockidp.oauth import records
from mockidp.oauth.deps import Deps
from mockidp.oauth.records import Session, SessionOfSid, random_token, token_handle


@lru_cache(maxsize=4096)  # a pure function, asked about five times per sign-in
def public_sid(session_id: str) -> str:
    """The ``sid`` claim of a session: derived from its id, never the cookie value itself.

    ID tokens travel through browsers and logs (``id_token_hint``); the session id in
    the cookie is a credential, so tokens carry a one-way hash of it instead.
    """
    return token_handle("sid:" + session_id)[:32]


def start(deps: Deps, user: User) -> str:
    """A new session of ``user``, signed in now; its id is the cookie's value. With
    ``sessions: false`` it only lives long enough to carry one authorization."""
    session_id = random_token(24)
    scenario = deps.scenario
    lifetimes = scenario.lifetimes
    ttl = lifetimes.session if scenario.sessions else lifetimes.interaction
    session = Session(sub=user.sub, auth_time=int(deps.state.now()))
    records.put(deps.state, session_id, session, ttl=ttl)
    # tokens carry the public sid only; a logout by token finds its session here
    records.put(deps.state, public_sid(session_id), SessionOfSid(session=session_id), ttl=ttl)
    return session_id


def find(deps: Deps, session_id: object) -> Session | None:
    """The live session of this id (a cookie's value, or anything a form sent), or None."""
    if not isinstance(session_id, str) or not session_id:
        return None
    return records.get(deps.state, Session, session_id)


def end(deps: Deps, session_id: str) -> None:
    """End the session: its cookie and its tokens' sid find nothing any more."""
    records.delete(deps.state, Session, session_id)
    records.delete(deps.state, SessionOfSid, public_sid(session_id))


def end_by_public_sid(deps: Deps, sid: str) -> None:
    """End the session whose tokens carry ``sid``, if it still lives."""
    found = records.get(deps.state, SessionOfSid, sid)
    if found is not None:
        end(deps, found.session)
