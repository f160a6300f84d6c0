"""Which of a user's claims a token or the UserInfo response carries.

Scope values map to claim names (OpenID Connect Core 5.4); the ``claims`` request
parameter (Core 5.5) asks for individual claims on top.
"""

from __future__ import annotations

import json
from collections.abc import Iterable

from mockidp.errors import InvalidRequest
from mockidp.model.scenario import User
from mockidp.types import JSONObject

SCOPE_CLAIMS: dict[str, tuple[str, ...]] = {
    "profile": (
        "name",
        "family_name",
        "given_name",
        "middle_name",
        "nickname",
        "preferred_username",
        "profile",
        "picture",
        "website",
        "gender",
        "birthdate",
        "zoneinfo",
        "locale",
        "updated_at",
    ),
    "email": ("email", "email_verified"),
    "address": ("address",),
    "phone": ("phone_number", "phone_number_verified"),
}

STANDARD_CLAIMS: tuple[str, ...] = ("sub", *(c for names in SCOPE_CLAIMS.values() for c in names))

_CLAIMS_MEMBERS = ("id_token", "userinfo")


def parse_claims_request(raw: str | None) -> JSONObject | None:
    """Validate the ``claims`` authorization parameter (a JSON object); None when absent."""
    if not raw:
        return None
    try:
        parsed = json.loads(raw)
    except ValueError:
        raise InvalidRequest("claims is not valid JSON (OpenID Connect Core 5.5)") from None
    if not isinstance(parsed, dict):
        raise InvalidRequest("claims must be a JSON object (OpenID Connect Core 5.5)")
    for member in _CLAIMS_MEMBERS:
        requested = parsed.get(member)
        if requested is None:
            continue
        if not isinstance(requested, dict):
            raise InvalidRequest(f"claims.{member} must be a JSON object")
        for name, spec in requested.items():
            if spec is not None and not isinstance(spec, dict):
                raise InvalidRequest(f"claims.{member}.{name} must be null or a JSON object")
    return {m: parsed[m] for m in _CLAIMS_MEMBERS if isinstance(parsed.get(m), dict)}


def user_claims(
    user: User, scopes: Iterable[str], claims_request: JSONObject | None, member: str
) -> JSONObject:
    """The claims of ``user`` that ``scopes`` and the ``member`` part of the request grant."""
    wanted: list[str] = []
    for scope in scopes:
        wanted.extend(SCOPE_CLAIMS.get(scope, ()))
    if claims_request:
        wanted.extend(claims_request.get(member, {}))
    return {name: user.claims[name] for name in wanted if name in user.claims}
