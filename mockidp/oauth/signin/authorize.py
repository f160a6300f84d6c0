"""Validating an authorization request (RFC 6749 4.1.1, OpenID Connect Core 3.1.2.1).

Two phases, because they fail differently: the client and redirect URI are checked
first and, if untrustworthy, the user sees an error page (never a redirect); every later
problem is an OAuthError that the provider sends back to the validated redirect URI.
"""

from __future__ import annotations

from typing import Any

from msgspec import Struct
from msgspec.structs import asdict

from mockidp.errors import (
    InvalidRequest,
    OAuthError,
    PageError,
    RequestNotSupported,
    RequestUriNotSupported,
    UnauthorizedClient,
    UnsupportedResponseType,
)
from mockidp.model.response_types import (
    RESPONSE_MODES,
    RESPONSE_TYPES,
    canonical,
    default_mode,
    grant_types_for,
    target_mode,
)
from mockidp.model.scenario import Client, Scenario
from mockidp.oauth.deps import ClientSource
from mockidp.oauth.signin import pkce
from mockidp.oauth.signin.offline import asks_offline
from mockidp.oauth.tokens import resources
from mockidp.oauth.tokens.claims import parse_claims_request
from mockidp.oauth.tokens.scopes import requested_scopes
from mockidp.oauth.urls import uri_allowed
from mockidp.types import JSONObject, Params

PROMPTS: tuple[str, ...] = ("none", "login", "consent", "select_account")


class Target(Struct, frozen=True):
    """Where an authorization response goes: known as soon as phase one passes."""

    client: Client
    redirect_uri: str
    response_mode: str
    state: str | None


class AuthorizationRequest(Struct, frozen=True):
    """A fully validated authorization request, storable while the user interacts."""

    client_id: str
    redirect_uri: str
    redirect_uri_given: bool
    response_type: str
    response_mode: str
    scope: tuple[str, ...]
    state: str | None = None
    nonce: str | None = None
    prompt: tuple[str, ...] = ()
    max_age: int | None = None
    login_hint: str | None = None
    code_challenge: str | None = None
    code_challenge_method: str | None = None
    claims: JSONObject | None = None
    tenant: str | None = None
    """The tenant an ``acr_values`` entry chose (quirk ``tenant_acr_prefix``)."""
    resources: tuple[str, ...] = ()
    """RFC 8707 resources the tokens are for (``resource``, repeatable)."""
    dpop_jkt: str | None = None
    """RFC 9449 10: the DPoP key the code is bound to."""
    offline: bool = False
    """``access_type=offline`` (quirk ``access_type_offline``): a refresh token is wanted."""

    def to_record(self) -> JSONObject:
        return asdict(self)

    @classmethod
    def from_record(cls, record: JSONObject) -> AuthorizationRequest:
        data: dict[str, Any] = dict(record)
        data["scope"] = tuple(data["scope"])
        data["prompt"] = tuple(data["prompt"])
        data["resources"] = tuple(data.get("resources") or ())
        return cls(**data)


def resolve_target(scenario: ClientSource, params: Params) -> Target:
    """Phase one: the client and where to send it. Raises PageError."""
    client_id = params.get("client_id")
    if not client_id:
        raise PageError("invalid_request", "client_id is missing")
    client = scenario.client(client_id)
    if client is None:
        raise PageError("invalid_client", f"unknown client_id {client_id!r}")
    redirect_uri = params.get("redirect_uri")
    if redirect_uri is None:
        if len(client.redirect_uris) != 1:  # RFC 6749 3.1.2.3: only one registered may be implied
            raise PageError(
                "invalid_request",
                "redirect_uri is missing and the client has not exactly one registered",
            )
        redirect_uri = client.redirect_uris[0]
    elif not uri_allowed(
        redirect_uri,
        client.redirect_uris,
        loopback=client.loopback_redirects,
        any_port=client.loopback_ports,
    ):
        raise PageError(
            "invalid_request",
            f"redirect_uri {redirect_uri!r} is not registered for client {client_id!r}",
            reason="authorize_redirect_uri",
        )
    # an unusable mode is reported in phase two, in the response type's default mode
    mode = target_mode(params.get("response_type"), params.get("response_mode"))
    return Target(client, redirect_uri, mode, params.get("state"))


def validate_request(
    scenario: Scenario, target: Target, params: Params, *, pushed: bool = False
) -> AuthorizationRequest:
    """Phase two: everything else. Raises OAuthError, to be redirected to ``target``.

    ``pushed``: the parameters came through PAR (RFC 9126), so a client or scenario that
    requires pushed requests accepts them. The steps run in this order, so the first
    broken rule is the one reported.
    """
    client = target.client
    _check_plain(scenario, client, params, pushed=pushed)
    response_type = _response_type(client, params.get("response_type"))
    _check_mode(params.get("response_mode"), response_type)
    scope = _scope(scenario, client, params, response_type)
    prompt = _prompt(params.get("prompt", ""))
    max_age = _max_age(params.get("max_age"))
    challenge = _challenge(client, params, response_type)
    dpop_jkt = _dpop_jkt(params.get("dpop_jkt"))
    return AuthorizationRequest(
        client_id=client.client_id,
        redirect_uri=target.redirect_uri,
        redirect_uri_given="redirect_uri" in params,
        response_type=response_type,
        response_mode=target.response_mode,
        scope=scope,
        state=params.get("state"),
        nonce=params.get("nonce"),
        prompt=prompt,
        max_age=max_age,
        login_hint=params.get("login_hint"),
        code_challenge=challenge[0] if challenge else None,
        code_challenge_method=challenge[1] if challenge else None,
        claims=parse_claims_request(params.get("claims")),
        tenant=_tenant(scenario, params.get("acr_values")),
        resources=resources.requested(scenario, client, params),
        dpop_jkt=dpop_jkt,
        offline=asks_offline(scenario, params),
    )


