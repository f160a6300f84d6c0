"""Reading OAuth parameters (and the origin) from HTTP requests, strictly.

RFC 6749 3.1 and 3.2: parameters sent without a value are treated as omitted, and no
parameter may appear twice. Bodies are capped, must be form-encoded UTF-8, and anything
else is an ``invalid_request`` (never a 500).
"""

from __future__ import annotations

import json
import re
from urllib.parse import unquote

from msgspec import Struct
from starlette.datastructures import Headers
from starlette.requests import Request
from starlette.types import Scope

from mockidp.errors import InvalidRequest
from mockidp.types import Params

MAX_BODY_BYTES = 64 * 1024
MAX_FIELDS = 200
FORM_TYPE = "application/x-www-form-urlencoded"
MULTI_VALUED = frozenset({"resource", "audience"})
"""Parameters that may repeat (RFC 8707 2, RFC 8693 2.1): their values are joined with a
space, which no URI holds (see mockidp.oauth.tokens.resources.split)."""


class RepeatedParameters(InvalidRequest):
    """Some parameters appear more than once (RFC 6749 3.1).

    ``names`` are the repeated ones; ``params`` holds every other parameter, which the
    authorization endpoint needs to decide where the error may be sent.
    """

    def __init__(self, names: tuple[str, ...], params: Params) -> None:
        listed = ", ".join(repr(n) for n in names)
        super().__init__(f"repeated parameters (RFC 6749 3.1): {listed}")
        self.names = frozenset(names)
        self.params = params


def parse_pairs(raw: str) -> Params:
    """Form-encoded ``raw`` as a dict: empty values dropped, duplicates refused.

    The pairs are read as ``urllib.parse.parse_qsl(raw, keep_blank_values=True,
    errors="strict")`` reads them, without its per-pair overhead: every authorization
    and token request comes through here.
    """
    if raw.count("&") >= MAX_FIELDS:
        raise InvalidRequest(f"too many parameters (at most {MAX_FIELDS})")
    params: Params = {}
    repeated: dict[str, None] = {}
    try:
        for pair in raw.split("&"):
            name, _, value = pair.partition("=")
            name = _decoded(name)
            if value == "":
                continue
            value = _decoded(value)
            if name in MULTI_VALUED:
                if " " in value:
                    raise InvalidRequest(f"{name} {value!r} must not contain spaces")
                params[name] = f"{params[name]} {value}" if name in params else value
                continue
            if name in params:
                repeated[name] = None
            params[name] = value
    except UnicodeDecodeError:
        raise InvalidRequest("parameters must be percent-encoded UTF-8") from None
    if repeated:
        others = {k: v for k, v in params.items() if k not in repeated}
        raise RepeatedParameters(tuple(repeated), others)
    return params


def _decoded(encoded: str) -> str:
    """One form-encoded name or value: ``+`` is a space, then percent-decoding (UTF-8)."""
    if "+" in encoded:
        encoded = encoded.replace("+", " ")
    return unquote(encoded, errors="strict") if "%" in encoded else encoded


def is_form(request: Request) -> bool:
    media_type = request.headers.get("content-type", "").partition(";")[0]
    return media_type.strip().lower() == FORM_TYPE


async def read_body(request: Request, limit: int = MAX_BODY_BYTES) -> bytes:
    """The body, refused past ``limit`` bytes without reading it all into memory."""
    declared = request.headers.get("content-length")
    if declared is not None and declared.isdigit() and int(declared) > limit:
        raise InvalidRequest(f"the request body is larger than {limit} bytes")
    chunks: list[bytes] = []
    size = 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > limit:
            raise InvalidRequest(f"the request body is larger than {limit} bytes")
        chunks.append(chunk)
    return b"".join(chunks)


class Parsed(Struct, frozen=True):
    """Parameters as far as they could be read, and why a strict reading refuses them."""

    readable: Params
    """What fault matching sees: repeated parameters left out, nothing when unreadable."""
    error: InvalidRequest | None = None

    def strict(self) -> Params:
        """The parameters (RFC 6749 3.1, 3.2), or the error that makes them unusable."""
        if self.error is not None:
            raise self.error
        return self.readable


