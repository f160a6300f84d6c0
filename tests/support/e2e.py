"""Helpers for the end-to-end tests that drive mockidp with Authlib, a real OAuth client.

Everything starts from the discovery document: the helpers take endpoint URLs from it
and never build endpoint paths themselves. ID tokens are verified against the JWKS
published at ``jwks_uri`` (joserfc) and their claims validated by Authlib's
:class:`CodeIDToken` (iss, aud, exp, iat, nonce, at_hash).
"""

from __future__ import annotations

import secrets
import warnings
from collections.abc import Mapping
from dataclasses import dataclass
from html.parser import HTMLParser
from importlib import resources
from typing import Any, cast
from urllib.parse import parse_qsl, urlsplit

import authlib.deprecate
import httpx
import yaml
from authlib.oidc.core import CodeIDToken
from joserfc import jwt
from joserfc.errors import SecurityWarning
from joserfc.jwk import KeySet

from mockidp import Clock
from tests.conftest import IdP

# Importing authlib.deprecate installs an "always" filter for its own warnings; the filter
# below goes in front of it. Authlib 1.9 warns that it falls back to httpx when httpx2 is
# not installed, which says nothing about mockidp.
with warnings.catch_warnings():
    warnings.filterwarnings(
        "ignore",
        message="The httpx module is deprecated",
        category=authlib.deprecate.AuthlibDeprecationWarning,
    )
    from authlib.integrations.httpx_client import AsyncOAuth2Client, OAuthError

__all__ = [
    "CONFIDENTIAL",
    "DISCOVERY_PATH",
    "PUBLIC",
    "REDIRECT_URI",
    "SECRET",
    "AsyncOAuth2Client",
    "Callback",
    "OAuthError",
    "Provider",
    "SignedIn",
    "callback_params",
    "decode_jwt",
    "default_scenario_mapping",
    "discover",
    "form_post_fields",
    "new_verifier",
    "oauth_client",
    "sign_in",
    "start_authorization",
    "validated_id_token",
]

PUBLIC = "mockidp-public"
CONFIDENTIAL = "mockidp-client"
SECRET = "mockidp-secret"
REDIRECT_URI = "http://localhost:8080/callback"
DISCOVERY_PATH = "/.well-known/openid-configuration"  # OpenID Connect Discovery 1.0 section 4


def default_scenario_mapping(**overrides: Any) -> dict[str, Any]:
    """The packaged default scenario as a plain mapping, with top-level keys replaced."""
    text = (
        resources.files("mockidp").joinpath("scenarios").joinpath("default.yaml").read_text("utf-8")
    )
    data: dict[str, Any] = yaml.safe_load(text)
    data.update(overrides)
    return data


def oauth_client(idp: IdP, client_id: str, **kwargs: Any) -> AsyncOAuth2Client:
    """An Authlib AsyncOAuth2Client routed to ``idp``, PKCE S256 on, not following redirects."""
    kwargs.setdefault("redirect_uri", REDIRECT_URI)
    kwargs.setdefault("code_challenge_method", "S256")
    return cast(AsyncOAuth2Client, idp.client(AsyncOAuth2Client, client_id=client_id, **kwargs))


@dataclass(frozen=True)
class Provider:
    """What the discovery document and the JWKS it points at say."""

    metadata: dict[str, Any]
    jwks: dict[str, Any]

    @property
    def issuer(self) -> str:
        return str(self.metadata["issuer"])

    @property
    def keys(self) -> KeySet:
        return KeySet.import_key_set(cast(Any, self.jwks))

    def endpoint(self, name: str) -> str:
        return str(self.metadata[name])


async def discover(client: AsyncOAuth2Client) -> Provider:
    """Fetch the discovery document, then the JWKS from the jwks_uri it lists."""
    response = await client.request("GET", DISCOVERY_PATH, withhold_token=True)
    assert response.status_code == 200, response.text
    metadata = response.json()
    keys = await client.request("GET", metadata["jwks_uri"], withhold_token=True)
    assert keys.status_code == 200, keys.text
    return Provider(metadata, keys.json())


def new_verifier() -> str:
    """A PKCE code_verifier (RFC 7636 4.1): 43 to 128 unreserved characters."""
    return secrets.token_urlsafe(48)


def callback_params(location: str) -> dict[str, str]:
    """The authorization response parameters in a redirect: its fragment, or else its query."""
    parts = urlsplit(location)
    return dict(parse_qsl(parts.fragment or parts.query, keep_blank_values=True))


def callback_base(location: str) -> str:
    """The redirect target without its query and fragment."""
    parts = urlsplit(location)
    return f"{parts.scheme}://{parts.netloc}{parts.path}"


async def start_authorization(
    client: AsyncOAuth2Client,
    provider: Provider,
    *,
    verifier: str | None,
    nonce: str | None,
    cookies: Mapping[str, str] | None = None,
    **params: str,
) -> tuple[httpx.Response, str]:
    """GET the authorization URL Authlib builds, without following the redirect."""
    extra: dict[str, str] = dict(params)
    if nonce is not None:
        extra["nonce"] = nonce
    url, state = client.create_authorization_url(
        provider.endpoint("authorization_endpoint"), code_verifier=verifier, **extra
    )
    headers = None
    if cookies is not None:  # send exactly these cookies, not the client's jar
        headers = {"Cookie": "; ".join(f"{k}={v}" for k, v in cookies.items())}
        client.cookies.clear()
    response = await client.request("GET", url, withhold_token=True, headers=headers)
    return response, state


