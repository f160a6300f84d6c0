"""Negative tests of the token endpoint (RFC 6749 3.2, 4.1.3, 5.2, 6; RFC 7636 4.5-4.6).

Every answer here is a JSON error with the exact RFC 6749 5.2 code and status, marked
``Cache-Control: no-store``; invalid_client is a 401 with a WWW-Authenticate challenge.
"""

from __future__ import annotations

import base64
from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest

from mockidp import create_app
from tests.conftest import IdP
from tests.support.flows import minimal as _scenario
from tests.support.negative import (
    BASIC,
    CLIENT_ID,
    CLIENT_SECRET,
    FORM,
    PUBLIC_ID,
    REDIRECT_URI,
    VERIFIER,
    asgi_request,
    assert_invalid_client,
    assert_no_store,
    assert_oauth_error,
    auth_headers,
    basic,
    code_flow_tokens,
    get_code,
    guarded_client,
    password_tokens,
    redeem,
    s256,
    userinfo_status,
)

pytestmark = pytest.mark.anyio

CC = {"grant_type": "client_credentials"}


def _token_error(response: httpx.Response, status: int, error: str) -> dict[str, Any]:
    assert_no_store(response)
    return assert_oauth_error(response, status, error)


# -- the request itself --------------------------------------------------------------------


async def test_success_and_errors_are_both_no_store(web: httpx.AsyncClient) -> None:
    ok = await web.post("/token", data=CC, auth=BASIC)
    assert ok.status_code == 200
    assert_no_store(ok)
    bad = await web.post("/token", data={"grant_type": "nope"}, auth=BASIC)
    _token_error(bad, 400, "unsupported_grant_type")


async def test_missing_grant_type(web: httpx.AsyncClient) -> None:
    _token_error(await web.post("/token", data={"scope": "x"}, auth=BASIC), 400, "invalid_request")


async def test_empty_grant_type_counts_as_missing(web: httpx.AsyncClient) -> None:
    response = await web.post("/token", data={"grant_type": ""}, auth=BASIC)
    _token_error(response, 400, "invalid_request")


@pytest.mark.parametrize(
    "grant_type",
    [
        "implicit",
        "token",
        "code",
        "AUTHORIZATION_CODE",
        "urn:ietf:params:oauth:grant-type:saml2-bearer",  # RFC 7522: not supported
        "urn:ietf:params:oauth:grant-type:jwt-bearer-x",
    ],
)
async def test_unknown_grant_type_is_unsupported(web: httpx.AsyncClient, grant_type: str) -> None:
    response = await web.post("/token", data={"grant_type": grant_type}, auth=BASIC)
    _token_error(response, 400, "unsupported_grant_type")


@pytest.mark.parametrize(
    "body",
    [
        "grant_type=client_credentials&grant_type=client_credentials",
        "grant_type=client_credentials&scope=profile&scope=email",
        "grant_type=password&username=alice&username=bob&password=alice",
    ],
)
async def test_repeated_parameter_is_invalid_request(web: httpx.AsyncClient, body: str) -> None:
    response = await web.post(
        "/token", content=body, headers={"content-type": FORM, "authorization": basic(*BASIC)}
    )
    _token_error(response, 400, "invalid_request")


@pytest.mark.parametrize(
    "content_type",
    [
        None,
        "text/plain",
        "application/json",
        "multipart/form-data; boundary=x",
        "application/x-www-form-urlencoded-evil",
        "application/x-www-form-urlencoded; charset=iso-8859-1",
        "application/x-www-form-urlencoded; charset=utf-16",
    ],
)
async def test_wrong_content_type_is_invalid_request(
    web: httpx.AsyncClient, content_type: str | None
) -> None:
    headers = {"authorization": basic(*BASIC)}
    if content_type is not None:
        headers["content-type"] = content_type
    response = await web.post("/token", content=b"grant_type=client_credentials", headers=headers)
    _token_error(response, 400, "invalid_request")


