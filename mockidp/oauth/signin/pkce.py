"""Proof Key for Code Exchange (RFC 7636)."""

from __future__ import annotations

import base64
import hashlib
import hmac
import re

from mockidp.errors import InvalidGrant, InvalidRequest

METHODS: tuple[str, ...] = ("S256", "plain")
_VALUE = re.compile(r"[A-Za-z0-9\-._~]{43,128}")  # RFC 7636 4.1 / 4.2


def check_challenge(challenge: str | None, method: str | None) -> tuple[str, str] | None:
    """The (challenge, method) of an authorization request, or None when PKCE is unused."""
    if challenge is None:
        if method is not None:
            raise InvalidRequest("code_challenge_method given without code_challenge")
        return None
    method = method or "plain"  # RFC 7636 4.3: plain is the default
    if method not in METHODS:
        raise InvalidRequest(f"code_challenge_method must be one of {', '.join(METHODS)}")
    if not _VALUE.fullmatch(challenge):
        raise InvalidRequest("code_challenge must be 43 to 128 characters of [A-Za-z0-9-._~]")
    return challenge, method


def verify(challenge: str | None, method: str | None, verifier: str | None) -> None:
    """RFC 7636 4.6: the token request's verifier must match the stored challenge."""
    if challenge is None:
        if verifier is not None:  # a verifier for a code issued without PKCE: a downgrade
            raise InvalidGrant(
                "code_verifier sent, but the authorization request had no code_challenge"
            )
        return
    if verifier is None:
        raise InvalidGrant("code_verifier is required: the authorization request used PKCE")
    if not _VALUE.fullmatch(verifier):
        raise InvalidRequest("code_verifier must be 43 to 128 characters of [A-Za-z0-9-._~]")
    if method == "S256":
        digest = hashlib.sha256(verifier.encode("ascii")).digest()
        computed = base64.urlsafe_b64encode(digest).rstrip(b"=").decode("ascii")
    else:
        computed = verifier
    if not hmac.compare_digest(computed, challenge):
        raise InvalidGrant("code_verifier does not match the code_challenge")
