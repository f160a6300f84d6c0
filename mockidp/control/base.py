"""What every test-control operation is built from: the call, the route, the error, the answer.

An operation takes a :class:`ControlCall` and returns a response; :class:`Route` says
where it is served and what the OpenAPI document says of it. A call reaches the app
through :class:`ControlContext`, a small protocol of what operations read and change, so
the operations import this module and never the control API's shell
(:mod:`mockidp.control.api`) that routes to them.
"""

from __future__ import annotations

import json
from collections.abc import Awaitable, Callable, Mapping
from typing import Any, Protocol

from msgspec import Struct, field
from starlette.requests import Request
from starlette.responses import Response

from mockidp.control.inspector.audits import AuditShelf
from mockidp.control.inspector.journal import TokenJournal
from mockidp.control.tenants import TenantRegistry
from mockidp.model.scenario import Scenario
from mockidp.oauth.provider import Provider
from mockidp.requestlog import RequestLog
from mockidp.types import JSONObject

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


class ControlContext(Protocol):
    """The app a control call changes: its provider, records and tenants."""

    @property
    def provider(self) -> Provider: ...

    @property
    def routes(self) -> tuple[Route, ...]:
        """The operations this app's control API serves."""
        ...

    @property
    def protected(self) -> bool:
        """Whether calls need the admin token."""
        ...

    @property
    def initial_scenario(self) -> Scenario:
        """What ``POST /reset {"scenario": true}`` returns to."""
        ...

    @property
    def requests(self) -> RequestLog:
        """The request log ``GET /requests`` reads."""
        ...

    @property
    def journal(self) -> TokenJournal:
        """The inspector's journal of tokens handed out (a reset forgets it)."""
        ...

    @property
    def tenants(self) -> TenantRegistry | None:
        """The app's tenants (None: it serves none)."""
        ...

    @property
    def audits(self) -> AuditShelf:
        """The last relying-party audit that reported here (a reset keeps it)."""
        ...


class ControlCall(Struct):
    """One control request, parsed: what an operation receives."""

    control: ControlContext
    request: Request
    params: dict[str, str]
    """Path parameters (``{sub}``), percent-decoded."""
    body: bytes
    base_url: str
    """scheme://host[:port][root_path] of the request, for links and the issuer."""
    query: dict[str, str] = field(default_factory=dict)

    @property
    def provider(self) -> Provider:
        return self.control.provider

    @property
    def content_type(self) -> str:
        return self.request.headers.get("content-type", "").split(";")[0].strip().lower()

    def json(self, *, required: bool = True) -> Any:
        """The body as JSON; ControlError 400 when it is not (or is absent but required)."""
        if not self.body.strip():
            if required:
                raise ControlError(400, "invalid_request", "the request needs a JSON body")
            return None
        if self.content_type and not (
            self.content_type == "application/json" or self.content_type.endswith("+json")
        ):
            raise ControlError(
                415, "invalid_request", f"send application/json, not {self.content_type}"
            )
        return parse_json(self.body)

    def json_object(self, *, required: bool = True) -> dict[str, Any]:
        """The body as a JSON object; ``{}`` when there is none and none is ``required``."""
        if not required and not self.body.strip():
            return {}
        data = self.json()
        if not isinstance(data, dict):
            raise ControlError(400, "invalid_request", "the body must be a JSON object")
        return data


def parse_json(body: bytes) -> Any:
    try:
        text = body.decode("utf-8")
    except UnicodeDecodeError:
        raise ControlError(400, "invalid_request", "the body is not valid UTF-8") from None
    try:
        data = json.loads(text, parse_constant=_no_constant)
        json.dumps(data, ensure_ascii=False).encode("utf-8")  # no lone surrogates (\ud800)
        return data
    except UnicodeEncodeError:
        raise ControlError(
            400, "invalid_request", "the body holds a lone UTF-16 surrogate"
        ) from None
    except json.JSONDecodeError as exc:
        raise ControlError(400, "invalid_request", f"the body is not valid JSON: {exc}") from None
    except (RecursionError, ValueError) as exc:
        raise ControlError(400, "invalid_request", f"the body is not usable JSON: {exc}") from None


def _no_constant(name: str) -> Any:
    raise ValueError(f"{name} is not JSON")


Handler = Callable[[ControlCall], Awaitable[Response]]


class Route(Struct, frozen=True):
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
    public: bool = False
    """Answered without the admin token: only the audit's attacker key routes, which the
    app under audit must reach with no credentials (docs/audit.md)."""

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
