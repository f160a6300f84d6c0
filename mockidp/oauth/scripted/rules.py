"""Deciding whether a scripted rule (a fault, a broken token) applies to a call.

Selection is a pure function of the rule's call count, so it is the same in every
process: the probability draw for call n comes from a generator seeded with (seed, n).
"""

from __future__ import annotations

import random

from mockidp.model.scenario import CallSelector


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
