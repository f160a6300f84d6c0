"""Google's ``access_type=offline`` (Google's "Using OAuth 2.0 for Web Server
Applications": refresh the access token, offline access).

Google apps never send ``offline_access``: ``access_type=offline`` asks for a refresh
token instead. Google gives one when the user first consents to the app; a later
sign-in gets none unless it sends ``prompt=consent`` (the user consents again). mockidp
remembers, per client and user, that an offline grant was given, for as long as a
refresh token lives.
"""

from __future__ import annotations

from mockidp.model.scenario import Scenario
from mockidp.oauth import records
from mockidp.oauth.records import Offline
from mockidp.store.state import State
from mockidp.types import Params


def asks_offline(scenario: Scenario, params: Params) -> bool:
    """Whether an authorization request asks for a refresh token with ``access_type``."""
    return scenario.quirks.access_type_offline and params.get("access_type") == "offline"


def refresh_for_offline(
    state: State,
    scenario: Scenario,
    *,
    client_id: str,
    sub: str,
    prompt: tuple[str, ...],
    ttl: float,
) -> bool:
    """At a code's issue: whether this offline request gets a refresh token (first
    consent, or ``prompt=consent``); remembers that it did."""
    ident = f"{client_id} {sub}"
    if records.get(state, Offline, ident) is not None and "consent" not in prompt:
        return False
    records.put(state, ident, Offline(), ttl=ttl)
    return True
