"""Proprietary opaque token formats, from templates such as ``8A:{ctx}.{random:base64:64}``.

Placeholders:

- ``{random:KIND:N}``: N random characters of KIND: ``alnum``, ``hex``, ``digits``,
  ``base64`` (standard alphabet) or ``base64url``;
- ``{guid}``: a random UUID; ``{sub}``, ``{client_id}``;
- ``{claim:NAME}`` or a bare ``{NAME}``: the user's claim NAME (empty when absent).
"""

from __future__ import annotations

import re
import secrets
import string
import uuid
from collections.abc import Mapping
from functools import lru_cache
from typing import Any

from msgspec import Struct

_ALPHABETS = {
    "alnum": string.ascii_letters + string.digits,
    "hex": "0123456789abcdef",
    "digits": string.digits,
    "base64": string.ascii_letters + string.digits + "+/",
    "base64url": string.ascii_letters + string.digits + "-_",
}
_PLACEHOLDER = re.compile(r"\{([^{}]*)\}")
MAX_RANDOM = 4096


class Part(Struct, frozen=True):
    """A literal (``kind == "text"``) or a placeholder."""

    kind: str
    value: str = ""
    length: int = 0


def parse_template(template: str) -> tuple[Part, ...]:
    """The parts of ``template``; ValueError naming the first bad placeholder."""
    if not template:
        raise ValueError("a token template cannot be empty")
    parts: list[Part] = []
    position = 0
    for match in _PLACEHOLDER.finditer(template):
        if match.start() > position:
            parts.append(Part("text", template[position : match.start()]))
        parts.append(_placeholder(match.group(1)))
        position = match.end()
    rest = template[position:]
    if "{" in rest or "}" in rest:
        raise ValueError(f"unbalanced brace in token template {template!r}")
    if rest:
        parts.append(Part("text", rest))
    if not any(p.kind in ("random", "guid") for p in parts):
        raise ValueError(
            "a token template needs {random:...} or {guid}: tokens must be unguessable"
        )
    return tuple(parts)


@lru_cache(maxsize=64)
def compiled(template: str) -> tuple[Part, ...]:
    """``parse_template``, once per distinct template: issuance renders from this."""
    return parse_template(template)


def _placeholder(body: str) -> Part:
    if body.startswith("random:"):
        _, kind, length = [*body.split(":"), "", ""][:3]
        if kind not in _ALPHABETS:
            raise ValueError(f"{{{body}}}: random kind must be one of {', '.join(_ALPHABETS)}")
        if not length.isdigit() or not 8 <= int(length) <= MAX_RANDOM:
            raise ValueError(f"{{{body}}}: length must be a number from 8 to {MAX_RANDOM}")
        return Part("random", kind, int(length))
    if body in ("guid", "sub", "client_id"):
        return Part(body)
    name = body.removeprefix("claim:")
    if not name:
        raise ValueError("empty placeholder {} in token template")
    return Part("claim", name)


def random_text(alphabet: str, length: int) -> str:
    """``length`` characters drawn uniformly from ``alphabet`` (at most 256 of them), from
    ``secrets.token_bytes``: one random read instead of one ``secrets.choice`` (and its
    ``os.urandom`` calls) per character, which was ~15 % of a token request."""
    size = len(alphabet)
    limit = 256 - 256 % size  # bytes at or above it would favour the first characters
    out: list[str] = []
    while len(out) < length:
        for byte in secrets.token_bytes(length - len(out) + 16):
            if byte < limit:
                out.append(alphabet[byte % size])
    return "".join(out[:length])


def render(parts: tuple[Part, ...], *, sub: str, client_id: str, claims: Mapping[str, Any]) -> str:
    """A fresh token from parsed ``parts``."""
    out: list[str] = []
    for part in parts:
        if part.kind == "text":
            out.append(part.value)
        elif part.kind == "random":
            alphabet = _ALPHABETS[part.value]
            out.append(random_text(alphabet, part.length))
        elif part.kind == "guid":
            out.append(str(uuid.uuid4()))
        elif part.kind == "sub":
            out.append(sub)
        elif part.kind == "client_id":
            out.append(client_id)
        else:
            value = claims.get(part.value)
            out.append("" if value is None else str(value))
    return "".join(out)
