"""Content-Security-Policy: every policy the pages send, built in one place.

Each page runs no script but the one carrying its fresh :func:`nonce`; nothing loads
from elsewhere (``default-src 'none'``); no page sets a ``<base>``. Pages are never
framed, except those relying parties embed on purpose (``framed``: the check_session
iframe, Keycloak's session pages), and the front-channel logout page frames only the
relying parties' logout URIs (``frames``, as :func:`source` allows each).
"""

from __future__ import annotations

import re
import secrets
from collections.abc import Iterable
from urllib.parse import urlsplit

from mockidp.oauth.urls import origin

_HOST_SOURCE = re.compile(r"https?://[A-Za-z0-9.-]+(:[0-9]+)?")


def nonce() -> str:
    """A fresh script nonce: one per answer."""
    return secrets.token_urlsafe(16)


def policy(
    *,
    script_nonce: str | None = None,
    styles: bool = False,
    images: bool = False,
    connect_self: bool = False,
    frames: Iterable[str] = (),
    framed: bool = False,
) -> str:
    """A policy allowing only what is asked: the script of ``script_nonce``, inline
    ``styles``, ``data:`` ``images``, fetches home (``connect_self``), ``frames`` of
    these sources; any page may embed it when ``framed``, none otherwise."""
    directives = ["default-src 'none'"]
    if script_nonce is not None:
        directives.append(f"script-src 'nonce-{script_nonce}'")
    if styles:
        directives.append("style-src 'unsafe-inline'")
    if images:
        directives.append("img-src data:")
    if connect_self:
        directives.append("connect-src 'self'")
    sources = " ".join(frames)
    if sources:
        directives.append(f"frame-src {sources}")
    directives.append("frame-ancestors *" if framed else "frame-ancestors 'none'")
    directives.append("base-uri 'none'")
    return "; ".join(directives)


def source(uri: str) -> str:
    """A CSP source expression allowing ``uri``'s origin; just its scheme where a host
    source cannot say it (IPv6 literals, odd characters)."""
    value = origin(uri)
    if _HOST_SOURCE.fullmatch(value):
        return value
    return urlsplit(uri).scheme.lower() + ":" if value != "null" else "'none'"
