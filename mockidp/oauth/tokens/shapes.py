"""Response and claim shapes that a preset's quirks ask for (:mod:`mockidp.model.quirks`).

Pure functions over plain data: the core calls them where a generic response or
claim set is finished, so the generic path stays as it is when no quirk is set.
"""

from __future__ import annotations

import base64
import json
import re
import uuid
from collections.abc import Mapping
from typing import Any

from mockidp.errors import MethodNotAllowed, NotFound, OAuthError, VendorApiError
from mockidp.model.quirks import Quirks
from mockidp.model.scenario import User
from mockidp.oauth.records import new_jti
from mockidp.oauth.tokens.claims import STANDARD_CLAIMS
from mockidp.types import JSONObject

_PLACEHOLDER = re.compile(r"\{([A-Za-z_][A-Za-z0-9_]*(?:\|[A-Za-z_][A-Za-z0-9_]*)*)\}")
"""``{name}``, or ``{name|other}``: the first of them that has a value."""
_ADDRESS_MEMBERS = ("country", "locality", "postal_code", "region", "street_address")


def shape_token_response(response: JSONObject, quirks: Quirks, grant_type: str) -> JSONObject:
    """A token response with the vendor's token_type, scope and member names."""
    member = quirks.refresh_id_token_member
    if quirks.token_type == "Bearer" and quirks.token_response_scope and member == "id_token":
        return response
    out = dict(response)
    if out.get("token_type") == "Bearer":  # a DPoP-bound token stays DPoP (RFC 9449 5)
        out["token_type"] = quirks.token_type
    if not quirks.token_response_scope:
        out.pop("scope", None)
    if grant_type == "refresh_token" and member != "id_token" and "id_token" in out:
        out[member] = out.pop("id_token")
    return out


def add_token_response_extras(
    response: JSONObject, quirks: Quirks, *, refresh_lifetime: int, sid: str | None
) -> JSONObject:
    """Keycloak's extra token response members, those ``token_response_extras`` names:
    refresh_expires_in (with a refresh token), session_state (the session's id, the
    tokens' sid) and not-before-policy (0: no revocation policy pushed)."""
    out = dict(response)
    extras = quirks.token_response_extras
    if "refresh_expires_in" in extras and "refresh_token" in out:
        out["refresh_expires_in"] = refresh_lifetime
    if "not-before-policy" in extras:
        out["not-before-policy"] = 0
    if "session_state" in extras and sid is not None:
        out["session_state"] = sid
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
    # A stable GUID per user, for vendors whose ids are GUIDs (Entra's oid).
    values["sub_uuid"] = str(uuid.uuid5(uuid.NAMESPACE_URL, "mockidp:user:" + user.sub))
    return values


def fill_template(template: str, values: Mapping[str, str]) -> str | None:
    """``template`` filled from ``values``; None when a value it names is missing."""
    missing = False

    def one(match: re.Match[str]) -> str:
        nonlocal missing
        found = (values.get(name) for name in match.group(1).split("|"))
        value = next((v for v in found if v is not None), None)
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
        or quirks.id_token_iss_without_scheme
    ):
        return claims
    out = {k: v for k, v in claims.items() if k not in quirks.id_token_omit}
    if quirks.id_token_iss_without_scheme:
        out["iss"] = str(out["iss"]).partition("://")[2] or out["iss"]
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


def shape_access_token(
    claims: JSONObject,
    quirks: Quirks,
    user: User | None,
    origin: str,
    *,
    client_id: str,
    tenant: str | None = None,
) -> JSONObject:
    """JWT access token claims as the vendor shapes them: omissions and extra string
    claims (templates as in ID tokens, plus ``{client_id}``)."""
    if not (quirks.access_token_omit or quirks.access_token_claims):
        return claims
    out = {k: v for k, v in claims.items() if k not in quirks.access_token_omit}
    # An app-only token has no user: the defaults (Entra's tid) still apply.
    values = template_values(quirks, user, origin, tenant) if user else dict(quirks.claim_defaults)
    values["client_id"] = client_id
    for name, template in quirks.access_token_claims.items():
        value = fill_template(template, values)
        if value is not None:
            out[name] = value
    return out