async def test_content_type_is_case_insensitive_with_charset(web: httpx.AsyncClient) -> None:
    """Control for the test above: the media type's case and a UTF-8 charset are fine."""
    response = await web.post(
        "/token",
        content=b"grant_type=client_credentials",
        headers={
            "content-type": "Application/X-WWW-Form-URLEncoded; charset=UTF-8",
            "authorization": basic(*BASIC),
        },
    )
    assert response.status_code == 200, response.text


async def test_json_body_is_invalid_request(web: httpx.AsyncClient) -> None:
    response = await web.post("/token", json={"grant_type": "client_credentials"}, auth=BASIC)
    _token_error(response, 400, "invalid_request")


async def test_body_over_64_kib_is_invalid_request(web: httpx.AsyncClient) -> None:
    head = b"grant_type=client_credentials&padding="
    at_limit = head + b"x" * (64 * 1024 - len(head))
    assert len(at_limit) == 64 * 1024
    headers = {"content-type": FORM, "authorization": basic(*BASIC)}
    ok = await web.post("/token", content=at_limit, headers=headers)
    assert ok.status_code == 200, ok.text  # exactly 64 KiB is still accepted
    over = await web.post("/token", content=at_limit + b"x", headers=headers)
    _token_error(over, 400, "invalid_request")


async def test_huge_body_is_refused(web: httpx.AsyncClient) -> None:
    body = b"grant_type=client_credentials&padding=" + b"x" * (4 * 1024 * 1024)
    headers = {"content-type": FORM, "authorization": basic(*BASIC)}
    _token_error(await web.post("/token", content=body, headers=headers), 400, "invalid_request")


async def test_huge_streamed_body_without_length_is_refused(web: httpx.AsyncClient) -> None:
    async def chunks() -> AsyncIterator[bytes]:
        yield b"grant_type=client_credentials&padding="
        for _ in range(100):
            yield b"x" * 1024

    headers = {"content-type": FORM, "authorization": basic(*BASIC)}
    response = await web.post("/token", content=chunks(), headers=headers)
    assert "content-length" not in response.request.headers
    _token_error(response, 400, "invalid_request")


@pytest.mark.parametrize(
    "body",
    [
        b"grant_type=client_credentials&scope=\xff\xfe",
        b"grant_type=client_credentials&scope=caf\xe9",
        b"grant_type=client_credentials&scope=%FF%FE",
        b"grant_type=client_credentials&scope=caf%E9",
        b"grant_type=client_credentials&%C0%AF=1",
    ],
)
async def test_non_utf8_body_is_invalid_request(web: httpx.AsyncClient, body: bytes) -> None:
    headers = {"content-type": FORM, "authorization": basic(*BASIC)}
    _token_error(await web.post("/token", content=body, headers=headers), 400, "invalid_request")


async def test_too_many_parameters_is_invalid_request(web: httpx.AsyncClient) -> None:
    data = {**CC, **{f"x{i}": "1" for i in range(200)}}
    _token_error(await web.post("/token", data=data, auth=BASIC), 400, "invalid_request")


async def test_non_numeric_content_length_is_not_a_server_error() -> None:
    app = create_app()
    status, headers, body = await asgi_request(
        app,
        "POST",
        "/token",
        headers={"content-type": FORM.encode(), "content-length": b"lots"},
        body=b"grant_type=nope",
    )
    assert status == 400
    assert b'"unsupported_grant_type"' in body
    assert headers["cache-control"] == "no-store"


# -- client authentication (RFC 6749 2.3, 5.2) ---------------------------------------------


