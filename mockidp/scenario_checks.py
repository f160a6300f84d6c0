"""What the JSON Schema cannot say: URIs, cross-references, combinations.

Run on a document that already passed the schema; each problem is reported through
``problem(path, message)`` so it carries the location and line of its place.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Any
from urllib.parse import urlsplit

from mockidp.errors import ScenarioProblem
from mockidp.keys import TokenVerificationError, client_key_set
from mockidp.layout import GENERIC_PATHS
from mockidp.scenario import SECRET_METHODS, STANDARD_SCOPES
from mockidp.token_formats import parse_template
from mockidp.types import JSONObject

Problem = Callable[[tuple[str | int, ...], str], ScenarioProblem]

ANSWER_KINDS = (
    "oauth_error",
    "http_status",
    "malformed_body",
    "truncate_body",
    "content_type",
    "drop_connection",
)
SELECTORS = ("nth", "every", "from", "first", "probability")


def semantic_problems(data: JSONObject, problem: Problem) -> list[ScenarioProblem]:
    found: list[ScenarioProblem] = []
    found += _issuer(data, problem)
    found += _clients(data, problem)
    found += _users(data, problem)
    found += _behaviour(data, problem)
    found += _keys(data, problem)
    found += _rules(data, problem)
    return found


def _is_absolute_uri(uri: str) -> bool:
    parts = urlsplit(uri)
    return bool(parts.scheme) and (bool(parts.netloc) or parts.scheme not in ("http", "https"))


def _issuer(data: JSONObject, problem: Problem) -> list[ScenarioProblem]:
    issuer = data.get("issuer")
    if issuer is None:
        return []
    parts = urlsplit(issuer)
    if parts.scheme not in ("http", "https") or not parts.netloc or parts.query or parts.fragment:
        return [problem(("issuer",), "must be an http(s) URL with no query or fragment")]
    return []


def _clients(data: JSONObject, problem: Problem) -> list[ScenarioProblem]:
    found: list[ScenarioProblem] = []
    scopes = set(STANDARD_SCOPES) | set(data.get("scopes", []))
    seen: set[str] = set()
    for i, client in enumerate(data.get("clients", [])):
        cid = client["client_id"]
        if cid in seen:
            found.append(problem(("clients", i, "client_id"), f"duplicate client_id {cid!r}"))
        seen.add(cid)
        for field in ("redirect_uris", "post_logout_redirect_uris"):
            for j, uri in enumerate(client.get(field, [])):
                if not _is_absolute_uri(uri) or "#" in uri:
                    found.append(
                        problem(
                            ("clients", i, field, j),
                            "must be an absolute URI with no fragment (RFC 6749 3.1.2)",
                        )
                    )
        method = client.get(
            "token_endpoint_auth_method",
            "client_secret_basic" if "client_secret" in client else "none",
        )
        if method in SECRET_METHODS and "client_secret" not in client:
            found.append(problem(("clients", i), f"{method} needs a client_secret"))
        if method == "none" and "client_secret" in client:
            found.append(
                problem(
                    ("clients", i, "client_secret"),
                    "a public client (token_endpoint_auth_method: none) has no secret",
                )
            )
        if method == "private_key_jwt":
            if "jwks" not in client:
                found.append(problem(("clients", i), "private_key_jwt needs jwks"))
            else:
                try:
                    client_key_set(client["jwks"])
                except TokenVerificationError as exc:
                    found.append(problem(("clients", i, "jwks"), str(exc)))
        for j, scope in enumerate(client.get("scopes", [])):
            if scope not in scopes:
                found.append(
                    problem(
                        ("clients", i, "scopes", j),
                        f"unknown scope {scope!r}; add it to the top-level scopes",
                    )
                )
    return found


def _logins(data: JSONObject) -> set[str]:
    users = data.get("users", [])
    return {u["sub"] for u in users} | {u.get("username", u["sub"]) for u in users}


def _users(data: JSONObject, problem: Problem) -> list[ScenarioProblem]:
    found: list[ScenarioProblem] = []
    seen: set[str] = set()
    for i, user in enumerate(data.get("users", [])):
        if user["sub"] in seen:
            found.append(problem(("users", i, "sub"), f"duplicate sub {user['sub']!r}"))
        seen.add(user["sub"])
    default_user = data.get("default_user")
    if default_user is not None and default_user not in _logins(data):
        found.append(problem(("default_user",), f"no user {default_user!r} in users"))
    return found


def _behaviour(data: JSONObject, problem: Problem) -> list[ScenarioProblem]:
    found: list[ScenarioProblem] = []
    for name in ("access_token_template", "refresh_token_template"):
        if name in data:
            try:
                parse_template(data[name])
            except ValueError as exc:
                found.append(problem((name,), str(exc)))
    if "access_token_template" in data and data.get("access_token_format") != "opaque":
        found.append(problem(("access_token_template",), "needs access_token_format: opaque"))
    for name in data.get("endpoints", {}):
        if name not in GENERIC_PATHS:
            found.append(
                problem(("endpoints", name), f"unknown endpoint; known: {', '.join(GENERIC_PATHS)}")
            )
    clock = data.get("clock", {})
    if isinstance(clock.get("at"), str):
        try:
            parsed = datetime.fromisoformat(clock["at"].replace("Z", "+00:00"))
            if parsed.tzinfo is None:
                raise ValueError
        except ValueError:
            found.append(
                problem(
                    ("clock", "at"), "must be epoch seconds or an ISO 8601 date-time with an offset"
                )
            )
    return found


def _keys(data: JSONObject, problem: Problem) -> list[ScenarioProblem]:
    found: list[ScenarioProblem] = []
    kids: set[str] = set()
    for i, key in enumerate(data.get("keys", [])):
        if ("packaged" in key) == ("jwk" in key):
            found.append(problem(("keys", i), "give exactly one of packaged or jwk"))
        if "kid" in key:
            if key["kid"] in kids:
                found.append(problem(("keys", i, "kid"), f"duplicate kid {key['kid']!r}"))
            kids.add(key["kid"])
    if "signing_key" in data and data["signing_key"] not in kids:
        found.append(problem(("signing_key",), f"no key with kid {data['signing_key']!r} in keys"))
    for i, step in enumerate(data.get("key_rotation", [])):
        for action in ("publish", "sign_with", "retire"):
            if action in step and step[action] not in kids:
                found.append(
                    problem(
                        ("key_rotation", i, action),
                        f"no key with kid {step[action]!r} in keys (give keys a kid)",
                    )
                )
    return found


def _rules(data: JSONObject, problem: Problem) -> list[ScenarioProblem]:
    found: list[ScenarioProblem] = []
    clients = {c["client_id"] for c in data.get("clients", [])}
    logins = _logins(data)
    for i, rule in enumerate(data.get("consent_rules", [])):
        found += _references(
            ("consent_rules", i), rule.get("client_id"), rule.get("user"), clients, logins, problem
        )
    for section in ("faults", "broken_tokens"):
        for i, rule in enumerate(data.get(section, [])):
            match: dict[str, Any] = rule.get("match", {})
            found += _references(
                (section, i, "match"),
                match.get("client_id"),
                match.get("user"),
                clients,
                logins,
                problem,
            )
            for endpoint in _listed(match.get("endpoint")):
                if endpoint not in GENERIC_PATHS:
                    found.append(
                        problem(
                            (section, i, "match", "endpoint"),
                            f"unknown endpoint {endpoint!r}; known: {', '.join(GENERIC_PATHS)}",
                        )
                    )
            chosen = [s for s in SELECTORS if s in rule.get("when", {})]
            if len(chosen) > 1:
                found.append(problem((section, i, "when"), f"choose one of {', '.join(chosen)}"))
            if "seed" in rule.get("when", {}) and "probability" not in rule.get("when", {}):
                found.append(problem((section, i, "when", "seed"), "seed goes with probability"))
        if section == "faults":
            for i, rule in enumerate(data.get(section, [])):
                answers = [k for k in ANSWER_KINDS if k in rule["respond"]]
                if len(answers) > 1:
                    found.append(
                        problem(
                            ("faults", i, "respond"),
                            f"choose one of {', '.join(answers)} (latency_ms may go with it)",
                        )
                    )
    return found


def _listed(value: Any) -> list[str]:
    if value is None:
        return []
    return list(value) if isinstance(value, list) else [value]


def _references(
    path: tuple[str | int, ...],
    client_id: Any,
    user: Any,
    clients: set[str],
    logins: set[str],
    problem: Problem,
) -> list[ScenarioProblem]:
    found: list[ScenarioProblem] = []
    for cid in _listed(client_id):
        if cid not in clients:
            found.append(problem((*path, "client_id"), f"no client {cid!r} in clients"))
    for login in _listed(user):
        if login not in logins:
            found.append(problem((*path, "user"), f"no user {login!r} in users"))
    return found
