"""The attacker's key material the ``jku_header`` / ``x5u_header`` defects point at.

A token with such a header is signed by a key the provider never publishes; these routes
serve that key where the header says, so a relying party that follows the header (and
must not) fetches a key that verifies the token, and the audit sees it accept.
"""

from __future__ import annotations

from starlette.responses import Response

from mockidp.control.base import ControlCall, ok
from mockidp.keys.ring import KeyRing


async def attacker_jwks(call: ControlCall) -> Response:
    key = call.provider.keys.unpublished_key()
    return ok({"keys": [KeyRing.public_of(key)]})


async def attacker_certificate(call: ControlCall) -> Response:
    pem = KeyRing.certificate_pem(call.provider.keys.unpublished_key())
    return Response(
        pem, 200, {"Cache-Control": "no-store"}, media_type="application/pem-certificate-chain"
    )
