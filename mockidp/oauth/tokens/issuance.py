"""Turning an authorization into tokens, and finding the records behind tokens later.

Every issued token is recorded under the hash of its value and tied to a grant record;
deleting the grant (a replayed code, a reused refresh token, a revoked refresh token)
makes every token of that family invalid at once.
"""

from __future__ import annotations

from collections.abc import Mapping

from msgspec import Struct, field

from mockidp.model.quirks import Quirks
from mockidp.model.scenario import Client, Lifetimes, Scenario, User
from mockidp.model.token_formats import compiled, render
from mockidp.oauth.deps import Deps, client_deleted
from mockidp.oauth.hooks import HookRequest, TokenKind
from mockidp.oauth.records import (
    ACCESS,
    GRANT,
    REFRESH,
    REVOKED_GRANT,
    UNTIL_RESET,
    new_jti,
    random_token,
    token_handle,
)
from mockidp.oauth.scripted import defects
from mockidp.oauth.tokens import authorization, resources
from mockidp.oauth.tokens.claim_sets import (
    AccessTokenInput,
    IdTokenInput,
    access_token_claims,
    id_token_claims,
)
from mockidp.oauth.tokens.claims import user_claims
from mockidp.oauth.tokens.resource_scopes import scope_resource
from mockidp.oauth.tokens.shapes import (
    add_token_response_extras,
    client_info,
    origin_of,
    shape_access_token,
    shape_id_token,
)
from mockidp.oauth.tokens.subjects import subject
from mockidp.types import JSONObject


class Authorization(Struct, frozen=True):
    """An authorization being turned into tokens."""

    client: Client
    user: User | None
    scope: tuple[str, ...]
    grant_id: str
    auth_time: int | None = None
    nonce: str | None = None
    claims_request: JSONObject | None = None
    sid: str | None = None
    grant_type: str = ""
    params: Mapping[str, str] = field(default_factory=dict)
    """The token request's parameters (``broken_tokens`` rules may match on them)."""
    grant_created: int | None = None
    """When the grant began (``refresh_token_absolute`` counts from it); None: now."""
    tenant: str | None = None
    """The tenant the authorization request chose (quirk ``tenant_acr_prefix``)."""
    resources: tuple[str, ...] = ()
    """RFC 8707 resources granted (a code's, a refresh token's); a request may narrow them."""
    audience: tuple[str, ...] = ()
    """The access token's aud, decided by the grant (token exchange); wins over resources."""
    act: JSONObject | None = None
    """RFC 8693 4.1: the actor of an exchanged token (and the actors before it)."""
    dpop_jkt: str | None = None
    """RFC 9449 6: the key thumbprint of the token request's verified DPoP proof, if any."""
    offline: bool = False
    """The authorization asked for a refresh token without offline_access (quirk
    ``access_type_offline``)."""


def new_grant(deps: Deps, client: Client, user: User | None) -> str:
    """A grant record: the family every token of one authorization belongs to."""
    grant_id = random_token(16)
    lifetimes = deps.scenario.lifetimes_for(client, user)
    # it outlives its refresh tokens (at most refresh_token_absolute) and their access tokens
    refresh_span = lifetimes.refresh_token_absolute or lifetimes.refresh_token
    deps.state.put(
        GRANT,
        grant_id,
        {
            "client_id": client.client_id,
            "sub": user.sub if user else None,
            "created": int(deps.state.now()),
        },
        ttl=refresh_span + lifetimes.access_token,
    )
    return grant_id


def wants_refresh_token(
    scenario: Scenario, client: Client, scope: tuple[str, ...], *, offline: bool = False
) -> bool:
    """``offline``: the authorization asked for one another way (Google's access_type)."""
    if "refresh_token" not in client.grant_types or scenario.refresh_tokens == "never":
        return False
    return scenario.refresh_tokens == "always" or "offline_access" in scope or offline


