"""OAuth 2.0 Token Exchange (RFC 8693) end to end: the provider's own access, refresh and
ID tokens and a trusted issuer's JWTs as subject and actor tokens, scope narrowing,
audience and resource, the act claim, and every error the spec names."""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from tests.conftest import IdP
from tests.support.flows import with_clients
from tests.support.grants import (
    CONFIDENTIAL_AUTH,
    TOKEN_EXCHANGE,
    TOKEN_TYPE,
    assert_error,
    claims_of,
    ec_key,
    metadata,
    public_jwks,
    sign,
)

pytestmark = pytest.mark.anyio

UPSTREAM = "https://upstream.example"
EXCHANGER = ("exchanger", "exchanger-secret")
ACCESS = TOKEN_TYPE + "access_token"


def _scenario(**extra: Any) -> dict[str, Any]:
    exchanger = {
        "client_id": "exchanger",
        "client_secret": "exchanger-secret",
        "grant_types": [TOKEN_EXCHANGE, "password", "refresh_token"],
    }
    trusted = [{"issuer": UPSTREAM, "jwks": public_jwks("upstream-key")}]
    return with_clients(exchanger, trusted_issuers=trusted, **extra)


@pytest.fixture
async def http(idp: IdP) -> Any:
    idp.provider.use_scenario(_scenario())
    async with idp.client() as client:
        yield client


async def _post(
    http: httpx.AsyncClient, data: dict[str, str], auth: tuple[str, str] = EXCHANGER
) -> httpx.Response:
    return await http.post((await metadata(http))["token_endpoint"], data=data, auth=auth)


async def _user_tokens(
    http: httpx.AsyncClient,
    auth: tuple[str, str] = CONFIDENTIAL_AUTH,
    scope: str = "openid profile",
) -> dict[str, Any]:
    data = {"grant_type": "password", "username": "alice", "password": "alice", "scope": scope}
    response = await _post(http, data, auth=auth)
    assert response.status_code == 200, response.text
    tokens: dict[str, Any] = response.json()
    return tokens


async def _exchange(
    http: httpx.AsyncClient, subject: str, subject_type: str = ACCESS, **extra: str
) -> httpx.Response:
    data = {
        "grant_type": TOKEN_EXCHANGE,
        "subject_token": subject,
        "subject_token_type": subject_type,
        **extra,
    }
    return await _post(http, data)


async def test_discovery_lists_the_grant(http: httpx.AsyncClient) -> None:
    assert TOKEN_EXCHANGE in (await metadata(http))["grant_types_supported"]


async def test_exchange_a_users_access_token(http: httpx.AsyncClient) -> None:
    subject = (await _user_tokens(http))["access_token"]
    response = await _exchange(http, subject)
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["issued_token_type"] == ACCESS
    assert body["token_type"] == "Bearer"
    assert "refresh_token" not in body
    claims = claims_of(body["access_token"])
    assert claims["sub"] == "alice" and claims["client_id"] == "exchanger"
    assert claims["scope"] == "openid profile"
    info = await http.get(
        (await metadata(http))["userinfo_endpoint"],
        headers={"Authorization": f"Bearer {body['access_token']}"},
    )
    assert info.json()["name"] == "Alice Anderson"


async def test_scope_may_narrow_but_not_widen(http: httpx.AsyncClient) -> None:
    subject = (await _user_tokens(http))["access_token"]
    narrow = await _exchange(http, subject, scope="profile")
    assert claims_of(narrow.json()["access_token"])["scope"] == "profile"
    assert_error(
        await _exchange(http, subject, scope="profile email"), "invalid_scope", says="wider"
    )


async def test_audience_and_resource_become_aud(http: httpx.AsyncClient) -> None:
    subject = (await _user_tokens(http))["access_token"]
    response = await _exchange(
        http, subject, resource="https://api.example/", audience="billing-service"
    )
    assert claims_of(response.json()["access_token"])["aud"] == [
        "https://api.example/",
        "billing-service",
    ]


async def test_audience_not_allowed_is_invalid_target(idp: IdP, http: httpx.AsyncClient) -> None:
    idp.provider.use_scenario(_scenario(resources=["https://api.example/"]))
    subject = (await _user_tokens(http))["access_token"]
    response = await _exchange(http, subject, audience="billing-service")
    assert_error(response, "invalid_target", says="audience billing-service is not allowed")
    ok = await _exchange(http, subject, audience="https://api.example/")
    assert ok.status_code == 200, ok.text


async def test_actor_token_gives_a_nested_act_claim(idp: IdP, http: httpx.AsyncClient) -> None:
    subject = (await _user_tokens(http))["access_token"]
    service = await _post(http, {"grant_type": "client_credentials"}, auth=CONFIDENTIAL_AUTH)
    actor = service.json()["access_token"]
    first = await _exchange(http, subject, actor_token=actor, actor_token_type=ACCESS)
    assert first.status_code == 200, first.text
    delegated = first.json()["access_token"]
    assert claims_of(delegated)["act"] == {"sub": "mockidp-client"}
    upstream = _upstream_jwt(idp, sub="gateway")
    second = await _exchange(
        http, delegated, actor_token=upstream, actor_token_type=TOKEN_TYPE + "jwt"
    )
    assert claims_of(second.json()["access_token"])["act"] == {
        "sub": "gateway",
        "iss": UPSTREAM,
        "act": {"sub": "mockidp-client"},
    }
    meta = await metadata(http)
    info = await http.post(
        meta["introspection_endpoint"],
        data={"token": second.json()["access_token"]},
        auth=CONFIDENTIAL_AUTH,
    )
    assert info.json()["act"]["sub"] == "gateway"


