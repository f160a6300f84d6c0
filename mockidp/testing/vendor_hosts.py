"""The real hosts of each preset's vendor: what :meth:`MockIdP.intercept` answers besides
the issuer, so an app's production settings reach the stand-in unchanged.

A ``*`` in a host matches any part of it (tenant hosts: ``acme.hub.loginradius.com``). Hosts
come from the vendors' documentation (docs/presets.md names the sources); keycloak,
permiso and generic have none (self-hosted, or no documented host).
"""

from __future__ import annotations

VENDOR_ORIGINS: dict[str, tuple[str, ...]] = {
    "superoffice": (
        "https://sod.superoffice.com",  # development
        "https://qaonline.superoffice.com",  # stage
        "https://online.superoffice.com",  # production
    ),
    "loginradius": (
        "https://cloud-api.loginradius.com",  # the legacy OIDC layout
        "https://api.loginradius.com",  # its identity API (SDKs call it)
        "https://*.hub.loginradius.com",
    ),
    "loginradius-hub": (
        "https://*.hub.loginradius.com",
        "https://api.loginradius.com",
    ),
    "entra": (
        "https://login.microsoftonline.com",
        "https://sts.windows.net",
        "https://graph.microsoft.com",  # userinfo lives there
    ),
    "google": (
        "https://accounts.google.com",
        "https://oauth2.googleapis.com",  # token, revoke, device
        "https://openidconnect.googleapis.com",  # userinfo
        "https://www.googleapis.com",  # certs
    ),
    "auth0": ("https://*.auth0.com",),
    "okta": ("https://*.okta.com", "https://*.oktapreview.com"),
    "okta-org": ("https://*.okta.com", "https://*.oktapreview.com"),
    # the hosted UI; the issuer and keys (cognito-idp.REGION.amazonaws.com), not all of AWS
    "cognito": ("https://*.amazoncognito.com", "https://cognito-idp.*.amazonaws.com"),
}
"""Preset name -> the origins its vendor serves from."""


def vendor_origins(preset: str) -> tuple[str, ...]:
    """The real origins of ``preset``'s vendor (none for a self-hosted or generic one)."""
    return VENDOR_ORIGINS.get(preset, ())
