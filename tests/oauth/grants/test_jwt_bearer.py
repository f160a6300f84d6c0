"""The JWT bearer assertion grant (RFC 7523 2.1) end to end: assertions signed with
Authlib's JWTBearerGrant.sign by a client's registered key or a trusted issuer's."""

from __future__ import annotations

import warnings
from typing import Any

import httpx
import pytest

from tests.conftest import IdP
from tests.support.e2e import default_scenario_mapping
from tests.support.grants import (
    JWT_BEARER,
    assert_error,
    claims_of,
    ec_key,
    metadata,
    public_jwks,
    sign,
)

with warnings.catch_warnings():
    warnings.simplefilter("ignore", DeprecationWarning)
    from authlib.integrations.httpx_client import AsyncAssertionClient
    from authlib.oauth2.rfc7523 import JWTBearerGrant

pytestmark = pytest.mark.anyio

UPSTREAM = "https://upstream.example"


def _scenario() -> dict[str, Any]:
    return default_scenario_mapping(
        clients=[
            {
                "client_id": "svc",
                "client_secret": "svc-secret",
                "grant_types": [JWT_BEARER],
                "jwks": public_jwks("svc-key"),
            },
            {"client_id": "other", "client_secret": "other-secret"},
            {
                "client_id": "svc-public",
                "token_endpoint_auth_method": "none",
                "grant_types": [JWT_BEARER],
                "jwks": public_jwks("svc-key"),
            },
        ],
        trusted_issuers=[{"issuer": UPSTREAM, "jwks": public_jwks("upstream-key")}],
    )


@pytest.fixture
async def http(idp: IdP) -> Any:
    idp.provider.use_scenario(_scenario())
    async with idp.client() as client:
        yield client


async def _token_url(http: httpx.AsyncClient) -> str:
    return str((await metadata(http))["token_endpoint"])


def _assertion(idp: IdP, audience: str, *, key: str = "svc-key", **claims: Any) -> str:
    now = int(idp.provider.clock.now())
    issuer = claims.pop("iss", "svc")
    subject = claims.pop("sub", "alice")
    assertion: bytes | str = JWTBearerGrant.sign(
        ec_key(key),
        issuer,
        audience,
        subject=subject,
        issued_at=now,
        expires_at=claims.pop("exp", now + 300),
        claims=claims,
        alg="ES256",
    )
    return assertion.decode() if isinstance(assertion, bytes) else assertion


async def _grant(
    http: httpx.AsyncClient, assertion: str | None, client: str = "svc", **extra: str
) -> httpx.Response:
    data = {"grant_type": JWT_BEARER, **extra}
    if assertion is not None:
        data["assertion"] = assertion
    secret = f"{client}-secret"
    return await http.post(await _token_url(http), data=data, auth=(client, secret))


async def test_discovery_lists_the_grant(http: httpx.AsyncClient) -> None:
    assert JWT_BEARER in (await metadata(http))["grant_types_supported"]


async def test_assertion_for_a_user_gives_their_tokens(idp: IdP, http: httpx.AsyncClient) -> None:
    url = await _token_url(http)
    response = await _grant(http, _assertion(idp, url), scope="openid profile")
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["token_type"] == "Bearer"
    assert "refresh_token" not in body  # RFC 7521 4.1: the assertion is the grant
    assert claims_of(body["access_token"])["sub"] == "alice"
    assert claims_of(body["id_token"])["sub"] == "alice"
    info = await http.get(
        (await metadata(http))["userinfo_endpoint"],
        headers={"Authorization": f"Bearer {body['access_token']}"},
    )
    assert info.status_code == 200 and info.json()["name"] == "Alice Anderson"


async def test_assertion_for_the_client_itself(idp: IdP, http: httpx.AsyncClient) -> None:
    issuer = (await metadata(http))["issuer"]
    response = await _grant(http, _assertion(idp, issuer, sub="svc"))
    assert response.status_code == 200, response.text
    claims = claims_of(response.json()["access_token"])
    assert claims["sub"] == "svc" and claims["client_id"] == "svc"
    assert "id_token" not in response.json()


async def test_trusted_issuer_assertion(idp: IdP, http: httpx.AsyncClient) -> None:
    assertion = _assertion(idp, await _token_url(http), key="upstream-key", iss=UPSTREAM, sub="bob")
    response = await _grant(http, assertion)
    assert response.status_code == 200, response.text
    assert claims_of(response.json()["access_token"])["sub"] == "bob"


