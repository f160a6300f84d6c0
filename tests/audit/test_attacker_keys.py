"""The jku / x5u defects name URLs the control API serves: a relying party that follows
the header fetches the attacker's key, and it verifies the token (so trusting the header
is caught as an accepted token, not hidden behind a 404)."""

from __future__ import annotations

import base64
import json
from typing import Any

import httpx
from cryptography import x509
from cryptography.hazmat.primitives.asymmetric.rsa import RSAPublicKey
from joserfc import jwt
from joserfc.jwk import KeySet

from mockidp import create_app
from mockidp.oauth.scripted.effects import sign
from mockidp.testing.serving import SyncASGITransport

BASE = "http://mockidp.test"
CLAIMS = {"iss": BASE, "sub": "alice", "aud": "client", "iat": 1, "exp": 2**31}


def _header(token: str) -> dict[str, Any]:
    head = token.split(".")[0]
    loaded: dict[str, Any] = json.loads(base64.urlsafe_b64decode(head + "=" * (-len(head) % 4)))
    return loaded


def test_the_jku_url_serves_a_key_set_that_verifies_the_token() -> None:
    app = create_app()
    with httpx.Client(transport=SyncASGITransport(app), base_url=BASE) as client:
        token = sign(app.provider.keys, CLAIMS, typ="JWT", defect="jku_header")
        url = _header(token)["jku"]
        assert url == f"{BASE}/_mockidp/attacker/jwks.json"
        attacker = KeySet.import_key_set(client.get(url).json())
        published = {k["kid"] for k in client.get("/.well-known/jwks.json").json()["keys"]}
    assert dict(jwt.decode(token, attacker).claims) == CLAIMS
    assert not published & {k.kid for k in attacker.keys}


def test_the_x5u_url_serves_the_attackers_certificate() -> None:
    app = create_app()
    with httpx.Client(transport=SyncASGITransport(app), base_url=BASE) as client:
        token = sign(app.provider.keys, CLAIMS, typ="JWT", defect="x5u_header")
        answer = client.get(_header(token)["x5u"])
        jwks = client.get("/_mockidp/attacker/jwks.json").json()
    assert answer.status_code == 200
    assert answer.headers["content-type"].startswith("application/pem-certificate-chain")
    public = x509.load_pem_x509_certificate(answer.content).public_key()
    assert isinstance(public, RSAPublicKey)
    n = int.from_bytes(base64.urlsafe_b64decode(jwks["keys"][0]["n"] + "=="), "big")
    assert public.public_numbers().n == n
