"""The tokens of an implicit or hybrid authorization response (OpenID Connect Core 3.2.2.5
and 3.3.2.5, RFC 6749 4.2.2).

``token`` adds an access token (``token_type``, ``expires_in``; never a refresh token),
``id_token`` an ID token carrying the request's ``nonce``, ``at_hash`` when an access
token comes with it and ``c_hash`` when a code does. They are issued as grant type
``implicit`` from endpoint ``authorization`` (what ``broken_tokens`` rules match on) and
recorded like any other token, so UserInfo, introspection and revocation accept them.
"""

from __future__ import annotations

from mockidp.model.scenario import Client, User
from mockidp.oauth.deps import Deps
from mockidp.oauth.tokens.issuance import issue, new_grant
from mockidp.oauth.tokens.minting import Authorization

FRONT_CHANNEL_GRANT = "implicit"


def authorization_tokens(
    deps: Deps,
    *,
    client: Client,
    user: User,
    response_type: str,
    scope: tuple[str, ...],
    auth_time: int,
    nonce: str | None,
    claims_request: dict[str, object] | None,
    sid: str | None,
    tenant: str | None,
    issuer: str,
    code: str | None,
    resources: tuple[str, ...] = (),
) -> dict[str, str]:
    """The response parameters the token words of ``response_type`` ask for (strings)."""
    words = response_type.split()
    with_access = "token" in words
    with_id = "id_token" in words
    if not (with_access or with_id):
        return {}
    auth = Authorization(
        client,
        user,
        scope,
        new_grant(deps, client, user) if with_access else "",
        auth_time=auth_time,
        nonce=nonce,
        claims_request=claims_request,
        sid=sid,
        grant_type=FRONT_CHANNEL_GRANT,
        params={"response_type": response_type, "scope": " ".join(scope)},
        tenant=tenant,
        resources=resources,  # RFC 8707: the access token is for what was asked
    )
    issued = issue(
        deps,
        auth,
        issuer=issuer,
        id_token=with_id,
        refresh_token=False,
        access_token=with_access,
        code=code,
        endpoint="authorization",
    )
    return {name: str(value) for name, value in issued.items()}
