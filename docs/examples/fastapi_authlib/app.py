"""A FastAPI app that signs users in with Authlib's Starlette integration, as Authlib's
documentation shows it; its settings point at the production identity provider.

Tested unchanged, in-process, by tests/guides/test_fastapi_authlib.py (docs/testing-your-app.md).
"""

from __future__ import annotations

import time

from authlib.integrations.starlette_client import OAuth, OAuthError
from fastapi import FastAPI, Request
from starlette.middleware.sessions import SessionMiddleware
from starlette.responses import JSONResponse, RedirectResponse

ISSUER = "https://login.example-idp.com"  # production settings: nothing points at a test host
CLIENT_ID = "mockidp-client"
CLIENT_SECRET = "mockidp-secret"

app = FastAPI()
app.add_middleware(SessionMiddleware, secret_key="change-me")

oauth = OAuth()
oauth.register(
    name="idp",
    server_metadata_url=ISSUER + "/.well-known/openid-configuration",
    client_id=CLIENT_ID,
    client_secret=CLIENT_SECRET,
    client_kwargs={"scope": "openid profile email offline_access"},
)


@app.get("/")
async def home(request: Request) -> JSONResponse:
    user = request.session.get("user")
    if user is None:
        return JSONResponse({"signed_in": False}, status_code=401)
    return JSONResponse({"signed_in": True, "sub": user["sub"], "name": user.get("name")})


@app.get("/login")
async def login(request: Request):  # type: ignore[no-untyped-def]
    return await oauth.idp.authorize_redirect(request, request.url_for("auth"))


@app.get("/auth")
async def auth(request: Request):  # type: ignore[no-untyped-def]
    try:
        token = await oauth.idp.authorize_access_token(request)
    except OAuthError as error:
        return JSONResponse({"error": error.error}, status_code=401)
    request.session["user"] = dict(token["userinfo"])
    request.session["token"] = {
        k: token[k] for k in ("access_token", "refresh_token", "expires_at", "id_token")
    }
    return RedirectResponse("/")


@app.get("/api/data")
async def data(request: Request) -> JSONResponse:
    """Calls an API with the access token, refreshing it first once it has expired."""
    token = request.session.get("token")
    if token is None:
        return JSONResponse({"error": "sign in first"}, status_code=401)
    if token["expires_at"] <= time.time():
        fresh = await oauth.idp.fetch_access_token(
            grant_type="refresh_token", refresh_token=token["refresh_token"]
        )
        token.update(access_token=fresh["access_token"], expires_at=fresh["expires_at"])
        token["refresh_token"] = fresh.get("refresh_token", token["refresh_token"])
        request.session["token"] = token
        return JSONResponse({"refreshed": True})
    return JSONResponse({"refreshed": False})


@app.get("/logout")
async def logout(request: Request) -> RedirectResponse:
    token = request.session.pop("token", None) or {}
    request.session.pop("user", None)
    metadata = await oauth.idp.load_server_metadata()
    target = str(request.url_for("home"))
    url = f"{metadata['end_session_endpoint']}?post_logout_redirect_uri={target}"
    if token.get("id_token"):
        url += f"&id_token_hint={token['id_token']}"
    return RedirectResponse(url)
