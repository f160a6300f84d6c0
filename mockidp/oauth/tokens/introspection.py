"""Token introspection (RFC 7662): whether a token is active, and what it grants.

The caller (:meth:`Provider.introspect <mockidp.oauth.provider.Provider.introspect>`)
authenticates the client first; a public client may not introspect (RFC 7662 2.1).
"""

from __future__ import annotations

from mockidp.errors import InvalidClient, InvalidRequest
from mockidp.model.scenario import Client
from mockidp.oauth.deps import Deps
from mockidp.oauth.records import ACCESS, REFRESH
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
    kind, record = found
    out: JSONObject = {"active": True}
    for name in ("scope", "client_id", "sub", "exp", "iat", "iss", "aud", "jti", "cnf", "act"):
        if record.get(name) not in (None, ""):
            out[name] = record[name]
    user = deps.scenario.user(record.get("uid") or record["sub"])
    if user is not None:
        out["username"] = user.claims.get("preferred_username", user.username)
    if kind == ACCESS:  # RFC 9449 6.2: a DPoP-bound token is introspected as DPoP
        out["token_type"] = "DPoP" if dpop.thumbprint_of(record) else "Bearer"
    return out


def find_token(deps: Deps, token: str, hint: str | None) -> tuple[str, JSONObject] | None:
    """A live access or refresh token's kind and record, the hinted kind tried first."""
    kinds = (REFRESH, ACCESS) if hint == "refresh_token" else (ACCESS, REFRESH)
    for kind in kinds:
        record = live_record(deps, kind, token)
        if record is not None:
            return kind, record
    return None
