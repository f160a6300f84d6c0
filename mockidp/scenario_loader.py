"""Load scenario files: parse (YAML or JSON) with line numbers, validate, build the model.

Every problem is collected and reported at once, each with its location
(``clients[1].redirect_uris[0]``) and, where the file gives one, its line.
"""

from __future__ import annotations

import difflib
import json
from collections.abc import Mapping
from functools import cache
from importlib import resources
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import yaml
from jsonschema import Draft202012Validator

from mockidp.errors import ScenarioError, ScenarioProblem
from mockidp.keys import TokenVerificationError, client_key_set
from mockidp.scenario import SECRET_METHODS, STANDARD_SCOPES, Client, Lifetimes, Scenario, User
from mockidp.scenario_schema import SCENARIO_SCHEMA
from mockidp.types import JSONObject

PathKey = tuple[str | int, ...]

_VALIDATOR = Draft202012Validator(SCENARIO_SCHEMA)


def location(path: PathKey) -> str:
    """``("clients", 1, "redirect_uris", 0)`` -> ``clients[1].redirect_uris[0]``."""
    out = ""
    for part in path:
        out += f"[{part}]" if isinstance(part, int) else (f".{part}" if out else str(part))
    return out


class _Source:
    """Parsed data plus the line of every key and list item."""

    def __init__(self, data: Any, lines: dict[PathKey, int], problems: list[ScenarioProblem]):
        self.data = data
        self.lines = lines
        self.problems = problems

    def problem(self, path: PathKey, message: str) -> ScenarioProblem:
        line = None
        for cut in range(len(path), -1, -1):  # the nearest enclosing place that has a line
            line = self.lines.get(path[:cut])
            if line is not None:
                break
        return ScenarioProblem(location(path), message, line)


def _walk_lines(
    node: yaml.Node, path: PathKey, lines: dict[PathKey, int], problems: list[ScenarioProblem]
) -> None:
    lines[path] = node.start_mark.line + 1
    if isinstance(node, yaml.MappingNode):
        seen: set[str] = set()
        for key_node, value_node in node.value:
            key = str(key_node.value)
            if key in seen:
                problems.append(
                    ScenarioProblem(
                        location((*path, key)), "duplicate key", key_node.start_mark.line + 1
                    )
                )
            seen.add(key)
            _walk_lines(value_node, (*path, key), lines, problems)
            lines[(*path, key)] = key_node.start_mark.line + 1
    elif isinstance(node, yaml.SequenceNode):
        for index, item in enumerate(node.value):
            _walk_lines(item, (*path, index), lines, problems)


def _parse(text: str, name: str) -> _Source:
    problems: list[ScenarioProblem] = []
    lines: dict[PathKey, int] = {}
    if name.endswith(".json"):
        # Read JSON as YAML (for lines and duplicate keys). A literal tab can only be
        # whitespace in valid JSON, but YAML refuses tabs as indentation: make it a space.
        text = text.replace("\t", " ")
    try:
        # One parse gives both the node tree (for lines) and the data built from it:
        # what yaml.safe_load and yaml.compose would each do, without reading twice.
        loader = yaml.SafeLoader(text)
        try:
            node = loader.get_single_node()
            if node is not None:  # walked before construction flattens merge keys (<<)
                _walk_lines(node, (), lines, problems)
            data = loader.construct_document(node) if node is not None else None
        finally:
            loader.dispose()
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        line = mark.line + 1 if mark is not None else None
        reason = getattr(exc, "problem", None) or str(exc)
        if name.endswith(".json"):  # a JSON file PyYAML cannot read may still be valid JSON
            try:
                return _Source(json.loads(text), {}, [])
            except json.JSONDecodeError as jexc:
                raise ScenarioError(
                    [ScenarioProblem("", jexc.msg, jexc.lineno)], source=name
                ) from None
        raise ScenarioError(
            [ScenarioProblem("", f"not valid YAML: {reason}", line)], source=name
        ) from None
    if data is None:
        data = {}
    return _Source(data, lines, problems)


