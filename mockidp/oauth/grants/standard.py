"""The grant types of RFC 6749 itself: authorization code (4.1), refresh token (6),
client credentials (4.4) and resource owner password (4.3), one function each."""

from __future__ import annotations

import hmac

from mockidp.errors import InvalidGrant, InvalidRequest, InvalidScope, UnauthorizedClient
from mockidp.model.scenario import Client, Scenario
from mockidp.oauth import records
from mockidp.oauth.context import TokenRequest
from mockidp.oauth.deps import Deps
from mockidp.oauth.records import Code, Grant, Refresh, UsedCode, UsedRefresh, token_handle
from mockidp.oauth.signin import pkce
from mockidp.oauth.tokens import resources
from mockidp.oauth.tokens.issuance import (
    extend_grant,
    issue,
    issue_user_grant,
    new_grant,
    revoke_grant,
)
from mockidp.oauth.tokens.minting import Authorization
from mockidp.oauth.tokens.scopes import requested_scopes
from mockidp.types import JSONObject, Params


def _require(params: Params, name: str) -> str:
    value = params.get(name)
    if value is None:
        raise InvalidRequest(f"{name} is missing")
    return value


def _allowed(client: Client, grant_type: str) -> None:
    if grant_type not in client.grant_types:
        raise UnauthorizedClient(f"client {client.client_id!r} may not use the {grant_type} grant")


def authorization_code(
    deps: Deps, client: Client, request: TokenRequest, issuer: str
) -> JSONObject:
    """RFC 6749 4.1.3, RFC 7636 4.5: redeem a code, once."""
    params = request.params
    _allowed(client, "authorization_code")
    code = _require(params, "code")
    handle = token_handle(code)
    lifetimes = deps.scenario.lifetimes
    record = records.take(deps.state, Code, handle)
    if record is None:
        used = records.get(deps.state, UsedCode, handle)
        if used is not None:
            revoke_grant(deps, used.gid)  # RFC 6749 4.1.2: revoke what the code issued
            raise InvalidGrant(
                "code was already used; the tokens issued for it are revoked", reason="code_used"
            )
        raise InvalidGrant("code is unknown or expired", reason="code_expired")
    records.put(deps.state, handle, UsedCode(), ttl=lifetimes.refresh_token)
    if record.client_id != client.client_id:
        raise InvalidGrant("code was issued to another client", reason="code_client")
    redirect_uri = params.get("redirect_uri")
    # RFC 6749 4.1.3 wants it repeated; a vendor may document it as optional (quirk).
    needed = record.redirect_uri_given and not deps.scenario.quirks.token_redirect_uri_optional
    if (needed or redirect_uri is not None) and redirect_uri != record.redirect_uri:
        raise InvalidGrant(
            "redirect_uri differs from the one in the authorization request", reason="redirect_uri"
        )
    pkce.verify(record.code_challenge, record.code_challenge_method, params.get("code_verifier"))
    _check_bound(record.dpop_jkt, request.dpop_jkt, "the code")  # RFC 9449 10: dpop_jkt
    resources.token_targets(deps.scenario, client, params, record.resources)  # RFC 8707 2.2
    user = deps.scenario.user_or_adhoc(record.sub)
    grant_id = new_grant(deps, client, user)
    records.put(deps.state, handle, UsedCode(gid=grant_id), ttl=lifetimes.refresh_token)
    auth = Authorization(
        client,
        user,
        record.scope,
        grant_id,
        auth_time=record.auth_time,
        nonce=record.nonce,
        claims_request=record.claims_request,
        tenant=record.tenant,
        sid=record.sid,
        grant_type="authorization_code",
        params=params,
        dpop_jkt=request.dpop_jkt,
        resources=record.resources,
        offline=record.offline,
    )
    return issue_user_grant(deps, auth, issuer=issuer)


def refresh_token(deps: Deps, client: Client, request: TokenRequest, issuer: str) -> JSONObject:
    """RFC 6749 6: a new access token; the refresh token rotates unless the scenario says not."""
    params = request.params
    _allowed(client, "refresh_token")
    value = _require(params, "refresh_token")
    handle = token_handle(value)
    scenario = deps.scenario
    record, grant = _live_refresh(deps, client, handle)
    user = scenario.user_or_adhoc(record.user_sub)  # uid: behind pairwise
    lifetimes = scenario.lifetimes_for(client, user)
    created = grant.created
    _check_absolute(deps, lifetimes.refresh_token_absolute, created)
    scope = _narrowed(scenario, client, params, record.scope)
    _check_bound(record.dpop_jkt, request.dpop_jkt, "the refresh_token")  # RFC 9449 5
    resources.token_targets(scenario, client, params, record.resources)  # before it rotates
    rotate = scenario.refresh_rotation
    if rotate:
        _rotate(deps, handle, record.gid, ttl=lifetimes.refresh_token)
    auth = Authorization(
        client,
        user,
        scope,
        record.gid,
        auth_time=record.auth_time,
        claims_request=record.claims_request,
        tenant=record.tenant,
        sid=record.sid,
        grant_type="refresh_token",
        params=params,
        dpop_jkt=request.dpop_jkt,
        resources=record.resources,
        grant_created=created,
    )
    response = issue(
        deps,
        auth,
        issuer=issuer,
        id_token="openid" in scope and scenario.refresh_id_token,
        refresh_token=True if rotate else value,
    )
    if rotate and lifetimes.refresh_token_absolute is None:
        # the new refresh token lives on: so must its grant
        ttl = lifetimes.refresh_token + lifetimes.access_token
        extend_grant(deps, record.gid, grant, ttl=ttl)
    return response


