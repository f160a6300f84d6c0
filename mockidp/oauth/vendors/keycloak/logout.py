"""Keycloak's logout by refresh token: ``POST .../protocol/openid-connect/logout`` with
``client_id`` (and its credentials) and ``refresh_token``, what python-keycloak's
``logout()`` and keycloak-js send. Keycloak answers 204 and the session's tokens stop
working, and so does the browser's single sign-on session they came from (its next
authorization request must sign in again); a token that is unknown or another client's
is ``invalid_grant`` and changes nothing."""

from __future__ import annotations

from mockidp.errors import InvalidGrant, InvalidRequest
from mockidp.model.scenario import Client
from mockidp.oauth import records
from mockidp.oauth.deps import Deps
from mockidp.oauth.records import Refresh, token_handle
from mockidp.oauth.signin import session as browser_session
from mockidp.oauth.tokens.issuance import revoke_grant
from mockidp.types import Params


def end_grant_by_refresh_token(deps: Deps, client: Client, params: Params) -> None:
    """Revoke the grant of ``params["refresh_token"]``, which ``client`` must hold."""
    token = params.get("refresh_token")
    if not token:
        raise InvalidRequest("refresh_token is missing")
    handle = token_handle(token)
    record = records.get(deps.state, Refresh, handle)
    if record is None:
        raise InvalidGrant("Invalid refresh token", reason="refresh_token")
    if record.client_id != client.client_id:
        raise InvalidGrant(
            "Invalid refresh token. Token client and authorized client don't match",
            reason="refresh_token",
        )
    revoke_grant(deps, record.gid)  # every refresh and access token of the grant
    records.delete(deps.state, Refresh, handle)
    if record.sid is not None:  # Keycloak ends the user's session too
        browser_session.end_by_public_sid(deps, record.sid)
