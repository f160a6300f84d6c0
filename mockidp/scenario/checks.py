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
from mockidp.keys.material import resolve_key
from mockidp.keys.timeline import key_timeline
from mockidp.keys.verify import TokenVerificationError, client_key_set
from mockidp.model.layout import Layout
from mockidp.model.response_types import registration_problems
from mockidp.model.scenario import JWT_BEARER_GRANT, SECRET_METHODS, STANDARD_SCOPES, RotationStep
from mockidp.model.token_formats import parse_template
from mockidp.presets import base_paths, known_endpoints
from mockidp.presets.superoffice import PRINCIPAL_ENUMS
from mockidp.types import JSONObject

Problem = Callable[[tuple[str | int, ...], str], ScenarioProblem]

ANSWER_KINDS = (
    "oauth_error",
    "http_status",
    "malformed_body",
    "truncate_body",
    "content_type",
    "drop_connection",
    "redirect_state",
)
SELECTORS = ("nth", "every", "from", "first", "probability")


def semantic_problems(
    data: JSONObject, problem: Problem, *, invalid: frozenset[str] = frozenset()
) -> list[ScenarioProblem]:
    """Every cross-section problem. ``invalid`` names the top-level keys that failed the
    schema: a check reading any of them is skipped (it could not trust their shape), the
    others still run, so one ``validate`` reports as much as it can at once."""
    found: list[ScenarioProblem] = []
    for check, reads in _CHECKS:
        if not (reads & invalid):
            found += check(data, problem)
    return found


def _is_absolute_uri(uri: str) -> bool:
    parts = urlsplit(uri)
    return bool(parts.scheme) and (bool(parts.netloc) or parts.scheme not in ("http", "https"))


def logout_uri_problems(client: JSONObject) -> list[tuple[str, str]]:
    """Front- and back-channel logout URIs: http(s), no fragment; the front-channel one at
    a redirect URI's scheme, host and port (Front-Channel Logout 1.0 section 2)."""
    found: list[tuple[str, str]] = []
    for field in ("frontchannel_logout_uri", "backchannel_logout_uri"):
        uri = client.get(field)
        if uri is None:
            continue
        parts = urlsplit(uri)
        if parts.scheme not in ("http", "https") or not parts.hostname or "#" in uri:
            found.append((field, "must be an absolute http(s) URI with no fragment"))
        elif field == "frontchannel_logout_uri":
            origins = {_origin(r) for r in client.get("redirect_uris", [])}
            free = client.get("loopback_redirects") or client.get("loopback_ports")
            loopback = bool(free) and parts.hostname in (
                "127.0.0.1",
                "::1",
                "localhost",
            )
            if _origin(uri) not in origins and not loopback:
                found.append(
                    (field, "must have the scheme, host and port of one of the redirect_uris")
                )
    return found


def _origin(uri: str) -> tuple[str, str, int | None]:
    parts = urlsplit(uri)
    try:
        port = parts.port
    except ValueError:
        port = -1
    default = {"http": 80, "https": 443}.get(parts.scheme.lower())
    return parts.scheme.lower(), (parts.hostname or ""), default if port is None else port


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
        for field, message in logout_uri_problems(client):
            found.append(problem(("clients", i, field), message))
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
        for j, message in registration_problems(client):
            found.append(problem(("clients", i, "response_types", j), message))
        for j, scope in enumerate(client.get("scopes", [])):
            if scope not in scopes:
                found.append(
                    problem(
                        ("clients", i, "scopes", j),
                        f"unknown scope {scope!r}; add it to the top-level scopes",
                    )
                )
    return found


def _pushed_requests(data: JSONObject, problem: Problem) -> list[ScenarioProblem]:
    """Requiring pushed authorization requests needs the PAR endpoint (RFC 9126 5)."""
    flag = "require_pushed_authorization_requests"
    wanted: list[tuple[str | int, ...]] = [(flag,)] if data.get(flag) else []
    for i, client in enumerate(data.get("clients", [])):
        if client.get(flag):
            wanted.append(("clients", i, flag))
    if not wanted:
        return []
    known = known_endpoints()
    changes = {k: v for k, v in data.get("endpoints", {}).items() if k in known}
    try:
        layout = Layout(base_paths(data)).overlaid(changes)
    except ValueError:  # reported by _behaviour
        return []
    if layout.has("pushed_authorization_request"):
        return []
    message = "needs the pushed_authorization_request endpoint, which this layout lacks"
    return [problem(path, message) for path in wanted]


def _logins(data: JSONObject) -> set[str]:
    users = data.get("users", [])
    return {u["sub"] for u in users} | {u.get("username", u["sub"]) for u in users}


def _named_users(data: JSONObject) -> set[str]:
    """What a rule's ``user`` may be: a sub, a username or an email of a listed user."""
    emails = {u.get("claims", {}).get("email") for u in data.get("users", [])}
    return _logins(data) | {e for e in emails if isinstance(e, str)}


