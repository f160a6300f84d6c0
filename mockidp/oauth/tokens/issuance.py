"""Turning an authorization into tokens, and finding the records behind tokens later.

Every issued token is recorded under the hash of its value and tied to a grant record;
deleting the grant (a replayed code, a reused refresh token, a revoked refresh token)
makes every token of that family invalid at once.
"""

from __future__ import annotations

from typing import TypeVar

from mockidp.model.scenario import Client, Scenario, User
from mockidp.oauth import records
from mockidp.oauth.deps import Deps, client_deleted
from mockidp.oauth.hooks import TokenKind
from mockidp.oauth.records import (
    UNTIL_RESET,
    Access,
    Grant,
    Refresh,
    RevokedGrant,
    random_token,
    token_handle,
)
from mockidp.oauth.tokens.minting import (
    Authorization,
    Minting,
    access_token_fields,
    mint_access_token,
    mint_id_token,
    mint_refresh_token,
)
from mockidp.oauth.tokens.shapes import (
    add_token_response_extras,
    client_info,
)
from mockidp.types import JSONObject


def new_grant(deps: Deps, client: Client, user: User | None) -> str:
    """A grant record: the family every token of one authorization belongs to."""
    grant_id = random_token(16)
    lifetimes = deps.scenario.lifetimes_for(client, user)
    # it outlives its refresh tokens (at most refresh_token_absolute) and their access tokens
    refresh_span = lifetimes.refresh_token_absolute or lifetimes.refresh_token
    grant = Grant(
        client_id=client.client_id,
        sub=user.sub if user else None,
        created=int(deps.state.now()),
    )
    records.put(deps.state, grant_id, grant, ttl=refresh_span + lifetimes.access_token)
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
    Each token is one run of the pipeline in :mod:`~mockidp.oauth.tokens.minting`.
    """
    minting = Minting.start(deps, auth, issuer=issuer, endpoint=endpoint)
    id_token_for = auth.user if id_token else None  # an ID token is about a user
    kinds: list[TokenKind] = ["access_token"] if access_token else []
    if id_token_for is not None:
        kinds.append("id_token")
    broken = minting.defects(kinds)
    response: JSONObject = {}
    at_value: str | None = None
    if access_token:
        at_value = mint_access_token(minting, broken.get("access_token"))
        response.update(access_token_fields(minting, at_value))
    if id_token_for is not None:
        response["id_token"] = mint_id_token(
            minting, id_token_for, broken.get("id_token"), access_token=at_value, code=code
        )
    quirks = deps.scenario.quirks
    if quirks.client_info and auth.user is not None and auth.params.get("client_info") == "1":
        response["client_info"] = client_info(quirks, auth.user, minting.origin, tenant=auth.tenant)
    if refresh_token is True:
        response["refresh_token"] = mint_refresh_token(minting)
    if quirks.token_response_extras:
        response = add_token_response_extras(
            response, quirks, refresh_lifetime=minting.lifetimes.refresh_token, sid=auth.sid
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


Token = TypeVar("Token", Access, Refresh)


def live_record(deps: Deps, kind: type[Token], token: str) -> Token | None:
    """The record of a live token of ``kind`` whose grant has not been revoked."""
    record = records.get(deps.state, kind, token_handle(token))
    if record is None:
        return None
    grant_id = record.gid
    if grant_id is not None and records.get(deps.state, Grant, grant_id) is None:
        return None
    if client_deleted(deps.scenario, deps.state, record.client_id):  # RFC 7592 2.3
        return None
    return record


def revoke_grant(deps: Deps, grant_id: str | None) -> None:
    """Kill every token of the grant. The tombstone goes first, so a refresh that is
    extending the grant at the same moment cannot bring it back (see extend_grant)."""
    if grant_id is not None:
        records.put(deps.state, grant_id, RevokedGrant(), ttl=UNTIL_RESET)
        records.delete(deps.state, Grant, grant_id)


def extend_grant(deps: Deps, grant_id: str, grant: Grant, *, ttl: float) -> None:
    """Keep a grant alive as long as the refresh token just issued from it (sliding)."""
    records.put(deps.state, grant_id, grant, ttl=ttl)
    if records.get(deps.state, RevokedGrant, grant_id) is not None:  # revoked: stay dead
        records.delete(deps.state, Grant, grant_id)
