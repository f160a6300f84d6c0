"""The error tree. The core raises these; only the HTTP layer renders them.

Each OAuth error carries its machine code as the class attribute ``error`` and the
HTTP status the spec gives it as ``status``.
"""

from __future__ import annotations

import re

from msgspec import Struct


class MockIdPError(Exception):
    """Root of every error mockidp raises on purpose."""


_OUTSIDE_DESCRIPTION = re.compile(r"[^\x20\x21\x23-\x5b\x5d-\x7e]")


def _replacement(match: re.Match[str]) -> str:
    return "'" if match.group() == '"' else "?"


class OAuthError(MockIdPError):
    """An error answered in the OAuth shape (RFC 6749 section 5.2)."""

    error: str = "invalid_request"
    status: int = 400
    headers: dict[str, str] | None = None
    """Extra response headers (a DPoP challenge, DPoP-Nonce); set per instance."""

    def __init__(
        self, description: str = "", *, status: int | None = None, reason: str = ""
    ) -> None:
        # RFC 6749 4.1.2.1 / 5.2: error_description holds only %x20-21 / %x23-5B /
        # %x5D-7E; echoed input (a control character, a quote, non-ASCII) is replaced.
        description = _OUTSIDE_DESCRIPTION.sub(_replacement, description)
        super().__init__(description or self.error)
        self.description = description
        # A stable name for the situation, so a preset can word it as its vendor does
        # (quirk error_messages); the description stays mockidp's own.
        self.reason = reason
        if status is not None:
            self.status = status


class InvalidRequest(OAuthError):
    """RFC 6749 4.1.2.1 / 5.2: malformed, missing or repeated parameter."""

    error = "invalid_request"


class InvalidClient(OAuthError):
    """RFC 6749 5.2: client authentication failed (401, with WWW-Authenticate)."""

    error = "invalid_client"
    status = 401


class InvalidGrant(OAuthError):
    """RFC 6749 5.2: the code, refresh token or credentials are invalid or expired."""

    error = "invalid_grant"


class UnauthorizedClient(OAuthError):
    """RFC 6749 5.2: the client may not use this grant or response type."""

    error = "unauthorized_client"


class UnsupportedGrantType(OAuthError):
    """RFC 6749 5.2: the grant type is not supported."""

    error = "unsupported_grant_type"


class UnsupportedResponseType(OAuthError):
    """RFC 6749 4.1.2.1: the response type is not supported."""

    error = "unsupported_response_type"


class InvalidScope(OAuthError):
    """RFC 6749 5.2: the scope is invalid, unknown or not allowed for the client."""

    error = "invalid_scope"


class AccessDenied(OAuthError):
    """RFC 6749 4.1.2.1: the user or the provider denied the request."""

    error = "access_denied"
    status = 403


class ServerError(OAuthError):
    """RFC 6749 4.1.2.1: an unexpected condition (only ever scripted or a bug)."""

    error = "server_error"
    status = 500


class TemporarilyUnavailable(OAuthError):
    """RFC 6749 4.1.2.1: the provider is overloaded or its state store is unreachable."""

    error = "temporarily_unavailable"
    status = 503


class LoginRequired(OAuthError):
    """OpenID Connect Core 3.1.2.6: prompt=none but the user must sign in."""

    error = "login_required"


class ConsentRequired(OAuthError):
    """OpenID Connect Core 3.1.2.6: prompt=none but the user must consent."""

    error = "consent_required"


class InteractionRequired(OAuthError):
    """OpenID Connect Core 3.1.2.6: prompt=none but some interaction is needed."""

    error = "interaction_required"


class RequestNotSupported(OAuthError):
    """OpenID Connect Core 3.1.2.6: the `request` parameter is not supported."""

    error = "request_not_supported"


class RequestUriNotSupported(OAuthError):
    """OpenID Connect Core 3.1.2.6: the `request_uri` parameter is not supported."""

    error = "request_uri_not_supported"


class InvalidTarget(OAuthError):
    """RFC 8707 2 / RFC 8693 2.2.2: a resource or audience the server will not issue for."""

    error = "invalid_target"


class InvalidDPoPProof(OAuthError):
    """RFC 9449 5 / 7.1: the DPoP proof is missing, malformed or does not fit the request."""

    error = "invalid_dpop_proof"


class UseDPoPNonce(OAuthError):
    """RFC 9449 8 / 9: send the proof again with the server's nonce (DPoP-Nonce header)."""

    error = "use_dpop_nonce"


class InvalidToken(OAuthError):
    """RFC 6750 3.1: the bearer token is missing, expired, revoked or malformed (401)."""

    error = "invalid_token"
    status = 401


class MissingToken(InvalidToken):
    """RFC 6750 3.1: no bearer token at all; the challenge then carries no error code."""


class InsufficientScope(OAuthError):
    """RFC 6750 3.1: the bearer token lacks a scope the resource needs (403)."""

    error = "insufficient_scope"
    status = 403


class NotFound(OAuthError):
    """No endpoint at this path (404); rendered as an OAuth-shaped JSON body."""

    error = "not_found"
    status = 404


class MethodNotAllowed(OAuthError):
    """The endpoint exists but not for this HTTP method (405)."""

    error = "invalid_request"
    status = 405


class VendorApiError(OAuthError):
    """An error of a vendor's own API (not an OAuth endpoint), answered in that vendor's
    shape: LoginRadius's envelope with its numeric ``ErrorCode`` (``code``) and short
    ``Message`` (``message``); ``description`` is its ``Description``."""

    def __init__(
        self,
        description: str,
        *,
        code: int,
        message: str,
        status: int = 400,
        error: str = "invalid_request",
        headers: dict[str, str] | None = None,
    ) -> None:
        super().__init__(description, status=status)
        self.code = code
        self.message = message
        self.error = error  # what the request log records
        self.headers = headers


class PageError(MockIdPError):
    """An error the user sees as a page, never as a redirect (RFC 6749 4.1.2.1).

    Raised when the client or the redirect URI cannot be trusted (authorization, end
    session): sending the user anywhere could make mockidp an open redirector.
    """

    def __init__(self, error: str, description: str, *, reason: str = "") -> None:
        super().__init__(f"{error}: {description}")
        self.error = error
        self.description = description
        self.reason = reason  # as OAuthError.reason: a preset may word it (error_messages)


class ScenarioProblem(Struct, frozen=True):
    """One thing wrong with a scenario file: where (a path and maybe a line) and what."""

    location: str
    message: str
    line: int | None = None

    def __str__(self) -> str:
        where = self.location or "(top level)"
        if self.line is not None:
            where = f"{where} (line {self.line})"
        return f"{where}: {self.message}"


class ScenarioError(MockIdPError):
    """A scenario that cannot be loaded; lists every problem found, each located."""

    def __init__(self, problems: list[ScenarioProblem], *, source: str = "") -> None:
        self.problems = problems
        self.source = source
        head = f"invalid scenario {source}" if source else "invalid scenario"
        super().__init__(head + ":\n" + "\n".join(f"  {p}" for p in problems))
