"""Which scopes a client may ask for."""

from __future__ import annotations

from mockidp.errors import InvalidScope
from mockidp.model.scenario import Client, Scenario
from mockidp.oauth.tokens.resource_scopes import resource_of_scope, scope_resource


def requested_scopes(scenario: Scenario, client: Client, raw: str | None) -> tuple[str, ...]:
    """The space-separated ``raw`` scope, de-duplicated; InvalidScope for any not allowed."""
    requested = tuple(dict.fromkeys((raw or "").split()))
    allowed = client.scopes if client.scopes is not None else scenario.scopes
    if scenario.registration.any_scope and scenario.client(client.client_id) is None:
        allowed = scenario.scopes  # a registered client's step-up (registration.any_scope)
    unknown = [s for s in requested if s not in allowed and not resource_of_scope(scenario, s)]
    if unknown:
        where = "for this client" if client.scopes is not None else "in this scenario"
        raise InvalidScope(f"scope {' '.join(unknown)!r} is not known {where}")
    # A vendor's default scopes (Keycloak's default client scopes) come along unasked.
    defaults = [s for s in scenario.quirks.default_scopes if s in allowed and s not in requested]
    scope_resource(scenario, requested)  # one resource at a time
    return (*requested, *defaults)