@dataclass(frozen=True)
class Callback:
    """An authorization response that came back as a redirect."""

    location: str
    params: dict[str, str]
    state: str


@dataclass(frozen=True)
class SignedIn:
    """The result of a whole authorization code flow."""

    token: dict[str, Any]
    callback: Callback
    nonce: str
    id_token: CodeIDToken


async def redirect_back(
    client: AsyncOAuth2Client,
    provider: Provider,
    *,
    verifier: str | None,
    nonce: str,
    **params: str,
) -> Callback:
    extra: dict[str, Any] = dict(params)  # only authorization request parameters
    response, state = await start_authorization(
        client, provider, verifier=verifier, nonce=nonce, **extra
    )
    assert response.status_code == 302, response.text
    location = response.headers["location"]
    assert callback_base(location) == params.get("redirect_uri", client.redirect_uri)
    found = callback_params(location)
    assert "error" not in found, found
    assert found["state"] == state
    assert found["iss"] == provider.issuer  # RFC 9207
    return Callback(location, found, state)


async def sign_in(
    client: AsyncOAuth2Client, provider: Provider, *, clock: Clock, **params: str
) -> SignedIn:
    """Authorization code flow with PKCE S256, then an ID token validated at ``clock``'s now."""
    verifier = new_verifier()
    nonce = secrets.token_urlsafe(16)
    callback = await redirect_back(client, provider, verifier=verifier, nonce=nonce, **params)
    token = await client.fetch_token(
        provider.endpoint("token_endpoint"),
        authorization_response=callback.location,
        state=callback.state,
        code_verifier=verifier,
    )
    claims = validated_id_token(
        token["id_token"],
        provider,
        client_id=client.client_id,
        nonce=nonce,
        access_token=token["access_token"],
        now=clock.now(),  # the provider's time, read after the token was issued
    )
    return SignedIn(dict(token), callback, nonce, claims)


def provider_key_set(idp: IdP) -> KeySet:
    """The keys ``idp`` publishes now (its JWKS), to verify the tokens it signs."""
    return KeySet.import_key_set(cast(Any, idp.provider.jwks()))


def recording_hooks(log: list[httpx.Request]) -> dict[str, Any]:
    """httpx ``event_hooks`` that append every request the client sends to ``log``."""

    async def record(request: httpx.Request) -> None:
        log.append(request)

    return {"request": [record]}


def decode_jwt(token: str, keys: KeySet, alg: str) -> tuple[dict[str, Any], dict[str, Any]]:
    """Verify a JWS signature against ``keys`` and return its header and claims."""
    with warnings.catch_warnings():
        # joserfc flags the "EdDSA" name as deprecated by RFC 9864; scenarios may still use it.
        warnings.filterwarnings("ignore", message="EdDSA is deprecated", category=SecurityWarning)
        decoded = jwt.decode(token, keys, algorithms=[alg])
    return dict(decoded.header), dict(decoded.claims)


def validated_id_token(
    id_token: str,
    provider: Provider,
    *,
    client_id: str,
    nonce: str | None,
    access_token: str | None,
    now: float,
    max_age: int | None = None,
) -> CodeIDToken:
    """An ID token whose signature verifies against the JWKS and whose claims Authlib accepts."""
    alg = provider.metadata["id_token_signing_alg_values_supported"][0]
    header, claims = decode_jwt(id_token, provider.keys, alg)
    assert header["alg"] == alg
    assert header["kid"] in {key["kid"] for key in provider.jwks["keys"]}
    validated = CodeIDToken(
        claims,
        header,
        options={
            "iss": {"essential": True, "value": provider.issuer},
            "aud": {"essential": True, "value": client_id},
        },
        params={
            "nonce": nonce,
            "access_token": access_token,
            "client_id": client_id,
            "max_age": max_age,
        },
    )
    validated.validate(now=int(now))
    if nonce is not None:
        assert validated["nonce"] == nonce
    if access_token is not None:  # Authlib checks at_hash only when the token carries one
        assert "at_hash" in validated
    return validated


class _FormParser(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.forms: list[tuple[dict[str, str | None], dict[str, str]]] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag == "form":
            self.forms.append((dict(attrs), {}))
        elif tag == "input" and self.forms:
            fields = dict(attrs)
            name, value = fields.get("name"), fields.get("value")
            if name is not None:
                self.forms[-1][1][name] = value or ""


def form_post_fields(html: str) -> tuple[str, str, dict[str, str]]:
    """(method, action, fields) of the one form on a form_post response page."""
    parser = _FormParser()
    parser.feed(html)
    assert len(parser.forms) == 1, parser.forms
    attrs, fields = parser.forms[0]
    return (attrs.get("method") or "get").lower(), attrs.get("action") or "", fields
