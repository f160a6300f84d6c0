"""DPoP (RFC 9449): proofs at the token endpoint and at resources, nonces, token binding.

A proof is checked as RFC 9449 4.3 lists: one header, a JWS of ``typ`` ``dpop+jwt``
with an asymmetric ``alg``, signed by the public ``jwk`` in its header; ``htm`` and
``htu`` (no query, no fragment) match the request, ``iat`` is recent, ``jti`` is new,
``ath`` hashes the access token at a resource, and ``nonce`` is one the server gave
(section 8) when the scenario's ``dpop.require_nonce`` asks for nonces.
"""

from __future__ import annotations

import base64
import hashlib
import math
import re
from collections.abc import Sequence
from urllib.parse import urlsplit

from msgspec import Struct

from mockidp.errors import (
    InvalidDPoPProof,
    InvalidGrant,
    InvalidToken,
    MissingToken,
    OAuthError,
    UseDPoPNonce,
)
from mockidp.keys.verify import (
    DPOP_ALGORITHMS,
    TokenVerificationError,
    unverified_header,
    verify_with_header_jwk,
)
from mockidp.model.scenario import Client
from mockidp.oauth import records
from mockidp.oauth.deps import Deps
from mockidp.oauth.records import DpopJti, DpopNonce, random_token
from mockidp.types import JSONObject

ALGORITHMS: tuple[str, ...] = DPOP_ALGORITHMS
"""Asymmetric algorithms a proof may use (dpop_signing_alg_values_supported)."""

FUTURE_SKEW = 60  # seconds a proof's iat may run ahead of the provider's clock
_EXPOSE = {"Access-Control-Expose-Headers": "DPoP-Nonce, WWW-Authenticate"}


class Presentation(Struct, frozen=True):
    """How a request presented an access token to a resource (RFC 9449 7)."""

    scheme: str
    """``Bearer`` (header or form body) or ``DPoP``."""
    proofs: tuple[str, ...] = ()
    """Every DPoP header of the request."""
    method: str = "GET"
    urls: tuple[str, ...] = ()
    """The URLs ``htu`` may name: the advertised endpoint URL and the one requested."""


def thumbprint_of(claims: JSONObject) -> str | None:
    """The ``cnf.jkt`` an access token's claims bind it to, if any."""
    cnf = claims.get("cnf")
    jkt = cnf.get("jkt") if isinstance(cnf, dict) else None
    return jkt if isinstance(jkt, str) else None


def challenge(error: str | None = None, description: str = "") -> str:
    """A ``WWW-Authenticate: DPoP`` challenge (RFC 9449 7.1) listing the accepted algs."""
    parts = []
    if error is not None:
        parts.append(f'error="{error}"')
        if description:
            quoted = description.replace("\\", "\\\\").replace('"', '\\"')
            parts.append(f'error_description="{quoted}"')
    parts.append(f'algs="{" ".join(ALGORITHMS)}"')
    return "DPoP " + ", ".join(parts)


def new_nonce(deps: Deps) -> str:
    """A fresh server nonce (RFC 9449 8), valid for the scenario's ``dpop.nonce_lifetime``."""
    value = random_token(24)
    records.put(deps.state, value, DpopNonce(), ttl=deps.scenario.dpop.nonce_lifetime)
    return value


def _fail(description: str, *, resource: bool) -> OAuthError:
    if not resource:
        return InvalidDPoPProof(description)
    error = InvalidDPoPProof(description, status=401)
    error.headers = {"WWW-Authenticate": challenge(error.error, description), **_EXPOSE}
    return error


def _nonce_needed(deps: Deps, description: str, *, resource: bool) -> OAuthError:
    error = UseDPoPNonce(description, status=401 if resource else 400)
    error.headers = {"DPoP-Nonce": new_nonce(deps), **_EXPOSE}
    if resource:
        error.headers["WWW-Authenticate"] = challenge(error.error, description)
    return error


def normalized_url(url: str) -> str:
    """``url`` without query and fragment, scheme and host lowercased, default port
    dropped (RFC 9449 4.3 step 9, RFC 3986 6.2.2 and 6.2.3)."""
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError:
        return url
    scheme = parts.scheme.lower()
    host = (parts.hostname or "").lower()
    if ":" in host:
        host = f"[{host}]"
    if port is not None and (scheme, port) not in (("http", 80), ("https", 443)):
        host = f"{host}:{port}"
    return f"{scheme}://{host}{parts.path or '/'}"


