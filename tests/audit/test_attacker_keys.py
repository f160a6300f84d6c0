"""The jku / x5u defects name URLs the control API serves: a relying party that follows
the header fetches the attacker's key, and it verifies the token (so trusting the header
is caught as an accepted token, not hidden behind a 404)."""

from __future__ import annotations

import base64
import json
from typing import Any

import httpx
import pytest
from cryptography import x509
from cryptography.hazmat.primitives.asymmetric.rsa import RSAPublicKey
from joserfc import jwt
from joserfc.errors import JoseError
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


# -- with an admin token: still public, and only public material ----------------------------

ADMIN = "audit-admin-token"
PRIVATE_MEMBERS = {"d", "p", "q", "dp", "dq", "qi", "k", "oth"}


def test_the_attacker_key_is_public_with_an_admin_token_and_nothing_else_is() -> None:
    # the app under audit follows jku / x5u with no credentials: a 401 would hide the flaw
    app = create_app(admin_token=ADMIN)
    with httpx.Client(transport=SyncASGITransport(app), base_url=BASE) as client:
        jwks = client.get("/_mockidp/attacker/jwks.json")
        cert = client.get("/_mockidp/attacker/cert.pem")
        head = client.head("/_mockidp/attacker/jwks.json")
        refused = [
            client.get("/_mockidp/scenario"),
            client.post("/_mockidp/attacker/jwks.json", json={}),  # GET only, and not public
            client.get("/_mockidp/attacker/other"),  # no route: the 401, not a 404
        ]
        token = sign(app.provider.keys, CLAIMS, typ="JWT", defect="jku_header")
    assert (jwks.status_code, cert.status_code, head.status_code) == (200, 200, 200)
    assert [r.status_code for r in refused] == [401, 401, 401]
    assert dict(jwt.decode(token, KeySet.import_key_set(jwks.json())).claims) == CLAIMS


def test_the_attacker_routes_expose_only_the_attackers_public_key() -> None:
    app = create_app(admin_token=ADMIN)
    ring = app.provider.keys
    with httpx.Client(transport=SyncASGITransport(app), base_url=BASE) as client:
        (served,) = client.get("/_mockidp/attacker/jwks.json").json()["keys"]
        pem = client.get("/_mockidp/attacker/cert.pem").text
        published = client.get("/.well-known/jwks.json").json()["keys"]
    assert not PRIVATE_MEMBERS & set(served)
    assert "PRIVATE KEY" not in pem and pem.count("BEGIN CERTIFICATE") == 1
    attacker = KeySet.import_key_set({"keys": [served]}).keys[0].thumbprint()
    ours = {KeySet.import_key_set({"keys": [k]}).keys[0].thumbprint() for k in published}
    assert attacker not in ours  # never a key the provider signs with or publishes
    signed = ring.sign_exactly(CLAIMS, ring.header(typ="JWT"))
    with pytest.raises(JoseError):  # the provider's own tokens do not verify with it
        jwt.decode(signed, KeySet.import_key_set({"keys": [served]}))


def test_the_openapi_document_shows_the_attacker_routes_need_no_token() -> None:
    app = create_app(admin_token=ADMIN)
    with httpx.Client(transport=SyncASGITransport(app), base_url=BASE) as client:
        doc = client.get(
            "/_mockidp/openapi.json", headers={"Authorization": f"Bearer {ADMIN}"}
        ).json()
    for path in ("/_mockidp/attacker/jwks.json", "/_mockidp/attacker/cert.pem"):
        operation = doc["paths"][path]["get"]
        assert operation["security"] == [] and "401" not in operation["responses"]
    assert doc["paths"]["/_mockidp/scenario"]["get"]["responses"]["401"]
