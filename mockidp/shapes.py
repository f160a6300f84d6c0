"""Response and claim shapes that a preset's quirks ask for (:mod:`mockidp.quirks`).

Pure functions over plain data: the core calls them where a generic response or
claim set is finished, so the generic path stays as it is when no quirk is set.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from mockidp.claims import STANDARD_CLAIMS
from mockidp.errors import OAuthError
from mockidp.quirks import Quirks
from mockidp.scenario import User
from mockidp.tokens import new_jti
from mockidp.types import JSONObject

_PLACEHOLDER = re.compile(r"\{([A-Za-z_][A-Za-z0-9_]*)\}")
_ADDRESS_MEMBERS = ("country", "locality", "postal_code", "region", "street_address")


def shape_token_response(response: JSONObject, quirks: Quirks, grant_type: str) -> JSONObject:
    """A token response with the vendor's token_type, scope and member names."""
    member = quirks.refresh_id_token_member
    if quirks.token_type == "Bearer" and quirks.token_response_scope and member == "id_token":
        return response
    out = dict(response)
    if "token_type" in out:
        out["token_type"] = quirks.token_type
    if not quirks.token_response_scope:
        out.pop("scope", None)
    if grant_type == "refresh_token" and member != "id_token" and "id_token" in out:
        out[member] = out.pop("id_token")
    return out


def template_values(
    quirks: Quirks, user: User, origin: str, tenant: str | None = None
) -> dict[str, str]:
    """What ``{name}`` means in a claim template: defaults < the user's claims < a chosen
    tenant < origin, sub and username."""
    values = dict(quirks.claim_defaults)
    for name, value in user.claims.items():
        if value is not None and not isinstance(value, dict | list):
            values[name] = str(value)
    if tenant is not None:
        values[quirks.tenant_claim] = tenant
    values.update({"origin": origin.rstrip("/"), "sub": user.sub, "username": user.username})
    return values


def fill_template(template: str, values: Mapping[str, str]) -> str | None:
    """``template`` filled from ``values``; None when a value it names is missing."""
    missing = False

    def one(match: re.Match[str]) -> str:
        nonlocal missing
        value = values.get(match.group(1))
        if value is None:
            missing = True
            return ""
        return value

    out = _PLACEHOLDER.sub(one, template)
    return None if missing else out


def shape_id_token(
    claims: JSONObject, quirks: Quirks, user: User, origin: str, *, tenant: str | None = None
) -> JSONObject:
    """ID token claims as the vendor shapes them: omissions, nbf, sub, extra string claims."""
    if not (
        quirks.id_token_omit
        or quirks.id_token_nbf_offset is not None
        or quirks.id_token_sub_claim
        or quirks.id_token_claims
    ):
        return claims
    out = {k: v for k, v in claims.items() if k not in quirks.id_token_omit}
    if quirks.id_token_nbf_offset is not None:
        out["nbf"] = int(out["iat"]) + quirks.id_token_nbf_offset
    if quirks.id_token_sub_claim:
        sub = user.claims.get(quirks.id_token_sub_claim)
        if isinstance(sub, str) and sub:
            out["sub"] = sub
    values = template_values(quirks, user, origin, tenant)
    for name, template in quirks.id_token_claims.items():
        value = fill_template(template, values)
        if value is not None:
            out[name] = value
    return out


def userinfo_claims(claims: JSONObject, quirks: Quirks) -> JSONObject:
    """UserInfo claims with every standard claim listed (null when absent) and a uid alias."""
    out: dict[str, Any] = dict(claims)
    if quirks.userinfo_all_claims:
        for name in STANDARD_CLAIMS:
            out.setdefault(name, None)
        if out.get("address") is None:
            out["address"] = dict.fromkeys(_ADDRESS_MEMBERS)
    if quirks.userinfo_uid_claim:
        out[quirks.userinfo_uid_claim] = out["sub"]
    return out


def userinfo_jwt_claims(
    claims: JSONObject,
    *,
    issuer: str,
    client_id: str,
    nonce: str | None,
    now: int,
    lifetime: int,
) -> JSONObject:
    """The payload of a signed UserInfo response (OpenID Connect Core 5.3.2)."""
    out = dict(claims)
    out.update(
        {"aud": client_id, "iss": issuer, "jti": new_jti(), "iat": now, "nbf": now},
    )
    out["exp"] = now + lifetime
    if nonce is not None:
        out["nonce"] = nonce
    return out


def origin_of(issuer: str, issuer_path: str) -> str:
    """The issuer without a preset's ``issuer_path``: where the endpoints are."""
    base = issuer.rstrip("/")
    suffix = issuer_path.rstrip("/")
    return base[: -len(suffix)] if suffix and base.endswith(suffix) else base


# LoginRadius's API error codes (its "SSO API codes") and the statuses it answers them with.
LOGINRADIUS_ERRORS: dict[str, tuple[int, int]] = {
    "invalid_request": (2008, 400),
    "invalid_client": (2009, 401),
    "invalid_grant": (2010, 400),
    "unauthorized_client": (2011, 403),
    "unsupported_grant_type": (2012, 400),
    "invalid_scope": (2013, 400),
}


def _loginradius_code(error: str, description: str) -> tuple[int, int]:
    """The ErrorCode and status for an OAuth error: 2014 a redirect_uri mismatch, 2005
    an expired code, 2007 another bad code, else by the error code (2008-2013)."""
    if error == "invalid_grant" and "redirect_uri" in description:
        return 2014, 401
    if error == "invalid_grant" and description.startswith("code"):
        expired = "expired" in description and "unknown" not in description
        return (2005, 401) if expired else (2007, 401)
    return LOGINRADIUS_ERRORS.get(error, (2008, 400))


def error_body(error: OAuthError, shape: str) -> tuple[JSONObject, int]:
    """An OAuthError's JSON body and status: RFC 6749 5.2 (``oauth``) or LoginRadius's
    envelope (``loginradius``: Description, ErrorCode, Message, IsProviderError, ...)."""
    code = error.error
    description = error.description or ""
    if shape != "loginradius" or code in ("invalid_token", "insufficient_scope"):
        body: JSONObject = {"error": code}
        if description:
            body["error_description"] = description
        return body, error.status
    number, status = _loginradius_code(code, description)
    return {
        "Description": description or code,
        "ErrorCode": number,
        "Message": code,
        "IsProviderError": False,
        "ProviderErrorResponse": None,
    }, status


def _number(value: str | None) -> int | str | None:
    return int(value) if value is not None and value.isdigit() else value


def superoffice_principal(values: Mapping[str, str], user: User) -> JSONObject:
    """SuperOffice's ``v1/User/currentPrincipal`` (its documented members, a subset)."""
    claims = user.claims
    return {
        "ContextId": values.get("ctx"),
        "Associate": user.username,
        "AssociateId": _number(values.get("associateid")),
        "PersonId": _number(values.get("person_id") or values.get("associateid")),
        "FullName": claims.get("name") or user.username,
        "EMailAddress": values.get("email"),
        "CompanyName": values.get("company_name"),
        "SerialNumber": values.get("serial"),
        "RoleName": values.get("role_name") or "User level 0",
        "UserType": "InternalAssociate",
    }
