"""Token hooks: test code that changes a token's claims or JOSE header before signing.

Scenario rules (``faults``, ``broken_tokens``) are data and cover the known ways a
provider misbehaves; a hook is for what a test computes itself (a claim from the request,
a header another library expects), as navikt's mock-oauth2-server token callbacks and
oauth2-mock-server's ``beforeTokenSigning`` allow. Hooks are registered in-process
(``MockIdP.on_token``), run in registration order, and are cleared by ``MockIdP.reset``.

A hook that raises stops the request: :class:`HookFailed` (not an OAuth error, so no
redirect hides it) is rendered by the HTTP layer as a 500 naming the hook.
"""

from __future__ import annotations

import copy
from collections.abc import Callable, Mapping
from typing import Literal

from msgspec import Struct, field

from mockidp.errors import MockIdPError
from mockidp.types import JSONObject

TokenKind = Literal["id_token", "access_token"]


class TokenDraft(Struct):
    """A JWT about to be signed. Change ``claims`` and ``header`` in place (or assign
    new dicts); ``alg`` in the header stays the signing key's."""

    kind: TokenKind
    claims: JSONObject
    header: JSONObject


class HookRequest(Struct, frozen=True):
    """The request a token is issued for: the endpoint (``token``, or ``authorization``
    for implicit and hybrid responses), grant, client, user and parameters (unmasked:
    hooks are test code)."""

    endpoint: str
    client_id: str
    grant_type: str = ""
    user: str | None = None
    params: Mapping[str, str] = field(default_factory=dict)


TokenHook = Callable[[TokenDraft, HookRequest], None]
"""``fn(token, request) -> None``: changes ``token.claims`` / ``token.header``."""


def hook_name(fn: object) -> str:
    """How a hook is named in a 500's body: its qualified name."""
    name = getattr(fn, "__qualname__", None) or getattr(fn, "__name__", None) or repr(fn)
    module = getattr(fn, "__module__", None)
    return f"{module}.{name}" if module else str(name)


class HookFailed(MockIdPError):
    """A hook raised: the request fails with a 500 whose body names the hook."""

    error = "server_error"

    def __init__(self, hook: str, cause: BaseException) -> None:
        self.hook = hook
        self.cause = cause
        super().__init__(f"the hook {hook} raised {type(cause).__name__}: {cause}")


class TokenHooks:
    """The token hooks of one provider, in registration order."""

    def __init__(self) -> None:
        self._hooks: list[TokenHook] = []

    def add(self, fn: TokenHook) -> TokenHook:
        """Run ``fn`` on every ID and JWT access token from now on; returns ``fn``."""
        if not callable(fn):
            raise TypeError(f"a token hook is a function (token, request), not {fn!r}")
        self._hooks.append(fn)
        return fn

    def remove(self, fn: TokenHook) -> None:
        self._hooks.remove(fn)

    def clear(self) -> None:
        self._hooks.clear()

    def __bool__(self) -> bool:
        return bool(self._hooks)

    def __len__(self) -> int:
        return len(self._hooks)

    def run(
        self, kind: TokenKind, claims: JSONObject, header: JSONObject, request: HookRequest
    ) -> tuple[JSONObject, JSONObject]:
        """The claims and header after every hook; a hook that raises -> HookFailed."""
        draft = TokenDraft(kind, copy.deepcopy(claims), copy.deepcopy(header))
        for fn in list(self._hooks):
            try:
                fn(draft, request)
            except Exception as exc:
                raise HookFailed(hook_name(fn), exc) from exc
            if not isinstance(draft.claims, dict) or not isinstance(draft.header, dict):
                error = TypeError("claims and header must stay dicts")
                raise HookFailed(hook_name(fn), error)
        return draft.claims, draft.header
