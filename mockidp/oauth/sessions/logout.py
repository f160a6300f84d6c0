"""Logout channels: telling relying parties that the user's session at the OP ended.

Which clients to tell: every client that received a successful authorization response
in the session (:func:`remember`, kept beside the session record). At RP-initiated
logout (:meth:`Provider.end_session`) :func:`plan` turns them into

- front-channel logout (OpenID Connect Front-Channel Logout 1.0): iframes to each
  ``frontchannel_logout_uri``, with ``iss`` and ``sid`` when the client registered
  ``frontchannel_logout_session_required``; ``pages.front_channel_logout_page`` renders
  them before the browser continues to the post_logout_redirect_uri;
- back-channel logout (OpenID Connect Back-Channel Logout 1.0): a signed Logout Token
  (``typ: logout+jwt``; ``sub``, ``sid``, ``events``, never ``nonce``) POSTed to each
  ``backchannel_logout_uri`` by :func:`deliver`, before the logout is answered (so a
  Lambda has sent them before it freezes). A failed delivery (refused, timed out,
  non-2xx) is a :class:`RequestRecord` in the request log and never fails the logout.

``sid`` is the ``sid`` claim of the session's ID tokens (:func:`signin.session.public_sid`).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from msgspec import Struct

from mockidp.model.scenario import Client, User
from mockidp.oauth import records
from mockidp.oauth.deps import Deps
from mockidp.oauth.records import SessionClients, new_jti
from mockidp.oauth.scripted import defects
from mockidp.oauth.signin import session as browser_session
from mockidp.oauth.signin.flow import AuthorizationResponse, AuthorizeResult
from mockidp.oauth.tokens.subjects import subject
from mockidp.oauth.urls import add_query
from mockidp.types import JSONObject

if TYPE_CHECKING:
    pass

BACK_CHANNEL_EVENT = "http://schemas.openid.net/event/backchannel-logout"
LOGOUT_TOKEN_TYPE = "logout+jwt"
LOGOUT_TOKEN_LIFETIME = 120
"""Seconds a Logout Token is valid (Back-Channel Logout 2.4 recommends two minutes at most)."""
BACK_CHANNEL_ENDPOINT = "backchannel_logout"
"""The endpoint name of back-channel deliveries: in the request log (``delivery``), and
what a ``logout_token`` broken-token rule is matched at."""


class BackChannelCall(Struct, frozen=True):
    """One Logout Token to POST to one client."""

    client_id: str
    uri: str
    logout_token: str


class LogoutPlan(Struct, frozen=True):
    """Whom to tell that a session ended: iframe URLs and back-channel POSTs."""

    front_channel: tuple[str, ...] = ()
    back_channel: tuple[BackChannelCall, ...] = ()


def remember(deps: Deps, result: AuthorizeResult) -> None:
    """Note the client of a successful authorization response in its session, if it
    registered a logout URI (the others have nothing to hear: no store write for them)."""
    if not isinstance(result, AuthorizationResponse) or "error" in result.params:
        return
    sid, client_id = result.browser_session, result.client_id
    if sid is None or client_id is None:
        return
    client = deps.client(client_id)
    if client is None or not (client.frontchannel_logout_uri or client.backchannel_logout_uri):
        return
    record = records.get(deps.state, SessionClients, sid) or SessionClients()
    if client_id not in record.clients:
        clients = SessionClients(clients=(*record.clients, client_id))
        records.put(deps.state, sid, clients, ttl=deps.scenario.lifetimes.session)


def plan(deps: Deps, session_id: str | None, issuer: str) -> LogoutPlan:
    """The notifications the end of session ``session_id`` calls for (none if it is gone)."""
    session = browser_session.find(deps, session_id)
    if session is None or session_id is None:
        return LogoutPlan()
    record = records.get(deps.state, SessionClients, session_id) or SessionClients()
    records.delete(deps.state, SessionClients, session_id)
    scenario = deps.scenario
    user = scenario.user_or_adhoc(session.sub)
    sid = browser_session.public_sid(session_id)
    front: list[str] = []
    back: list[BackChannelCall] = []
    for client_id in record.clients:
        client = deps.client(client_id)
        if client is None:  # the scenario changed since the sign-in
            continue
        if client.frontchannel_logout_uri:
            uri = client.frontchannel_logout_uri
            if client.frontchannel_logout_session_required:  # Front-Channel Logout 2
                uri = add_query(uri, {"iss": issuer, "sid": sid})
            front.append(uri)
        if client.backchannel_logout_uri:
            now = int(deps.state.now())
            claims: JSONObject = {
                "iss": issuer,
                "sub": subject(scenario, client, user),
                "aud": client.client_id,
                "iat": now,
                "exp": now + LOGOUT_TOKEN_LIFETIME,
                "jti": new_jti(),
                "events": {BACK_CHANNEL_EVENT: {}},
                "sid": sid,
            }
            token = _logout_token(deps, client, user, claims)
            back.append(BackChannelCall(client.client_id, client.backchannel_logout_uri, token))
    return LogoutPlan(tuple(front), tuple(back))


def _logout_token(deps: Deps, client: Client, user: User | None, claims: JSONObject) -> str:
    """The signed Logout Token, with a ``broken_tokens`` defect if a logout_token rule picks
    this one (each delivery counts as a call)."""
    chosen = {}
    if deps.scenario.broken_tokens:
        chosen = defects.choose(
            deps.state,
            deps.scenario,
            tokens=("logout_token",),
            endpoint=BACK_CHANNEL_ENDPOINT,
            client_id=client.client_id,
            user=user,
            grant_type="",
            scope=(),
            params={},
        )
    defect = chosen.get("logout_token")
    if defect is None:
        return deps.keys.sign(claims, typ=LOGOUT_TOKEN_TYPE)
    damaged = defects.damage(claims, defect, now=int(deps.state.now()), alg=deps.keys.alg)
    token = defects.sign(
        deps.keys, damaged, typ=LOGOUT_TOKEN_TYPE, defect=defect, secret=client.client_secret
    )
    defects.remember(deps.state, token, defect)
    return token
