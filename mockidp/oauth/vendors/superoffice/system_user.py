"""SuperOffice's system-user flow: a partner's signed system token for a tenant JWT.

The partner signs ``"{system_token}.{yyyyMMddHHmm UTC}"`` with its RSA key (PKCS#1
v1.5, SHA-256) and POSTs ``{SignedSystemToken, ApplicationToken, ContextIdentifier,
ReturnTokenType}`` to ``/Login/api/PartnerSystemUser/Authenticate``. mockidp checks the
signature against the client's registered ``jwks`` (the client whose secret is the
application token), the time stamp, and that a user of that tenant holds the system
token; the answer is ``{"IsSuccessful", "Token", "ErrorMessage"}``. The JWT's
``ticket`` claim is stored (:mod:`mockidp.oauth.vendors.superoffice.tickets`) for the web API's
``Authorization: SOTicket``. ``ReturnTokenType`` must be ``Jwt`` (any case; the vendor's
enum also has ``Saml``): anything else is refused the same documented way.
"""

from __future__ import annotations

import base64
import binascii
import hmac
from datetime import UTC, datetime

from mockidp.keys.verify import TokenVerificationError, verify_rsa_sha256
from mockidp.model.scenario import Client, User
from mockidp.oauth.deps import Deps
from mockidp.oauth.tokens.shapes import template_values
from mockidp.oauth.vendors.superoffice import tickets
from mockidp.types import JSONObject, Params

ISSUER = "SuperOffice AS"
MAX_CLOCK_SKEW = 10 * 60  # seconds a signed system token's time stamp may be off


class SystemUserError(Exception):
    """Why a system-user request is refused (its ErrorMessage)."""


def authenticate(deps: Deps, params: Params, *, origin: str) -> JSONObject:
    """The answer to one PartnerSystemUser/Authenticate request (never raises)."""
    try:
        token = _token(deps, params, origin)
    except SystemUserError as exc:
        return {"IsSuccessful": False, "Token": None, "ErrorMessage": str(exc)}
    return {"IsSuccessful": True, "Token": token, "ErrorMessage": None}


def _token(deps: Deps, params: Params, origin: str) -> str:
    kind = params.get("ReturnTokenType", "Jwt")
    if kind.lower() != "jwt":  # its enum also has Saml, which mockidp does not issue
        raise SystemUserError(f"ReturnTokenType {kind!r} is not supported; use Jwt")
    signed = params.get("SignedSystemToken", "")
    context = params.get("ContextIdentifier", "")
    client = _client(deps, params.get("ApplicationToken", ""))
    system_token, stamp, signature = _split(signed)
    _check_time(stamp, deps.state.now())
    if client.jwks is None:
        raise SystemUserError("the application has no public key registered (jwks)")
    try:
        good = verify_rsa_sha256(client.jwks, f"{system_token}.{stamp}".encode(), signature)
    except TokenVerificationError as exc:
        raise SystemUserError(str(exc)) from None
    if not good:
        raise SystemUserError("the SignedSystemToken signature is not valid")
    quirks = deps.scenario.quirks
    for user in deps.scenario.users:
        values = template_values(quirks, user, origin)
        if (
            values.get("system_token") == system_token
            and values.get(quirks.tenant_claim) == context
        ):
            return _jwt(deps, user, values, client)
    raise SystemUserError(f"no system user of {context!r} has that system token")


def _client(deps: Deps, application_token: str) -> Client:
    for client in deps.scenario.clients:
        secret = client.client_secret
        if secret and hmac.compare_digest(secret.encode(), application_token.encode()):
            return client
    raise SystemUserError("the ApplicationToken is not valid")


def _split(signed: str) -> tuple[str, str, bytes]:
    system_token, _, rest = signed.rpartition(".")
    system_token, _, stamp = system_token.rpartition(".")
    if not system_token or not stamp or not rest:
        raise SystemUserError(
            "SignedSystemToken must be '{system_token}.{yyyyMMddHHmm}.{signature}'"
        )
    try:
        return system_token, stamp, base64.b64decode(rest, validate=True)
    except (binascii.Error, ValueError):
        raise SystemUserError("the SignedSystemToken signature is not base64") from None


def _check_time(stamp: str, now: float) -> None:
    try:
        when = datetime.strptime(stamp, "%Y%m%d%H%M").replace(tzinfo=UTC).timestamp()
    except ValueError:
        raise SystemUserError("the SignedSystemToken time stamp is not yyyyMMddHHmm") from None
    if abs(now - when) > MAX_CLOCK_SKEW:
        raise SystemUserError("the SignedSystemToken time stamp is too old or in the future")


def _jwt(deps: Deps, user: User, values: dict[str, str], client: Client) -> str:
    now = int(deps.state.now())
    serial = values.get("serial", "")
    ctx = values.get(deps.scenario.quirks.tenant_claim, "")
    claims: JSONObject = {
        "iss": ISSUER,
        "aud": f"spn:{serial}",
        "sub": user.claims.get("email") or user.sub,
        "ticket": tickets.issue(deps, user, ctx=ctx, client=client),  # usable: stored
        "ctx": ctx,
        "serial": serial,
        "iat": now,
        "nbf": now,
        "exp": now + deps.scenario.lifetimes.access_token,
    }
    return deps.keys.sign(claims, typ="JWT")
