"""The one rule engine of scripted misbehaviour: ``faults`` and ``broken_tokens`` alike.

A rule has a ``match`` (which calls it is about) and a ``when`` (which of those calls).
For each call, rule by rule in the order the section lists them (:func:`applying`):

1. :func:`matches` compares the rule's ``match`` with the call's :class:`Facts`; a key
   means the same in every section (``user``: a subject, username or email);
2. a rule that matches counts the call (:func:`count`): one counter per rule, kept in the
   State, so every process and Lambda container on one store agrees, and
   ``Provider.reset()`` starts the counts again; a call a rule does not match is not
   counted;
3. :func:`selected` decides from that count whether the rule applies to this call.

Selection is a pure function of the count, so it is the same in every process: the
probability draw for call n comes from a generator seeded with (seed, n).
"""

from __future__ import annotations

import hashlib
import random
from collections.abc import Collection, Iterable, Mapping
from typing import Literal, Protocol, TypeVar

from mockidp.model.scenario import CallSelector, RequestMatch, Scenario, User
from mockidp.oauth.records import BROKEN_TOKEN_CALLS, FAULT_CALLS, UNTIL_RESET
from mockidp.store.state import State

Section = Literal["faults", "broken_tokens"]
"""A scenario section of rules; each counts in a State kind of its own."""

COUNTER_KINDS: dict[Section, str] = {"faults": FAULT_CALLS, "broken_tokens": BROKEN_TOKEN_CALLS}


class Facts(Protocol):
    """What a call (a request, or an issuance of tokens) says about itself, as a rule's
    ``match`` asks it. :func:`matches` asks for ``client_id``, ``scopes`` and ``user``
    last and only when the rule names them: they may need a store look-up."""

    @property
    def endpoint(self) -> str:
        """The endpoint called (the one that issues, for tokens)."""

    @property
    def grant_type(self) -> str | None:
        """The token request's ``grant_type`` (``implicit`` for the authorization
        endpoint's tokens)."""

    @property
    def params(self) -> Mapping[str, str]:
        """The request's parameters."""

    @property
    def client_id(self) -> str | None:
        """The client that calls, or that the code or token presented was issued to."""

    @property
    def scopes(self) -> tuple[str, ...]:
        """The scopes asked for, or carried by the code or token presented."""

    @property
    def user(self) -> User | None:
        """The user the call is about; one not in the scenario has its login as ``sub``."""


class Rule(Protocol):
    """A rule of any section: which calls (``match``), and which of those (``when``)."""

    @property
    def match(self) -> RequestMatch: ...

    @property
    def when(self) -> CallSelector: ...


R = TypeVar("R", bound=Rule)


def applying(
    state: State,
    scenario: Scenario,
    section: Section,
    rules: Iterable[tuple[int, R]],
    facts: Facts,
) -> list[R]:
    """The rules that apply to this call, in the order given; every rule that matches
    counts the call, whether or not it is selected (or another rule is).

    ``rules`` are pairs of (index in ``section``, rule): the index keeps two equal rules
    of one section on counters of their own.
    """
    found: list[R] = []
    for index, rule in rules:
        if not matches(scenario, rule.match, facts):
            continue
        number = count(state, section, index, rule) if counts_calls(rule.when) else 1
        if selected(rule.when, number):
            found.append(rule)
    return found


def matches(scenario: Scenario, match: RequestMatch, facts: Facts) -> bool:
    """Whether a call with these facts is one ``match`` is about (empty keys: any)."""
    if match.endpoints and facts.endpoint not in match.endpoints:
        return False
    if match.grant_types and facts.grant_type not in match.grant_types:
        return False
    if any(facts.params.get(name) != value for name, value in match.params.items()):
        return False
    if match.client_ids and facts.client_id not in match.client_ids:
        return False
    if match.scopes and not set(match.scopes) & set(facts.scopes):
        return False
    return not match.users or names_user(scenario, match.users, facts.user)


def names_user(scenario: Scenario, names: Collection[str], user: User | None) -> bool:
    """Whether one of ``names`` names ``user``.

    A name names the user it would sign in as (:meth:`Scenario.named_user`: subject,
    username, else email); a name no scripted user answers to names the user with that
    subject (one who typed it on the login page).
    """
    if user is None:
        return False
    for name in names:
        named = scenario.named_user(name)
        if (named.sub if named is not None else name) == user.sub:
            return True
    return False


def counter_id(index: int, rule: Rule) -> str:
    """The counter of the ``index``-th rule of its section: a scenario swapped in with
    other rules counts afresh, and every process loading the same file shares it."""
    digest = hashlib.sha256(repr(rule).encode("utf-8")).hexdigest()[:16]
    return f"{index}:{digest}"


def count(state: State, section: Section, index: int, rule: Rule) -> int:
    """Count one more matching call of the rule: this call's number, from 1."""
    kind = COUNTER_KINDS[section]
    return state.increment(kind, counter_id(index, rule), ttl=UNTIL_RESET)


def counted(state: State, section: Section, index: int, rule: Rule) -> int:
    """How many matching calls the rule has counted so far (0: none)."""
    record = state.get(COUNTER_KINDS[section], counter_id(index, rule))
    return int(record["n"]) if record is not None else 0


def selected(when: CallSelector, count: int) -> bool:
    """Whether the ``count``-th matching call (from 1) is one ``when`` picks."""
    if when.nth is not None:
        return count == when.nth
    if when.every is not None:
        return count % when.every == 0
    if when.from_ is not None:
        return count >= when.from_
    if when.first is not None:
        return count <= when.first
    if when.probability is not None:
        draw = random.Random(f"{when.seed or 0}:{count}").random()
        return draw < when.probability
    return True


def counts_calls(when: CallSelector) -> bool:
    """Whether ``when`` needs the call count at all (a rule for every call does not)."""
    return when != CallSelector()
