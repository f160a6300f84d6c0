"""Helpers for the token format, lifetime and broken token tests.

A scenario mapping replaces the default entirely, so :func:`scenario` starts from the
packaged default (its clients and users) and adds or replaces sections. Tokens are
fetched in-process from a fresh app per scenario.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import yaml

from mockidp import create_app
from tests.conftest import IdP
from tests.support.e2e import (
    CONFIDENTIAL,
    SECRET,
    AsyncOAuth2Client,
    Provider,
    default_scenario_mapping,
    discover,
    new_verifier,
    oauth_client,
)
from tests.support.e2e import redirect_back as _redirect_back

BASE_URL = "http://mockidp.test"


def scenario(**sections: Any) -> dict[str, Any]:
    """The packaged default scenario with ``sections`` added (or replaced)."""
    return default_scenario_mapping(**sections)


def make_idp(data: dict[str, Any]) -> IdP:
    """A fresh in-process provider for ``data``."""
    app = create_app(data)
    return IdP("asgi", BASE_URL, app.provider, app)


def path(idp: IdP, endpoint: str) -> str:
    """Where ``endpoint`` is served by ``idp``'s layout."""
    return str(idp.provider.layout.paths[endpoint])


def client_named(data: dict[str, Any], client_id: str) -> dict[str, Any]:
    """The client ``client_id`` of scenario ``data`` (to add settings to it)."""
    found: dict[str, Any] = next(c for c in data["clients"] if c["client_id"] == client_id)
    return found


def user_named(data: dict[str, Any], sub: str) -> dict[str, Any]:
    found: dict[str, Any] = next(u for u in data["users"] if u["sub"] == sub)
    return found


def second_confidential_client() -> dict[str, Any]:
    """Another confidential client, like the default one."""
    return {
        "client_id": "other-client",
        "client_secret": "other-secret",
        "grant_types": ["authorization_code", "refresh_token", "client_credentials", "password"],
        "redirect_uris": ["http://localhost:8080/callback"],
        "loopback_redirects": True,
    }


@dataclass(frozen=True)
class Tokens:
    """A token response and what the authorization request said."""

    response: dict[str, Any]
    nonce: str | None
    provider: Provider
    client_id: str

    @property
    def access_token(self) -> str:
        return str(self.response["access_token"])

    @property
    def id_token(self) -> str:
        return str(self.response["id_token"])


async def code_flow(
    idp: IdP,
    client_id: str = CONFIDENTIAL,
    secret: str | None = SECRET,
    *,
    scope: str = "openid profile",
    nonce: str | None = "",
    **params: str,
) -> Tokens:
    """An authorization code flow (PKCE S256) with a nonce; the token response unvalidated."""
    the_nonce = nonce if nonce != "" else secrets.token_urlsafe(16)
    async with _client(idp, client_id, secret, scope) as client:
        provider = await discover(client)
        verifier = new_verifier()
        callback = await _redirect_back(
            client, provider, verifier=verifier, nonce=the_nonce or "", **params
        )
        token = await client.fetch_token(
            provider.endpoint("token_endpoint"),
            authorization_response=callback.location,
            state=callback.state,
            code_verifier=verifier,
        )
    return Tokens(dict(token), the_nonce, provider, client_id)


def _client(idp: IdP, client_id: str, secret: str | None, scope: str) -> AsyncOAuth2Client:
    kwargs: dict[str, Any] = {"scope": scope}
    if secret is not None:
        kwargs["client_secret"] = secret
    return oauth_client(idp, client_id, **kwargs)


async def token_request(
    idp: IdP, data: dict[str, str], client_id: str = CONFIDENTIAL, secret: str = SECRET
) -> httpx.Response:
    """POST ``data`` to the token endpoint with client_secret_basic."""
    async with idp.client() as http:
        return await http.post(path(idp, "token"), data=data, auth=(client_id, secret))


async def password_grant(
    idp: IdP,
    username: str = "alice",
    *,
    scope: str = "openid profile offline_access",
    client_id: str = CONFIDENTIAL,
    secret: str = SECRET,
) -> dict[str, Any]:
    """The token response of a password grant (the password equals the username)."""
    response = await token_request(
        idp,
        {"grant_type": "password", "username": username, "password": username, "scope": scope},
        client_id,
        secret,
    )
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body


async def refresh(
    idp: IdP, refresh_token: str, client_id: str = CONFIDENTIAL, secret: str = SECRET
) -> httpx.Response:
    return await token_request(
        idp, {"grant_type": "refresh_token", "refresh_token": refresh_token}, client_id, secret
    )


async def introspect(
    idp: IdP, token: str, client_id: str = CONFIDENTIAL, secret: str = SECRET
) -> dict[str, Any]:
    async with idp.client() as http:
        response = await http.post(
            path(idp, "introspection"), data={"token": token}, auth=(client_id, secret)
        )
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body


async def userinfo(idp: IdP, access_token: str) -> httpx.Response:
    async with idp.client() as http:
        return await http.get(
            path(idp, "userinfo"), headers={"Authorization": f"Bearer {access_token}"}
        )


async def revoke(
    idp: IdP, token: str, client_id: str = CONFIDENTIAL, secret: str = SECRET
) -> httpx.Response:
    async with idp.client() as http:
        return await http.post(
            path(idp, "revocation"), data={"token": token}, auth=(client_id, secret)
        )


def load_example(name: str) -> dict[str, Any]:
    """An example scenario file from the repository's scenarios/ folder, as a mapping."""
    text = (Path(__file__).resolve().parents[2] / "scenarios" / name).read_text("utf-8")
    data: dict[str, Any] = yaml.safe_load(text)
    return data