def access_token_hash(token: str) -> str:
    """``ath``: base64url SHA-256 of the access token (RFC 9449 4.2)."""
    digest = hashlib.sha256(token.encode("ascii", "replace")).digest()
    return base64.urlsafe_b64encode(digest).rstrip(b"=").decode("ascii")


def verify_proof(
    deps: Deps,
    proofs: Sequence[str],
    *,
    method: str,
    urls: Sequence[str],
    access_token: str | None = None,
) -> str:
    """Check a DPoP proof (RFC 9449 4.3) and return its key's RFC 7638 thumbprint.

    ``access_token`` is given at a resource: the proof must then carry its ``ath``, and
    errors are 401s with a DPoP challenge. Raises ``invalid_dpop_proof`` or
    ``use_dpop_nonce`` (with a DPoP-Nonce header) saying what is wrong.
    """
    resource = access_token is not None
    if len(proofs) != 1:
        raise _fail(f"send exactly one DPoP header, not {len(proofs)}", resource=resource)
    claims, jkt = _verified(proofs[0].strip(), resource=resource)
    _check_claims(claims, method, urls, resource=resource)
    _check_iat(deps, claims["iat"], resource=resource)
    if access_token is not None:
        _check_ath(claims.get("ath"), access_token)
    _check_nonce(deps, claims.get("nonce"), resource=resource)
    _check_replay(deps, jkt, claims["jti"], resource=resource)
    return jkt


def _verified(proof: str, *, resource: bool) -> tuple[JSONObject, str]:
    """The proof's claims and key thumbprint, once its header and signature check out."""
    try:
        header = unverified_header(proof)
    except TokenVerificationError as exc:
        raise _fail(f"the DPoP proof is not a compact JWS: {exc}", resource=resource) from None
    typ = header.get("typ")  # RFC 7515 4.1.9: a media type, "application/" optional
    if not isinstance(typ, str) or typ.lower() not in ("dpop+jwt", "application/dpop+jwt"):
        raise _fail("the DPoP proof's typ must be dpop+jwt", resource=resource)
    alg = header.get("alg")
    if alg not in ALGORITHMS:
        raise _fail(
            f"the DPoP proof's alg {alg!r} is not accepted; use one of {', '.join(ALGORITHMS)}",
            resource=resource,
        )
    if "jwk" not in header:
        raise _fail("the DPoP proof has no jwk header", resource=resource)
    try:
        _, claims, jkt = verify_with_header_jwk(proof, [str(alg)])
    except TokenVerificationError as exc:
        raise _fail(f"the DPoP proof does not verify: {exc}", resource=resource) from None
    return claims, jkt


def _check_claims(claims: JSONObject, method: str, urls: Sequence[str], *, resource: bool) -> None:
    """RFC 9449 4.3 steps 4 to 9: jti, htm, htu and iat present; htm and htu this request's."""
    for name, kinds in (("jti", str), ("htm", str), ("htu", str), ("iat", int | float)):
        value = claims.get(name)
        if not isinstance(value, kinds) or isinstance(value, bool) or value == "":
            raise _fail(f"the DPoP proof needs a {name} claim", resource=resource)
    if not math.isfinite(claims["iat"]):
        raise _fail("the DPoP proof's iat must be a number of seconds", resource=resource)
    if claims["htm"] != method:
        raise _fail(f"the DPoP proof's htm must be {method}", resource=resource)
    if normalized_url(claims["htu"]) not in {normalized_url(u) for u in urls}:
        raise _fail(
            f"the DPoP proof's htu must be {urls[0] if urls else 'this endpoint URL'}",
            resource=resource,
        )


def _check_iat(deps: Deps, iat: float, *, resource: bool) -> None:
    settings = deps.scenario.dpop
    now = deps.state.now()
    if iat < now - settings.proof_max_age:
        raise _fail(
            f"the DPoP proof is too old (iat more than {settings.proof_max_age}s ago)",
            resource=resource,
        )
    if iat > now + FUTURE_SKEW:
        raise _fail("the DPoP proof's iat is in the future", resource=resource)


