"""A Flask app that signs users in with Authlib's Flask integration (over requests), as
Authlib's documentation shows it, its settings pointing at the production provider.

Tested unchanged, in-process, by tests/guides/test_flask_authlib.py (docs/testing-your-app.md).
"""

from __future__ import annotations

from authlib.integrations.flask_client import OAuth, OAuthError
from flask import Flask, jsonify, redirect, session, url_for

ISSUER = "https://login.example-idp.com"

app = Flask(__name__)
app.secret_key = "change-me"
app.config.update(
    IDP_CLIENT_ID="mockidp-client",
    IDP_CLIENT_SECRET="mockidp-secret",
)

oauth = OAuth(app)
oauth.register(
    name="idp",
    server_metadata_url=ISSUER + "/.well-known/openid-configuration",
    client_kwargs={"scope": "openid profile email"},
)


@app.route("/")
def home():  # type: ignore[no-untyped-def]
    user = session.get("user")
    if user is None:
        return jsonify(signed_in=False), 401
    return jsonify(signed_in=True, sub=user["sub"])


@app.route("/login")
def login():  # type: ignore[no-untyped-def]
    return oauth.idp.authorize_redirect(url_for("auth", _external=True))


@app.route("/auth")
def auth():  # type: ignore[no-untyped-def]
    try:
        token = oauth.idp.authorize_access_token()
    except OAuthError as error:
        return jsonify(error=error.error), 401
    session["user"] = dict(token["userinfo"])
    return redirect("/")
