"""Response types and how their responses travel (RFC 6749 3.1.1 and 4.2, OpenID Connect
Core 3.2 and 3.3, OAuth 2.0 Multiple Response Type Encoding Practices 2 and 5).

A response type is a set of space-separated words, so ``id_token token`` and ``token
id_token`` are the same type; :func:`canonical` names it the one way mockidp lists it.
Types that return a token through the browser default to the fragment and may never use
the query (Multiple Response Type Encoding Practices 2.1); ``form_post`` suits them all.
"""

from __future__ import annotations

from collections.abc import Iterable
from itertools import permutations

RESPONSE_TYPES: tuple[str, ...] = (
    "code",
    "id_token",
    "id_token token",
    "code id_token",
    "code token",
    "code id_token token",
    "token",
)
"""Every response type the authorization endpoint answers, as discovery lists them."""

RESPONSE_TYPE_SPELLINGS: tuple[str, ...] = tuple(
    " ".join(words) for rt in RESPONSE_TYPES for words in permutations(rt.split())
)
"""Every word order of every response type (what a scenario's client may list)."""

RESPONSE_MODES: tuple[str, ...] = ("query", "fragment", "form_post")

_BY_WORDS: dict[frozenset[str], str] = {frozenset(rt.split()): rt for rt in RESPONSE_TYPES}


def canonical(response_type: str | None) -> str | None:
    """The listed spelling of ``response_type`` (any word order), None if unsupported."""
    if not response_type:
        return None
    words = response_type.split(" ")
    if len(set(words)) != len(words):  # "code code", or doubled spaces
        return None
    return _BY_WORDS.get(frozenset(words))


def canonical_all(values: Iterable[str]) -> tuple[str, ...]:
    """Each supported value of ``values`` in its listed spelling (unsupported ones left out)."""
    found = (canonical(value) for value in values)
    return tuple(dict.fromkeys(rt for rt in found if rt is not None))


def returns_tokens(response_type: str) -> bool:
    """Whether the response carries a token (access or ID token), not just a code."""
    return response_type != "code"


def default_mode(response_type: str | None) -> str:
    """The response mode when the request names none: query for ``code``, else fragment."""
    rt = canonical(response_type)
    return "fragment" if rt is not None and returns_tokens(rt) else "query"


def target_mode(response_type: str | None, requested: str | None) -> str:
    """How the response (or an error) travels: the requested mode when it is usable for
    this response type, else the type's default (the error is reported in phase two)."""
    if requested not in RESPONSE_MODES:
        return default_mode(response_type)
    if requested == "query" and default_mode(response_type) == "fragment":
        return "fragment"  # never tokens in a query string
    return requested


def grant_types_for(response_type: str) -> tuple[str, ...]:
    """The grant types a client must be registered for to use ``response_type``
    (OpenID Connect Dynamic Client Registration 2: code -> authorization_code,
    id_token / token -> implicit)."""
    words = response_type.split()
    needed: list[str] = []
    if "code" in words:
        needed.append("authorization_code")
    if "token" in words or "id_token" in words:
        needed.append("implicit")
    return tuple(needed)


def registration_problems(client: dict[str, object]) -> list[tuple[int, str]]:
    """(index in ``response_types``, message) for each response type whose grant type the
    client document does not list (Registration 2 asks the two to agree)."""
    listed = client.get("grant_types", ("authorization_code", "refresh_token"))
    grant_types = set(listed) if isinstance(listed, list | tuple) else set()
    found: list[tuple[int, str]] = []
    raw = client.get("response_types", ())
    for i, value in enumerate(raw if isinstance(raw, list | tuple) else ()):
        missing = [g for g in grant_types_for(str(value)) if g not in grant_types]
        if missing:
            found.append((i, f"response_type {value!r} needs grant_types {missing}"))
    return found
