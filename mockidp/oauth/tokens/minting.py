"""How one token is made: a single pipeline, run once per token of an issuance.

    claims -> shape -> hook -> defect -> sign -> record

The access token and the ID token differ only in their claim set, their vendor shape
and whether they are recorded; the refresh token is a template (or Keycloak's JWT) and
a record. :func:`~mockidp.oauth.tokens.issuance.issue` decides which tokens an answer
carries and runs the pipeline for each.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping

from msgspec import Struct, field

from mockidp.model.quirks import Quirks
from mockidp.model.scenario import Client, Lifetimes, User
from mockidp.model.token_formats import compiled, render
from mockidp.oauth import records
from mockidp.oauth.deps import Deps
from mockidp.oauth.hooks import HookRequest, TokenKind
from mockidp.oauth.records import Access, Refresh, new_jti, token_handle
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
from mockidp.oauth.tokens.shapes import origin_of, shape_access_token, shape_id_token
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


class Minting(Struct, frozen=True):
    """What every token of one issuance shares: who, for whom, when, by which issuer."""

    deps: Deps
    auth: Authorization
    issuer: str
    endpoint: str
    """The endpoint that answers with the tokens: ``token``, ``authorization``, ..."""
    now: int
    sub: str
    """The subject the client sees: the user's (pairwise, perhaps) or the client's own."""
    uid: str | None
    """The scenario's sub of the user, behind a pairwise one."""
    lifetimes: Lifetimes
    origin: str
    """The issuer's origin as vendor shapes spell it (quirk ``issuer_path``)."""

    @classmethod
    def start(cls, deps: Deps, auth: Authorization, *, issuer: str, endpoint: str) -> Minting:
        user = auth.user
        return cls(
            deps=deps,
            auth=auth,
            issuer=issuer,
            endpoint=endpoint,
            now=int(deps.state.now()),
            # RFC 9068 2.2: a client's own token carries its client_id
            sub=subject(deps.scenario, auth.client, user) if user else auth.client.client_id,
            uid=user.sub if user else None,
            lifetimes=deps.scenario.lifetimes_for(auth.client, user),
            origin=origin_of(issuer, deps.scenario.quirks.issuer_path),
        )

    @property
    def quirks(self) -> Quirks:
        return self.deps.scenario.quirks

    def defects(self, kinds: Collection[TokenKind]) -> dict[str, str]:
        """The scenario's ``broken_tokens`` defects for these tokens, by kind (counted
        once per issuance, whatever the tokens)."""
        scenario, auth = self.deps.scenario, self.auth
        if not scenario.broken_tokens:
            return {}
        return defects.choose(
            self.deps.state,
            scenario,
            tokens=tuple(kinds),
            endpoint=self.endpoint,
            client_id=auth.client.client_id,
            user=auth.user,
            grant_type=auth.grant_type,
            scope=auth.scope,
            params=auth.params,
        )


# -- the access token (RFC 9068, or opaque) -------------------------------------------


def mint_access_token(minting: Minting, defect: str | None) -> str:
    claims = _access_claims(minting)
    if minting.deps.scenario.access_token_format == "opaque":
        value = _render(minting.deps.scenario.access_token_template, minting, str(claims["sub"]))
    else:
        typ = minting.quirks.access_token_typ
        claims, header = _hooked(minting, "access_token", claims, typ)
        value = _signed(minting, claims, typ=typ, defect=defect, header=header)
    auth = minting.auth
    record = Access(
        claims=claims,  # as the hooks left them: introspection answers what was signed
        scope=auth.scope,
        uid=minting.uid,
        gid=auth.grant_id,
        claims_request=auth.claims_request,
        nonce=auth.nonce,
        tenant=auth.tenant,
        client=auth.client.client_id,
    )
    ttl = minting.lifetimes.access_token
    records.put(minting.deps.state, token_handle(value), record, ttl=ttl)
    return value