@pytest.mark.parametrize(
    ("auth", "data"),
    [
        (None, CC),  # no authentication at all
        (("nobody", "secret"), CC),  # unknown client, Basic
        ((CLIENT_ID, "wrong-secret"), CC),  # wrong secret, Basic
        ((CLIENT_ID, ""), CC),  # empty secret, Basic
        ((CLIENT_ID, CLIENT_SECRET.upper()), CC),  # secrets are case-sensitive
        ((CLIENT_ID, CLIENT_SECRET + " "), CC),
        (None, {**CC, "client_id": CLIENT_ID, "client_secret": "wrong"}),  # wrong secret, post
        (None, {**CC, "client_id": "nobody", "client_secret": "x"}),  # unknown client, post
        (None, {**CC, "client_id": CLIENT_ID}),  # confidential client with no secret
        (None, {**CC, "client_id": PUBLIC_ID, "client_secret": "anything"}),  # public + secret
        ((PUBLIC_ID, "anything"), CC),  # public client with a secret, Basic
    ],
)
async def test_failed_client_authentication_is_invalid_client(
    web: httpx.AsyncClient, auth: tuple[str, str] | None, data: dict[str, str]
) -> None:
    response = await web.post("/token", data=data, headers=auth_headers(auth))
    assert_no_store(response)
    assert_invalid_client(response)


@pytest.mark.parametrize(
    "header",
    [
        "Basic",
        "Basic !!!not-base64!!!",
        "Basic " + base64.b64encode(b"no-colon-here").decode(),
        "Basic " + base64.b64encode(b"\xff\xfe:\xff").decode(),  # not UTF-8
        "Basic bW9ja2lkcC1jbGllbnQ6bW9ja2lkcC1zZWNyZXQ",  # missing padding
    ],
)
async def test_malformed_basic_credentials_are_invalid_client(
    web: httpx.AsyncClient, header: str
) -> None:
    response = await web.post("/token", data=CC, headers={"authorization": header})
    assert_invalid_client(response)


async def test_non_ascii_basic_credentials_are_invalid_client() -> None:
    """A header with raw non-ASCII bytes (Latin-1 on the wire) was a 500."""
    app = create_app()
    status, headers, body = await asgi_request(
        app,
        "POST",
        "/token",
        headers={"content-type": FORM.encode(), "authorization": "Basic ééé".encode("latin-1")},
        body=b"grant_type=client_credentials",
    )
    assert status == 401
    assert headers["www-authenticate"].startswith("Basic realm=")
    assert b'"invalid_client"' in body


async def test_two_authentication_methods_are_invalid_request(web: httpx.AsyncClient) -> None:
    """RFC 6749 2.3: a client MUST NOT use more than one authentication method."""
    data = {**CC, "client_secret": CLIENT_SECRET}
    _token_error(await web.post("/token", data=data, auth=BASIC), 400, "invalid_request")


async def test_body_client_id_differing_from_basic_is_invalid_request(
    web: httpx.AsyncClient,
) -> None:
    data = {**CC, "client_id": PUBLIC_ID}
    _token_error(await web.post("/token", data=data, auth=BASIC), 400, "invalid_request")


async def test_wrong_client_assertion_type_is_invalid_request(web: httpx.AsyncClient) -> None:
    data = {
        **CC,
        "client_assertion": "a.b.c",
        "client_assertion_type": "urn:ietf:params:oauth:client-assertion-type:saml2-bearer",
    }
    _token_error(await web.post("/token", data=data), 400, "invalid_request")


async def test_garbage_client_assertion_is_invalid_client(web: httpx.AsyncClient) -> None:
    data = {
        **CC,
        "client_assertion": "not-a-jwt",
        "client_assertion_type": "urn:ietf:params:oauth:client-assertion-type:jwt-bearer",
    }
    assert_invalid_client(await web.post("/token", data=data))


async def test_client_assertion_for_a_secret_client_is_invalid_client(
    web: httpx.AsyncClient,
) -> None:
    header = base64.urlsafe_b64encode(b'{"alg":"HS256"}').rstrip(b"=").decode()
    payload = base64.urlsafe_b64encode(b'{"sub":"mockidp-client","iss":"mockidp-client"}')
    assertion = f"{header}.{payload.rstrip(b'=').decode()}.c2ln"
    data = {
        **CC,
        "client_assertion": assertion,
        "client_assertion_type": "urn:ietf:params:oauth:client-assertion-type:jwt-bearer",
    }
    assert_invalid_client(await web.post("/token", data=data))


