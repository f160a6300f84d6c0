"""Keycloak's browser-session check, as keycloak-js (``checkLoginIframe``) uses it.

keycloak-js frames Keycloak's 3p-cookies pages and its login-status iframe (their pages
and scripts are :mod:`mockidp.http.vendors.keycloak`'s). The iframe answers
``"<client_id> <sid>"`` messages by comparing the message's ``sid`` (the ``sid`` claim of
the client's tokens) with the browser state kept as
:mod:`mockidp.oauth.sessions.session_management` keeps it (a one-way value of the
``sid``, as Keycloak's cookie holds a hash of the session id). Before it answers a client
and origin the first time, it asks :func:`origin_checked`, as Keycloak's ``/init`` does.
"""

from __future__ import annotations

from mockidp.oauth.clients import web_origins
from mockidp.oauth.deps import ClientSource


def origin_checked(clients: ClientSource, client_id: str | None, origin: str | None) -> bool:
    """Whether the iframe may answer ``client_id`` at ``origin``: one of its web origins."""
    return web_origins.allowed(clients, client_id, origin)