def _check_plain(scenario: Scenario, client: Client, params: Params, *, pushed: bool) -> None:
    """Plain parameters, pushed where that is required, and state where a vendor wants it."""
    if not pushed and (
        scenario.require_pushed_authorization_requests
        or client.require_pushed_authorization_requests
    ):  # RFC 9126 5 and 6
        raise InvalidRequest(
            "this authorization server requires pushed authorization requests (RFC 9126): "
            "push the parameters to the pushed_authorization_request_endpoint first"
        )
    if "request" in params:
        raise RequestNotSupported("request objects are not supported; send plain parameters")
    if "request_uri" in params:
        raise RequestUriNotSupported("request_uri is not supported; send plain parameters")
    if scenario.quirks.require_state and "state" not in params:
        raise InvalidRequest("The state is a required parameter")


def _check_mode(mode: str | None, response_type: str) -> None:
    if mode is not None and mode not in RESPONSE_MODES:
        raise InvalidRequest(f"response_mode must be one of {', '.join(RESPONSE_MODES)}")
    if mode == "query" and default_mode(response_type) == "fragment":
        raise InvalidRequest(  # OAuth 2.0 Multiple Response Type Encoding Practices 2.1
            f"response_mode=query cannot carry the tokens of response_type {response_type!r}; "
            "use fragment or form_post"
        )


def _scope(
    scenario: Scenario, client: Client, params: Params, response_type: str
) -> tuple[str, ...]:
    """The requested scopes, with openid (and a nonce) where an ID token needs them."""
    scope = requested_scopes(scenario, client, params.get("scope"))
    if scenario.quirks.require_openid_scope and "openid" not in scope:
        raise RequestNotSupported("scope must contain openid")
    if "id_token" in response_type.split():
        if "openid" not in scope:  # an ID token is OpenID Connect only
            raise InvalidRequest(f"response_type {response_type!r} needs the openid scope")
        if "nonce" not in params:  # Core 3.2.2.1, and 3.3.2.1 (as corrected by errata)
            raise InvalidRequest(f"nonce is required with response_type {response_type!r}")
    return scope


def _prompt(raw: str) -> tuple[str, ...]:
    prompt = tuple(raw.split())
    for value in prompt:
        if value not in PROMPTS:
            raise InvalidRequest(f"prompt value {value!r} is not supported")
    if "none" in prompt and len(prompt) > 1:
        raise InvalidRequest("prompt=none cannot be combined with other values")
    return prompt


def _challenge(client: Client, params: Params, response_type: str) -> tuple[str, str] | None:
    """RFC 7636 4.3: the code challenge and its method, required where the client says."""
    challenge = pkce.check_challenge(
        params.get("code_challenge"), params.get("code_challenge_method")
    )
    if challenge is None and client.require_pkce and "code" in response_type.split():
        what = "public clients" if client.public else "this client"
        raise InvalidRequest(f"PKCE is required for {what}: send code_challenge (S256)")
    return challenge


def _dpop_jkt(dpop_jkt: str | None) -> str | None:
    if dpop_jkt is not None:
        from mockidp.oauth.tokens import dpop

        if not dpop.valid_jkt(dpop_jkt):
            raise InvalidRequest(
                "dpop_jkt must be a base64url SHA-256 JWK thumbprint (RFC 9449 10)"
            )
    return dpop_jkt


def _response_type(client: Client, raw: str | None) -> str:
    """The request's response type, spelled canonically, if supported and allowed."""
    if raw is None:
        raise InvalidRequest("response_type is missing")
    response_type = canonical(raw)
    if response_type is None:
        raise UnsupportedResponseType(
            f"response_type {raw!r} is not supported; use one of {', '.join(RESPONSE_TYPES)}"
        )
    if response_type not in client.response_types:  # Registration 2: response_types
        raise UnauthorizedClient(
            f"client {client.client_id!r} may not use response_type {response_type!r}; "
            f"it is registered for {', '.join(client.response_types) or 'none'}"
        )
    for grant_type in grant_types_for(response_type):
        if grant_type not in client.grant_types:
            raise UnauthorizedClient(
                f"client {client.client_id!r} may not use response_type {response_type!r}: "
                f"it is not registered for the {grant_type} grant type"
            )
    return response_type


def _tenant(scenario: Scenario, acr_values: str | None) -> str | None:
    prefix = scenario.quirks.tenant_acr_prefix
    if not prefix or not acr_values:
        return None
    for value in acr_values.split():
        if value.startswith(prefix) and len(value) > len(prefix):
            return value[len(prefix) :]
    return None


def _max_age(raw: str | None) -> int | None:
    if raw is None:
        return None
    if not raw.isdigit() or len(raw) > 10:
        raise InvalidRequest("max_age must be a non-negative integer number of seconds")
    return int(raw)


def error_params(error: OAuthError, target: Target, issuer: str) -> dict[str, str]:
    """RFC 6749 4.1.2.1 plus RFC 9207 iss: what an error redirect carries."""
    out = {"error": error.error}
    if error.description:
        out["error_description"] = error.description
    if target.state is not None:
        out["state"] = target.state
    out["iss"] = issuer
    return out
