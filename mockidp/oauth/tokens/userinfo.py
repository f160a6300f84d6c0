"""UserInfo (OpenID Connect Core 5.3): the signed-in user's claims for an access token,
as JSON or signed (Core 5.3.2; a preset's ``userinfo_format: jwt_string``)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from mockidp.errors import InsufficientScope
from mockidp.model.scenario import Client
from mockidp.oauth.deps import Deps
from mockidp.oauth.records import Access
from mockidp.oauth.tokens import authorization
from mockidp.oauth.tokens.claims import SCOPE_CLAIMS, user_claims
from mockidp.oauth.tokens.issuance import live_record
from mockidp.oauth.tokens.shapes import userinfo_claims, userinfo_jwt_claims
from mockidp.oauth.tokens.subjects import subject
from mockidp.types import JSONObject

if TYPE_CHECKING:
    from mockidp.oauth.tokens.dpop import Presentation


def look_up(
    deps: Deps, access_token: str | None, presentation: Presentation | None
) -> tuple[JSONObject, Access, Client | None]:
    """The claims, the token's record and its client: one look-up of each.

    ``presentation``: how the token came (RFC 9449 7: a DPoP-bound one needs the DPoP
    scheme and a proof); None: as a Bearer token."""
    from mockidp.oauth.tokens import dpop

    if not access_token:
        raise dpop.missing_token(
            "send the access token as 'Authorization: Bearer <token>' (or DPoP, with a proof)"
        )
    shown = presentation or dpop.Presentation("Bearer")
    record = live_record(deps, Access, access_token)
    if record is None:
        raise dpop.invalid_token("the access token is unknown, expired or revoked", shown)
    dpop.check_presentation(deps, record.claims, access_token, shown)
    scope = list(record.scope)
    if "openid" not in scope:
        raise InsufficientScope("the access token was not granted the openid scope")
    scenario = deps.scenario
    user = scenario.user_or_adhoc(record.user_sub)
    client = deps.client(record.client_id or "")
    claims = userinfo_claims(
        {
            "sub": subject(scenario, client, user) if client else record.sub,
            **user_claims(user, _shown_scope(deps, scope), record.claims_request, "userinfo"),
        },
        scenario.quirks,
    )
    return authorization.userinfo(claims, scenario.quirks, user), record, client


def _shown_scope(deps: Deps, scope: list[str]) -> list[str]:
    """The scopes whose claims UserInfo shows: all of them for ``userinfo_all_claims``."""
    if deps.scenario.quirks.userinfo_all_claims:
        return [*scope, *SCOPE_CLAIMS]
    return scope


def signed(deps: Deps, claims: JSONObject, record: Access, *, issuer: str, alg: str | None) -> str:
    """``claims`` as a signed JWT for the token of ``record`` (``alg``: the signing key's)."""
    from mockidp.oauth.tokens import jwt_responses

    payload = userinfo_jwt_claims(
        claims,
        issuer=issuer,
        client_id=record.client_id or "",
        nonce=record.nonce,
        now=int(deps.state.now()),
        lifetime=deps.scenario.quirks.userinfo_lifetime,
    )
    return jwt_responses.sign_as(deps.keys, payload, typ="JWT", alg=alg)
