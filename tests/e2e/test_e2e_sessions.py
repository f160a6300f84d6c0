"""End to end with Authlib: response modes, the browser session, prompt, max_age, logout.

Every test runs in-process (ASGI) and against the live uvicorn server via ``idp``.
"""

from __future__ import annotations

from urllib.parse import parse_qsl, urlsplit

import pytest

from tests.conftest import IdP
from tests.support.e2e import (
    PUBLIC,
    REDIRECT_URI,
    AsyncOAuth2Client,
    Provider,
    callback_params,
    discover,
    form_post_fields,
    new_verifier,
    oauth_client,
    sign_in,
    start_authorization,
    validated_id_token,
)
from tests.support.session_state import assert_session_state

pytestmark = pytest.mark.anyio

SESSION_COOKIE = "mockidp_session"
LOGOUT_TARGET = "http://localhost:8080/"  # registered post_logout_redirect_uri


async def _redeem(
    client: AsyncOAuth2Client, provider: Provider, code: str, verifier: str
) -> dict[str, str]:
    token = await client.fetch_token(
        provider.endpoint("token_endpoint"), code=code, code_verifier=verifier
    )
    return dict(token)


# -- response modes -----------------------------------------------------------------------


async def test_response_mode_fragment_puts_the_response_in_the_fragment(idp: IdP) -> None:
    async with oauth_client(idp, PUBLIC, scope="openid") as client:
        provider = await discover(client)
        verifier = new_verifier()
        response, state = await start_authorization(
            client, provider, verifier=verifier, nonce="frag-nonce", response_mode="fragment"
        )
        assert response.status_code == 302
        parts = urlsplit(response.headers["location"])
        assert f"{parts.scheme}://{parts.netloc}{parts.path}" == REDIRECT_URI
        assert parts.query == ""
        found = dict(parse_qsl(parts.fragment))
        assert set(found) == {"code", "state", "iss", "session_state"}
        assert_session_state(found)
        assert found["state"] == state
        assert found["iss"] == provider.issuer
        token = await _redeem(client, provider, found["code"], verifier)
    claims = validated_id_token(
        token["id_token"],
        provider,
        client_id=PUBLIC,
        nonce="frag-nonce",
        access_token=token["access_token"],
        now=idp.provider.clock.now(),
    )
    assert claims["sub"] == "alice"


async def test_response_mode_form_post_renders_a_form_posting_to_the_redirect_uri(
    idp: IdP,
) -> None:
    async with oauth_client(idp, PUBLIC, scope="openid") as client:
        provider = await discover(client)
        verifier = new_verifier()
        response, state = await start_authorization(
            client, provider, verifier=verifier, nonce="fp-nonce", response_mode="form_post"
        )
        assert response.status_code == 200
        assert response.headers["content-type"].startswith("text/html")
        method, action, fields = form_post_fields(response.text)
        assert (method, action) == ("post", REDIRECT_URI)
        assert set(fields) == {"code", "state", "iss", "session_state"}
        assert_session_state(fields)
        assert fields["state"] == state
        assert fields["iss"] == provider.issuer
        token = await _redeem(client, provider, fields["code"], verifier)
    claims = validated_id_token(
        token["id_token"],
        provider,
        client_id=PUBLIC,
        nonce="fp-nonce",
        access_token=token["access_token"],
        now=idp.provider.clock.now(),
    )
    assert claims["sub"] == "alice"


async def test_error_responses_carry_state_and_iss_in_the_requested_mode(idp: IdP) -> None:
    async with oauth_client(idp, PUBLIC, scope="openid") as client:
        provider = await discover(client)
        response, state = await start_authorization(
            client,
            provider,
            verifier=new_verifier(),
            nonce=None,
            prompt="none",
            response_mode="fragment",
        )
    location = response.headers["location"]
    assert urlsplit(location).query == ""
    found = callback_params(location)
    assert found["error"] == "login_required"
    assert found["state"] == state
    assert found["iss"] == provider.issuer
    assert "code" not in found


# -- the session: prompt=none and max_age --------------------------------------------------


async def test_prompt_none_with_a_session_signs_in_silently(idp: IdP) -> None:
    async with oauth_client(idp, PUBLIC, scope="openid") as client:
        provider = await discover(client)
        first = await sign_in(client, provider, clock=idp.provider.clock, login_hint="bob")
        assert client.cookies.get(SESSION_COOKIE)
        idp.provider.clock.advance(30)
        # No login_hint now: only the session cookie says who is signed in.
        silent = await sign_in(client, provider, clock=idp.provider.clock, prompt="none")
    assert silent.id_token["sub"] == "bob"
    assert silent.id_token["auth_time"] == first.id_token["auth_time"]
    assert silent.id_token["iat"] >= first.id_token["iat"] + 30
    assert silent.callback.params["code"] != first.callback.params["code"]


