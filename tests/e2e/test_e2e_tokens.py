"""End to end with Authlib: refresh and rotation, userinfo, introspection, revocation,
client_credentials and the password grant.

Every test runs in-process (ASGI) and against the live uvicorn server via ``idp``.
"""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from tests.conftest import IdP
from tests.support.e2e import (
    CONFIDENTIAL,
    PUBLIC,
    SECRET,
    AsyncOAuth2Client,
    OAuthError,
    Provider,
    decode_jwt,
    discover,
    oauth_client,
    sign_in,
    validated_id_token,
)

pytestmark = pytest.mark.anyio


async def _userinfo_status(client: AsyncOAuth2Client, provider: Provider, token: str) -> int:
    response = await client.request(
        "GET",
        provider.endpoint("userinfo_endpoint"),
        headers={"Authorization": f"Bearer {token}"},
        withhold_token=True,
    )
    status: int = response.status_code
    return status


async def _introspect(
    client: AsyncOAuth2Client, provider: Provider, token: str, hint: str | None = None
) -> dict[str, Any]:
    response = await client.introspect_token(
        provider.endpoint("introspection_endpoint"), token=token, token_type_hint=hint
    )
    assert response.status_code == 200, response.text
    assert response.headers["content-type"].startswith("application/json")
    body: dict[str, Any] = response.json()
    return body


# -- refresh tokens ------------------------------------------------------------------------


async def test_refresh_rotates_and_reusing_an_old_refresh_token_revokes_the_family(
    idp: IdP,
) -> None:
    async with oauth_client(idp, PUBLIC, scope="openid profile offline_access") as client:
        provider = await discover(client)
        token_url = provider.endpoint("token_endpoint")
        signed = await sign_in(client, provider, clock=idp.provider.clock)
        first_rt = signed.token["refresh_token"]
        idp.provider.clock.advance(5)

        second = dict(await client.refresh_token(token_url, refresh_token=first_rt))
        third = dict(await client.refresh_token(token_url, refresh_token=second["refresh_token"]))
        assert len({first_rt, second["refresh_token"], third["refresh_token"]}) == 3
        assert second["access_token"] != signed.token["access_token"]
        assert second["scope"] == "openid profile offline_access"
        # OpenID Connect Core 12.2: same iss, sub, aud and auth_time as the original.
        renewed = validated_id_token(
            second["id_token"],
            provider,
            client_id=PUBLIC,
            nonce=None,
            access_token=second["access_token"],
            now=idp.provider.clock.now(),
        )
        for claim in ("iss", "sub", "aud", "auth_time"):
            assert renewed[claim] == signed.id_token[claim], claim
        assert renewed["iat"] >= signed.id_token["iat"] + 5
        assert renewed["name"] == "Alice Anderson"
        assert await _userinfo_status(client, provider, third["access_token"]) == 200

        # The rotated-out refresh token is refused ...
        with pytest.raises(OAuthError) as reuse:
            await client.refresh_token(token_url, refresh_token=first_rt)
        assert reuse.value.error == "invalid_grant"
        # ... and its reuse revoked the whole family: the newest refresh token too,
        # and every access token issued from it.
        with pytest.raises(OAuthError) as after:
            await client.refresh_token(token_url, refresh_token=third["refresh_token"])
        assert after.value.error == "invalid_grant"
        for access_token in (signed.token["access_token"], third["access_token"]):
            assert await _userinfo_status(client, provider, access_token) == 401


async def test_refresh_may_narrow_the_scope(idp: IdP) -> None:
    async with oauth_client(idp, PUBLIC, scope="openid email offline_access") as client:
        provider = await discover(client)
        await sign_in(client, provider, clock=idp.provider.clock)
        narrowed = await client.refresh_token(
            provider.endpoint("token_endpoint"), scope="openid offline_access"
        )
        userinfo = (await client.get(provider.endpoint("userinfo_endpoint"))).json()
        with pytest.raises(OAuthError) as wider:
            await client.refresh_token(
                provider.endpoint("token_endpoint"), scope="openid profile offline_access"
            )
    assert narrowed["scope"] == "openid offline_access"
    assert userinfo == {"sub": "alice"}  # email was not kept
    assert wider.value.error == "invalid_scope"


# -- userinfo ------------------------------------------------------------------------------