def issue(
    deps: Deps,
    auth: Authorization,
    *,
    issuer: str,
    id_token: bool,
    refresh_token: bool | str,
    access_token: bool = True,
    code: str | None = None,
    endpoint: str = "token",
) -> JSONObject:
    """The token response (RFC 6749 5.1): access token, and ID / refresh token as asked.

    ``refresh_token`` is True to mint a new one, False for none, or an existing
    refresh token to leave in place (not echoed: the client keeps the one it has).
    From the authorization endpoint (``endpoint="authorization"``, OpenID Connect Core
    3.2 / 3.3) the access token may be left out (``access_token=False``) and the ID token
    always carries at_hash and c_hash (``code``), whatever a preset omits elsewhere.
    """
    lifetimes = deps.scenario.lifetimes_for(auth.client, auth.user)
    now = int(deps.state.now())
    scope = " ".join(auth.scope)
    client = auth.client
    uid = auth.user.sub if auth.user else None  # the scenario's sub, behind a pairwise one
    sub = client.client_id  # RFC 9068 2.2: a client's own token carries its client_id
    if auth.user is not None:
        sub = subject(deps.scenario, client, auth.user)
    targets = auth.audience or resources.token_targets(
        deps.scenario, client, auth.params, auth.resources
    )
    jkt = auth.dpop_jkt  # RFC 9449 6: the key of the request's DPoP proof
    at_claims = access_token_claims(
        AccessTokenInput(
            issuer=issuer,
            sub=sub,
            client_id=client.client_id,
            audience=resources.audience(targets)
            or scope_resource(deps.scenario, auth.scope)
            or client.access_token_audience
            or deps.scenario.quirks.access_token_audience
            or client.client_id,
            scope=scope,
            now=now,
            lifetime=lifetimes.access_token,
            auth_time=auth.auth_time,
        )
    )
    quirks = deps.scenario.quirks
    origin = origin_of(issuer, quirks.issuer_path)
    rfc9068 = at_claims
    at_claims = shape_access_token(
        at_claims, quirks, auth.user, origin, client_id=client.client_id, tenant=auth.tenant
    )
    at_claims = authorization.access_token(
        at_claims,
        authorization.Subject(
            deps.scenario,
            client,
            auth.user,
            auth.scope,
            auth.grant_type,
            issuer,
            origin,
            auth.grant_id,
        ),
    )
    kept = {k: rfc9068[k] for k in authorization.RECORD_MEMBERS if k in rfc9068}
    if quirks.access_token_sid and auth.sid is not None:  # Keycloak: the browser session
        at_claims["sid"] = auth.sid
    if jkt is not None:
        at_claims["cnf"] = {"jkt": jkt}
    if auth.act is not None:
        at_claims["act"] = auth.act
    with_id_token = id_token and auth.user is not None
    at_header: JSONObject | None = None
    if access_token and deps.hooks and deps.scenario.access_token_format != "opaque":
        typ = quirks.access_token_typ  # the record below keeps the claims as changed
        at_claims, at_header = _hooked(deps, "access_token", at_claims, typ, auth, endpoint)
    broken = _defects(deps, auth, with_id_token, access_token=access_token, endpoint=endpoint)
    response: JSONObject = {}
    at_value: str | None = None
    if access_token:
        at_value = _access_token(
            deps, auth, at_claims, broken.get("access_token"), now, header=at_header
        )
        deps.state.put(
            ACCESS,
            token_handle(at_value),
            {
                **kept,  # what the vendor's JWT leaves out, introspection still tells
                **at_claims,
                "uid": uid,
                "gid": auth.grant_id,
                "claims_request": auth.claims_request,
                "nonce": auth.nonce,
                "tenant": auth.tenant,
            },
            ttl=lifetimes.access_token,
        )
        response.update(
            {
                "access_token": at_value,
                "token_type": "Bearer" if jkt is None else "DPoP",
                "expires_in": lifetimes.access_token,
            }
        )
        if scope:
            response["scope"] = scope
    if auth.user is not None and with_id_token:
        extra = user_claims(auth.user, auth.scope, auth.claims_request, "id_token")
        quirks = deps.scenario.quirks
        claims = id_token_claims(
            IdTokenInput(
                issuer=issuer,
                sub=sub,
                client_id=client.client_id,
                now=now,
                lifetime=lifetimes.id_token,
                auth_time=auth.auth_time,
                nonce=auth.nonce,
                access_token=at_value,
                code=code,
                sid=auth.sid,
                extra=extra,
            ),
            deps.keys.alg,
        )
        shaped = shape_id_token(claims, quirks, auth.user, origin, tenant=auth.tenant)
        shaped = authorization.id_token(shaped, quirks, auth.user)
        if endpoint == "authorization":  # Core 3.2.2.10, 3.3.2.11: the hashes are required
            shaped.update({k: claims[k] for k in ("at_hash", "c_hash") if k in claims})
        id_header: JSONObject | None = None
        if deps.hooks:
            shaped, id_header = _hooked(deps, "id_token", shaped, "JWT", auth, endpoint)
        response["id_token"] = _jws(
            deps,
            shaped,
            typ="JWT",
            defect=broken.get("id_token"),
            now=now,
            header=id_header,
        )
    if quirks.client_info and auth.user is not None and auth.params.get("client_info") == "1":
        response["client_info"] = client_info(
            quirks, auth.user, origin_of(issuer, quirks.issuer_path), tenant=auth.tenant
        )
    if refresh_token is True:
        response["refresh_token"] = _refresh_token(
            deps, auth, issuer=issuer, sub=sub, uid=uid, now=now, lifetimes=lifetimes
        )
    if deps.scenario.quirks.token_response_extras:
        response = add_token_response_extras(
            response, deps.scenario.quirks, refresh_lifetime=lifetimes.refresh_token, sid=auth.sid
        )
    return response


