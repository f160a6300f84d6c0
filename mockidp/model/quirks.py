"""A provider's quirks: how a real vendor differs from the generic behaviour, as data.

A preset (:mod:`mockidp.presets`) sets these in its scenario data and a scenario may
override any of them under ``quirks:``. The HTTP layer and the core read them; no
quirk is a code hook. Every default is the generic (standards) behaviour.
"""

from __future__ import annotations

from typing import Any, Literal

from msgspec import Struct, field

from mockidp.types import JSONObject

UserinfoFormat = Literal["json", "jwt_string"]
ErrorShape = Literal["oauth", "loginradius"]
AccessTokenShape = Literal["rfc9068", "keycloak", "entra", "okta", "auth0", "cognito"]


class Quirks(Struct, frozen=True):
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
    end_session_site_wide: bool = False
    end_session_redirect_aliases: tuple[str, ...] = ()
    token_redirect_uri_optional: bool = False
    case_insensitive_paths: bool = False
    access_token_typ: str = "at+jwt"
    id_token_iss_without_scheme: bool = False
    token_response_extras: tuple[str, ...] = ()
    access_token_claims: dict[str, str] = field(default_factory=dict)
    access_token_omit: tuple[str, ...] = ()
    revocation_json: bool = False
    tenant_acr_prefix: str | None = None
    code_template: str | None = None
    require_openid_scope: bool = False
    tenant_claim: str = "ctx"
    error_shape: ErrorShape = "oauth"
    error_messages: dict[str, JSONObject] = field(default_factory=dict)
    envelope_codes: dict[str, JSONObject] = field(default_factory=dict)
    error_status: dict[str, int] = field(default_factory=dict)
    not_found_shape: ErrorShape = "oauth"
    system_user_ticket_lifetime: int = 6 * 3600
    access_type_offline: bool = False
    access_token_audience: str | None = None
    resource_parameter_aliases: tuple[str, ...] = ()
    password_realms: tuple[str, ...] = ()
    default_scopes: tuple[str, ...] = ()
    resource_scopes: dict[str, tuple[str, ...]] = field(default_factory=dict)
    default_scope_resource: str | None = None
    refresh_any_scope: bool = False
    client_info: dict[str, str] = field(default_factory=dict)
    logout_refresh_token: bool = False
    refresh_token_jwt: bool = False
    access_token_sid: bool = False
    credentialed_cors: bool = False
    keycloak_login_status: bool = False
    access_token_shape: AccessTokenShape = "rfc9068"
    roles_claim: str | None = None