def _parse(text: str) -> Parsed:
    try:
        return Parsed(parse_pairs(text))
    except RepeatedParameters as exc:
        return Parsed(exc.params, exc)
    except InvalidRequest as exc:
        return Parsed({}, exc)


class Incoming:
    """One request's input, each part read and parsed at most once.

    Fault matching (before the endpoint runs) and the endpoint share the same bytes and
    the same parse: matching takes :attr:`Parsed.readable`, the endpoint
    :meth:`Parsed.strict`.
    """

    def __init__(self, request: Request) -> None:
        self.request = request
        self._query: Parsed | None = None
        self._body: bytes | InvalidRequest | None = None
        self._form: Parsed | None = None

    def query(self) -> Parsed:
        """The query string's parameters (ASCII: percent-encode the rest)."""
        if self._query is None:
            raw: bytes = self.request.scope.get("query_string", b"")
            try:
                text = raw.decode("ascii")
            except UnicodeDecodeError:
                error = InvalidRequest("the query string must be ASCII (percent-encode the rest)")
                try:
                    readable = _parse(raw.decode("utf-8")).readable
                except UnicodeDecodeError:
                    readable = {}
                self._query = Parsed(readable, error)
            else:
                self._query = _parse(text)
        return self._query

    async def body(self) -> bytes:
        """The body, refused past MAX_BODY_BYTES (the refusal is remembered too)."""
        if self._body is None:
            try:
                self._body = await read_body(self.request)
            except InvalidRequest as exc:
                self._body = exc
        if isinstance(self._body, InvalidRequest):
            raise self._body
        return self._body

    async def form(self) -> Parsed:
        """The form-encoded body's parameters (content type and charset unchecked)."""
        if self._form is None:
            try:
                body = await self.body()
            except InvalidRequest as exc:
                self._form = Parsed({}, exc)
            else:
                try:
                    text = body.decode("utf-8")
                except UnicodeDecodeError:
                    self._form = Parsed({}, InvalidRequest("the body is not valid UTF-8"))
                else:
                    self._form = _parse(text)
        return self._form

    async def readable(self) -> Params:
        """The query's and a POSTed form's parameters as far as they can be read: what
        scripted faults match on. Lenient where endpoints are strict."""
        params = self.query().readable
        if self.request.method == "POST" and is_form(self.request):
            params = {**params, **(await self.form()).readable}
        return params


def query_params(incoming: Incoming) -> Params:
    return incoming.query().strict()


async def form_params(incoming: Incoming) -> Params:
    """The form-encoded body's parameters (RFC 6749 3.2: the token endpoint takes only these)."""
    request = incoming.request
    if not is_form(request):
        got = request.headers.get("content-type") or "none"
        raise InvalidRequest(f"the body must be {FORM_TYPE}, not {got}")
    _, _, options = request.headers.get("content-type", "").partition(";")
    charset = next(
        (
            o.split("=", 1)[1].strip().strip('"').lower()
            for o in options.split(";")
            if o.strip().lower().startswith("charset=")
        ),
        "utf-8",
    )
    if charset not in ("utf-8", "utf8", "us-ascii"):
        raise InvalidRequest(f"the body must be UTF-8, not {charset}")
    return (await incoming.form()).strict()


def _scheme_token(authorization: str | None, scheme: str) -> str | None:
    """The credentials of an ``Authorization: <scheme> <token>`` header (the scheme is
    case-insensitive, RFC 9110 11.1), else None."""
    if not authorization:
        return None
    given, _, token = authorization.partition(" ")
    if given.lower() != scheme:
        return None
    return token.strip() or None


def bearer_token(authorization: str | None) -> str | None:
    """The token of an ``Authorization: Bearer`` header (RFC 6750 2.1), else None."""
    return _scheme_token(authorization, "bearer")


def dpop_token(authorization: str | None) -> str | None:
    """The token of an ``Authorization: DPoP`` header (RFC 9449 7.1), else None."""
    return _scheme_token(authorization, "dpop")


