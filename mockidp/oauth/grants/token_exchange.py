"""OAuth 2.0 Token Exchange (RFC 8693): a new access token for a token the client holds.

Subject and actor tokens are the provider's own (access, refresh and ID tokens, or any
of its JWTs), or JWTs of a scenario ``trusted_issuers`` entry (type ``jwt``). The new
token may narrow the subject token's scope, is for the ``resource`` / ``audience``
values asked (checked like RFC 8707 resources) and carries an ``act`` claim naming the
actor (section 4.1), nesting the subject token's own ``act``. Only access tokens are
issued (``access_token``, or ``jwt`` when access tokens are JWTs); no refresh token.
"""

from __future__ import annotations

from msgspec import Struct

from mockidp.errors import InvalidGrant, InvalidRequest, InvalidScope, UnauthorizedClient
from mockidp.keys.verify import TokenVerificationError, unverified_claims
from mockidp.model.scenario import TOKEN_EXCHANGE_GRANT, Client, Scenario, User
from mockidp.oauth.context import TokenRequest
from mockidp.oauth.deps import Deps
from mockidp.oauth.grants.jwt_bearer import check_times, verify_trusted_jwt
from mockidp.oauth.records import Access, Refresh
from mockidp.oauth.tokens import resources
from mockidp.oauth.tokens.issuance import issue, live_record, new_grant
from mockidp.oauth.tokens.minting import Authorization
from mockidp.oauth.tokens.scopes import requested_scopes
from mockidp.oauth.tokens.subjects import subject
from mockidp.types import JSONObject, Params

TOKEN_EXCHANGE = TOKEN_EXCHANGE_GRANT
_TYPE = "urn:ietf:params:oauth:token-type:"
ACCESS_TOKEN = _TYPE + "access_token"
REFRESH_TOKEN = _TYPE + "refresh_token"
ID_TOKEN = _TYPE + "id_token"
JWT = _TYPE + "jwt"
SUBJECT_TOKEN_TYPES = (ACCESS_TOKEN, REFRESH_TOKEN, ID_TOKEN, JWT)


class TokenSubject(Struct, frozen=True):
    """Whom a subject or actor token speaks for."""

    sub: str
    """The ``sub`` the token carries."""
    user: User | None
    """The scenario user behind it; None for a client's own token."""
    scope: tuple[str, ...] | None
    """The token's scope, when it has one."""
    act: JSONObject | None = None
    iss: str | None = None
    """The issuer, when another than this provider (a trusted issuer's JWT)."""


def token_exchange(deps: Deps, client: Client, request: TokenRequest, issuer: str) -> JSONObject:
    """RFC 8693 2.1 / 2.2: exchange ``subject_token`` (and ``actor_token``) for an access token."""
    params = request.params
    if TOKEN_EXCHANGE not in client.grant_types:
        raise UnauthorizedClient(
            f"client {client.client_id!r} may not use the {TOKEN_EXCHANGE} grant"
        )
    scenario = deps.scenario
    subject_token = _require(params, "subject_token")
    subject_type = _require(params, "subject_token_type")
    actor_token = params.get("actor_token")
    actor_type = params.get("actor_token_type")
    if actor_token is not None and actor_type is None:
        raise InvalidRequest("actor_token_type is required with actor_token (RFC 8693 2.1)")
    if actor_token is None and actor_type is not None:
        raise InvalidRequest("actor_token_type must not be sent without actor_token (RFC 8693 2.1)")
    issued_type = _issued_type(scenario, params.get("requested_token_type"))
    found = _resolve(deps, client, subject_token, subject_type, issuer, "subject_token")
    actor = (
        _resolve(deps, client, actor_token, str(actor_type), issuer, "actor_token")
        if actor_token is not None
        else None
    )
    scope = _scope(scenario, client, params.get("scope"), found.scope)
    targets = (
        *resources.requested(scenario, client, params),
        *_audiences(scenario, client, params.get("audience")),
    )
    act: JSONObject | None = None
    if actor is not None:
        act = {"sub": actor.sub}
        if actor.iss is not None:
            act["iss"] = actor.iss
        if found.act is not None:  # RFC 8693 4.1: the prior actors, nested
            act["act"] = found.act
    auth = Authorization(
        client,
        found.user,
        scope,
        new_grant(deps, client, found.user),
        grant_type=TOKEN_EXCHANGE,
        params=params,
        dpop_jkt=request.dpop_jkt,
        audience=tuple(dict.fromkeys(targets)),
        act=act,
    )
    response = issue(deps, auth, issuer=issuer, id_token=False, refresh_token=False)
    response["issued_token_type"] = issued_type
    return response


def _require(params: Params, name: str) -> str:
    value = params.get(name)
    if value is None:
        raise InvalidRequest(f"{name} is missing")
    return value