ERROR_REASONS = (
    "client_unknown",
    "client_secret",
    "code_used",
    "code_expired",
    "code_client",
    "redirect_uri",
    "refresh_token",
    "resource",
    "authorize_redirect_uri",
)
"""The refusals a preset may word its own way (``OAuthError.reason``; the last is an
error page's, ``PageError.reason``)."""

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
        "token_response_extras": {
            "type": "array",
            "items": {"enum": ["refresh_expires_in", "not-before-policy", "session_state"]},
            "uniqueItems": True,
            "description": "Extra token response members (Keycloak's): refresh_expires_in "
            "(the refresh token's lifetime), not-before-policy (0), session_state (the "
            "session id, the tokens' sid).",
        },
        "id_token_iss_without_scheme": {
            **_FLAG,
            "description": "ID tokens' iss without its https:// (Google's may be "
            "accounts.google.com): clients must accept both.",
        },
        "access_token_typ": {
            "type": "string",
            "minLength": 1,
            "description": "The typ header of JWT access tokens (RFC 9068: at+jwt; most "
            "vendors: JWT).",
        },
        "access_token_claims": {
            **_STRING_MAP,
            "description": "Extra JWT access token claims: name -> template, as "
            "id_token_claims, plus {client_id} (Cognito: token_use, username).",
        },
        "access_token_omit": {
            **_STRINGS,
            "description": "Standard JWT access token claims never sent (Cognito: aud).",
        },
        "case_insensitive_paths": {
            **_FLAG,
            "description": "Endpoint paths match whatever their case (SuperOffice's servers: "
            "/Login/... and /login/..., .../v1/user/currentPrincipal).",
        },
        "token_redirect_uri_optional": {
            **_FLAG,
            "description": "A code exchange may leave out redirect_uri even when the "
            "authorization request had one (LoginRadius documents it as optional); one that "
            "is sent must still match.",
        },
        "end_session_redirect_aliases": {
            **_STRINGS,
            "description": "Other end session parameters that also name the return URL "
            "(Auth0's /v2/logout: returnTo).",
        },
        "end_session_site_wide": {
            **_FLAG,
            "description": "End session needs no client: the return URL may be any client's "
            "registered post-logout URI (LoginRadius's hosted logout page).",
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
        "error_messages": {
            "type": "object",
            "description": "The vendor's wording of a refusal, by mockidp's reason for it: "
            "client_unknown, client_secret, code_used, code_expired, code_client, "
            "redirect_uri, refresh_token, resource (a resource or audience refused), "
            "authorize_redirect_uri (the error page) -> "
            "{error, description} (either may be left out).",
            "propertyNames": {"enum": list(ERROR_REASONS)},
            "additionalProperties": {
                "type": "object",
                "additionalProperties": False,
                "properties": {
                    "error": {"type": "string", "pattern": "^[A-Za-z0-9_.-]+$"},
                    "description": {"type": "string", "minLength": 1},
                },
            },
        },
        "not_found_shape": {
            "enum": ["oauth", "loginradius"],
            "description": "The shape of the answer to a path nothing serves, or a method it "
            "does not take (404 / 405). loginradius: its envelope with an ErrorCode, so "
            "LoginRadius's SDKs see an error, not data.",
        },
        "system_user_ticket_lifetime": {
            "type": "integer",
            "minimum": 1,
            "description": "Seconds a SuperOffice system-user ticket (7T:...) stays valid "
            "for web API calls with 'Authorization: SOTicket' (default 6 hours).",
        },
        "access_type_offline": {
            **_FLAG,
            "description": "access_type=offline at the authorization endpoint asks for a "
            "refresh token (Google): given at a user's first consent to the client, and again "
            "whenever prompt=consent is sent.",
        },
        "access_token_audience": {
            "type": "string",
            "minLength": 1,
            "description": "The aud of access tokens that name no resource, instead of the "
            "client id; {name} is a path_params value (Okta custom servers: api://{auth_server}).",
        },
        "resource_parameter_aliases": {
            **_STRINGS,
            "description": "Other parameters naming the resource (RFC 8707) an access token is "
            "for, at the authorization and token endpoints (Auth0: audience); any string.",
        },
        "password_realms": {
            **_STRINGS,
            "description": "Auth0's password-realm grant "
            "(http://auth0.com/oauth/grant-type/password-realm) with one of these realms "
            "(connections); empty: the grant is not offered.",
        },
        "default_scopes": {
            **_STRINGS,
            "description": "Scopes every token request and authorization gets besides those "
            "asked for, when the client may have them (Keycloak's default client scopes: "
            "profile, email).",
        },
        "resource_scopes": {
            "type": "object",
            "description": "Resource-qualified scopes (Entra): resource -> its permission "
            "names ('*': any). {resource}/{permission} and {resource}/.default are then known "
            "scopes, and the access token is for that resource; api://{client_id} stands for "
            "api:// plus any client of the scenario.",
            "additionalProperties": _STRINGS,
        },
        "default_scope_resource": {
            "type": "string",
            "minLength": 1,
            "description": "The resource of bare permission names (Entra: Microsoft Graph's "
            "User.Read is https://graph.microsoft.com/User.Read).",
        },
        "refresh_any_scope": {
            **_FLAG,
            "description": "A refresh token is redeemable for any known scope, of any "
            "resource, not only those first granted (Entra).",
        },
        "client_info": {
            **_STRING_MAP,
            "description": "With client_info=1 on a token request, token responses carry "
            "client_info: these members (templates, as id_token_claims) as base64url JSON "
            "(Entra: uid, utid).",
        },
        "refresh_token_jwt": {
            **_FLAG,
            "description": "Refresh tokens are signed JWTs (typ Refresh, azp, sid, exp) "
            "rather than opaque strings (Keycloak: keycloak-js decodes them).",
        },
        "access_token_sid": {
            **_FLAG,
            "description": "JWT access tokens carry the browser session's sid (Keycloak: "
            "keycloak-js reads it for its login-status iframe).",
        },
        "credentialed_cors": {
            **_FLAG,
            "description": "Scripts' calls to the token, userinfo, introspection and "
            "revocation endpoints from one of the client's web origins (its redirect URIs' "
            "origins) get that Origin echoed with Access-Control-Allow-Credentials: true "
            "and Vary: Origin, so credentialed fetches work (Keycloak); any other origin "
            "gets the same answer with the generic Access-Control-Allow-Origin: *.",
        },
        "keycloak_login_status": {
            **_FLAG,
            "description": "The check_session iframe speaks Keycloak's login-status "
            "protocol (message 'client_id sid', checked by its /init call), and the "
            "3p-cookies step1/step2 pages are served (keycloak-js's checkLoginIframe).",
        },
        "access_token_shape": {
            "enum": ["rfc9068", "keycloak", "entra", "okta", "auth0", "cognito"],
            "description": "Where JWT access tokens (and ID tokens) carry scopes, roles and "
            "groups: rfc9068 (scope, client_id, roles, groups), or the vendor's shape "
            "(docs/presets.md, 'Access tokens and roles').",
        },
        "roles_claim": {
            "type": "string",
            "minLength": 1,
            "description": "A custom claim naming the user's roles in access and ID tokens "
            "and UserInfo (Auth0: a namespaced claim an Action adds).",
        },
        "logout_refresh_token": {
            **_FLAG,
            "description": "A POST to end session with refresh_token (and the client's "
            "credentials) ends that grant, its refresh and access tokens, and the browser "
            "session they came from, and answers 204 (Keycloak's back-channel logout of "
            "python-keycloak and keycloak-js).",
        },
        "error_status": {
            "type": "object",
            "description": "The HTTP status of a token-endpoint error code, where the vendor "
            "differs from RFC 6749 (Auth0: invalid_grant 403).",
            "propertyNames": {"pattern": "^[a-z_]+$"},
            "additionalProperties": {"type": "integer", "minimum": 400, "maximum": 599},
        },
        "envelope_codes": {
            "type": "object",
            "description": "error_shape loginradius: the ErrorCode (and HTTP status, else the "
            "RFC one) of an error, by reason (as in error_messages) or else by error code.",
            "additionalProperties": {
                "type": "object",
                "additionalProperties": False,
                "required": ["ErrorCode"],
                "properties": {
                    "ErrorCode": {"type": "integer"},
                    "status": {"type": "integer", "minimum": 400, "maximum": 599},
                },
            },
        },
    },
}


def build_quirks(data: JSONObject) -> Quirks:
    """A validated ``quirks`` mapping as :class:`Quirks`."""
    values: dict[str, Any] = dict(data)
    for name in (
        "id_token_omit",
        "environments",
        "access_token_omit",
        "token_response_extras",
        "end_session_redirect_aliases",
        "resource_parameter_aliases",
        "password_realms",
        "default_scopes",
    ):
        if name in values:
            values[name] = tuple(values[name])
    if values.get("metadata_members") is not None:
        values["metadata_members"] = tuple(values["metadata_members"])
    for name in (
        "id_token_claims",
        "access_token_claims",
        "claim_defaults",
        "metadata_values",
        "error_messages",
        "envelope_codes",
        "error_status",
        "client_info",
    ):
        if name in values:
            values[name] = dict(values[name])
    if "resource_scopes" in values:
        values["resource_scopes"] = {k: tuple(v) for k, v in values["resource_scopes"].items()}
    return Quirks(**values)