async def test_jti_is_never_accepted_twice(idp: IdP, http: httpx.AsyncClient) -> None:
    assertion = _assertion(idp, await _token_url(http), jti="once-only")
    assert (await _grant(http, assertion)).status_code == 200
    assert_error(await _grant(http, assertion), "invalid_grant", says="jti was already used")


@pytest.mark.parametrize(
    ("change", "says"),
    [
        ({"key": "stranger-key"}, "signature does not verify"),
        ({"iss": "https://nobody.example"}, "is not trusted"),
        ({"sub": "mallory"}, "neither a user of the scenario nor the client_id"),
        ({"sub": ""}, "needs a sub claim"),
        ({"aud": "https://elsewhere.example/token"}, "aud must name this server"),
        ({"exp": -100}, "is expired"),
        ({"nbf": 3600}, "not valid yet"),
        ({"iat": 3600}, "issued in the future"),
    ],
)
async def test_bad_assertions_are_invalid_grant(
    idp: IdP, http: httpx.AsyncClient, change: dict[str, Any], says: str
) -> None:
    now = int(idp.provider.clock.now())
    change = dict(change)
    for name in ("exp", "nbf", "iat"):  # offsets from now
        if name in change:
            change[name] = now + change[name]
    audience = change.pop("aud", await _token_url(http))
    if change.get("sub") == "":
        claims = {"iss": "svc", "aud": audience, "exp": now + 300}
        assertion = sign(claims, ec_key("svc-key"))
    else:
        assertion = _assertion(idp, audience, **change)
    assert_error(await _grant(http, assertion), "invalid_grant", says=says)


async def test_assertion_without_exp(idp: IdP, http: httpx.AsyncClient) -> None:
    claims = {"iss": "svc", "sub": "alice", "aud": await _token_url(http)}
    response = await _grant(http, sign(claims, ec_key("svc-key")))
    assert_error(response, "invalid_grant", says="needs an exp claim")


async def test_assertion_that_is_not_a_jwt(http: httpx.AsyncClient) -> None:
    assert_error(await _grant(http, "not-a-jwt"), "invalid_grant", says="is not a JWT")


async def test_missing_assertion(http: httpx.AsyncClient) -> None:
    assert_error(await _grant(http, None), "invalid_request", says="assertion is missing")


async def test_client_without_the_grant_type(idp: IdP, http: httpx.AsyncClient) -> None:
    assertion = _assertion(idp, await _token_url(http))
    response = await _grant(http, assertion, client="other")
    assert_error(response, "unauthorized_client", says=JWT_BEARER)


async def test_openid_needs_a_user(idp: IdP, http: httpx.AsyncClient) -> None:
    assertion = _assertion(idp, await _token_url(http), sub="svc")
    response = await _grant(http, assertion, scope="openid")
    assert_error(response, "invalid_grant", says="openid scope needs a user")


def test_scenario_needs_keys_for_jwt_bearer_clients() -> None:
    from mockidp import ScenarioError
    from mockidp.scenario.loader import load_scenario

    client = {"client_id": "svc", "client_secret": "s", "grant_types": [JWT_BEARER]}
    with pytest.raises(ScenarioError, match="needs the client's jwks or top-level trusted_issuers"):
        load_scenario({"clients": [client]})
    bad = {"issuer": UPSTREAM, "jwks": {"keys": [{"kty": "EC"}]}}
    with pytest.raises(ScenarioError, match=r"trusted_issuers\[0\]\.jwks"):
        load_scenario({"clients": [client], "trusted_issuers": [bad]})


async def test_authlib_assertion_client(idp: IdP, http: httpx.AsyncClient) -> None:
    """Authlib's own RFC 7523 client: it signs the assertion, fetches the token and
    calls userinfo with it."""
    meta = await metadata(http)
    url = meta["token_endpoint"]
    async with idp.client(
        AsyncAssertionClient,
        token_endpoint=url,
        issuer="svc-public",
        subject="alice",
        audience=url,
        client_id="svc-public",
        scope="openid email",
        key=ec_key("svc-key"),
        alg="ES256",
    ) as client:
        info = await client.get(meta["userinfo_endpoint"])
        assert info.status_code == 200, info.text
        assert info.json()["email"] == "alice@example.com"
        assert client.token["token_type"] == "Bearer"