async def test_userinfo_answers_get_and_post_with_header_or_form_body_token(idp: IdP) -> None:
    async with oauth_client(idp, PUBLIC, scope="openid email phone") as client:
        provider = await discover(client)
        signed = await sign_in(client, provider, clock=idp.provider.clock, login_hint="bob")
        url = provider.endpoint("userinfo_endpoint")
        access_token = signed.token["access_token"]
        by_get = await client.get(url)  # Authlib adds the bearer header
        by_post_header = await client.post(url)
        by_post_body = await client.request(
            "POST", url, data={"access_token": access_token}, withhold_token=True
        )
        unknown = await client.request(
            "GET", url, headers={"Authorization": "Bearer not-a-token"}, withhold_token=True
        )
    expected = {
        "sub": "bob",
        "email": "bob@example.com",
        "email_verified": False,
        "phone_number": "+44 20 7946 0958",
        "phone_number_verified": False,
    }
    for response in (by_get, by_post_header, by_post_body):
        assert response.status_code == 200
        assert response.json() == expected
        assert response.headers["cache-control"] == "no-store"
    assert unknown.status_code == 401
    assert unknown.headers["www-authenticate"].startswith("Bearer ")
    assert 'error="invalid_token"' in unknown.headers["www-authenticate"]


# -- introspection and revocation ----------------------------------------------------------


async def test_introspection_is_active_until_the_refresh_token_is_revoked(idp: IdP) -> None:
    async with oauth_client(
        idp, CONFIDENTIAL, client_secret=SECRET, scope="openid profile offline_access"
    ) as client:
        provider = await discover(client)
        signed = await sign_in(client, provider, clock=idp.provider.clock)
        access_token = signed.token["access_token"]
        refresh_token = signed.token["refresh_token"]

        active = await _introspect(client, provider, access_token)
        assert active["active"] is True
        assert active["sub"] == "alice"
        assert active["client_id"] == CONFIDENTIAL
        assert active["scope"] == "openid profile offline_access"
        assert active["token_type"] == "Bearer"
        assert active["iss"] == provider.issuer
        assert active["username"] == "alice"
        assert active["exp"] - active["iat"] == idp.provider.scenario.lifetimes.access_token
        assert abs(active["iat"] - signed.id_token["iat"]) <= 1
        rt_active = await _introspect(client, provider, refresh_token, "refresh_token")
        assert rt_active["active"] is True
        assert rt_active["client_id"] == CONFIDENTIAL

        revoked = await client.revoke_token(
            provider.endpoint("revocation_endpoint"),
            token=refresh_token,
            token_type_hint="refresh_token",
        )
        assert revoked.status_code == 200

        # RFC 7662 2.2: an inactive token is {"active": false} and nothing else.
        assert await _introspect(client, provider, refresh_token, "refresh_token") == {
            "active": False
        }
        # RFC 7009 2.1: the access tokens of the revoked refresh token's grant go too.
        assert await _introspect(client, provider, access_token) == {"active": False}
        assert await _userinfo_status(client, provider, access_token) == 401
        with pytest.raises(OAuthError) as refresh:
            await client.refresh_token(
                provider.endpoint("token_endpoint"), refresh_token=refresh_token
            )
        assert refresh.value.error == "invalid_grant"


async def test_revoking_an_access_token_makes_it_inactive(idp: IdP) -> None:
    async with oauth_client(idp, CONFIDENTIAL, client_secret=SECRET, scope="openid") as client:
        provider = await discover(client)
        signed = await sign_in(client, provider, clock=idp.provider.clock)
        access_token = signed.token["access_token"]
        assert await _userinfo_status(client, provider, access_token) == 200
        revoked = await client.revoke_token(
            provider.endpoint("revocation_endpoint"),
            token=access_token,
            token_type_hint="access_token",
        )
        assert revoked.status_code == 200
        assert await _introspect(client, provider, access_token) == {"active": False}
        assert await _userinfo_status(client, provider, access_token) == 401
        # RFC 7009 2.2: revoking an unknown or already revoked token is still a 200.
        again = await client.revoke_token(
            provider.endpoint("revocation_endpoint"), token=access_token
        )
        assert again.status_code == 200


