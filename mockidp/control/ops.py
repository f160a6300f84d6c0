"""The test-control API's building blocks (ControlError, Route) and its scenario, user,
client and fault operations (the clock, state and tokens are in control_runtime).

Each operation takes a parsed :class:`~mockidp.control.api.ControlCall` and returns a
response; :data:`mockidp.control.routes.ROUTES` routes to it. Scenario edits work on the document of the scenario in force
(:func:`~mockidp.scenario.dump.dump_scenario`) and load the result whole: a document
that does not load changes nothing.
"""

from __future__ import annotations

import json
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING, Any

from starlette.responses import Response

from mockidp.errors import ScenarioError
from mockidp.model.scenario import Scenario
from mockidp.scenario.dump import dump_client, dump_fault, dump_scenario, dump_user
from mockidp.scenario.loader import parse_scenario
from mockidp.types import JSONObject

if TYPE_CHECKING:
    from mockidp.control.api import ControlCall

PREFIX = "/_mockidp"
JSON_TYPES = ("application/json",)
YAML_TYPES = ("application/yaml", "application/x-yaml", "text/yaml", "text/x-yaml")


class ControlError(Exception):
    """A control call refused: rendered as ``{error, error_description[, problems]}``."""

    def __init__(
        self,
        status: int,
        error: str,
        description: str,
        *,
        problems: list[JSONObject] | None = None,
        headers: Mapping[str, str] | None = None,
    ) -> None:
        super().__init__(description)
        self.status = status
        self.error = error
        self.description = description
        self.problems = problems
        self.headers = dict(headers or {})


Handler = Callable[["ControlCall"], Awaitable[Response]]


@dataclass(frozen=True)
class Route:
    """One operation: method, path under the prefix (``{name}`` only as the last segment,
    taking the rest of the path), handler, and what the OpenAPI document says of it.

    ``request`` / ``response`` name schemas of the document's components (None: no body).
    """

    method: str
    path: str
    handler: Handler
    summary: str
    request: str | None = None
    request_types: tuple[str, ...] = JSON_TYPES
    request_required: bool = True
    response: str | None = None
    status: int = 200
    also: tuple[int, ...] = ()
    """Other success statuses, with the same response body (201 for a PUT that creates)."""
    errors: tuple[int, ...] = ()
    query: tuple[tuple[str, str, bool], ...] = ()
    """(name, description, whether an integer) of each query parameter."""
    description: str = field(default="")

    @property
    def params(self) -> tuple[str, ...]:
        return tuple(p.strip("{}") for p in self.path.split("/") if p.startswith("{"))

    def match(self, path: str) -> dict[str, str] | None:
        """The path parameters if ``path`` (under the prefix) is this route's, else None."""
        if not self.params:
            return {} if path == self.path else None
        head = self.path[: self.path.index("{")]
        rest = path[len(head) :]
        return {self.params[0]: rest} if path.startswith(head) and rest else None


def ok(data: Any, status: int = 200, headers: Mapping[str, str] | None = None) -> Response:
    """A JSON answer. ASCII-escaped: whatever text it holds, rendering cannot fail."""
    body = json.dumps(data, separators=(",", ":")).encode("ascii")
    return Response(body, status, dict(headers or {}), media_type="application/json")


def no_content() -> Response:
    return Response(b"", status_code=204)


# -- index and document ------------------------------------------------------------------


async def index(call: ControlCall) -> Response:
    return ok(
        {
            "name": "mockidp test-control API",
            "openapi": f"{call.base_url}{PREFIX}/openapi.json",
            "inspector": f"{call.base_url}{PREFIX}/inspector",  # the debugging web page
            "admin_token_required": call.control.protected,
            "operations": [
                {"method": r.method, "path": PREFIX + r.path, "summary": r.summary}
                for r in call.control.routes
            ],
        }
    )


async def openapi(call: ControlCall) -> Response:
    from mockidp.control.openapi import openapi_document

    return ok(openapi_document(call.control.routes, call.base_url, call.control.protected))


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


@dataclass(frozen=True)
class Collection:
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
