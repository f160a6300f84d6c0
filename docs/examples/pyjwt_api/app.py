"""An API that accepts bearer tokens checked with PyJWT's PyJWKClient (its documented
use), against the production issuer's keys.

Tested unchanged, in-process, by tests/guides/test_pyjwt_api.py (docs/testing-your-app.md).
"""

from __future__ import annotations

import jwt
from fastapi import FastAPI, Header, HTTPException

ISSUER = "https://login.example-idp.com"
AUDIENCE = "mockidp-client"

app = FastAPI()
jwks_client = jwt.PyJWKClient(ISSUER + "/.well-known/jwks.json")


@app.get("/api/me")
def me(authorization: str = Header(default="")) -> dict[str, str]:
    scheme, _, token = authorization.partition(" ")
    if scheme.lower() != "bearer" or not token:
        raise HTTPException(401, "a bearer token is required")
    try:
        key = jwks_client.get_signing_key_from_jwt(token)
        claims = jwt.decode(token, key, algorithms=["RS256"], audience=AUDIENCE, issuer=ISSUER)
    except jwt.PyJWTError as error:
        raise HTTPException(401, f"invalid token: {error}") from error
    return {"sub": claims["sub"]}
