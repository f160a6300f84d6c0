"""Key rotation: the phases a scenario's ``key_rotation`` timeline passes through.

OpenID Connect Core 10.1.1: the signer starts using a new key, signalled by its ``kid``,
and the JWK Set keeps recently retired keys for a while. A timeline scripts when each
key is published, signs and is retired; :func:`key_timeline` also says where a timeline
signs with a key the JWKS does not list.
"""

from __future__ import annotations

from collections.abc import Sequence
from itertools import groupby

from msgspec import Struct

from mockidp.model.scenario import RotationStep


class KeyPhase(Struct, frozen=True):
    """The keys in force from ``start`` seconds into a rotation timeline.

    ``published`` lists the JWKS's kids: the signing key first while it is published.
    """

    start: int
    signing: str
    published: tuple[str, ...]


def key_timeline(
    kids: Sequence[str], signing: str, steps: Sequence[RotationStep]
) -> tuple[list[KeyPhase], list[tuple[int | None, str]]]:
    """The phases a rotation timeline passes through, and what is odd about it.

    A key with a ``publish`` step is unpublished until that step; every other key is
    published from the start. Steps run in order of ``after`` (ties in listed order).
    Problems are ``(index of the step, message)``; index None means the initial
    signing key. Raises ValueError for a step naming a kid not in ``kids``.
    """
    order = {kid: i for i, kid in enumerate(kids)}
    for step in steps:
        if step.kid not in order:
            raise ValueError(f"key_rotation names kid {step.kid!r}, which is not a key")
    if signing not in order:
        raise ValueError(f"signing key {signing!r} is not a key")
    deferred = {s.kid for s in steps if s.action == "publish"}
    published = {kid for kid in kids if kid not in deferred}
    signer = signing
    phases: list[KeyPhase] = []
    problems: list[tuple[int | None, str]] = []

    def snapshot(start: int) -> KeyPhase:
        listed = sorted(published, key=order.__getitem__)
        if signer in published:
            listed.remove(signer)
            listed.insert(0, signer)
        return KeyPhase(start, signer, tuple(listed))

    def check_signer(group: list[tuple[int, RotationStep]], at: int) -> None:
        if signer in published:
            return
        for index, step in group:
            if step.kid == signer and step.action == "sign_with":
                problems.append((index, f"{signer!r} is not published at {at}s; publish it first"))
                return
        for index, step in group:
            if step.kid == signer and step.action == "retire":
                problems.append(
                    (index, f"retires {signer!r} while it signs; switch with sign_with first")
                )
                return
        problems.append((None, f"signing key {signer!r} is not published at {at}s"))

    indexed = sorted(enumerate(steps), key=lambda pair: pair[1].after)
    for after, grouped in groupby(indexed, key=lambda pair: pair[1].after):
        group = list(grouped)
        if not phases and after > 0:
            phases.append(snapshot(0))
            check_signer([], 0)
        for index, step in group:
            if step.action == "publish":
                if step.kid in published:
                    problems.append((index, f"{step.kid!r} is already published at {after}s"))
                published.add(step.kid)
            elif step.action == "retire":
                if step.kid not in published:
                    problems.append((index, f"{step.kid!r} is not published at {after}s"))
                published.discard(step.kid)
            else:
                signer = step.kid
        phases.append(snapshot(after))
        check_signer(group, after)
    if not phases:
        phases.append(snapshot(0))
        check_signer([], 0)
    return phases, problems