def client_info(quirks: Quirks, user: User, origin: str, *, tenant: str | None) -> str:
    """Entra's ``client_info``: base64url JSON of the quirk's members (uid, utid)."""
    values = template_values(quirks, user, origin, tenant)
    members = {k: fill_template(t, values) for k, t in quirks.client_info.items()}
    data = json.dumps({k: v for k, v in members.items() if v is not None}).encode()
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


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


# LoginRadius's "Oops, something is going wrong" (its SSO API codes): the envelope's
# ErrorCode for an error its documents give no number of. Never null: LoginRadius's SDKs
# read a body without an ErrorCode as a success.
ENVELOPE_FALLBACK_CODE = 1000


def error_body(error: OAuthError, quirks: Quirks) -> tuple[JSONObject, int]:
    """An OAuthError's JSON body and status: RFC 6749 5.2 (``oauth``) or LoginRadius's
    envelope (``loginradius``: Description, ErrorCode, Message, IsProviderError, ...),
    worded as the vendor words it (``error_messages``). A vendor API's own error
    (:class:`VendorApiError`) is always its envelope; so is a path nothing serves when
    ``not_found_shape`` says so."""
    if isinstance(error, VendorApiError):
        return _envelope(error.description or error.message, error.code, error.message), (
            error.status
        )
    code = error.error
    description = error.description or ""
    status = error.status
    wording = quirks.error_messages.get(error.reason) if error.reason else None
    if wording:
        if wording.get("error", code) != code:
            code = str(wording["error"])
            status = 401 if code == "invalid_client" else 400  # RFC 6749 5.2
        description = str(wording.get("description", description))
    status = quirks.error_status.get(code, status)
    unrouted = isinstance(error, NotFound | MethodNotAllowed)
    shape = quirks.not_found_shape if unrouted else quirks.error_shape
    if shape != "loginradius" or code in ("invalid_token", "insufficient_scope"):
        body: JSONObject = {"error": code}
        if description:
            body["error_description"] = description
        return body, status
    key = "not_found" if unrouted else code
    numbers = quirks.envelope_codes.get(error.reason) or quirks.envelope_codes.get(key) or {}
    number = int(numbers.get("ErrorCode", ENVELOPE_FALLBACK_CODE))
    if unrouted:  # the HTTP status says which: 404 or 405 (with its Allow header)
        return _envelope(description or code, number, code), status
    return _envelope(description or code, number, code), int(numbers.get("status", status))


def _envelope(description: str, code: int, message: str) -> JSONObject:
    return {
        "Description": description,
        "ErrorCode": code,
        "Message": message,
        "IsProviderError": False,
        "ProviderErrorResponse": None,
    }


def _number(value: str | None) -> int | str | None:
    return int(value) if value is not None and value.isdigit() else value


def superoffice_principal(values: Mapping[str, str], user: User) -> JSONObject:
    """SuperOffice's ``v1/User/currentPrincipal``: the members its clients read (the
    AspNet.Security.OAuth.SuperOffice handler reference 001 links to, and providers.md's
    ``ContextId``). Identity members come from the sign-in's values; the rest are
    placeholders, and a user's ``current_principal`` claim (an object) overrides any."""
    claims = user.claims
    ctx = values.get("ctx")
    associate_id = _number(values.get("associateid"))
    principal: JSONObject = {
        "UserType": "InternalAssociate",
        "Associate": user.username,
        "AssociateId": associate_id,
        "IsPerson": True,
        "PersonId": _number(values.get("person_id")) or associate_id,
        "CountryId": 0,
        "HomeCountryId": 0,
        "ContactId": 0,
        "GroupId": 0,
        "BusinessId": 0,
        "CategoryId": 0,
        "ContactOwner": 0,
        "RoleId": 0,
        "RoleName": values.get("role_name") or "User level 0",
        "RoleDescription": "",
        "RoleType": "Employee",
        "Licenses": [],
        "FullName": claims.get("name") or user.username,
        "EMailAddress": values.get("email"),
        "FunctionRights": [],
        "EjUserId": 0,
        "EjAccessLevel": 0,
        "EjUserStatus": "StatusNormal",  # @superoffice/webapi's EjUserStatus enum
        "ProvidedCredentials": None,
        "SecondaryGroups": [],
        "ContextId": ctx,
        "ContextIdentifier": ctx,
        "DatabaseContextIdentifier": ctx,
    }
    override = claims.get("current_principal")
    if isinstance(override, dict):
        principal.update(override)
    return principal
