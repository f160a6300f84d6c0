"""Turning an authorization into tokens, and finding the records behind tokens later.

Every issued token is recorded under the hash of its value and tied to a grant record;
deleting the grant (a replayed code, a reused refresh token, a revoked refresh token)
makes every token of that family invalid at once.
"""

from __future__ import annotations

from dataclasses import dataclass

from mockidp.claims import user_claims
from mockidp.keys import KeyRing
from mockidp.scenario import Client, Scenario, User
from mockidp.state import State
from mockidp.tokens import (
    AccessTokenInput,
    IdTokenInput,
    access_token_claims,
    id_token_claims,
    random_token,
    token_handle,
)
from mockidp.types import JSONObject

ACCESS = "at"
REFRESH = "rt"
GRANT = "grant"


@dataclass
class Deps:
    """What the core's parts share: the scenario in force, state and keys."""

    scenario: Scenario
    state: State
    keys: KeyRing


@dataclass(frozen=True)
class Authorization:
    """An authorization being turned into tokens."""

    client: Client
    user: User | None
    scope: tuple[str, ...]
    grant_id: str
    auth_time: int | None = None
    nonce: str | None = None
    claims_request: JSONObject | None = None
    sid: str | None = None


def new_grant(deps: Deps, client: Client, user: User | None) -> str:
    """A grant record: the family every token of one authorization belongs to."""
    grant_id = random_token(16)
    lifetimes = deps.scenario.lifetimes
    deps.state.put(
        GRANT,
        grant_id,
        {"client_id": client.client_id, "sub": user.sub if user else None},
        ttl=max(lifetimes.refresh_token, lifetimes.access_token),
    )
    return grant_id


def wants_refresh_token(scenario: Scenario, client: Client, scope: tuple[str, ...]) -> bool:
    if "refresh_token" not in client.grant_types or scenario.refresh_tokens == "never":
        return False
    return scenario.refresh_tokens == "always" or "offline_access" in scope


def issue(
    deps: Deps,
    auth: Authorization,
    *,
    issuer: str,
    id_token: bool,
    refresh_token: bool | str,
) -> JSONObject:
    """The token response (RFC 6749 5.1): access token, and ID / refresh token as asked.

    ``refresh_token`` is True to mint a new one, False for none, or an existing
    refresh token to leave in place (not echoed: the client keeps the one it has).
    """
    lifetimes = deps.scenario.lifetimes
    now = int(deps.state.now())
    scope = " ".join(auth.scope)
    client = auth.client
    sub = auth.user.sub if auth.user else client.client_id  # RFC 9068 2.2: client's own id
    at_claims = access_token_claims(
        AccessTokenInput(
            issuer=issuer,
            sub=sub,
            client_id=client.client_id,
            audience=client.access_token_audience or client.client_id,
            scope=scope,
            now=now,
            lifetime=lifetimes.access_token,
            auth_time=auth.auth_time,
        )
    )
    access_token = deps.keys.sign(at_claims, typ="at+jwt")
    deps.state.put(
        ACCESS,
        token_handle(access_token),
        {
            **at_claims,
            "gid": auth.grant_id,
            "claims_request": auth.claims_request,
        },
        ttl=lifetimes.access_token,
    )
    response: JSONObject = {
        "access_token": access_token,
        "token_type": "Bearer",
        "expires_in": lifetimes.access_token,
    }
    if scope:
        response["scope"] = scope
    if id_token and auth.user is not None:
        extra = user_claims(auth.user, auth.scope, auth.claims_request, "id_token")
        response["id_token"] = deps.keys.sign(
            id_token_claims(
                IdTokenInput(
                    issuer=issuer,
                    sub=sub,
                    client_id=client.client_id,
                    now=now,
                    lifetime=lifetimes.id_token,
                    auth_time=auth.auth_time,
                    nonce=auth.nonce,
                    access_token=access_token,
                    sid=auth.sid,
                    extra=extra,
                ),
                deps.keys.alg,
            )
        )
    if refresh_token is True:
        value = random_token(48)
        deps.state.put(
            REFRESH,
            token_handle(value),
            {
                "client_id": client.client_id,
                "sub": sub,
                "scope": scope,
                "gid": auth.grant_id,
                "auth_time": auth.auth_time,
                "claims_request": auth.claims_request,
                "sid": auth.sid,
                "iat": now,
                "exp": now + lifetimes.refresh_token,
                "iss": issuer,
            },
            ttl=lifetimes.refresh_token,
        )
        response["refresh_token"] = value
    return response


def live_record(deps: Deps, kind: str, token: str) -> JSONObject | None:
    """The record of a live token of ``kind`` whose grant has not been revoked."""
    record = deps.state.get(kind, token_handle(token))
    if record is None:
        return None
    grant_id = record.get("gid")
    if grant_id is not None and deps.state.get(GRANT, grant_id) is None:
        return None
    return record


def revoke_grant(deps: Deps, grant_id: str | None) -> None:
    if grant_id is not None:
        deps.state.delete(GRANT, grant_id)
