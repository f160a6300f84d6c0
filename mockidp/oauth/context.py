"""A token request's parameters together with what the provider learnt about the request.

Grants receive the parameters as a plain mapping and hand them on to issuance
(``Authorization.params``); a :class:`TokenRequest` is that mapping plus the facts a
grant or issuance may need beyond the parameters: the key of a verified DPoP proof
(RFC 9449), the values an assertion's ``aud`` may hold (the token endpoint URL and the
issuer, RFC 7523 3), and the replay guard for ``jti``s.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping

from mockidp.types import Params


def _no_jti_guard(issuer: str, jti: str, exp: float) -> bool:
    return True


class TokenRequest(dict[str, str]):
    """The parameters (a dict, as every grant expects) and the request's verified facts."""

    def __init__(
        self,
        params: Mapping[str, str],
        *,
        dpop_jkt: str | None = None,
        audiences: tuple[str, ...] = (),
        claim_jti: Callable[[str, str, float], bool] = _no_jti_guard,
    ) -> None:
        super().__init__(params)
        self.dpop_jkt = dpop_jkt
        """RFC 7638 thumbprint of the key of the request's verified DPoP proof, if any."""
        self.audiences = audiences
        """Values an assertion's ``aud`` may hold: the token endpoint URL, the issuer."""
        self.claim_jti = claim_jti
        """``claim_jti(issuer, jti, exp)``: False when that jti was used before."""


def dpop_jkt(params: Params | Mapping[str, str]) -> str | None:
    """The DPoP key thumbprint behind a token request's parameters, if it had a proof."""
    return params.dpop_jkt if isinstance(params, TokenRequest) else None