def _check_ath(ath: object, access_token: str) -> None:
    """At a resource the proof carries the access token's hash (RFC 9449 4.3 step 11)."""
    if ath is None:
        raise _fail("the DPoP proof needs an ath claim (the access token's hash)", resource=True)
    if ath != access_token_hash(access_token):
        raise _fail("the DPoP proof's ath does not match the access token", resource=True)


def _check_nonce(deps: Deps, nonce: object, *, resource: bool) -> None:
    if nonce is None and deps.scenario.dpop.require_nonce:
        raise _nonce_needed(deps, "a DPoP nonce is required", resource=resource)
    if nonce is not None and not _live_nonce(deps, nonce):
        raise _nonce_needed(deps, "the DPoP nonce is unknown or expired", resource=resource)


def _check_replay(deps: Deps, jkt: str, jti: str, *, resource: bool) -> None:
    """A proof is used once: its key and jti are remembered as long as it could be fresh."""
    ttl = deps.scenario.dpop.proof_max_age + FUTURE_SKEW + 1
    seen = hashlib.sha256(f"{jkt}:{jti}".encode()).hexdigest()  # any jti length
    if not records.add(deps.state, seen, DpopJti(), ttl=ttl):
        raise _fail("the DPoP proof's jti was already used", resource=resource)


def _live_nonce(deps: Deps, nonce: object) -> bool:
    if not isinstance(nonce, str) or not 0 < len(nonce) <= 64:  # ours are 32 characters
        return False
    return records.get(deps.state, DpopNonce, nonce) is not None


def require_proof(client: Client, jkt: str | None) -> None:
    """RFC 9449 5.2: a client registered with ``dpop_bound_access_tokens`` always sends a proof."""
    if jkt is None and client.dpop_bound_access_tokens:
        raise InvalidDPoPProof(
            f"client {client.client_id!r} must send a DPoP proof (dpop_bound_access_tokens)"
        )


def check_bound(bound: object, jkt: str | None, what: str) -> None:
    """A code (``dpop_jkt``, RFC 9449 10) or a public client's refresh token (section 5)
    bound to the key ``bound`` is only redeemed with a proof of that key."""
    if not isinstance(bound, str):
        return
    if jkt is None:
        raise InvalidGrant(f"{what} is bound to a DPoP key: send a DPoP proof made with it")
    if jkt != bound:
        raise InvalidGrant(f"the DPoP proof's key is not the key {what} is bound to")


def missing_token(description: str) -> MissingToken:
    """No access token at a resource taking both schemes: a Bearer challenge and a DPoP one,
    neither with an error code (RFC 6750 3.1, RFC 9449 7.1 and 7.2); ``asgi.py`` puts
    this DPoP challenge after its Bearer one."""
    error = MissingToken(description)
    error.headers = {"WWW-Authenticate": challenge(), **_EXPOSE}
    return error


def invalid_token(description: str, presentation: Presentation) -> InvalidToken:
    """``invalid_token``, challenged in the scheme the token came in (RFC 9449 7.1)."""
    error = InvalidToken(description)
    if presentation.scheme.lower() == "dpop":
        error.headers = {"WWW-Authenticate": challenge(error.error, description), **_EXPOSE}
    return error


def check_presentation(
    deps: Deps, claims: JSONObject, access_token: str, presentation: Presentation
) -> None:
    """A resource's check of how a token was presented (RFC 9449 7): a bound token only
    with the DPoP scheme and a proof of its key, an unbound one only as Bearer."""
    bound = thumbprint_of(claims)
    if presentation.scheme.lower() != "dpop":
        if bound is not None:
            description = (
                "this access token is DPoP-bound: send it as 'Authorization: DPoP <token>' "
                "with a DPoP proof"
            )
            error = InvalidToken(description)
            error.headers = {"WWW-Authenticate": challenge(error.error, description), **_EXPOSE}
            raise error
        return
    if bound is None:
        raise InvalidToken("this access token is not DPoP-bound: send it as Bearer")
    jkt = verify_proof(
        deps,
        presentation.proofs,
        method=presentation.method,
        urls=presentation.urls,
        access_token=access_token,
    )
    if jkt != bound:
        raise _fail(
            "the DPoP proof's key is not the key the access token is bound to", resource=True
        )


def valid_jkt(value: str) -> bool:
    """Whether ``value`` looks like a base64url SHA-256 thumbprint (``dpop_jkt``)."""
    return re.fullmatch(r"[A-Za-z0-9_-]{42}[AEIMQUYcgkosw048]", value) is not None