async def test_form_urlencoded_basic_credentials_authenticate() -> None:
    """RFC 6749 2.3.1: id and secret are form-urlencoded before base64; '+' is a space."""
    app = create_app(
        _scenario(
            {
                "client_id": "svc:a b",
                "client_secret": "p@ss:w+rd%",
                "grant_types": ["client_credentials"],
            }
        )
    )
    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app=app), base_url="http://mockidp.test"
    ) as web:
        encoded = basic("svc%3Aa+b", "p%40ss%3Aw%2Brd%25")
        ok = await web.post("/token", data=CC, headers={"authorization": encoded})
        assert ok.status_code == 200, ok.text
        raw = basic("svc:a b", "p@ss:w+rd%")  # not encoded: the ':' splits in the wrong place
        assert_invalid_client(await web.post("/token", data=CC, headers={"authorization": raw}))


# -- authorization_code (RFC 6749 4.1.3, RFC 7636) -----------------------------------------


async def test_missing_code_is_invalid_request(web: httpx.AsyncClient) -> None:
    data = {"grant_type": "authorization_code", "redirect_uri": REDIRECT_URI}
    _token_error(await web.post("/token", data=data, auth=BASIC), 400, "invalid_request")


async def test_unknown_code_is_invalid_grant(web: httpx.AsyncClient) -> None:
    _token_error(await redeem(web, "made-up-code"), 400, "invalid_grant")


async def test_replayed_code_fails_and_revokes_the_first_tokens(
    web: httpx.AsyncClient,
) -> None:
    code = await get_code(web, scope="openid offline_access")
    first = await redeem(web, code)
    assert first.status_code == 200, first.text
    tokens = first.json()
    assert await userinfo_status(web, tokens["access_token"]) == 200

    second = await redeem(web, code)
    _token_error(second, 400, "invalid_grant")

    # RFC 6749 4.1.2 / 10.5: the tokens issued for the code are revoked
    userinfo = await web.get(
        "/userinfo", headers={"Authorization": f"Bearer {tokens['access_token']}"}
    )
    assert userinfo.status_code == 401
    assert 'error="invalid_token"' in userinfo.headers["www-authenticate"]
    refresh = await web.post(
        "/token",
        data={"grant_type": "refresh_token", "refresh_token": tokens["refresh_token"]},
        auth=BASIC,
    )
    _token_error(refresh, 400, "invalid_grant")
    introspection = await web.post(
        "/introspect", data={"token": tokens["access_token"]}, auth=BASIC
    )
    assert introspection.json() == {"active": False}


async def test_code_replayed_by_another_client_is_invalid_grant(web: httpx.AsyncClient) -> None:
    code = await get_code(web, PUBLIC_ID, pkce=True)
    first = await redeem(web, code, client_id=PUBLIC_ID, verifier=VERIFIER)
    assert first.status_code == 200
    _token_error(await redeem(web, code, client_id=CLIENT_ID), 400, "invalid_grant")
    assert await userinfo_status(web, first.json()["access_token"]) == 401


async def test_expired_code_is_invalid_grant(web: httpx.AsyncClient, idp: IdP) -> None:
    code = await get_code(web)
    idp.provider.clock.advance(idp.provider.scenario.lifetimes.code + 1)
    _token_error(await redeem(web, code), 400, "invalid_grant")


async def test_code_just_before_expiry_still_works(web: httpx.AsyncClient, idp: IdP) -> None:
    """Control for the test above: the lifetime, not the clock jump, is what fails it."""
    code = await get_code(web)
    idp.provider.clock.advance(idp.provider.scenario.lifetimes.code - 5)
    assert (await redeem(web, code)).status_code == 200


async def test_code_issued_to_another_client_is_invalid_grant(web: httpx.AsyncClient) -> None:
    code = await get_code(web, PUBLIC_ID, pkce=True)
    _token_error(await redeem(web, code, client_id=CLIENT_ID), 400, "invalid_grant")


async def test_confidential_clients_code_redeemed_by_public_client_is_invalid_grant(
    web: httpx.AsyncClient,
) -> None:
    code = await get_code(web, CLIENT_ID, pkce=True)
    response = await redeem(web, code, client_id=PUBLIC_ID, verifier=VERIFIER)
    _token_error(response, 400, "invalid_grant")