def _users(data: JSONObject, problem: Problem) -> list[ScenarioProblem]:
    found: list[ScenarioProblem] = []
    seen: set[str] = set()
    for i, user in enumerate(data.get("users", [])):
        if user["sub"] in seen:
            found.append(problem(("users", i, "sub"), f"duplicate sub {user['sub']!r}"))
        seen.add(user["sub"])
    return found  # default_user: mockidp.scenario.names


def _principals(data: JSONObject, problem: Problem) -> list[ScenarioProblem]:
    """A user's ``current_principal`` (SuperOffice) holds enum members the vendor's client
    can parse: any other value it drops, so a typo would pass silently."""
    found: list[ScenarioProblem] = []
    for i, user in enumerate(data.get("users", [])):
        principal = user.get("claims", {}).get("current_principal")
        if not isinstance(principal, dict):
            continue
        for member, allowed in PRINCIPAL_ENUMS.items():
            value = principal.get(member)
            if member in principal and value not in allowed:
                path = ("users", i, "claims", "current_principal", member)
                found.append(problem(path, f"{value!r} is not one of {', '.join(allowed)}"))
    return found


def _device(data: JSONObject, problem: Problem) -> list[ScenarioProblem]:
    """device.user names a user; a scripted approve has someone to approve as."""
    found: list[ScenarioProblem] = []
    logins = _logins(data)
    top: JSONObject = data.get("device", {})
    sections: list[tuple[tuple[str | int, ...], JSONObject, JSONObject]] = [(("device",), top, top)]
    for i, client in enumerate(data.get("clients", [])):
        if "device" in client:  # its keys over the scenario's
            own = client["device"]
            sections.append((("clients", i, "device"), own, {**top, **own}))
    for path, own, device in sections:
        user = device.get("user")
        if "user" in own and user not in logins:
            found.append(problem((*path, "user"), f"no user {user!r} in users"))
        elif device.get("decision") == "approve" and user is None and not data.get("default_user"):
            found.append(
                problem((*path, "decision"), "approve needs device.user or a default_user")
            )
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
    endpoints: dict[str, str | None] = data.get("endpoints", {})
    known = known_endpoints()  # a preset's own endpoints may be moved or switched off too
    for name, path in endpoints.items():  # unknown names: mockidp.scenario.names
        if name not in known:
            continue
        if path is not None and ("?" in path or "#" in path):
            found.append(problem(("endpoints", name), "a path has no query or fragment"))
        elif path is None and name in ("login", "consent"):
            # The sign-in flow needs its pages whenever a user must act; to never show
            # them, script login: auto and consent: auto instead.
            found.append(
                problem(
                    ("endpoints", name), f"the {name} page cannot be switched off; it can be moved"
                )
            )
    try:
        Layout(base_paths(data)).overlaid({k: v for k, v in endpoints.items() if k in known})
    except ValueError as exc:
        found.append(problem(("endpoints",), str(exc)))
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
    resolved: list[JSONObject] = []
    for i, key in enumerate(data.get("keys", [])):
        kid = key.get("kid")
        if ("packaged" in key) == ("jwk" in key):
            found.append(problem(("keys", i), "give exactly one of packaged or jwk"))
        else:
            try:
                jwk = resolve_key(
                    packaged=key.get("packaged"),
                    jwk=key.get("jwk"),
                    kid=kid,
                    alg=key.get("alg"),
                )
            except ValueError as exc:
                found.append(problem(("keys", i, "jwk" if "jwk" in key else "alg"), str(exc)))
            else:
                resolved.append(jwk)
                kid = jwk["kid"]  # the JWK's own kid, or its thumbprint
        if kid is not None:
            if kid in kids:
                where = ("keys", i, "kid") if "kid" in key else ("keys", i)
                found.append(problem(where, f"duplicate kid {kid!r}"))
            kids.add(kid)
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
    if not found and resolved:
        found += _timeline(data, resolved, problem)
    return found


def _timeline(data: JSONObject, keys: list[JSONObject], problem: Problem) -> list[ScenarioProblem]:
    """What the rotation timeline would do wrong: sign with a key the JWKS lacks, etc."""
    found: list[ScenarioProblem] = []
    signing = str(data.get("signing_key") or keys[0]["kid"])
    raw_steps: list[JSONObject] = data.get("key_rotation", [])
    steps: list[RotationStep] = []
    for step in raw_steps:
        action: Any = next(a for a in ("publish", "sign_with", "retire") if a in step)
        steps.append(RotationStep(after=step["after"], action=action, kid=step[action]))
    _, odd = key_timeline([k["kid"] for k in keys], signing, steps)
    for index, message in odd:
        if index is None:
            where: tuple[str | int, ...] = (
                ("signing_key",) if "signing_key" in data else ("keys", 0)
            )
        else:
            where = ("key_rotation", index, steps[index].action)
        found.append(problem(where, message))
    return found


