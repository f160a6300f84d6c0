"""The inspector's token journal: the tokens this app handed out lately, and what they decode to.

The request log masks tokens, so the inspector keeps its own small journal of the token
responses and authorization redirects this app sent (in memory, per process). Decoding
reads a JWT's header and claims (RFC 7519 7.2) and asks the provider whether the
signature verifies with a key it publishes and whether the token is still honoured.
"""

from __future__ import annotations

import base64
import json
from collections import deque
from typing import TYPE_CHECKING
from urllib.parse import parse_qsl, urlsplit

from msgspec import Struct

from mockidp.requestlog import RequestRecord
from mockidp.types import JSONObject

if TYPE_CHECKING:
    from starlette.responses import Response

    from mockidp.oauth.provider import Provider

JOURNAL_SIZE = 50
_TOKEN_FIELDS = ("id_token", "access_token", "refresh_token")
JOURNALED = frozenset({"token", "authorization", "login", "consent"})
"""The endpoints whose answers can carry tokens."""


class Issued(Struct, frozen=True):
    """One token this app sent: which kind, to which client, when (provider time)."""

    kind: str
    value: str
    client_id: str | None
    at: float
    endpoint: str


class TokenJournal:
    """The last tokens the app handed out, newest last (a bounded, per-process memory).

    Every request pays for :meth:`observe`, the inspector's page alone for :attr:`items`:
    so observing keeps the raw answer and parsing waits until somebody looks.
    """

    def __init__(self, maxlen: int = JOURNAL_SIZE) -> None:
        self.maxlen = maxlen
        # (endpoint, client, provider time, token response body or redirect location)
        self._raw: deque[tuple[str, str | None, float, bytes | str]] = deque(maxlen=maxlen)

    def observe(self, record: RequestRecord, response: Response, now: float) -> None:
        """Keep a successful token response or an authorization redirect, unparsed."""
        endpoint = record.endpoint or ""
        if endpoint not in JOURNALED:
            return
        if endpoint == "token" and response.status_code == 200:
            self._raw.append((endpoint, record.client_id, now, bytes(response.body)))
        elif response.status_code in (302, 303):
            location = response.headers.get("location")
            if location and "token=" in location:  # access_token= or id_token=
                self._raw.append((endpoint, record.client_id, now, location))

    def clear(self) -> None:
        self._raw.clear()

    @property
    def items(self) -> list[Issued]:
        found: list[Issued] = []
        for endpoint, client_id, at, answer in self._raw:
            for kind, value in _tokens_in(answer).items():
                found.append(Issued(kind, value, client_id, at, endpoint))
        return found[-self.maxlen :]


def _tokens_in(answer: bytes | str) -> dict[str, str]:
    """The tokens in a token response body (bytes) or a redirect location (str)."""
    if isinstance(answer, bytes):
        try:
            body = json.loads(answer)
        except ValueError:
            return {}
        found = body if isinstance(body, dict) else {}
    else:
        parts = urlsplit(answer)
        found = dict(parse_qsl(parts.fragment or parts.query))
    return {
        kind: value for kind in _TOKEN_FIELDS if isinstance(value := found.get(kind), str) and value
    }


# -- decoding -----------------------------------------------------------------------------


class Decoded(Struct, frozen=True):
    """What a token decodes to, and the provider's verdicts on it."""

    issued: Issued
    header: JSONObject | None
    claims: JSONObject | None
    signature: str
    state: str
    defect: str | None = None
    """The ``broken_tokens`` defect it was issued with (the provider remembers it)."""


def _segment(part: str) -> JSONObject | None:
    try:
        data = json.loads(base64.urlsafe_b64decode(part + "=" * (-len(part) % 4)))
    except (ValueError, UnicodeDecodeError):
        return None
    return data if isinstance(data, dict) else None


def decode(provider: Provider, issued: Issued) -> Decoded:
    """``issued`` decoded, with ``provider``'s verdicts on its signature and state."""
    # here, not at the top: every app keeps a journal, only the inspector page decodes
    from mockidp.keys.verify import TokenVerificationError

    parts = issued.value.split(".")
    header = _segment(parts[0]) if len(parts) == 3 else None
    claims = _segment(parts[1]) if len(parts) == 3 else None
    if header is None or claims is None:
        header = claims = None
        signature = "opaque (not a JWT)"
    else:
        try:
            provider.keys.verify(issued.value)
            signature = "valid (a key published now)"
        except TokenVerificationError as exc:
            signature = f"does not verify: {exc}"
    if issued.kind in ("access_token", "refresh_token"):
        refresh = issued.kind == "refresh_token"
        alive = provider.token_is_active(issued.value, refresh=refresh)
        state = "active" if alive else "not active (expired, revoked or reset)"
    else:
        exp = claims.get("exp") if claims else None
        now = provider.clock.now()
        state = "expired" if isinstance(exp, int | float) and exp <= now else "unexpired"
    return Decoded(issued, header, claims, signature, state, provider.defect_of(issued.value))


def looks_broken(token: Decoded) -> str | None:
    """What is visibly wrong with a token as issued (a scenario's broken_tokens), if anything.

    The defect the provider issued it with, when it remembers; else read from the token
    alone: a signature that does not verify or is missing, the defect audience or issuer,
    a validity window that excludes the moment it was issued.
    """
    if token.defect is not None:
        return token.defect.replace("_", " ")
    from mockidp.oauth.scripted.defects import WRONG_AUDIENCE

    if token.header is None or token.claims is None:
        return None  # opaque: nothing to read
    if token.header.get("alg") == "none":
        return "unsigned (alg none)"
    if not token.signature.startswith("valid"):
        return f"signature {token.signature}"
    claims, at = token.claims, token.issued.at
    aud = claims.get("aud")
    if aud == WRONG_AUDIENCE or (isinstance(aud, list) and WRONG_AUDIENCE in aud):
        return "wrong audience"
    if str(claims.get("iss", "")).endswith("/wrong-issuer"):
        return "wrong issuer"
    exp, nbf = claims.get("exp"), claims.get("nbf")
    if isinstance(exp, int | float) and exp <= at:
        return "expired when issued"
    if isinstance(nbf, int | float) and nbf > at + 60:
        return "not yet valid when issued"
    return None
