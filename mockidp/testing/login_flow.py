"""The whole authorization code flow (PKCE S256) as a browser and a client would run it,
over any sync httpx client routed to the provider: for :meth:`mockidp.testing.MockIdP.login`.

It reads the login and consent pages the provider shows, answers them for the user
(approving consent), and redeems the code with the client's own authentication.
"""

from __future__ import annotations

import base64
import hashlib
import html
import re
import secrets
from collections.abc import Mapping
from urllib.parse import parse_qsl, urlsplit

import httpx
from msgspec import Struct

from mockidp.model.scenario import Client
from mockidp.oauth.provider import Provider
from mockidp.types import JSONObject

_FIELD = re.compile(r'<(?:input|button)[^>]*\bname="([^"]*)"[^>]*\bvalue="([^"]*)"')
_ACTION = re.compile(r'<form[^>]*\baction="([^"]*)"')
LOOPBACK_CALLBACK = "http://127.0.0.1/callback"
MAX_STEPS = 6


class LoginFailed(RuntimeError):
    """The flow did not end in a token response; the message says where it stopped."""


def pkce_pair() -> tuple[str, str]:
    """A PKCE code_verifier and its S256 code_challenge (RFC 7636 4.1, 4.2)."""
    verifier = secrets.token_urlsafe(48)
    digest = hashlib.sha256(verifier.encode("ascii")).digest()
    return verifier, base64.urlsafe_b64encode(digest).rstrip(b"=").decode("ascii")


def page_form(page: str) -> tuple[str, dict[str, str]]:
    """The action path of the first form on a login or consent page, and its fields."""
    action = _ACTION.search(page)
    if action is None:
        raise LoginFailed("expected a login or consent page, got:\n" + page[:500])
    fields = {html.unescape(k): html.unescape(v) for k, v in _FIELD.findall(page)}
    return urlsplit(html.unescape(action.group(1))).path, fields


def callback_params(location: str) -> dict[str, str]:
    """The authorization response in a redirect: its fragment, else its query."""
    parts = urlsplit(location)
    return dict(parse_qsl(parts.fragment or parts.query, keep_blank_values=True))


def _client_auth(client: Client) -> tuple[dict[str, str], tuple[str, str] | None]:
    method = client.token_endpoint_auth_method
    if method == "none":
        return {"client_id": client.client_id}, None
    if method == "client_secret_post":
        return {"client_id": client.client_id, "client_secret": client.client_secret or ""}, None
    if method == "client_secret_basic":
        return {}, (client.client_id, client.client_secret or "")
    raise LoginFailed(
        f"login() cannot sign {method} client assertions for {client.client_id!r}; "
        "use issue_tokens(), or a client that authenticates with a secret or none"
    )


class AuthorizationCode(Struct, frozen=True):
    """What a relying party holds after the browser part of a sign-in: the code, and
    what its token request must repeat."""

    code: str
    redirect_uri: str
    code_verifier: str


def run_authorization(
    http: httpx.Client,
    provider: Provider,
    client: Client,
    user: str,
    *,
    scope: str,
    redirect_uri: str | None,
    params: Mapping[str, str],
) -> AuthorizationCode:
    """The browser part of a sign-in: the authorization request (PKCE S256), its login
    and consent pages answered for ``user``, and the code from the callback."""
    layout = provider.layout
    if redirect_uri is None:
        if client.redirect_uris:
            redirect_uri = client.redirect_uris[0]
        elif client.loopback_redirects:
            redirect_uri = LOOPBACK_CALLBACK
        else:
            raise LoginFailed(f"client {client.client_id!r} has no redirect_uris")
    verifier, challenge = pkce_pair()
    state = secrets.token_urlsafe(12)
    query = {
        "response_type": "code",
        "client_id": client.client_id,
        "redirect_uri": redirect_uri,
        "scope": scope,
        "state": state,
        "nonce": secrets.token_urlsafe(12),
        "code_challenge": challenge,
        "code_challenge_method": "S256",
        "login_hint": user,
        **params,
    }
    response = http.get(layout.paths["authorization"], params=query)
    for _ in range(MAX_STEPS):
        if response.is_redirect:
            break
        if response.status_code != 200:
            raise LoginFailed(
                f"the authorization request failed: {response.status_code} {response.text[:500]}"
            )
        action, fields = page_form(response.text)
        form = {"interaction": fields.get("interaction", "")}
        if "decision" in fields or action == layout.paths.get("consent"):
            form["decision"] = "approve"
        else:
            form["login"] = user
        response = http.post(action, data=form)
    else:
        raise LoginFailed(f"no redirect after {MAX_STEPS} pages; the last:\n{response.text[:500]}")
    found = callback_params(response.headers["location"])
    if "error" in found or found.get("state") != state or "code" not in found:
        raise LoginFailed(f"the authorization request was answered with {found}")
    return AuthorizationCode(found["code"], redirect_uri, verifier)


def run_login(
    http: httpx.Client,
    provider: Provider,
    client: Client,
    user: str,
    *,
    scope: str,
    redirect_uri: str | None,
    params: Mapping[str, str],
) -> JSONObject:
    """Sign ``user`` in as ``client`` and redeem the code; the token response."""
    authorized = run_authorization(
        http, provider, client, user, scope=scope, redirect_uri=redirect_uri, params=params
    )
    data, basic = _client_auth(client)
    token = http.post(
        provider.layout.paths["token"],
        data={
            "grant_type": "authorization_code",
            "code": authorized.code,
            "redirect_uri": authorized.redirect_uri,
            "code_verifier": authorized.code_verifier,
            **data,
        },
        auth=basic if basic is not None else httpx.USE_CLIENT_DEFAULT,
    )
    if token.status_code != 200:
        raise LoginFailed(f"the token request failed: {token.status_code} {token.text[:500]}")
    result: JSONObject = token.json()
    return result