def issue_user_grant(deps: Deps, auth: Authorization, *, issuer: str) -> JSONObject:
    """The token response of an authorization a user gave (a code, a password, a device
    code): an ID token when ``openid`` was granted, a refresh token as the client's grant
    types and the scenario's ``refresh_tokens`` allow."""
    return issue(
        deps,
        auth,
        issuer=issuer,
        id_token="openid" in auth.scope,
        refresh_token=wants_refresh_token(
            deps.scenario, auth.client, auth.scope, offline=auth.offline
        ),
    )


def _refresh_token(
    deps: Deps,
    auth: Authorization,
    *,
    issuer: str,
    sub: str,
    uid: str | None,
    now: int,
    lifetimes: Lifetimes,
) -> str:
    """A new refresh token from the scenario's template, recorded under its hash."""
    expires = now + lifetimes.refresh_token
    if lifetimes.refresh_token_absolute is not None:  # never past the grant's deadline
        begun = now if auth.grant_created is None else auth.grant_created
        expires = min(expires, begun + lifetimes.refresh_token_absolute)
    if deps.scenario.quirks.refresh_token_jwt:  # Keycloak's: clients decode them
        claims: JSONObject = {
            "exp": expires,
            "iat": now,
            "jti": new_jti(),
            "iss": issuer,
            "aud": issuer,
            "sub": sub,
            "typ": "Refresh",
            "azp": auth.client.client_id,
            "scope": " ".join(auth.scope),
        }
        if auth.sid is not None:
            claims["sid"] = auth.sid
        value = _jws(deps, claims, typ="JWT", defect=None, now=now)
    else:
        value = _render(deps.scenario.refresh_token_template, auth, sub, deps.scenario.quirks)
    deps.state.put(
        REFRESH,
        token_handle(value),
        {
            "client_id": auth.client.client_id,
            "sub": sub,
            "uid": uid,
            "scope": " ".join(auth.scope),
            "gid": auth.grant_id,
            "auth_time": auth.auth_time,
            "claims_request": auth.claims_request,
            "sid": auth.sid,
            "tenant": auth.tenant,
            "resources": list(auth.resources),
            # RFC 9449 5: a public client's refresh token is bound to its DPoP key
            "dpop_jkt": auth.dpop_jkt if auth.client.public else None,
            "iat": now,
            "exp": expires,
            "iss": issuer,
        },
        ttl=max(expires - now, 1),
    )
    return value


def _defects(
    deps: Deps, auth: Authorization, with_id_token: bool, *, access_token: bool, endpoint: str
) -> dict[str, str]:
    """The scenario's broken_tokens defects for the tokens of this issuance, by token."""
    if not deps.scenario.broken_tokens:
        return {}
    tokens = ("access_token",) if access_token else ()
    return defects.choose(
        deps.state,
        deps.scenario,
        tokens=(*tokens, "id_token") if with_id_token else tokens,
        endpoint=endpoint,
        client_id=auth.client.client_id,
        user=auth.user,
        grant_type=auth.grant_type,
        scope=auth.scope,
        params=auth.params,
    )