def _live_refresh(deps: Deps, client: Client, handle: str) -> tuple[Refresh, Grant]:
    """The refresh token's record and its grant's; a reused rotated one revokes the grant
    (RFC 9700 4.14.2) when the scenario detects reuse."""
    record = records.get(deps.state, Refresh, handle)
    if record is None:
        used = records.get(deps.state, UsedRefresh, handle)
        if used is not None and deps.scenario.refresh_reuse_detection:
            revoke_grant(deps, used.gid)
            raise InvalidGrant(
                "refresh_token was already used (it rotates); the grant is revoked",
                reason="refresh_token",
            )
        raise InvalidGrant("refresh_token is unknown, expired or revoked", reason="refresh_token")
    if record.client_id != client.client_id:
        raise InvalidGrant("refresh_token was issued to another client", reason="refresh_token")
    grant = records.get(deps.state, Grant, record.gid)
    if grant is None:
        raise InvalidGrant("refresh_token was revoked", reason="refresh_token")
    return record, grant


def _check_absolute(deps: Deps, absolute: int | None, created: int | None) -> None:
    """``refresh_token_absolute``: no refresh once the grant is that old."""
    if absolute is not None and created is not None and deps.state.now() >= created + absolute:
        raise InvalidGrant(
            "refresh_token expired: the grant's refresh_token_absolute is over",
            reason="refresh_token",
        )


def _narrowed(
    scenario: Scenario, client: Client, params: Params, granted: tuple[str, ...]
) -> tuple[str, ...]:
    """RFC 6749 6: the request's ``scope`` may narrow the granted scopes, never widen them
    (but for Entra's quirk ``refresh_any_scope``)."""
    if "scope" not in params:
        return granted
    scope = tuple(dict.fromkeys(params["scope"].split()))
    wider = [s for s in scope if s not in granted]
    if wider and not scenario.quirks.refresh_any_scope:
        raise InvalidScope(f"scope {' '.join(wider)!r} was not granted to this refresh_token")
    if wider:  # Entra: any known scope, of any resource (each still checked)
        scope = requested_scopes(scenario, client, params["scope"])
    return scope


def _rotate(deps: Deps, handle: str, grant_id: str, *, ttl: float) -> None:
    """Use the refresh token up; presenting it again is reuse."""
    if records.take(deps.state, Refresh, handle) is None:  # another request rotated it first
        raise InvalidGrant("refresh_token was already used (it rotates)", reason="refresh_token")
    records.put(deps.state, handle, UsedRefresh(gid=grant_id), ttl=ttl)


def client_credentials(
    deps: Deps, client: Client, request: TokenRequest, issuer: str
) -> JSONObject:
    """RFC 6749 4.4: a token for the client itself."""
    params = request.params
    _allowed(client, "client_credentials")
    if client.public:
        raise UnauthorizedClient("a public client cannot use client_credentials")
    scope = requested_scopes(deps.scenario, client, params.get("scope"))
    user_only = [s for s in scope if s in ("openid", "offline_access")]
    if user_only:
        raise InvalidScope(
            f"scope {' '.join(user_only)!r} needs a user; client_credentials has none"
        )
    auth = Authorization(
        client,
        None,
        scope,
        new_grant(deps, client, None),
        grant_type="client_credentials",
        params=params,
        dpop_jkt=request.dpop_jkt,
    )
    return issue(deps, auth, issuer=issuer, id_token=False, refresh_token=False)


def password(deps: Deps, client: Client, request: TokenRequest, issuer: str) -> JSONObject:
    """RFC 6749 4.3: the resource owner's username and password."""
    params = request.params
    _allowed(client, "password")
    username = _require(params, "username")
    secret = _require(params, "password")
    user = deps.scenario.user(username)
    if (
        user is None
        or user.password is None
        or not hmac.compare_digest(secret.encode("utf-8"), user.password.encode("utf-8"))
    ):
        raise InvalidGrant("wrong username or password")
    scope = requested_scopes(deps.scenario, client, params.get("scope"))
    auth = Authorization(
        client,
        user,
        scope,
        new_grant(deps, client, user),
        auth_time=int(deps.state.now()),
        grant_type="password",
        params=params,
        dpop_jkt=request.dpop_jkt,
    )
    return issue_user_grant(deps, auth, issuer=issuer)


def _check_bound(bound: object, jkt: str | None, what: str) -> None:
    """A grant bound to a DPoP key is redeemed with a proof of it (DPoP loads on first use,
    with the first token request)."""
    from mockidp.oauth.tokens import dpop

    dpop.check_bound(bound, jkt, what)