def access_token_fields(minting: Minting, value: str) -> JSONObject:
    """The token response's members about the access token (RFC 6749 5.1, RFC 9449 5)."""
    fields: JSONObject = {
        "access_token": value,
        "token_type": "Bearer" if minting.auth.dpop_jkt is None else "DPoP",
        "expires_in": minting.lifetimes.access_token,
    }
    if minting.auth.scope:
        fields["scope"] = " ".join(minting.auth.scope)
    return fields


def _access_claims(minting: Minting) -> JSONObject:
    """The access token's claim set, in the vendor's shape."""
    deps, auth, client = minting.deps, minting.auth, minting.auth.client
    targets = auth.audience or resources.token_targets(
        deps.scenario, client, auth.params, auth.resources
    )
    claims = access_token_claims(
        AccessTokenInput(
            issuer=minting.issuer,
            sub=minting.sub,
            client_id=client.client_id,
            audience=resources.audience(targets)
            or scope_resource(deps.scenario, auth.scope)
            or client.access_token_audience
            or minting.quirks.access_token_audience
            or client.client_id,
            scope=" ".join(auth.scope),
            now=minting.now,
            lifetime=minting.lifetimes.access_token,
            auth_time=auth.auth_time,
        )
    )
    claims = shape_access_token(
        claims,
        minting.quirks,
        auth.user,
        minting.origin,
        client_id=client.client_id,
        tenant=auth.tenant,
    )
    about = authorization.Subject(
        deps.scenario,
        client,
        auth.user,
        auth.scope,
        auth.grant_type,
        minting.issuer,
        minting.origin,
        auth.grant_id,
    )
    claims = authorization.access_token(claims, about)  # scopes and roles, as the vendor
    if minting.quirks.access_token_sid and auth.sid is not None:  # Keycloak: the session
        claims["sid"] = auth.sid
    if auth.dpop_jkt is not None:  # RFC 9449 6: the key of the request's DPoP proof
        claims["cnf"] = {"jkt": auth.dpop_jkt}
    if auth.act is not None:
        claims["act"] = auth.act
    return claims


# -- the ID token (OpenID Connect Core 2) ---------------------------------------------


def mint_id_token(
    minting: Minting,
    user: User,
    defect: str | None,
    *,
    access_token: str | None,
    code: str | None,
) -> str:
    claims = _id_claims(minting, user, access_token, code)
    claims, header = _hooked(minting, "id_token", claims, "JWT")
    return _signed(minting, claims, typ="JWT", defect=defect, header=header)


def _id_claims(
    minting: Minting, user: User, access_token: str | None, code: str | None
) -> JSONObject:
    """The ID token's claim set, in the vendor's shape."""
    auth = minting.auth
    claims = id_token_claims(
        IdTokenInput(
            issuer=minting.issuer,
            sub=minting.sub,
            client_id=auth.client.client_id,
            now=minting.now,
            lifetime=minting.lifetimes.id_token,
            auth_time=auth.auth_time,
            nonce=auth.nonce,
            access_token=access_token,
            code=code,
            sid=auth.sid,
            extra=user_claims(user, auth.scope, auth.claims_request, "id_token"),
        ),
        minting.deps.keys.alg,
    )
    shaped = shape_id_token(claims, minting.quirks, user, minting.origin, tenant=auth.tenant)
    shaped = authorization.id_token(shaped, minting.quirks, user)  # roles where the vendor
    if minting.endpoint == "authorization":  # Core 3.2.2.10, 3.3.2.11: hashes required
        shaped.update({k: claims[k] for k in ("at_hash", "c_hash") if k in claims})
    return shaped


# -- the refresh token ----------------------------------------------------------------