def _access_token(
    deps: Deps,
    auth: Authorization,
    claims: JSONObject,
    defect: str | None,
    now: int,
    *,
    header: JSONObject | None = None,
) -> str:
    """A JWT access token (RFC 9068), or an opaque one from the scenario's template."""
    if deps.scenario.access_token_format == "opaque":
        return _render(
            deps.scenario.access_token_template,
            auth,
            str(claims["sub"]),
            deps.scenario.quirks,
        )
    typ = deps.scenario.quirks.access_token_typ
    return _jws(deps, claims, typ=typ, defect=defect, now=now, header=header)


def _hooked(
    deps: Deps, kind: TokenKind, claims: JSONObject, typ: str, auth: Authorization, endpoint: str
) -> tuple[JSONObject, JSONObject]:
    """``claims`` and the JOSE header as the test's token hooks changed them."""
    request = HookRequest(
        endpoint=endpoint,
        client_id=auth.client.client_id,
        grant_type=auth.grant_type,
        user=auth.user.sub if auth.user else None,
        params=dict(auth.params),
    )
    return deps.hooks.run(kind, claims, deps.keys.header(typ=typ), request)


def _jws(
    deps: Deps,
    claims: JSONObject,
    *,
    typ: str,
    defect: str | None,
    now: int,
    header: JSONObject | None = None,
) -> str:
    """The signed token; ``header`` (a hook's) replaces the JOSE header but for ``alg``.
    A ``broken_tokens`` defect signs its own way, with the hook's claims only."""
    if defect is None:
        return deps.keys.sign(claims, typ=str((header or {}).get("typ", typ)), header=header)
    damaged = defects.damage(claims, defect, now=now, alg=deps.keys.alg)
    return defects.sign(deps.keys, damaged, typ=typ, defect=defect)


def _render(template: str, auth: Authorization, sub: str, quirks: Quirks) -> str:
    """An opaque token from ``template`` (parsed once per template, see token_formats)."""
    claims = auth.user.claims if auth.user is not None else {}
    defaults = quirks.claim_defaults
    if defaults:  # a preset's values for claims its templates name ({ctx} of 8A: tokens)
        claims = {**defaults, **claims}
    if auth.tenant is not None:
        claims = {**claims, quirks.tenant_claim: auth.tenant}
    return render(compiled(template), sub=sub, client_id=auth.client.client_id, claims=claims)


def mint(
    deps: Deps,
    client: Client,
    user: User | None,
    scope: tuple[str, ...],
    *,
    issuer: str,
    nonce: str | None = None,
    grant_type: str,
) -> JSONObject:
    """A token set issued directly, with no authorization request behind it (test
    helpers, the control API): recorded like any other, so userinfo, introspection and
    refresh work. A user signs in now; without one the tokens are the client's own."""
    auth = Authorization(
        client,
        user,
        scope,
        new_grant(deps, client, user),
        auth_time=int(deps.state.now()) if user else None,
        nonce=nonce,
        grant_type=grant_type,
    )
    return issue(
        deps,
        auth,
        issuer=issuer,
        id_token=user is not None and "openid" in scope,
        refresh_token=user is not None and wants_refresh_token(deps.scenario, client, scope),
    )


def live_record(deps: Deps, kind: str, token: str) -> JSONObject | None:
    """The record of a live token of ``kind`` whose grant has not been revoked."""
    record = deps.state.get(kind, token_handle(token))
    if record is None:
        return None
    grant_id = record.get("gid")
    if grant_id is not None and deps.state.get(GRANT, grant_id) is None:
        return None
    if client_deleted(deps.scenario, deps.state, record.get("client_id")):  # RFC 7592 2.3
        return None
    return record


def revoke_grant(deps: Deps, grant_id: str | None) -> None:
    """Kill every token of the grant. The tombstone goes first, so a refresh that is
    extending the grant at the same moment cannot bring it back (see extend_grant)."""
    if grant_id is not None:
        deps.state.put(REVOKED_GRANT, grant_id, {}, ttl=UNTIL_RESET)
        deps.state.delete(GRANT, grant_id)


def extend_grant(deps: Deps, grant_id: str, grant: JSONObject, *, ttl: float) -> None:
    """Keep a grant alive as long as the refresh token just issued from it (sliding)."""
    deps.state.put(GRANT, grant_id, grant, ttl=ttl)
    if deps.state.get(REVOKED_GRANT, grant_id) is not None:  # revoked meanwhile: stay dead
        deps.state.delete(GRANT, grant_id)