async def test_prompt_none_without_a_session_is_login_required(idp: IdP) -> None:
    async with oauth_client(idp, PUBLIC, scope="openid") as client:
        provider = await discover(client)
        response, state = await start_authorization(
            client, provider, verifier=new_verifier(), nonce="n", prompt="none"
        )
    assert response.status_code == 302
    found = callback_params(response.headers["location"])
    assert found["error"] == "login_required"
    assert found["state"] == state
    assert found["iss"] == provider.issuer
    assert set(found) <= {"error", "error_description", "state", "iss", "session_state"}
    assert_session_state(found)  # Session Management 3: the RP learns when the user signs in
    assert SESSION_COOKIE not in response.cookies


async def test_max_age_reauthenticates_an_old_session(idp: IdP) -> None:
    async with oauth_client(idp, PUBLIC, scope="openid") as client:
        provider = await discover(client)
        first = await sign_in(client, provider, clock=idp.provider.clock)
        signed_in_at = first.id_token["auth_time"]
        idp.provider.clock.advance(120)
        # A session younger than max_age is reused as it is.
        fresh_enough = await sign_in(client, provider, clock=idp.provider.clock, max_age="600")
        assert fresh_enough.id_token["auth_time"] == signed_in_at
        # Older than max_age and prompt=none: the user would have to sign in again.
        response, state = await start_authorization(
            client, provider, verifier=new_verifier(), nonce="n", max_age="60", prompt="none"
        )
        found = callback_params(response.headers["location"])
        assert (found["error"], found["state"]) == ("login_required", state)
        # Older than max_age, interaction allowed: a new authentication, a new auth_time.
        renewed = await sign_in(client, provider, clock=idp.provider.clock, max_age="60")
    assert renewed.id_token["sub"] == "alice"
    assert renewed.id_token["auth_time"] >= signed_in_at + 120
    validated_id_token(
        renewed.token["id_token"],
        provider,
        client_id=PUBLIC,
        nonce=renewed.nonce,
        access_token=renewed.token["access_token"],
        now=idp.provider.clock.now(),
        max_age=60,  # Authlib then requires auth_time (OpenID Connect Core 3.1.2.1)
    )


async def test_id_token_sid_does_not_disclose_the_session_cookie(idp: IdP) -> None:
    """The sid claim names the session; it must not be the cookie that carries it."""
    async with oauth_client(idp, PUBLIC, scope="openid") as client:
        provider = await discover(client)
        signed = await sign_in(client, provider, clock=idp.provider.clock)
        cookie = client.cookies.get(SESSION_COOKIE)
        again = await sign_in(client, provider, clock=idp.provider.clock, prompt="none")
    assert cookie
    sid = signed.id_token["sid"]
    assert isinstance(sid, str) and sid
    assert cookie not in sid
    assert again.id_token["sid"] == sid  # the same session, the same sid


# -- RP-initiated logout -------------------------------------------------------------------


async def test_rp_initiated_logout_redirects_with_state_and_ends_the_session(idp: IdP) -> None:
    async with oauth_client(idp, PUBLIC, scope="openid") as client:
        provider = await discover(client)
        signed = await sign_in(client, provider, clock=idp.provider.clock)
        cookie = client.cookies.get(SESSION_COOKIE)
        assert cookie
        # While the session lives, prompt=none with that cookie signs in silently.
        response, _ = await start_authorization(
            client,
            provider,
            verifier=new_verifier(),
            nonce="n",
            prompt="none",
            cookies={SESSION_COOKIE: cookie},
        )
        assert "code" in callback_params(response.headers["location"])

        logout = await client.request(
            "GET",
            provider.endpoint("end_session_endpoint"),
            params={
                "id_token_hint": signed.token["id_token"],
                "post_logout_redirect_uri": LOGOUT_TARGET,
                "state": "bye-123",
            },
            headers={"Cookie": f"{SESSION_COOKIE}={cookie}"},
            withhold_token=True,
        )
        assert logout.status_code == 302
        assert logout.headers["location"] == LOGOUT_TARGET + "?state=bye-123"
        cleared = [h for h in logout.headers.get_list("set-cookie") if SESSION_COOKIE in h]
        assert len(cleared) == 1 and "max-age=0" in cleared[0].lower()

        # The old cookie no longer signs anyone in.
        response, state = await start_authorization(
            client,
            provider,
            verifier=new_verifier(),
            nonce="n",
            prompt="none",
            cookies={SESSION_COOKIE: cookie},
        )
    found = callback_params(response.headers["location"])
    assert found["error"] == "login_required"
    assert found["state"] == state
    assert found["iss"] == provider.issuer