def _issued_type(scenario: Scenario, requested: str | None) -> str:
    supported = [ACCESS_TOKEN] + ([JWT] if scenario.access_token_format == "jwt" else [])
    if requested is None:
        return ACCESS_TOKEN
    if requested not in supported:
        raise InvalidRequest(
            f"requested_token_type {requested!r} is not supported; use {' or '.join(supported)}"
        )
    return requested


def _audiences(scenario: Scenario, client: Client, raw: str | None) -> tuple[str, ...]:
    values = resources.split(raw)
    resources.check_allowed(scenario, client, values, name="audience")
    return values


def _scope(
    scenario: Scenario, client: Client, raw: str | None, granted: tuple[str, ...] | None
) -> tuple[str, ...]:
    """The scope asked (known to the client, never wider than the subject token's), else
    the subject token's (RFC 8693 2.1)."""
    if raw is None:
        return granted or ()
    scope = requested_scopes(scenario, client, raw)
    if granted is not None:
        wider = [s for s in scope if s not in granted]
        if wider:
            raise InvalidScope(f"scope {' '.join(wider)!r} is wider than the subject_token's")
    return scope


def _resolve(
    deps: Deps, client: Client, token: str, token_type: str, issuer: str, what: str
) -> TokenSubject:
    """Whom ``token`` of ``token_type`` speaks for; invalid_grant when it is not alive."""
    scenario = deps.scenario
    if token_type not in SUBJECT_TOKEN_TYPES:
        raise InvalidRequest(
            f"{what}_type {token_type!r} is not supported; use one of "
            f"{', '.join(SUBJECT_TOKEN_TYPES)}"
        )
    if token_type in (ACCESS_TOKEN, REFRESH_TOKEN):
        record: Access | Refresh | None
        if token_type == ACCESS_TOKEN:
            record = live_record(deps, Access, token)
        else:
            record = live_record(deps, Refresh, token)
        if record is None:
            name = "access token" if token_type == ACCESS_TOKEN else "refresh token"
            raise InvalidGrant(f"{what} is not a live {name} of this provider")
        if isinstance(record, Refresh) and record.client_id != client.client_id:
            raise InvalidGrant(f"{what} is a refresh token of another client")
        return _from_record(scenario, record)
    try:
        claimed_issuer = unverified_claims(token).get("iss")
    except TokenVerificationError as exc:
        raise InvalidGrant(f"{what} is not a JWT: {exc}") from None
    if claimed_issuer == issuer:
        return _own_jwt(deps, token, token_type, issuer, what)
    if token_type == ID_TOKEN:
        raise InvalidGrant(f"{what} is not an ID token of this provider (iss {claimed_issuer!r})")
    claims = verify_trusted_jwt(scenario, None, token, what)
    check_times(claims, deps.state.now(), what, exp_required=True)
    sub = claims.get("sub")
    if not isinstance(sub, str) or not sub:
        raise InvalidGrant(f"{what} needs a sub claim")
    act = claims.get("act")
    return TokenSubject(
        sub,
        scenario.user_or_adhoc(sub),
        None,
        act if isinstance(act, dict) else None,
        iss=str(claims["iss"]),
    )


def _own_jwt(deps: Deps, token: str, token_type: str, issuer: str, what: str) -> TokenSubject:
    """One of this provider's JWTs: a live access token, else a valid ID token."""
    scenario = deps.scenario
    if token_type == JWT:
        record = live_record(deps, Access, token)
        if record is not None:
            return _from_record(scenario, record)
    try:
        _, claims = deps.keys.verify(token)
    except TokenVerificationError as exc:
        raise InvalidGrant(f"{what} does not verify with this provider's keys: {exc}") from None
    if "client_id" in claims:  # RFC 9068 2.2: an access token, but no longer live
        raise InvalidGrant(f"{what} is not a live access token of this provider")
    check_times(claims, deps.state.now(), what, exp_required=True)
    sub = claims.get("sub")
    if not isinstance(sub, str):
        raise InvalidGrant(f"{what} needs a sub claim")
    aud = claims.get("aud")
    audience = aud[0] if isinstance(aud, list) and aud else aud
    user = _user_for(scenario, sub, deps.client(audience) if isinstance(audience, str) else None)
    if user is None:
        raise InvalidGrant(f"{what} sub {sub!r} is not a user of this provider")
    return TokenSubject(sub, user, None)


def _from_record(scenario: Scenario, record: Access | Refresh) -> TokenSubject:
    user = scenario.user_or_adhoc(record.uid) if record.uid is not None else None
    act = record.claims.get("act") if isinstance(record, Access) else None
    return TokenSubject(record.sub, user, record.scope, act if isinstance(act, dict) else None)


def _user_for(scenario: Scenario, sub: str, client: Client | None) -> User | None:
    """The user an ID token's ``sub`` names, public or pairwise for its audience."""
    user = scenario.user(sub)
    if user is not None or client is None:
        return user
    return next((u for u in scenario.users if subject(scenario, client, u) == sub), None)
