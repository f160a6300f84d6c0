"""A client's web origins: where its scripts run, for credentialed CORS and Keycloak's
login-status iframe.

As Keycloak's ``+`` web origin: the origins (RFC 6454) of the client's registered
redirect URIs. No scenario field lists others; a client whose scripts run elsewhere
registers a redirect URI there.
"""

from __future__ import annotations

from mockidp.model.scenario import Client
from mockidp.oauth.deps import ClientSource
from mockidp.oauth.urls import origin as origin_of


def web_origins(client: Client) -> frozenset[str]:
    """The origins of ``client``'s redirect URIs (opaque ones, ``null``, never count)."""
    return frozenset(origin_of(uri) for uri in client.redirect_uris) - {"null"}


def allowed(clients: ClientSource, client_id: str | None, origin: str | None) -> bool:
    """Whether ``origin`` is a web origin of the client ``client_id`` (unknown: never)."""
    if not client_id or not origin:
        return False
    client = clients.client(client_id)
    return client is not None and origin in web_origins(client)