def _schema_problems(src: _Source) -> list[ScenarioProblem]:
    found: list[ScenarioProblem] = []
    for error in sorted(_VALIDATOR.iter_errors(src.data), key=lambda e: list(map(str, e.path))):
        path: PathKey = tuple(error.absolute_path)
        if error.validator == "additionalProperties" and isinstance(error.instance, dict):
            known = list(error.schema.get("properties", {}))
            for key in error.instance:
                if key not in known:
                    close = difflib.get_close_matches(str(key), known, n=1)
                    hint = (
                        f"; did you mean {close[0]!r}?"
                        if close
                        else f"; known keys: {', '.join(known)}"
                    )
                    found.append(src.problem((*path, key), f"unknown key{hint}"))
            continue
        if error.validator == "not" and error.validator_value == {"required": ["sub"]}:
            found.append(src.problem((*path, "sub"), "put sub beside claims, not inside them"))
            continue
        found.append(src.problem(path, error.message))
    return found


def _is_absolute_uri(uri: str) -> bool:
    parts = urlsplit(uri)
    return bool(parts.scheme) and (bool(parts.netloc) or parts.scheme not in ("http", "https"))


def _semantic_problems(src: _Source) -> list[ScenarioProblem]:
    data: JSONObject = src.data
    found: list[ScenarioProblem] = []
    scopes = set(STANDARD_SCOPES) | set(data.get("scopes", []))
    issuer = data.get("issuer")
    if issuer is not None:
        parts = urlsplit(issuer)
        if (
            parts.scheme not in ("http", "https")
            or not parts.netloc
            or parts.query
            or parts.fragment
        ):
            found.append(
                src.problem(("issuer",), "must be an http(s) URL with no query or fragment")
            )
    seen_clients: set[str] = set()
    for i, client in enumerate(data.get("clients", [])):
        cid = client["client_id"]
        if cid in seen_clients:
            found.append(src.problem(("clients", i, "client_id"), f"duplicate client_id {cid!r}"))
        seen_clients.add(cid)
        for field in ("redirect_uris", "post_logout_redirect_uris"):
            for j, uri in enumerate(client.get(field, [])):
                if not _is_absolute_uri(uri) or "#" in uri:
                    found.append(
                        src.problem(
                            ("clients", i, field, j),
                            "must be an absolute URI with no fragment (RFC 6749 3.1.2)",
                        )
                    )
        method = client.get(
            "token_endpoint_auth_method",
            "client_secret_basic" if "client_secret" in client else "none",
        )
        if method in SECRET_METHODS and "client_secret" not in client:
            found.append(src.problem(("clients", i), f"{method} needs a client_secret"))
        if method == "none" and "client_secret" in client:
            found.append(
                src.problem(
                    ("clients", i, "client_secret"),
                    "a public client (token_endpoint_auth_method: none) has no secret",
                )
            )
        if method == "private_key_jwt":
            if "jwks" not in client:
                found.append(src.problem(("clients", i), "private_key_jwt needs jwks"))
            else:
                try:
                    client_key_set(client["jwks"])
                except TokenVerificationError as exc:
                    found.append(src.problem(("clients", i, "jwks"), str(exc)))
        for j, scope in enumerate(client.get("scopes", [])):
            if scope not in scopes:
                found.append(
                    src.problem(
                        ("clients", i, "scopes", j),
                        f"unknown scope {scope!r}; add it to the top-level scopes",
                    )
                )
    seen_users: set[str] = set()
    for i, user in enumerate(data.get("users", [])):
        if user["sub"] in seen_users:
            found.append(src.problem(("users", i, "sub"), f"duplicate sub {user['sub']!r}"))
        seen_users.add(user["sub"])
    default_user = data.get("default_user")
    if default_user is not None:
        logins = {u["sub"] for u in data.get("users", [])} | {
            u.get("username", u["sub"]) for u in data.get("users", [])
        }
        if default_user not in logins:
            found.append(src.problem(("default_user",), f"no user {default_user!r} in users"))
    return found


