"""The ``sub`` a client sees for a user: public, or pairwise (OpenID Connect Core 8).

The one place a subject identifier is computed: ID tokens, access tokens, userinfo and
introspection all show what :func:`subject` returns, so they always agree.
"""

from __future__ import annotations

import hashlib
from urllib.parse import urlsplit

from mockidp.model.scenario import Client, Scenario, User


def subject(scenario: Scenario, client: Client, user: User) -> str:
    """The ``sub`` of ``user`` as ``client`` sees it under the scenario's subject type."""
    if scenario.subject_type != "pairwise":
        return user.sub
    return pairwise_subject(sector_identifier(client), user.sub, scenario.pairwise_salt)


def sector_identifier(client: Client) -> str:
    """The host of the client's registered redirect URIs, or its client_id.

    OpenID Connect Core 8.1: the sector is the host of the redirect URI; a client whose
    redirect URIs span several hosts (or have none) would need a sector_identifier_uri,
    which mockidp does not support, so its client_id stands in for the sector.
    """
    hosts = {urlsplit(uri).hostname for uri in client.redirect_uris}
    if len(hosts) == 1:
        (host,) = hosts
        if host:
            return host
    return client.client_id


def pairwise_subject(sector: str, local_sub: str, salt: str) -> str:
    """``hex(SHA-256(sector_identifier || local_account_id || salt))`` (Core 8.1's example)."""
    return hashlib.sha256(f"{sector}{local_sub}{salt}".encode()).hexdigest()