def mint_refresh_token(minting: Minting) -> str:
    """A new refresh token from the scenario's template (Keycloak: a JWT), recorded
    under its hash."""
    auth, now = minting.auth, minting.now
    expires = now + minting.lifetimes.refresh_token
    absolute = minting.lifetimes.refresh_token_absolute
    if absolute is not None:  # never past the grant's deadline
        expires = min(
            expires, (now if auth.grant_created is None else auth.grant_created) + absolute
        )
    if minting.quirks.refresh_token_jwt:  # Keycloak's: clients decode them
        value = _signed(minting, _refresh_claims(minting, expires), typ="JWT", defect=None)
    else:
        value = _render(minting.deps.scenario.refresh_token_template, minting, minting.sub)
    record = Refresh(
        client_id=auth.client.client_id,
        sub=minting.sub,
        scope=auth.scope,
        gid=auth.grant_id,
        iat=now,
        exp=expires,
        iss=minting.issuer,
        uid=minting.uid,
        auth_time=auth.auth_time,
        claims_request=auth.claims_request,
        sid=auth.sid,
        tenant=auth.tenant,
        resources=auth.resources,
        # RFC 9449 5: a public client's refresh token is bound to its DPoP key
        dpop_jkt=auth.dpop_jkt if auth.client.public else None,
    )
    ttl = max(expires - now, 1)
    records.put(minting.deps.state, token_handle(value), record, ttl=ttl)
    return value


def _refresh_claims(minting: Minting, expires: int) -> JSONObject:
    auth = minting.auth
    claims: JSONObject = {
        "exp": expires,
        "iat": minting.now,
        "jti": new_jti(),
        "iss": minting.issuer,
        "aud": minting.issuer,
        "sub": minting.sub,
        "typ": "Refresh",
        "azp": auth.client.client_id,
        "scope": " ".join(auth.scope),
    }
    if auth.sid is not None:
        claims["sid"] = auth.sid
    return claims


# -- the shared stages ----------------------------------------------------------------


def _hooked(
    minting: Minting, kind: TokenKind, claims: JSONObject, typ: str
) -> tuple[JSONObject, JSONObject | None]:
    """``claims`` and the JOSE header as the test's token hooks changed them (no hooks:
    the claims as they are, and the key ring's own header)."""
    deps, auth = minting.deps, minting.auth
    if not deps.hooks:
        return claims, None
    request = HookRequest(
        endpoint=minting.endpoint,
        client_id=auth.client.client_id,
        grant_type=auth.grant_type,
        user=auth.user.sub if auth.user else None,
        params=dict(auth.params),
    )
    return deps.hooks.run(kind, claims, deps.keys.header(typ=typ), request)


def _signed(
    minting: Minting,
    claims: JSONObject,
    *,
    typ: str,
    defect: str | None,
    header: JSONObject | None = None,
) -> str:
    """The signed token; ``header`` (a hook's) replaces the JOSE header but for ``alg``.
    A ``broken_tokens`` defect changes one thing of the hook's claims or header."""
    keys = minting.deps.keys
    if defect is None:
        return keys.sign(claims, typ=str((header or {}).get("typ", typ)), header=header)
    damaged = defects.damage(claims, defect, now=minting.now, alg=keys.alg)
    secret = minting.auth.client.client_secret
    token = defects.sign(keys, damaged, typ=typ, defect=defect, header=header, secret=secret)
    defects.remember(minting.deps.state, token, defect)
    return token


def _render(template: str, minting: Minting, sub: str) -> str:
    """An opaque token from ``template`` (parsed once per template, see token_formats)."""
    auth, quirks = minting.auth, minting.quirks
    claims = auth.user.claims if auth.user is not None else {}
    defaults = quirks.claim_defaults
    if defaults:  # a preset's values for claims its templates name ({ctx} of 8A: tokens)
        claims = {**defaults, **claims}
    if auth.tenant is not None:
        claims = {**claims, quirks.tenant_claim: auth.tenant}
    return render(compiled(template), sub=sub, client_id=auth.client.client_id, claims=claims)