async def test_public_client_revokes_its_own_refresh_token(idp: IdP) -> None:
    async with oauth_client(idp, PUBLIC, scope="openid offline_access") as client:
        provider = await discover(client)
        signed = await sign_in(client, provider, clock=idp.provider.clock)
        revoked = await client.revoke_token(
            provider.endpoint("revocation_endpoint"), token=signed.token["refresh_token"]
        )
        assert revoked.status_code == 200
        assert await _userinfo_status(client, provider, signed.token["access_token"]) == 401
        with pytest.raises(OAuthError) as refresh:
            await client.refresh_token(provider.endpoint("token_endpoint"))
    assert refresh.value.error == "invalid_grant"


# -- client_credentials and password --------------------------------------------------------


async def test_client_credentials_gives_the_client_a_token_of_its_own(idp: IdP) -> None:
    async with oauth_client(idp, CONFIDENTIAL, client_secret=SECRET, scope="profile") as client:
        provider = await discover(client)
        token = dict(
            await client.fetch_token(
                provider.endpoint("token_endpoint"), grant_type="client_credentials"
            )
        )
        introspected = await _introspect(client, provider, token["access_token"])
        userinfo = await client.get(provider.endpoint("userinfo_endpoint"))
        with pytest.raises(OAuthError) as with_openid:
            await client.fetch_token(
                provider.endpoint("token_endpoint"),
                grant_type="client_credentials",
                scope="openid",
            )
    assert token["token_type"] == "Bearer"
    assert token["scope"] == "profile"
    assert "id_token" not in token and "refresh_token" not in token
    alg = provider.metadata["id_token_signing_alg_values_supported"][0]
    _, claims = decode_jwt(token["access_token"], provider.keys, alg)
    assert claims["sub"] == CONFIDENTIAL  # RFC 9068 2.2: no user, so the client itself
    assert claims["client_id"] == CONFIDENTIAL
    assert claims["iss"] == provider.issuer
    assert introspected["active"] is True
    assert introspected["client_id"] == CONFIDENTIAL
    assert userinfo.status_code == 403  # no openid scope, so no userinfo
    assert 'error="insufficient_scope"' in userinfo.headers["www-authenticate"]
    assert with_openid.value.error == "invalid_scope"


async def test_client_credentials_refused_to_a_public_client(idp: IdP) -> None:
    async with oauth_client(idp, PUBLIC) as client:
        provider = await discover(client)
        with pytest.raises(OAuthError) as refused:
            await client.fetch_token(
                provider.endpoint("token_endpoint"), grant_type="client_credentials"
            )
    assert refused.value.error == "unauthorized_client"


async def test_password_grant_signs_the_user_in(idp: IdP) -> None:
    async with oauth_client(
        idp, CONFIDENTIAL, client_secret=SECRET, scope="openid profile offline_access"
    ) as client:
        provider = await discover(client)
        token = dict(
            await client.fetch_token(
                provider.endpoint("token_endpoint"), username="bob", password="bob"
            )
        )
        userinfo = (await client.get(provider.endpoint("userinfo_endpoint"))).json()
        refreshed = await client.refresh_token(provider.endpoint("token_endpoint"))
        with pytest.raises(OAuthError) as wrong:
            await client.fetch_token(
                provider.endpoint("token_endpoint"), username="bob", password="alice"
            )
    claims = validated_id_token(
        token["id_token"],
        provider,
        client_id=CONFIDENTIAL,
        nonce=None,
        access_token=token["access_token"],
        now=idp.provider.clock.now(),
    )
    assert claims["sub"] == "bob"
    assert claims["name"] == "Bob Brown"
    assert token["scope"] == "openid profile offline_access"
    assert userinfo["sub"] == "bob"
    assert userinfo["preferred_username"] == "bob"
    assert refreshed["refresh_token"] != token["refresh_token"]
    assert wrong.value.error == "invalid_grant"


async def test_token_errors_are_rfc6749_json(idp: IdP) -> None:
    """Authlib parses errors; this checks the wire format it relies on (RFC 6749 5.2)."""
    async with idp.client() as http:
        discovery = (await http.get("/.well-known/openid-configuration")).json()
        response = await http.post(
            discovery["token_endpoint"],
            data={"grant_type": "client_credentials"},
            auth=httpx.BasicAuth(CONFIDENTIAL, "wrong-secret"),
        )
    assert response.status_code == 401
    assert response.json()["error"] == "invalid_client"
    assert response.headers["www-authenticate"].startswith("Basic ")
    assert response.headers["cache-control"] == "no-store"
