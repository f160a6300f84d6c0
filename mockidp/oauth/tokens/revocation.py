"""Token revocation (RFC 7009): a client ends one of its tokens.

Revoking a refresh token revokes its whole grant (RFC 7009 2.1: the access tokens
issued with it go too). The caller authenticates the client first.
"""

from __future__ import annotations

from mockidp.errors import InvalidGrant, InvalidRequest
from mockidp.model.scenario import Client
from mockidp.oauth import records
from mockidp.oauth.deps import Deps
from mockidp.oauth.records import Refresh, token_handle
from mockidp.oauth.tokens.introspection import find_token
from mockidp.oauth.tokens.issuance import revoke_grant
from mockidp.types import Params


def revoke(deps: Deps, client: Client, params: Params) -> None:
    """RFC 7009 2.1: revoke ``params["token"]`` if it is ``client``'s."""
    token = params.get("token")
    if token is None:
        raise InvalidRequest("token is missing")
    found = find_token(deps, token, params.get("token_type_hint"))
    if found is None:
        return  # RFC 7009 2.2: an unknown token is not an error
    if found.client_id != client.client_id:
        raise InvalidGrant("the token was issued to another client")  # RFC 6749 5.2
    if isinstance(found, Refresh):
        revoke_grant(deps, found.gid)
    records.delete(deps.state, type(found), token_handle(token))
