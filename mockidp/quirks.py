"""A provider's quirks: how a real vendor differs from the generic behaviour, as data.

A preset (:mod:`mockidp.presets`) sets these in its scenario data and a scenario may
override any of them under ``quirks:``. The HTTP layer and the core read them; no
quirk is a code hook. Every default is the generic (standards) behaviour.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Literal

from mockidp.types import JSONObject

UserinfoFormat = Literal["json", "jwt_string"]
ErrorShape = Literal["oauth", "loginradius"]


@dataclass(frozen=True)
class Quirks:
    """Switches the core and the HTTP layer read; see QUIRKS_SCHEMA for each one's meaning."""

    merge_query_into_body: bool = False
    accept_json_body: bool = False
    strip_json_keys: bool = False
    token_type: str = "Bearer"
    token_response_scope: bool = True
    refresh_id_token_member: str = "id_token"
    x509_keys: bool = False
    id_token_nbf_offset: int | None = None
    id_token_omit: tuple[str, ...] = ()
    id_token_sub_claim: str | None = None
    id_token_claims: dict[str, str] = field(default_factory=dict)
    claim_defaults: dict[str, str] = field(default_factory=dict)
    userinfo_format: UserinfoFormat = "json"
    userinfo_lifetime: int = 600
    userinfo_all_claims: bool = False
    userinfo_uid_claim: str | None = None
    require_state: bool = False
    issuer_path: str = ""
    issuer_template: str | None = None
    environments: tuple[str, ...] = ()
    metadata_members: tuple[str, ...] | None = None
    metadata_values: JSONObject = field(default_factory=dict)
    end_session_redirect_param: str = "post_logout_redirect_uri"
    revocation_json: bool = False
    tenant_acr_prefix: str | None = None
    code_template: str | None = None
    require_openid_scope: bool = False
    tenant_claim: str = "ctx"
    error_shape: ErrorShape = "oauth"


_FLAG = {"type": "boolean"}
_STRINGS = {"type": "array", "items": {"type": "string", "minLength": 1}}
_STRING_MAP = {"type": "object", "additionalProperties": {"type": "string"}}

QUIRKS_SCHEMA: JSONObject = {
    "type": "object",
    "description": "How this provider differs from the standards (presets set these).",
    "additionalProperties": False,
    "properties": {
        "merge_query_into_body": {
            **_FLAG,
            "description": "Token-type endpoints also read the query string (SuperOffice); "
            "the body wins a clash, and an empty non-form body is accepted.",
        },
        "accept_json_body": {
            **_FLAG,
            "description": "Token and revocation endpoints also take a JSON object body.",
        },
        "strip_json_keys": {
            **_FLAG,
            "description": "Trim spaces around JSON body keys (LoginRadius documents 'token ').",
        },
        "token_type": {"type": "string", "minLength": 1, "description": "token_type answered."},
        "token_response_scope": {
            **_FLAG,
            "description": "Include scope in token responses.",
        },
        "refresh_id_token_member": {
            "type": "string",
            "minLength": 1,
            "description": "Name of the ID token member in refresh responses "
            "(LoginRadius documents 'Id_token').",
        },
        "x509_keys": {
            **_FLAG,
            "description": "Signing keys get a self-signed certificate: x5t in token headers, "
            "x5t and x5c in the JWKS, kid the uppercase hex SHA-1 thumbprint.",
        },
        "id_token_nbf_offset": {
            "type": "integer",
            "description": "Add nbf = iat + this (SuperOffice: -60).",
        },
        "id_token_omit": {
            **_STRINGS,
            "description": "Standard ID token claims never sent (at_hash, auth_time, sid).",
        },
        "id_token_sub_claim": {
            "type": "string",
            "minLength": 1,
            "description": "The ID token's sub is this user claim when the user has it.",
        },
        "id_token_claims": {
            **_STRING_MAP,
            "description": "Extra ID token claims: name -> template; {name} is a user claim, "
            "a claim_defaults value, {origin}, {sub} or {username}. Always strings.",
        },
        "claim_defaults": {
            **_STRING_MAP,
            "description": "Template values for users who lack the claim.",
        },
        "userinfo_format": {
            "enum": ["json", "jwt_string"],
            "description": "jwt_string: UserInfo answers a JSON-quoted signed JWT.",
        },
        "userinfo_lifetime": {"type": "integer", "minimum": 1},
        "userinfo_all_claims": {
            **_FLAG,
            "description": "UserInfo lists every standard claim, null when the user lacks it.",
        },
        "userinfo_uid_claim": {
            "type": "string",
            "minLength": 1,
            "description": "Also send sub under this name (LoginRadius: Uid).",
        },
        "require_state": {**_FLAG, "description": "The authorization request must carry state."},
        "issuer_path": {
            "type": "string",
            "description": "The issuer is the origin plus this path (endpoints stay on the origin).",
        },
        "issuer_template": {
            "type": "string",
            "description": "With path_params.environment: the issuer, e.g. "
            "https://{environment}.superoffice.com.",
        },
        "environments": {**_STRINGS, "description": "Allowed path_params.environment values."},
        "metadata_members": {
            **_STRINGS,
            "description": "The discovery document has exactly these members, in this order.",
        },
        "metadata_values": {
            "type": "object",
            "description": "Discovery members to set or replace.",
        },
        "end_session_redirect_param": {
            "type": "string",
            "minLength": 1,
            "description": "The end session parameter naming where to go after logout.",
        },
        "code_template": {
            "type": "string",
            "description": "Authorization codes' shape, an opaque token template "
            "(SuperOffice: {random:alnum:64}).",
        },
        "require_openid_scope": {
            **_FLAG,
            "description": "An authorization request without openid is refused "
            "(request_not_supported, as LoginRadius does).",
        },
        "tenant_acr_prefix": {
            "type": "string",
            "minLength": 1,
            "description": "acr_values entry choosing the tenant (SuperOffice: 'tenant:').",
        },
        "tenant_claim": {
            "type": "string",
            "minLength": 1,
            "description": "The template value a chosen tenant sets (default ctx).",
        },
        "revocation_json": {**_FLAG, "description": "Revocation answers {} (not an empty body)."},
        "error_shape": {
            "enum": ["oauth", "loginradius"],
            "description": "loginradius: errors as the LoginRadius envelope {Description, "
            "ErrorCode, Message, IsProviderError, ProviderErrorResponse} (bearer-token errors "
            "stay RFC 6750).",
        },
    },
}


def build_quirks(data: JSONObject) -> Quirks:
    """A validated ``quirks`` mapping as :class:`Quirks`."""
    values: dict[str, Any] = dict(data)
    for name in ("id_token_omit", "environments"):
        if name in values:
            values[name] = tuple(values[name])
    if values.get("metadata_members") is not None:
        values["metadata_members"] = tuple(values["metadata_members"])
    for name in ("id_token_claims", "claim_defaults", "metadata_values"):
        if name in values:
            values[name] = dict(values[name])
    return Quirks(**values)