def _rules(data: JSONObject, problem: Problem) -> list[ScenarioProblem]:
    found: list[ScenarioProblem] = []
    clients = {c["client_id"] for c in data.get("clients", [])}
    logins = _named_users(data)
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


ID_TOKEN_ONLY_DEFECTS = frozenset(
    {"wrong_nonce", "missing_nonce", "wrong_at_hash", "missing_at_hash"}
    | {"wrong_c_hash", "missing_c_hash"}
)


LOGOUT_TOKEN_ONLY_DEFECTS = frozenset({"no_events", "wrong_event", "with_nonce"})


def _broken_tokens(data: JSONObject, problem: Problem) -> list[ScenarioProblem]:
    """Defects the named token can carry (see defects.py)."""
    found: list[ScenarioProblem] = []
    for i, rule in enumerate(data.get("broken_tokens", [])):
        defect = rule["defect"]
        if rule["token"] != "logout_token" and defect in LOGOUT_TOKEN_ONLY_DEFECTS:
            found.append(problem(("broken_tokens", i, "defect"), "applies to logout_token only"))
        if rule["token"] == "logout_token" and defect in ID_TOKEN_ONLY_DEFECTS:
            found.append(problem(("broken_tokens", i, "defect"), "applies to id_token only"))
        if rule["token"] == "access_token":
            if defect in ID_TOKEN_ONLY_DEFECTS:
                found.append(problem(("broken_tokens", i, "defect"), "applies to id_token only"))
            elif data.get("access_token_format") == "opaque":
                found.append(
                    problem(
                        ("broken_tokens", i, "token"),
                        "opaque access tokens (access_token_format: opaque) have no JWT to break",
                    )
                )
        if defect == "rotating_key" and len(data.get("keys", [])) < 2:
            found.append(
                problem(
                    ("broken_tokens", i, "defect"),
                    "rotating_key signs with a second published key: list at least two keys "
                    "(e.g. packaged rsa-1 and rsa-2), or keys with a key_rotation",
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


def _trust(data: JSONObject, problem: Problem) -> list[ScenarioProblem]:
    """Trusted issuers' keys import; a jwt-bearer client has keys to check assertions
    with; resources hold no spaces (a request's repeated values are joined by one)."""
    found: list[ScenarioProblem] = []
    seen: set[str] = set()
    for i, trusted in enumerate(data.get("trusted_issuers", [])):
        if trusted["issuer"] in seen:
            found.append(problem(("trusted_issuers", i, "issuer"), "duplicate issuer"))
        seen.add(trusted["issuer"])
        try:
            client_key_set(trusted["jwks"])
        except TokenVerificationError as exc:
            found.append(problem(("trusted_issuers", i, "jwks"), str(exc)))
    for i, client in enumerate(data.get("clients", [])):
        grants = client.get("grant_types", [])
        if JWT_BEARER_GRANT in grants and "jwks" not in client and not seen:
            found.append(
                problem(
                    ("clients", i, "grant_types"),
                    f"{JWT_BEARER_GRANT} needs the client's jwks or top-level trusted_issuers "
                    "to verify assertions with",
                )
            )
    places: list[tuple[tuple[str | int, ...], list[str]]] = [
        (("resources",), data.get("resources", []))
    ]
    places += [
        (("clients", i, "resources"), c.get("resources", []))
        for i, c in enumerate(data.get("clients", []))
    ]
    for path, values in places:
        for j, value in enumerate(values):
            if any(c.isspace() for c in value):
                found.append(problem((*path, j), "must not contain spaces"))
    return found


_CHECKS: tuple[
    tuple[Callable[[JSONObject, Problem], list[ScenarioProblem]], frozenset[str]], ...
] = (
    (_issuer, frozenset({"issuer"})),
    (_trust, frozenset({"trusted_issuers", "clients", "resources"})),
    (_clients, frozenset({"clients", "scopes"})),
    (
        _pushed_requests,
        frozenset({"clients", "endpoints", "preset", "require_pushed_authorization_requests"}),
    ),
    (_users, frozenset({"users", "default_user"})),
    (_principals, frozenset({"users"})),
    (
        _behaviour,
        frozenset(
            {
                "access_token_template",
                "refresh_token_template",
                "access_token_format",
                "endpoints",
                "clock",
            }
        ),
    ),
    (_keys, frozenset({"keys", "signing_key", "key_rotation", "signing_alg"})),
    (_rules, frozenset({"consent_rules", "faults", "broken_tokens", "clients", "users"})),
    (
        _broken_tokens,
        frozenset(
            {"broken_tokens", "keys", "key_rotation", "access_token_format", "clients", "users"}
        ),
    ),
    (_device, frozenset({"device", "clients", "users", "default_user"})),
)