@pytest.mark.parametrize(
    "redirect_uri",
    [
        None,  # given in the authorization request, so required here
        "http://127.0.0.1:8080/callback",  # registered, but not the one used
        "http://localhost:8080/callback/",
        "http://localhost:8080/callback?x=1",
        "https://evil.example/callback",
    ],
)
async def test_redirect_uri_mismatch_is_invalid_grant(
    web: httpx.AsyncClient, redirect_uri: str | None
) -> None:
    code = await get_code(web)
    _token_error(await redeem(web, code, redirect_uri=redirect_uri), 400, "invalid_grant")


async def test_wrong_pkce_verifier_is_invalid_grant(web: httpx.AsyncClient) -> None:
    code = await get_code(web, PUBLIC_ID, pkce=True)
    wrong = "x" * 43
    _token_error(await redeem(web, code, client_id=PUBLIC_ID, verifier=wrong), 400, "invalid_grant")


async def test_missing_pkce_verifier_is_invalid_grant(web: httpx.AsyncClient) -> None:
    code = await get_code(web, PUBLIC_ID, pkce=True)
    _token_error(await redeem(web, code, client_id=PUBLIC_ID), 400, "invalid_grant")


async def test_malformed_pkce_verifier_is_invalid_request(web: httpx.AsyncClient) -> None:
    code = await get_code(web, PUBLIC_ID, pkce=True)
    response = await redeem(web, code, client_id=PUBLIC_ID, verifier="short")
    _token_error(response, 400, "invalid_request")


async def test_verifier_without_challenge_is_a_downgrade(web: httpx.AsyncClient) -> None:
    """A verifier for a code issued without PKCE is refused (RFC 9700 2.1.1)."""
    code = await get_code(web, CLIENT_ID, pkce=False)
    _token_error(await redeem(web, code, verifier=VERIFIER), 400, "invalid_grant")


async def test_plain_challenge_needs_the_identical_verifier(web: httpx.AsyncClient) -> None:
    code = await get_code(web, PUBLIC_ID, code_challenge=VERIFIER, code_challenge_method="plain")
    # the S256 transform of the verifier is not the plain verifier
    response = await redeem(web, code, client_id=PUBLIC_ID, verifier=s256(VERIFIER) + "xyz")
    _token_error(response, 400, "invalid_grant")


async def test_failed_pkce_burns_the_code(web: httpx.AsyncClient) -> None:
    code = await get_code(web, PUBLIC_ID, pkce=True)
    bad = await redeem(web, code, client_id=PUBLIC_ID, verifier="y" * 43)
    _token_error(bad, 400, "invalid_grant")
    again = await redeem(web, code, client_id=PUBLIC_ID, verifier=VERIFIER)
    _token_error(again, 400, "invalid_grant")


@pytest.mark.parametrize(
    "data",
    [
        {"client_id": CLIENT_ID, "client_secret": "wrong"},  # wrong secret
        {"client_id": CLIENT_ID},  # a confidential client without its secret
        {"client_id": "nobody", "client_secret": "x"},  # unknown client
    ],
)
async def test_failed_client_authentication_does_not_spend_the_code(
    web: httpx.AsyncClient, data: dict[str, str]
) -> None:
    """RFC 6749 4.1.3: the client is authenticated before the code is looked at, so a
    request failing that leaves the code for the client it was issued to."""
    code = await get_code(web)
    form = {"grant_type": "authorization_code", "code": code, "redirect_uri": REDIRECT_URI}
    assert_invalid_client(await web.post("/token", data={**form, **data}))
    assert (await redeem(web, code)).status_code == 200


async def test_a_code_presented_by_another_client_is_spent(web: httpx.AsyncClient) -> None:
    """invalid_grant (RFC 6749 5.2), and the code is gone: another client holding it
    means it leaked (docs/tokens.md, "Authorization codes")."""
    code = await get_code(web, CLIENT_ID, pkce=True)
    stolen = await redeem(web, code, client_id=PUBLIC_ID, verifier=VERIFIER)
    _token_error(stolen, 400, "invalid_grant")
    _token_error(await redeem(web, code, verifier=VERIFIER), 400, "invalid_grant")


