"""Token introspection (RFC 7662): whether a token is active, and what it grants.

The caller (:meth:`Provider.introspect <mockidp.oauth.provider.Provider.introspect>`)
authenticates the client first; a public client may not introspect (RFC 7662 2.1).
"""

from __future__ import annotations

from mockidp.errors import InvalidClient, InvalidRequest
from mockidp.model.scenario import Client
from mockidp.oauth.deps import Deps
from mockidp.oauth.records import Access, Refresh
from mockidp.oauth.tokens import dpop
from mockidp.oauth.tokens.issuance import live_record
from mockidp.types import JSONObject, Params


def introspect(deps: Deps, client: Client, params: Params) -> JSONObject:
    """RFC 7662 2.2: the answer for ``params["token"]``, asked by ``client``."""
    if client.public:
        raise InvalidClient("a public client may not introspect tokens")
    token = params.get("token")
    if token is None:
        raise InvalidRequest("token is missing")
    found = find_token(deps, token, params.get("token_type_hint"))
    if found is None:
        return {"active": False}
    claims = _answered(found)
    out: JSONObject = {"active": True}
    for name in ("scope", "client_id", "sub", "exp", "iat", "iss", "aud", "jti", "cnf", "act"):
        if claims.get(name) not in (None, ""):
            out[name] = claims[name]
    user = deps.scenario.user(found.user_sub)
    if user is not None:
        out["username"] = user.claims.get("preferred_username", user.username)
    if isinstance(found, Access):  # RFC 9449 6.2: a DPoP-bound token is introspected as DPoP
        out["token_type"] = "DPoP" if dpop.thumbprint_of(found.claims) else "Bearer"
    return out


def _answered(record: Access | Refresh) -> JSONObject:
    """What introspection tells of a token: an access token's claims as signed, a
    refresh token's grant."""
    if isinstance(record, Access):  # what a vendor's JWT leaves out, introspection tells
        return {"scope": " ".join(record.scope), "client_id": record.client_id, **record.claims}
    return {
        "scope": " ".join(record.scope),
        "client_id": record.client_id,
        "sub": record.sub,
        "exp": record.exp,
        "iat": record.iat,
        "iss": record.iss,
    }


def find_token(deps: Deps, token: str, hint: str | None) -> Access | Refresh | None:
    """A live access or refresh token's record, the hinted kind tried first."""
    first: Access | Refresh | None
    if hint == "refresh_token":
        first = live_record(deps, Refresh, token)
        return first if first is not None else live_record(deps, Access, token)
    first = live_record(deps, Access, token)
    return first if first is not None else live_record(deps, Refresh, token)
