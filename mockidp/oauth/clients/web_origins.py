"""A client's web origins: where its scripts run, for credentialed CORS and Keycloak's
login-status iframe.

As Keycloak's ``+`` web origin: the origins (RFC 6454) of the client's registered
redirect URIs. A client that accepts any loopback redirect URI (``loopback_redirects``)
accepts any http loopback origin too, and one whose loopback redirect URIs match on any
port (``loopback_ports``) their host on any port: an app on a random local port is where
its redirect URI would be. No scenario field lists others; a client whose scripts run
elsewhere registers a redirect URI there.
"""

from __future__ import annotations

from urllib.parse import urlsplit

from mockidp.model.scenario import Client
from mockidp.oauth.deps import ClientSource
from mockidp.oauth.urls import is_loopback_uri
from mockidp.oauth.urls import origin as origin_of


def web_origins(client: Client) -> frozenset[str]:
    """The origins of ``client``'s redirect URIs (opaque ones, ``null``, never count)."""
    return frozenset(origin_of(uri) for uri in client.redirect_uris) - {"null"}


def allowed(clients: ClientSource, client_id: str | None, origin: str | None) -> bool:
    """Whether ``origin`` is a web origin of the client ``client_id`` (unknown: never)."""
    if not client_id or not origin:
        return False
    client = clients.client(client_id)
    if client is None:
        return False
    return origin in web_origins(client) or loopback_origin(client, origin)


def loopback_origin(client: Client, origin: str) -> bool:
    """Whether ``origin`` is an http loopback origin ``client``'s redirect URIs allow."""
    if not is_loopback_uri(origin + "/") or origin_of(origin) != origin:
        return False
    if client.loopback_redirects:
        return True
    host = urlsplit(origin).hostname
    return client.loopback_ports and any(
        is_loopback_uri(uri) and urlsplit(uri).hostname == host for uri in client.redirect_uris
    )