def _upstream_jwt(idp: IdP, *, key: str = "upstream-key", **claims: Any) -> str:
    now = int(idp.provider.clock.now())
    body = {"iss": UPSTREAM, "aud": "mockidp", "iat": now, "exp": now + 600, **claims}
    return sign(body, ec_key(key))


async def test_own_refresh_token_as_subject(http: httpx.AsyncClient) -> None:
    own = await _user_tokens(http, auth=EXCHANGER, scope="openid offline_access")
    response = await _exchange(http, own["refresh_token"], TOKEN_TYPE + "refresh_token")
    assert response.status_code == 200, response.text
    foreign = await _user_tokens(http, scope="openid offline_access")
    refused = await _exchange(http, foreign["refresh_token"], TOKEN_TYPE + "refresh_token")
    assert_error(refused, "invalid_grant", says="another client")


async def test_id_token_as_subject(http: httpx.AsyncClient) -> None:
    id_token = (await _user_tokens(http))["id_token"]
    response = await _exchange(http, id_token, TOKEN_TYPE + "id_token", scope="profile")
    assert response.status_code == 200, response.text
    assert claims_of(response.json()["access_token"])["sub"] == "alice"


async def test_jwt_subjects(idp: IdP, http: httpx.AsyncClient) -> None:
    own = (await _user_tokens(http))["access_token"]
    mine = await _exchange(http, own, TOKEN_TYPE + "jwt", requested_token_type=TOKEN_TYPE + "jwt")
    assert mine.json()["issued_token_type"] == TOKEN_TYPE + "jwt"
    upstream = await _exchange(http, _upstream_jwt(idp, sub="bob"), TOKEN_TYPE + "jwt")
    assert claims_of(upstream.json()["access_token"])["sub"] == "bob"
    forged = _upstream_jwt(idp, sub="bob", key="stranger-key")
    assert_error(
        await _exchange(http, forged, TOKEN_TYPE + "jwt"), "invalid_grant", says="does not verify"
    )


async def test_dead_subject_tokens_are_invalid_grant(idp: IdP, http: httpx.AsyncClient) -> None:
    assert_error(await _exchange(http, "no-such-token"), "invalid_grant", says="not a live")
    subject = (await _user_tokens(http))["access_token"]
    revoked = await http.post(
        (await metadata(http))["revocation_endpoint"],
        data={"token": subject},
        auth=CONFIDENTIAL_AUTH,
    )
    assert revoked.status_code == 200
    assert_error(await _exchange(http, subject), "invalid_grant", says="not a live")
    expiring = (await _user_tokens(http))["access_token"]
    idp.provider.clock.advance(7200)
    assert_error(await _exchange(http, expiring), "invalid_grant", says="not a live")


@pytest.mark.parametrize(
    ("data", "error", "says"),
    [
        ({"subject_token_type": ACCESS}, "invalid_request", "subject_token is missing"),
        ({"subject_token": "x"}, "invalid_request", "subject_token_type is missing"),
        (
            {"subject_token": "x", "subject_token_type": "urn:example:saml"},
            "invalid_request",
            "is not supported",
        ),
        (
            {"subject_token": "x", "subject_token_type": ACCESS, "actor_token": "y"},
            "invalid_request",
            "actor_token_type is required",
        ),
        (
            {"subject_token": "x", "subject_token_type": ACCESS, "actor_token_type": ACCESS},
            "invalid_request",
            "without actor_token",
        ),
        (
            {
                "subject_token": "x",
                "subject_token_type": ACCESS,
                "requested_token_type": TOKEN_TYPE + "refresh_token",
            },
            "invalid_request",
            "requested_token_type",
        ),
    ],
)
async def test_malformed_requests(
    http: httpx.AsyncClient, data: dict[str, str], error: str, says: str
) -> None:
    response = await _post(http, {"grant_type": TOKEN_EXCHANGE, **data})
    assert_error(response, error, says=says)


async def test_client_without_the_grant_type(http: httpx.AsyncClient) -> None:
    subject = (await _user_tokens(http))["access_token"]
    data = {"grant_type": TOKEN_EXCHANGE, "subject_token": subject, "subject_token_type": ACCESS}
    response = await _post(http, data, auth=CONFIDENTIAL_AUTH)
    assert_error(response, "unauthorized_client", says=TOKEN_EXCHANGE)


async def test_dead_actor_token_and_foreign_id_token(idp: IdP, http: httpx.AsyncClient) -> None:
    subject = (await _user_tokens(http))["access_token"]
    dead_actor = await _exchange(http, subject, actor_token="gone", actor_token_type=ACCESS)
    assert_error(dead_actor, "invalid_grant", says="actor_token is not a live access token")
    foreign = _upstream_jwt(idp, sub="bob")  # an ID token must be this provider's
    refused = await _exchange(http, foreign, TOKEN_TYPE + "id_token")
    assert_error(refused, "invalid_grant", says="is not an ID token of this provider")
