"""Each vendor's own endpoints under its name: handlers, pages and an endpoint table per
vendor (``superoffice``, ``loginradius``, ``keycloak``), as ``presets/<vendor>.py`` and
``oauth/vendors/<vendor>/`` name them. :func:`endpoints` merges the tables; the app
loads them on the first request to a name the generic endpoints do not serve."""

from __future__ import annotations

from functools import cache

from mockidp.http.exchange import Endpoint


@cache
def endpoints() -> dict[str, Endpoint]:
    """Every vendor's endpoint names in its preset's layout, and how each is served."""
    from mockidp.http.vendors import keycloak, loginradius, superoffice

    return {**superoffice.ENDPOINTS, **loginradius.ENDPOINTS, **keycloak.ENDPOINTS}
