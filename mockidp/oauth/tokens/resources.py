"""Resource indicators (RFC 8707): which resources a token may be for, and its audience.

``resource`` may repeat; :mod:`mockidp.http.input` joins repeated values with a space
(a space is never part of a URI). Each value must be an absolute URI without a fragment
(RFC 8707 2) and allowed: by the client's ``resources`` when it lists them, else by the
scenario's; when neither lists any, every absolute URI is allowed.

A code or refresh token remembers the resources granted at the authorization request
(or first token request); a later token request may name a subset (section 2.2), and
the access token's ``aud`` is what it names, else everything granted.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence

from mockidp.errors import InvalidTarget
from mockidp.model.scenario import Client, Scenario

SEPARATOR = " "
_SCHEME = re.compile(r"[A-Za-z][A-Za-z0-9+.\-]*:")


def split(value: str | None) -> tuple[str, ...]:
    """The values of a (possibly repeated) parameter, in order, without duplicates."""
    if not value:
        return ()
    return tuple(dict.fromkeys(v for v in value.split(SEPARATOR) if v))


def allowed_for(scenario: Scenario, client: Client) -> tuple[str, ...] | None:
    """The resources ``client`` may ask for; None: any absolute URI."""
    return client.resources if client.resources is not None else scenario.resources


def check_allowed(
    scenario: Scenario, client: Client, targets: Sequence[str], *, name: str = "resource"
) -> None:
    allowed = allowed_for(scenario, client)
    if allowed is None:
        return
    refused = [t for t in targets if t not in allowed]
    if refused:
        listed = ", ".join(allowed) or "none"
        raise InvalidTarget(
            f"{name} {', '.join(refused)} is not allowed for client {client.client_id!r} "
            f"(allowed: {listed})",
            reason="resource",
        )


def requested(scenario: Scenario, client: Client, params: Mapping[str, str]) -> tuple[str, ...]:
    """The ``resource`` values of a request, each checked (RFC 8707 2): an absolute URI,
    no fragment, allowed for the client. Raises ``invalid_target``."""
    values = split(params.get("resource"))
    for alias in scenario.quirks.resource_parameter_aliases:  # Auth0's audience: any string
        values = (*values, *(v for v in split(params.get(alias)) if v not in values))
    for value in split(params.get("resource")):
        if _SCHEME.match(value) is None:
            raise InvalidTarget(f"resource {value!r} must be an absolute URI (RFC 8707 2)")
        if "#" in value:
            raise InvalidTarget(f"resource {value!r} must not contain a fragment (RFC 8707 2)")
    check_allowed(scenario, client, values)
    return values


def token_targets(
    scenario: Scenario, client: Client, params: Mapping[str, str], granted: Sequence[str]
) -> tuple[str, ...]:
    """The resources an access token is for: those requested, which must be among
    ``granted`` when the grant has any (RFC 8707 2.2); else everything granted."""
    asked = requested(scenario, client, params)
    if not asked:
        return tuple(granted)
    if granted:
        wider = [r for r in asked if r not in granted]
        if wider:
            raise InvalidTarget(
                f"resource {', '.join(wider)} was not granted (granted: {', '.join(granted)})",
                reason="resource",
            )
    return asked


def audience(targets: Sequence[str]) -> str | list[str] | None:
    """An ``aud`` claim for ``targets``: one string, a list, or None for none."""
    if not targets:
        return None
    return targets[0] if len(targets) == 1 else list(targets)
