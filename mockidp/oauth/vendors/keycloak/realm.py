"""Keycloak's realm document, ``GET /realms/{realm}``: the realm's name, its signing
key as base64 SubjectPublicKeyInfo (``public_key``, what python-keycloak's
``public_key()`` reads), and where its token and account services are."""

from __future__ import annotations

from mockidp.keys.spki import spki_base64
from mockidp.types import JSONObject


def realm_document(*, realm: str, issuer: str, jwks: JSONObject) -> JSONObject:
    """The realm document of the realm whose issuer is ``issuer``, signing with the first
    signature key of ``jwks``."""
    keys = [k for k in jwks.get("keys", []) if isinstance(k, dict) and k.get("use", "sig") == "sig"]
    return {
        "realm": realm,
        "public_key": spki_base64(keys[0]) if keys else None,
        "token-service": issuer + "/protocol/openid-connect",
        "account-service": issuer + "/account",
        "tokens-not-before": 0,
    }
