"""``python -m mockidp.hosting.healthcheck``: the container image's HEALTHCHECK.

Exits 0 when the server on ``127.0.0.1:$MOCKIDP_PORT`` answers its discovery document
(OpenID Connect Discovery 1.0 section 4), else 1. Presets that move discovery under a
path (Okta's ``/oauth2/default``, Keycloak's realm, Entra's tenant) answer 404 at the
root one: that is still a running provider. A server started with ``--tls`` is asked
over HTTPS without verifying its certificate: this checks liveness, not trust.

Standard library only, and nothing of the package is imported, so a check every few
seconds costs a few milliseconds of start-up.
"""

from __future__ import annotations

import http.client
import os
import ssl
import sys
import urllib.error
import urllib.request
from collections.abc import Mapping

DISCOVERY = "/.well-known/openid-configuration"
HEALTHY = frozenset({200, 404})


def discovery_status(url: str, *, timeout: float = 2.0) -> int | None:
    """The HTTP status ``url`` answers, or None when nothing answers in HTTP there."""
    context = ssl._create_unverified_context() if url.startswith("https:") else None
    try:
        with urllib.request.urlopen(url, timeout=timeout, context=context) as answer:
            return int(answer.status)
    except urllib.error.HTTPError as exc:
        return exc.code
    except (OSError, http.client.HTTPException):  # refused, reset, timed out, not HTTP
        return None


def healthy(env: Mapping[str, str] | None = None) -> bool:
    """Whether the local server answers discovery, over HTTP or else HTTPS."""
    env = os.environ if env is None else env
    port = env.get("MOCKIDP_PORT") or "8000"
    for scheme in ("http", "https"):
        status = discovery_status(f"{scheme}://127.0.0.1:{port}{DISCOVERY}")
        if status is not None:
            return status in HEALTHY
    return False


if __name__ == "__main__":
    sys.exit(0 if healthy() else 1)