def _build(data: JSONObject, source: str) -> Scenario:
    clients = tuple(_build_client(c) for c in data.get("clients", []))
    users = tuple(
        User(
            sub=u["sub"],
            username=u.get("username", u["sub"]),
            password=u.get("password"),
            claims=dict(u.get("claims", {})),
        )
        for u in data.get("users", [])
    )
    extra_scopes = [s for s in data.get("scopes", []) if s not in STANDARD_SCOPES]
    return Scenario(
        issuer=data.get("issuer"),
        signing_alg=data.get("signing_alg", "RS256"),
        login=data.get("login", "auto"),
        consent=data.get("consent", "auto"),
        default_user=data.get("default_user"),
        refresh_tokens=data.get("refresh_tokens", "offline_access"),
        refresh_rotation=data.get("refresh_rotation", True),
        refresh_reuse_detection=data.get("refresh_reuse_detection", True),
        scopes=(*STANDARD_SCOPES, *extra_scopes),
        lifetimes=Lifetimes(**data.get("lifetimes", {})),
        clients=clients,
        users=users,
        source=source,
    )


def _build_client(c: JSONObject) -> Client:
    method = c.get(
        "token_endpoint_auth_method", "client_secret_basic" if "client_secret" in c else "none"
    )
    scopes = c.get("scopes")
    return Client(
        client_id=c["client_id"],
        client_secret=c.get("client_secret"),
        name=str(c.get("name", c["client_id"])),
        redirect_uris=tuple(c.get("redirect_uris", ())),
        post_logout_redirect_uris=tuple(c.get("post_logout_redirect_uris", ())),
        grant_types=tuple(c.get("grant_types", ("authorization_code", "refresh_token"))),
        token_endpoint_auth_method=method,
        scopes=tuple(scopes) if scopes is not None else None,
        loopback_redirects=c.get("loopback_redirects", False),
        require_pkce=c.get("require_pkce", False) or method == "none",
        jwks=c.get("jwks"),
        access_token_audience=c.get("access_token_audience"),
    )


def check_scenario_text(text: str, *, name: str = "<inline>") -> list[ScenarioProblem]:
    """Every problem in a scenario document, without building it (``mockidp validate``)."""
    try:
        src = _parse(text, name)
    except ScenarioError as exc:
        return exc.problems
    return _problems(src)


def _problems(src: _Source) -> list[ScenarioProblem]:
    if not isinstance(src.data, dict):
        return [ScenarioProblem("", "a scenario is a mapping of keys to values", 1)]
    schema = _schema_problems(src)
    # Semantic checks assume the schema holds; run them only on a well-formed document.
    return src.problems + schema + ([] if schema else _semantic_problems(src))


def parse_scenario(text: str, *, name: str = "<inline>") -> Scenario:
    """Build a scenario from YAML or JSON text; raises ScenarioError listing every problem."""
    src = _parse(text, name)
    problems = _problems(src)
    if problems:
        raise ScenarioError(problems, source=name)
    return _build(src.data, name)


@cache
def default_scenario() -> Scenario:
    """The embedded default scenario (``scenarios/default.yaml``), parsed once."""
    text = (
        resources.files("mockidp").joinpath("scenarios").joinpath("default.yaml").read_text("utf-8")
    )
    return parse_scenario(text, name="default.yaml (embedded)")


def load_scenario(source: str | Path | Mapping[str, Any] | Scenario | None = None) -> Scenario:
    """A scenario from a file path, a mapping, a Scenario, or None for the embedded default."""
    if source is None:
        return default_scenario()
    if isinstance(source, Scenario):
        return source
    if isinstance(source, Mapping):
        return parse_scenario(json.dumps(dict(source)), name="<mapping>")
    path = Path(source)
    try:
        text = path.read_text("utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise ScenarioError(
            [ScenarioProblem("", f"cannot read the file: {exc}")], source=str(path)
        ) from None
    return parse_scenario(text, name=str(path))
