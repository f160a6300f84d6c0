"""SuperOffice system-user tickets (``7T:...``): issued by PartnerSystemUser/Authenticate
(:mod:`mockidp.oauth.vendors.superoffice.system_user`), then sent to the tenant's web API as
``Authorization: SOTicket <ticket>`` with ``SO-AppToken: <client secret>``.

A ticket is stored (under its hash, like every token) with its user, tenant and the
application it was issued to, and expires after ``quirks.system_user_ticket_lifetime``
(6 hours by default).
"""

from __future__ import annotations

import secrets

from mockidp.model.scenario import Client, User
from mockidp.oauth import records
from mockidp.oauth.deps import Deps
from mockidp.oauth.records import Ticket, token_handle

PREFIX = "7T:"


def issue(deps: Deps, user: User, *, ctx: str, client: Client) -> str:
    """A new ticket for ``user`` of tenant ``ctx``, usable with ``client``'s secret."""
    ticket = PREFIX + secrets.token_urlsafe(36)
    record = Ticket(uid=user.sub, ctx=ctx, client_id=client.client_id)
    lifetime = deps.scenario.quirks.system_user_ticket_lifetime
    records.put(deps.state, token_handle(ticket), record, ttl=lifetime)
    return ticket


def find(deps: Deps, ticket: str) -> Ticket | None:
    """The live ticket's record (user, tenant, client), or None."""
    return records.get(deps.state, Ticket, token_handle(ticket))