JSON_TYPE = "application/json"


def accepts(accept: str | None, media: str) -> bool:
    """Whether an Accept header asks for ``media`` (with a non-zero q; a malformed q is
    ignored, as if absent)."""
    for item in (accept or "").split(","):
        name, *params = (part.strip() for part in item.split(";"))
        if name.lower() != media.lower():
            continue
        q = next((p[2:] for p in params if p.lower().startswith("q=")), "1")
        try:
            if float(q) > 0:
                return True
        except ValueError:
            return True
    return False


def is_json(request: Request) -> bool:
    media_type = request.headers.get("content-type", "").partition(";")[0].strip().lower()
    return media_type == JSON_TYPE or media_type.endswith("+json")


def json_pairs(body: bytes, *, strip_keys: bool = False) -> Params:
    """A JSON object body as parameters: strings kept, numbers and booleans as text,
    nulls and empty strings dropped (as empty form values are); anything else refused."""
    try:
        data = json.loads(body.decode("utf-8"))
    except (UnicodeDecodeError, ValueError):
        raise InvalidRequest("the body is not valid UTF-8 JSON") from None
    if not isinstance(data, dict):
        raise InvalidRequest("the JSON body must be an object")
    if len(data) > MAX_FIELDS:
        raise InvalidRequest(f"too many parameters (at most {MAX_FIELDS})")
    params: Params = {}
    for raw_name, value in data.items():
        name = raw_name.strip() if strip_keys else raw_name
        if value is None or value == "":
            continue
        if isinstance(value, bool):
            value = "true" if value else "false"
        elif isinstance(value, int | float):
            value = str(value)
        elif not isinstance(value, str):
            raise InvalidRequest(f"parameter {name!r} must be a string")
        if name in params:
            raise RepeatedParameters((name,), {k: v for k, v in params.items() if k != name})
        params[name] = value
    return params


async def body_params(
    incoming: Incoming,
    *,
    merge_query: bool = False,
    accept_json: bool = False,
    strip_json_keys: bool = False,
) -> Params:
    """A back-channel request's parameters: the form body (RFC 6749 3.2), and as a
    preset's quirks allow, a JSON object body and the query string (the body wins)."""
    request = incoming.request
    if not (merge_query or accept_json) or is_form(request):
        body = await form_params(incoming)
    elif accept_json and is_json(request):
        raw = await incoming.body()
        body = json_pairs(raw, strip_keys=strip_json_keys) if raw.strip() else {}
    elif merge_query:  # SuperOffice clients send every parameter in the query, body empty
        if await incoming.body():
            got = request.headers.get("content-type") or "none"
            raise InvalidRequest(f"the body must be {FORM_TYPE}, not {got}")
        body = {}
    else:
        body = await form_params(incoming)  # refuses the content type as usual
    if not merge_query:
        return body
    return {**query_params(incoming), **body}


_HOST = re.compile(r"[A-Za-z0-9.\-]+(:\d{1,5})?|\[[0-9A-Fa-f:.]+\](:\d{1,5})?")


def request_origin(scope: Scope, headers: Headers) -> str:
    """scheme://host[:port][root_path] of a request: the issuer when none is configured."""
    host = headers.get("host")
    if host is None:
        server = scope.get("server") or ("localhost", None)
        name = f"[{server[0]}]" if ":" in str(server[0]) else str(server[0])
        host = f"{name}:{server[1]}" if server[1] else name
    match = _HOST.fullmatch(host)
    port = (match.group(1) or match.group(2)) if match else None
    if match is None or (port is not None and int(port[1:]) > 65535):
        raise InvalidRequest("the Host header is not a valid host name")
    root = str(scope.get("root_path") or "").rstrip("/")
    return f"{scope.get('scheme', 'http')}://{host}{root}"


def route_path(scope: Scope) -> str:
    """The request's path without the root path (what layouts and prefixes match)."""
    path: str = scope["path"]
    root: str = scope.get("root_path") or ""
    if root and path.startswith(root):
        path = path[len(root) :] or "/"
    return path