async def test_a_wrong_redirect_uri_spends_the_code(web: httpx.AsyncClient) -> None:
    code = await get_code(web)
    wrong = await redeem(web, code, redirect_uri="http://127.0.0.1:8080/callback")
    _token_error(wrong, 400, "invalid_grant")
    _token_error(await redeem(web, code), 400, "invalid_grant")


async def test_client_not_allowed_the_code_grant_is_unauthorized_client(idp: IdP) -> None:
    idp.provider.use_scenario(
        _scenario({"client_id": "svc", "client_secret": "s", "grant_types": ["client_credentials"]})
    )
    async with guarded_client(idp) as web:
        data = {"grant_type": "authorization_code", "code": "whatever"}
        response = await web.post("/token", data=data, auth=("svc", "s"))
    _token_error(response, 400, "unauthorized_client")


# -- refresh_token (RFC 6749 6) --------------------------------------------------------------


async def test_unknown_refresh_token_is_invalid_grant(web: httpx.AsyncClient) -> None:
    data = {"grant_type": "refresh_token", "refresh_token": "made-up"}
    _token_error(await web.post("/token", data=data, auth=BASIC), 400, "invalid_grant")


async def test_missing_refresh_token_is_invalid_request(web: httpx.AsyncClient) -> None:
    data = {"grant_type": "refresh_token"}
    _token_error(await web.post("/token", data=data, auth=BASIC), 400, "invalid_request")


async def test_access_token_is_not_a_refresh_token(web: httpx.AsyncClient) -> None:
    tokens = await code_flow_tokens(web)
    data = {"grant_type": "refresh_token", "refresh_token": tokens["access_token"]}
    _token_error(await web.post("/token", data=data, auth=BASIC), 400, "invalid_grant")


async def test_refresh_token_of_another_client_is_invalid_grant(web: httpx.AsyncClient) -> None:
    code = await get_code(web, PUBLIC_ID, pkce=True, scope="openid offline_access")
    tokens = (await redeem(web, code, client_id=PUBLIC_ID, verifier=VERIFIER)).json()
    data = {"grant_type": "refresh_token", "refresh_token": tokens["refresh_token"]}
    _token_error(await web.post("/token", data=data, auth=BASIC), 400, "invalid_grant")


async def test_refresh_widening_scope_is_invalid_scope(web: httpx.AsyncClient) -> None:
    tokens = await code_flow_tokens(web, scope="openid offline_access")
    data = {
        "grant_type": "refresh_token",
        "refresh_token": tokens["refresh_token"],
        "scope": "openid email",
    }
    _token_error(await web.post("/token", data=data, auth=BASIC), 400, "invalid_scope")


async def test_reused_refresh_token_is_invalid_grant_and_revokes_the_family(
    web: httpx.AsyncClient,
) -> None:
    tokens = await code_flow_tokens(web)
    data = {"grant_type": "refresh_token", "refresh_token": tokens["refresh_token"]}
    rotated = await web.post("/token", data=data, auth=BASIC)
    assert rotated.status_code == 200
    new = rotated.json()
    assert new["refresh_token"] != tokens["refresh_token"]
    _token_error(await web.post("/token", data=data, auth=BASIC), 400, "invalid_grant")
    # reuse detection: the rotated token and its access token die with the grant
    again = {"grant_type": "refresh_token", "refresh_token": new["refresh_token"]}
    _token_error(await web.post("/token", data=again, auth=BASIC), 400, "invalid_grant")
    assert await userinfo_status(web, new["access_token"]) == 401


async def test_expired_refresh_token_is_invalid_grant(web: httpx.AsyncClient, idp: IdP) -> None:
    tokens = await code_flow_tokens(web)
    idp.provider.clock.advance(idp.provider.scenario.lifetimes.refresh_token + 1)
    data = {"grant_type": "refresh_token", "refresh_token": tokens["refresh_token"]}
    _token_error(await web.post("/token", data=data, auth=BASIC), 400, "invalid_grant")


