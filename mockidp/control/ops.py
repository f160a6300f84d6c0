"""The test-control API's scenario, user, client and fault operations (the clock, state
and tokens are in :mod:`mockidp.control.runtime`).

Each operation takes a parsed :class:`~mockidp.control.base.ControlCall` and returns a
response; :data:`mockidp.control.routes.ROUTES` routes to it. Scenario edits work on the
document of the scenario in force (:func:`~mockidp.scenario.dump.dump_scenario`) and
load the result whole: a document that does not load changes nothing.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

from msgspec import Struct
from msgspec.structs import replace
from starlette.responses import Response

from mockidp.control.base import (
    JSON_TYPES,
    PREFIX,
    YAML_TYPES,
    ControlCall,
    ControlError,
    Handler,
    no_content,
    ok,
)
from mockidp.errors import ScenarioError
from mockidp.model.scenario import Scenario
from mockidp.scenario.dump import dump_client, dump_fault, dump_scenario, dump_user
from mockidp.scenario.loader import parse_scenario
from mockidp.types import JSONObject

# -- the scenario ------------------------------------------------------------------------


def _build(doc: JSONObject, source: str) -> Scenario:
    """``doc`` loaded; problems keep their location but not a line (the JSON is generated)."""
    try:
        return parse_scenario(json.dumps(doc), name=source)
    except ScenarioError as exc:
        problems = [replace(p, line=None) for p in exc.problems]
        raise ScenarioError(problems, source=source) from None


def _edit(call: ControlCall, doc: JSONObject, what: str, *, keep_time: bool = True) -> Scenario:
    scenario = _build(doc, f"control API ({what})")
    call.provider.use_scenario(scenario, keep_time=keep_time)
    return scenario


async def get_scenario(call: ControlCall) -> Response:
    return ok(dump_scenario(call.provider.scenario))


async def put_scenario(call: ControlCall) -> Response:
    scenario = read_scenario(call)
    current = call.provider.scenario.issuer
    if scenario.issuer is None and current is not None:  # a configured issuer (--issuer) stays
        scenario = replace(scenario, issuer=current)
    call.provider.use_scenario(scenario)
    return ok(dump_scenario(scenario))


def read_scenario(call: ControlCall) -> Scenario:
    """The body as a scenario document, JSON or YAML (a ScenarioError lists its problems)."""
    kind = call.content_type
    if kind in JSON_TYPES or kind.endswith("+json"):
        name = f"{PREFIX}/scenario.json"
    elif kind in YAML_TYPES or not kind:
        name = f"{PREFIX}/scenario.yaml"
    else:
        raise ControlError(415, "invalid_request", f"send JSON or YAML, not {kind}")
    try:
        text = call.body.decode("utf-8")
    except UnicodeDecodeError:
        raise ControlError(400, "invalid_request", "the body is not valid UTF-8") from None
    if not text.strip():
        raise ControlError(400, "invalid_request", "the request needs a scenario document")
    try:
        return parse_scenario(text, name=name)
    except RecursionError:
        raise ControlError(400, "invalid_request", "the document is nested too deeply") from None


async def patch_scenario(call: ControlCall) -> Response:
    patch = call.json_object()
    doc = dump_scenario(call.provider.scenario)
    for key, value in patch.items():
        if value is None:
            doc.pop(key, None)
        else:
            doc[key] = value
    scenario = _edit(call, doc, "PATCH", keep_time="clock" not in patch)
    return ok(dump_scenario(scenario))


# -- users and clients -------------------------------------------------------------------


class Collection(Struct, frozen=True):
    """A list of the scenario (``users``, ``clients``) edited item by item, by its id."""

    key: str
    id_field: str
    dump: Callable[[Any], JSONObject]

    def items(self, call: ControlCall) -> list[JSONObject]:
        return [self.dump(item) for item in getattr(call.provider.scenario, self.key)]

    def find(self, items: list[JSONObject], ident: str) -> int | None:
        return next((i for i, item in enumerate(items) if item[self.id_field] == ident), None)

    def save(self, call: ControlCall, items: list[JSONObject], what: str) -> Scenario:
        doc = dump_scenario(call.provider.scenario)
        doc[self.key] = items
        return _edit(call, doc, what)

    def saved(self, scenario: Scenario, ident: str) -> JSONObject:
        item = next(i for i in getattr(scenario, self.key) if getattr(i, self.id_field) == ident)
        return self.dump(item)

    def unknown(self, ident: str) -> ControlError:
        return ControlError(404, "not_found", f"no {self.key[:-1]} with {self.id_field} {ident!r}")


USERS = Collection("users", "sub", dump_user)
CLIENTS = Collection("clients", "client_id", dump_client)


def _item(call: ControlCall, coll: Collection, ident: str | None) -> JSONObject:
    body = call.json_object()
    given = body.get(coll.id_field)
    if ident is not None and given is not None and given != ident:
        raise ControlError(
            400, "invalid_request", f"{coll.id_field} {given!r} differs from the path's {ident!r}"
        )
    if ident is not None:
        body[coll.id_field] = ident
    if not isinstance(body.get(coll.id_field), str):
        raise ControlError(400, "invalid_request", f"{coll.id_field} is missing")
    return body


def list_handler(coll: Collection) -> Handler:
    async def handler(call: ControlCall) -> Response:
        return ok({coll.key: coll.items(call)})

    handler.__name__ = f"list_{coll.key}"
    return handler


def get_handler(coll: Collection) -> Handler:
    async def handler(call: ControlCall) -> Response:
        items = coll.items(call)
        index = coll.find(items, call.params[coll.id_field])
        if index is None:
            raise coll.unknown(call.params[coll.id_field])
        return ok(items[index])

    handler.__name__ = f"get_{coll.key[:-1]}"
    return handler


def add_handler(coll: Collection) -> Handler:
    async def handler(call: ControlCall) -> Response:
        item = _item(call, coll, None)
        ident = item[coll.id_field]
        items = coll.items(call)
        if coll.find(items, ident) is not None:
            raise ControlError(
                409, "conflict", f"a {coll.key[:-1]} with {coll.id_field} {ident!r} exists; PUT it"
            )
        scenario = coll.save(call, [*items, item], f"POST {coll.key}")
        return ok(coll.saved(scenario, ident), 201)

    handler.__name__ = f"add_{coll.key[:-1]}"
    return handler


def put_handler(coll: Collection) -> Handler:
    async def handler(call: ControlCall) -> Response:
        ident = call.params[coll.id_field]
        item = _item(call, coll, ident)
        items = coll.items(call)
        index = coll.find(items, ident)
        if index is None:
            items.append(item)
        else:
            items[index] = item
        scenario = coll.save(call, items, f"PUT {coll.key}/{ident}")
        return ok(coll.saved(scenario, ident), 201 if index is None else 200)

    handler.__name__ = f"put_{coll.key[:-1]}"
    return handler


def delete_handler(coll: Collection) -> Handler:
    async def handler(call: ControlCall) -> Response:
        ident = call.params[coll.id_field]
        items = coll.items(call)
        index = coll.find(items, ident)
        if index is None:
            raise coll.unknown(ident)
        del items[index]
        coll.save(call, items, f"DELETE {coll.key}/{ident}")
        return no_content()

    handler.__name__ = f"delete_{coll.key[:-1]}"
    return handler


# -- faults ------------------------------------------------------------------------------


async def list_faults(call: ControlCall) -> Response:
    return ok({"faults": [dump_fault(f) for f in call.provider.scenario.faults]})


async def add_fault(call: ControlCall) -> Response:
    fault = call.json_object()
    doc = dump_scenario(call.provider.scenario)
    doc["faults"] = [*doc.get("faults", []), fault]
    scenario = _edit(call, doc, "POST faults")
    return ok(dump_fault(scenario.faults[-1]), 201)


async def clear_faults(call: ControlCall) -> Response:
    doc = dump_scenario(call.provider.scenario)
    doc.pop("faults", None)
    _edit(call, doc, "DELETE faults")
    return no_content()
