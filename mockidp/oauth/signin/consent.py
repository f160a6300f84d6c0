"""Consent: who decides for a request, and what a user has already approved.

The decision for one authorization comes from the first of these that says anything:

1. ``consent_rules``, in order: the first rule whose ``client_id``, ``user`` and
   ``scopes`` all match the request wins (absent fields match anything; ``scopes``
   matches a request asking for any one of them);
2. the user's ``consent``;
3. the client's ``consent``;
4. the scenario's ``consent``.

What the decision does (:func:`consent_step`):

- ``deny``: the authorization ends in ``access_denied`` without a page, whatever the
  ``prompt`` (the scripted answer needs no user);
- ``auto``: approved without a page, unless the request says ``prompt=consent``;
- ``page``: the consent page, unless ``remember_consent`` holds and earlier approvals of
  this user for this client cover every requested scope (``prompt=consent`` always asks).
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Literal

from mockidp.model.scenario import Client, ConsentMode, ConsentRule, Scenario, User
from mockidp.oauth import records
from mockidp.oauth.records import Consent
from mockidp.store.state import State

ConsentStep = Literal["approve", "page", "deny"]


def decision(scenario: Scenario, client: Client, user: User, scopes: Iterable[str]) -> ConsentMode:
    """The scripted consent decision: first matching rule, then user, client, scenario."""
    wanted = tuple(scopes)
    for rule in scenario.consent_rules:
        if _matches(scenario, rule, client, user, wanted):
            return rule.decision
    if user.consent is not None:
        return user.consent
    if client.consent is not None:
        return client.consent
    return scenario.consent


def _matches(
    scenario: Scenario, rule: ConsentRule, client: Client, user: User, scopes: tuple[str, ...]
) -> bool:
    if rule.client_id is not None and rule.client_id != client.client_id:
        return False
    if rule.user is not None:
        named = scenario.named_user(rule.user)  # a sub, username or email, as in faults
        if (named.sub if named is not None else rule.user) != user.sub:
            return False
    return not rule.scopes or any(scope in scopes for scope in rule.scopes)


def consent_step(
    state: State,
    scenario: Scenario,
    client: Client,
    user: User,
    scopes: tuple[str, ...],
    prompt: tuple[str, ...],
) -> ConsentStep:
    """What the consent step of one authorization does."""
    decided = decision(scenario, client, user, scopes)
    if decided == "deny":
        return "deny"
    if "consent" in prompt:
        return "page"
    if decided == "auto" or (scenario.remember_consent and _covered(state, client, user, scopes)):
        return "approve"
    return "page"


def remember(
    state: State, scenario: Scenario, client: Client, user: User, scopes: tuple[str, ...]
) -> None:
    """Record an approval on the consent page (adding to earlier ones), if the scenario remembers."""
    if not scenario.remember_consent:
        return
    key = _key(client, user)
    earlier = records.get(state, Consent, key) or Consent()
    approved = Consent(scope=tuple(dict.fromkeys([*earlier.scope, *scopes])))
    records.put(state, key, approved, ttl=scenario.lifetimes.session)


def _covered(state: State, client: Client, user: User, scopes: tuple[str, ...]) -> bool:
    remembered = records.get(state, Consent, _key(client, user))
    return remembered is not None and set(scopes) <= set(remembered.scope)


def _key(client: Client, user: User) -> str:
    return f"{user.sub}:{client.client_id}"
