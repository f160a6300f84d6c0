"""What a token request learned beyond its parameters, passed to the grants explicitly.

The token endpoint reads the parameters, verifies a DPoP proof (RFC 9449 4.3) and
authenticates the client; a grant then needs the parameters and some of those facts:
the key thumbprint of the verified proof (RFC 9449 5 and 10 bind codes and refresh
tokens to it, RFC 9449 6 binds the access token), the values an assertion's ``aud``
may hold (the token endpoint URL and the issuer, RFC 7523 3), and the replay guard for
an assertion's ``jti`` (RFC 7523 3 item 7).
"""

from __future__ import annotations

from collections.abc import Callable

from msgspec import Struct

from mockidp.types import Params


def no_jti_guard(issuer: str, jti: str, exp: float) -> bool:
    """A guard that remembers nothing: every jti is new."""
    return True


class TokenRequest(Struct, frozen=True):
    """One token request: its parameters and what the provider verified about it."""

    params: Params
    """The form parameters (RFC 6749 3.2), as the endpoint read them."""
    dpop_jkt: str | None = None
    """RFC 7638 thumbprint of the key of the request's verified DPoP proof, if any."""
    audiences: tuple[str, ...] = ()
    """Values an assertion's ``aud`` may hold: the token endpoint URL, the issuer."""
    claim_jti: Callable[[str, str, float], bool] = no_jti_guard
    """``claim_jti(issuer, jti, exp)``: False when that jti was used before."""
