"""The test-control API's operations on time and state: the clock, reset, the request
log, and minting tokens. Routed by :data:`mockidp.control.routes.ROUTES`."""

from __future__ import annotations

import math
from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any

from starlette.responses import Response

from mockidp.control.base import ControlCall, ControlError, no_content, ok
from mockidp.oauth.tokens.scopes import requested_scopes
from mockidp.requestlog import RequestRecord
from mockidp.types import JSONObject

# -- the clock ---------------------------------------------------------------------------


def _clock_state(call: ControlCall) -> JSONObject:
    now = call.provider.clock.now()
    return {
        "now": now,
        "iso": datetime.fromtimestamp(now, UTC).isoformat().replace("+00:00", "Z"),
        "frozen": call.provider.clock.frozen,
    }


LATEST = 253402300799.0
"""9999-12-31T23:59:59Z: the clock stays between the epoch and here."""


def _in_range(at: float, name: str) -> float:
    if not 0 <= at <= LATEST:
        raise ControlError(
            400,
            "invalid_request",
            f"{name} must fall between 1970 and 9999 (epoch 0 to {LATEST:.0f})",
        )
    return at


def _instant(value: Any, name: str) -> float:
    """Epoch seconds from a number or an ISO 8601 date-time with an offset."""
    if isinstance(value, bool):
        raise ControlError(400, "invalid_request", f"{name} must be epoch seconds or a date-time")
    if isinstance(value, int | float) and math.isfinite(value):
        return _in_range(float(value), name)
    if isinstance(value, str):
        try:
            parsed = datetime.fromisoformat(value.replace("Z", "+00:00"))
        except ValueError:
            parsed = None
        if parsed is not None and parsed.tzinfo is not None:
            return _in_range(parsed.timestamp(), name)
    raise ControlError(
        400, "invalid_request", f"{name} must be epoch seconds or an ISO 8601 date-time with offset"
    )


async def get_clock(call: ControlCall) -> Response:
    return ok(_clock_state(call))


_CLOCK_ACTIONS = ("advance", "freeze", "unfreeze", "reset", "set")


async def move_clock(call: ControlCall) -> Response:
    body = call.json_object()
    actions = [a for a in _CLOCK_ACTIONS if a in body]
    unknown = sorted(set(body) - {*_CLOCK_ACTIONS, "at", "frozen"})
    if len(actions) != 1 or unknown:
        raise ControlError(
            400,
            "invalid_request",
            "send exactly one of {advance: seconds}, {freeze: true, at?}, {unfreeze: true}, "
            "{reset: true}, {set: at, frozen?}"
            + (f"; unknown keys: {', '.join(unknown)}" if unknown else ""),
        )
    action = actions[0]
    value = body[action]
    clock = call.provider.clock
    if ("at" in body and action != "freeze") or ("frozen" in body and action != "set"):
        raise ControlError(400, "invalid_request", "at goes with freeze, frozen with set")
    if action == "advance":
        if isinstance(value, bool) or not isinstance(value, int | float):
            raise ControlError(400, "invalid_request", "advance is a number of seconds")
        if not math.isfinite(value) or abs(value) > 100 * 365 * 24 * 3600:
            raise ControlError(400, "invalid_request", "advance is at most 100 years either way")
        _in_range(clock.now() + value, "the clock after advance")
        clock.advance(float(value))
    elif action == "set":
        frozen = body.get("frozen", False)
        if not isinstance(frozen, bool):
            raise ControlError(400, "invalid_request", "frozen is true or false")
        clock.set(_instant(value, "set"), frozen=frozen)
    elif value is not True:
        raise ControlError(400, "invalid_request", f"{action} takes true")
    elif action == "freeze":
        clock.freeze(_instant(body["at"], "at") if "at" in body else None)
    elif action == "unfreeze":
        clock.unfreeze()
    else:
        clock.reset()
    return ok(_clock_state(call))


# -- state, requests, tokens -------------------------------------------------------------


async def reset(call: ControlCall) -> Response:
    body = call.json_object(required=False)
    unknown = sorted(set(body) - {"scenario", "clock"})
    if unknown or not all(isinstance(v, bool) for v in body.values()):
        raise ControlError(400, "invalid_request", "the body is {scenario?: bool, clock?: bool}")
    if body.get("scenario"):
        call.provider.use_scenario(call.control.initial_scenario)
    if body.get("clock"):
        call.provider.clock.reset()
    call.provider.reset()
    call.control.requests.clear()
    call.control.journal.clear()  # the inspector's decoded tokens go too
    return no_content()


def record_json(record: RequestRecord) -> JSONObject:
    out: JSONObject = {}
    for name in record.__struct_fields__:  # names only: structs.fields resolves types
        value = getattr(record, name)
        out[name] = dict(value) if isinstance(value, Mapping) else value
    return out


async def list_requests(call: ControlCall) -> Response:
    raw = call.query.get("limit", "100")
    if not raw.isdigit() or not 1 <= int(raw) <= 10_000:
        raise ControlError(400, "invalid_request", "limit is a whole number from 1 to 10000")
    endpoint = call.query.get("endpoint")
    # Oldest first, as the Python log iterates: the last ``limit`` matching records.
    records = [r for r in call.control.requests.records if endpoint in (None, r.endpoint)]
    return ok({"requests": [record_json(r) for r in records[-int(raw) :]]})


async def clear_requests(call: ControlCall) -> Response:
    call.control.requests.clear()
    return no_content()


async def mint_tokens(call: ControlCall) -> Response:
    body = call.json_object()
    unknown = sorted(set(body) - {"client_id", "user", "scope", "nonce"})
    bad = [
        k
        for k in ("client_id", "user", "scope", "nonce")
        if k in body and not isinstance(body[k], str)
    ]
    if unknown or bad or "client_id" not in body:
        raise ControlError(
            400,
            "invalid_request",
            "the body is {client_id, user?, scope?, nonce?}, all strings"
            + (f"; unknown keys: {', '.join(unknown)}" if unknown else ""),
        )
    provider = call.provider
    scenario = provider.scenario
    client = provider.client(body["client_id"])
    if client is None:
        raise ControlError(400, "invalid_request", f"unknown client_id {body['client_id']!r}")
    user = None
    if "user" in body:
        user = scenario.user(body["user"])
        if user is None:
            raise ControlError(400, "invalid_request", f"unknown user {body['user']!r}")
    scope = requested_scopes(scenario, client, body.get("scope", "openid" if user else ""))
    tokens = provider.mint(
        client,
        user,
        scope,
        issuer=provider.issuer_for(call.base_url),
        nonce=body.get("nonce"),
        grant_type="control",
    )
    return ok(tokens)
