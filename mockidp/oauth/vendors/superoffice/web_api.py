"""SuperOffice's tenant web API as the preset serves it: ``GET {webapi_url}v1/User/
currentPrincipal`` (reference 001 links it as the userinfo replacement), called with

- ``Authorization: Bearer <access token>`` (the OIDC sign-in's ``8A:`` token), or
- ``Authorization: SOTicket <ticket>`` and ``SO-AppToken: <client secret>`` (a
  server-to-server app's system-user ticket, :mod:`mockidp.oauth.vendors.superoffice.tickets`), the
  headers ``@superoffice/webapi``'s ``authenticateWithTicket`` and ``applicationToken``
  set.

Either way the answer is the same principal (:func:`~mockidp.oauth.tokens.shapes.superoffice_principal`).
A token or ticket of another tenant, an unknown or expired one, or a ticket without its
application's token is refused 401 with RFC 6750's challenge.
"""

from __future__ import annotations

import hmac

from mockidp.errors import InvalidToken, MissingToken
from mockidp.oauth.deps import Deps
from mockidp.oauth.records import Access
from mockidp.oauth.tokens.issuance import live_record
from mockidp.oauth.tokens.shapes import superoffice_principal, template_values
from mockidp.oauth.vendors.superoffice import tickets
from mockidp.types import JSONObject


def current_principal(
    deps: Deps, *, authorization: str | None, app_token: str | None, ctx: str, origin: str
) -> JSONObject:
    """The principal behind a request to tenant ``ctx``'s web API."""
    scheme, _, credential = (authorization or "").partition(" ")
    credential = credential.strip()
    if scheme.lower() == "soticket" and credential:
        uid, tenant = _ticket(deps, credential, app_token)
    elif scheme.lower() == "bearer" and credential:
        uid, tenant = _bearer(deps, credential)
    else:
        raise MissingToken(
            "send 'Authorization: Bearer <token>', or 'Authorization: SOTicket <ticket>' "
            "with 'SO-AppToken: <application token>'"
        )
    user = deps.scenario.user_or_adhoc(uid)
    quirks = deps.scenario.quirks
    values = template_values(quirks, user, origin, tenant)
    if values.get(quirks.tenant_claim) != ctx:
        raise InvalidToken(f"the credential is not for tenant {ctx!r}")
    return superoffice_principal(values, user)


def _bearer(deps: Deps, token: str) -> tuple[str, str | None]:
    record = live_record(deps, Access, token)
    if record is None:
        raise InvalidToken("the access token is unknown, expired or revoked")
    return record.user_sub, record.tenant


def _ticket(deps: Deps, ticket: str, app_token: str | None) -> tuple[str, str | None]:
    record = tickets.find(deps, ticket)
    if record is None:
        raise InvalidToken("the SOTicket is unknown or expired")
    if not app_token:
        raise InvalidToken("a ticket needs the application's token: send SO-AppToken")
    client = deps.client(record.client_id)
    secret = client.client_secret if client is not None else None
    if secret is None or not hmac.compare_digest(secret.encode(), app_token.encode()):
        raise InvalidToken("SO-AppToken is not the token of the application the ticket is for")
    return record.uid, record.ctx
