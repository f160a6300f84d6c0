"""Helpers for the preset suites: an in-process app per preset, discovery from an issuer
URL as a real client does it, and the captured vendor examples in tests/data/vendor-examples."""

from __future__ import annotations

import base64
import json
import secrets
from collections.abc import AsyncIterator, Mapping
from contextlib import asynccontextmanager
from datetime import datetime
from pathlib import Path
from typing import Any, cast
from urllib.parse import urlsplit

import httpx

import mockidp
from mockidp import MockIdPApp, create_app
from tests.support.e2e import (
    REDIRECT_URI,
    AsyncOAuth2Client,
    Provider,
    callback_params,
    new_verifier,
)
from tests.support.transports import asgi_transport_for

BASE = "http://mockidp.test"
EXAMPLES = Path(__file__).resolve().parents[1] / "data" / "vendor-examples"
WELL_KNOWN = "/.well-known/openid-configuration"


def example(name: str) -> dict[str, Any]:
    """A captured vendor document from tests/data/vendor-examples."""
    data: dict[str, Any] = json.loads((EXAMPLES / name).read_text("utf-8"))
    return data


def app_for(scenario: Mapping[str, Any]) -> MockIdPApp:
    return create_app(dict(scenario))


@asynccontextmanager
async def http_for(app: MockIdPApp, base: str = BASE) -> AsyncIterator[httpx.AsyncClient]:
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url=base) as c:
        yield c


def oauth_for(app: MockIdPApp, client_id: str, **kwargs: Any) -> AsyncOAuth2Client:
    """An Authlib client routed in-process to ``app``, PKCE S256, not following redirects."""
    kwargs.setdefault("redirect_uri", REDIRECT_URI)
    kwargs.setdefault("code_challenge_method", "S256")
    return AsyncOAuth2Client(
        client_id=client_id,
        transport=asgi_transport_for(AsyncOAuth2Client, app),
        base_url=BASE,
        **kwargs,
    )


class IssuerMismatch(AssertionError):
    """OpenID Connect Discovery 4.3: the issuer is not the URL discovery was fetched under."""


async def discover_issuer(
    client: httpx.AsyncClient, authority: str, *, validate_issuer: bool = True
) -> Provider:
    """Discovery from an authority URL only (Discovery 4): metadata, then its JWKS."""
    extra = {"withhold_token": True} if isinstance(client, AsyncOAuth2Client) else {}
    response = await client.request("GET", authority.rstrip("/") + WELL_KNOWN, **extra)
    assert response.status_code == 200, response.text
    metadata = response.json()
    if validate_issuer and metadata["issuer"] != authority:  # 4.3: identical, slash and all
        raise IssuerMismatch(f"{metadata['issuer']!r} != {authority!r}")
    keys = await client.request("GET", metadata["jwks_uri"], **extra)
    assert keys.status_code == 200, keys.text
    return Provider(metadata, keys.json())


async def authorization_code(
    client: AsyncOAuth2Client,
    provider: Provider,
    *,
    nonce: str | None = None,
    pkce: bool = True,
    **params: str,
) -> tuple[str, str | None, str]:
    """Run the authorization request (auto sign-in); the code, its PKCE verifier and state."""
    verifier = new_verifier() if pkce else None
    extra = dict(params)
    extra.setdefault("scope", "openid")
    extra["nonce"] = nonce or secrets.token_urlsafe(8)
    url, state = client.create_authorization_url(
        provider.endpoint("authorization_endpoint"), code_verifier=verifier, **extra
    )
    response = await client.request("GET", url, withhold_token=True)
    assert response.status_code == 302, response.text
    found = callback_params(response.headers["location"])
    assert "code" in found, found
    assert found["state"] == state
    return found["code"], verifier, state


def jwt_parts(token: str) -> tuple[dict[str, Any], dict[str, Any]]:
    """Header and payload of a compact JWS, unverified."""
    head, body, _ = token.split(".")

    def part(raw: str) -> dict[str, Any]:
        return cast(
            dict[str, Any], json.loads(base64.urlsafe_b64decode(raw + "=" * (-len(raw) % 4)))
        )

    return part(head), part(body)


def origin(url: str) -> str:
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}"


def partner_key() -> tuple[Any, dict[str, Any]]:
    """A SuperOffice partner's RSA key (a packaged test key): the private key and its
    public JWK (the client's ``jwks``)."""
    from joserfc.jwk import RSAKey

    data = json.loads(
        (Path(mockidp.__file__).parent / "keys" / "keydata" / "rsa-2.json").read_text()
    )
    key = RSAKey.import_key(data)
    return key.private_key, dict(key.as_dict(private=False))


def signed_system_token(private: Any, system_token: str, when: datetime) -> str:
    """SuperOffice's system-user flow: ``{system_token}.{yyyyMMddHHmm}.{RS256 signature}``."""
    from cryptography.hazmat.primitives import hashes
    from cryptography.hazmat.primitives.asymmetric import padding

    stamp = when.strftime("%Y%m%d%H%M")
    data = f"{system_token}.{stamp}".encode()
    signature = private.sign(data, padding.PKCS1v15(), hashes.SHA256())
    return f"{system_token}.{stamp}.{base64.b64encode(signature).decode()}"
