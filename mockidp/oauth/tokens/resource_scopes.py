"""Resource-qualified scopes, as Microsoft Entra ID v2.0 takes them ("Scopes and
permissions in the Microsoft identity platform"): ``{resource}/{permission}``
(``api://{app}/access_as_user``), ``{resource}/.default`` (every consented permission
of the resource), and bare permission names of the default resource (Microsoft Graph:
``User.Read``). One request names one resource besides the OpenID scopes; the access
token is for it (its ``aud``).

Which resources and permissions exist is preset data (quirk ``resource_scopes``:
resource -> permissions, ``*`` for any; a resource ``api://{client_id}`` stands for
``api://`` plus any client of the scenario).
"""

from __future__ import annotations

from collections.abc import Iterable

from mockidp.errors import InvalidScope
from mockidp.model.scenario import Scenario

DEFAULT = ".default"
CLIENT_API = "api://{client_id}"


def _split(scope: str) -> tuple[str, str] | None:
    """(resource, permission) of a resource-qualified scope, else None."""
    if "://" not in scope:
        return None
    resource, _, permission = scope.rpartition("/")
    if not permission or resource.endswith(":/"):
        return None
    return resource, permission


def _permissions(scenario: Scenario, resource: str) -> tuple[str, ...] | None:
    table = scenario.quirks.resource_scopes
    if resource in table:
        return table[resource]
    is_client_api = resource.startswith("api://") and CLIENT_API in table
    if is_client_api and scenario.client(resource.removeprefix("api://")) is not None:
        return table[CLIENT_API]
    return None


def resource_of_scope(scenario: Scenario, scope: str) -> str | None:
    """The resource ``scope`` is a known permission of (None: not a resource scope)."""
    quirks = scenario.quirks
    if not quirks.resource_scopes:
        return None
    split = _split(scope)
    if split is None:
        resource = quirks.default_scope_resource
        if resource is None:
            return None
        permissions = _permissions(scenario, resource) or ()
        return resource if scope in permissions or "*" in permissions else None
    resource, permission = split
    listed = _permissions(scenario, resource)
    if listed is None:
        return None
    if permission == DEFAULT or permission in listed or "*" in listed:
        return resource
    return None


def scope_resource(scenario: Scenario, scopes: Iterable[str]) -> str | None:
    """The one resource ``scopes`` are for; InvalidScope when they name several."""
    if not scenario.quirks.resource_scopes:  # no preset data: no scope names a resource
        return None
    found = {r for r in (resource_of_scope(scenario, s) for s in scopes) if r is not None}
    if len(found) > 1:
        raise InvalidScope(
            f"scopes of several resources ({', '.join(sorted(found))}) in one request; "
            "ask for one resource's scopes at a time"
        )
    return found.pop() if found else None