async def test_client_not_allowed_refresh_is_unauthorized_client(idp: IdP) -> None:
    idp.provider.use_scenario(
        _scenario({"client_id": "svc", "client_secret": "s", "grant_types": ["password"]})
    )
    async with guarded_client(idp) as web:
        data = {"grant_type": "refresh_token", "refresh_token": "whatever"}
        response = await web.post("/token", data=data, auth=("svc", "s"))
    _token_error(response, 400, "unauthorized_client")


# -- client_credentials (RFC 6749 4.4) and password (4.3) -----------------------------------


async def test_public_client_may_not_use_client_credentials(web: httpx.AsyncClient) -> None:
    response = await web.post("/token", data={**CC, "client_id": PUBLIC_ID})
    _token_error(response, 400, "unauthorized_client")


async def test_client_not_allowed_client_credentials_is_unauthorized_client(idp: IdP) -> None:
    idp.provider.use_scenario(
        _scenario({"client_id": "web", "client_secret": "s", "redirect_uris": [REDIRECT_URI]})
    )
    async with guarded_client(idp) as web:
        response = await web.post("/token", data=CC, auth=("web", "s"))
    _token_error(response, 400, "unauthorized_client")


@pytest.mark.parametrize("scope", ["not-a-scope", "openid", "offline_access", "profile nope"])
async def test_client_credentials_invalid_scope(web: httpx.AsyncClient, scope: str) -> None:
    response = await web.post("/token", data={**CC, "scope": scope}, auth=BASIC)
    _token_error(response, 400, "invalid_scope")


async def test_scope_outside_the_clients_list_is_invalid_scope(idp: IdP) -> None:
    idp.provider.use_scenario(
        _scenario(
            {
                "client_id": "svc",
                "client_secret": "s",
                "grant_types": ["client_credentials"],
                "scopes": ["profile"],
            }
        )
    )
    async with guarded_client(idp) as web:
        response = await web.post("/token", data={**CC, "scope": "email"}, auth=("svc", "s"))
        _token_error(response, 400, "invalid_scope")
        ok = await web.post("/token", data={**CC, "scope": "profile"}, auth=("svc", "s"))
        assert ok.status_code == 200


@pytest.mark.parametrize(
    ("username", "password"),
    [("alice", "wrong"), ("alice", "ALICE"), ("nobody", "nobody"), ("alice", "bob")],
)
async def test_wrong_password_is_invalid_grant(
    web: httpx.AsyncClient, username: str, password: str
) -> None:
    data = {"grant_type": "password", "username": username, "password": password}
    _token_error(await web.post("/token", data=data, auth=BASIC), 400, "invalid_grant")


@pytest.mark.parametrize("missing", ["username", "password"])
async def test_password_grant_missing_field_is_invalid_request(
    web: httpx.AsyncClient, missing: str
) -> None:
    data = {"grant_type": "password", "username": "alice", "password": "alice"}
    del data[missing]
    _token_error(await web.post("/token", data=data, auth=BASIC), 400, "invalid_request")


async def test_public_client_may_not_use_the_password_grant(web: httpx.AsyncClient) -> None:
    data = {"grant_type": "password", "username": "alice", "password": "alice"}
    response = await web.post("/token", data={**data, "client_id": PUBLIC_ID})
    _token_error(response, 400, "unauthorized_client")


async def test_password_grant_invalid_scope(web: httpx.AsyncClient) -> None:
    data = {"grant_type": "password", "username": "alice", "password": "alice", "scope": "x"}
    _token_error(await web.post("/token", data=data, auth=BASIC), 400, "invalid_scope")


async def test_password_grant_works_when_all_is_right(web: httpx.AsyncClient) -> None:
    """Control for the password tests: the same request with the right values succeeds."""
    tokens = await password_tokens(web, scope="openid email")
    assert tokens["token_type"] == "Bearer"
    assert tokens["scope"] == "openid email"
