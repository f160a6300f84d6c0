"""Negative tests of the other endpoints: userinfo (RFC 6750, OIDC Core 5.3), introspection
(RFC 7662), revocation (RFC 7009), end_session (RP-Initiated Logout), discovery and JWKS,
unknown paths, HTTP methods, CORS preflights and the Host header.
"""

from __future__ import annotations

import json
import re

import httpx
import pytest

from mockidp import create_app
from tests.conftest import IdP, LiveServer
from tests.support.negative import (
    BASIC,
    CLIENT_ID,
    FORM,
    PUBLIC_ID,
    VERIFIER,
    asgi_request,
    assert_error_page,
    assert_invalid_client,
    assert_oauth_error,
    auth_headers,
    code_flow_tokens,
    get_code,
    password_tokens,
    redeem,
    socket_request,
    userinfo_status,
)

pytestmark = pytest.mark.anyio

DISCOVERY = "/.well-known/openid-configuration"
JWKS = "/.well-known/jwks.json"


def _bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def _challenge(response: httpx.Response) -> str:
    value: str = response.headers["www-authenticate"]
    assert value.startswith('Bearer realm="mockidp"')
    return value


def _no_token_challenge(response: httpx.Response) -> None:
    """RFC 6750 3.1 and RFC 9449 7.1 / 7.2: a 401 offering both schemes userinfo takes,
    Bearer first, and neither naming an error (the request had no token at all)."""
    assert response.status_code == 401
    value = response.headers["www-authenticate"]
    bearer, sep, dpop = value.partition(", DPoP ")
    assert bearer == 'Bearer realm="mockidp"', value
    assert sep and re.fullmatch(r'algs="[A-Za-z0-9 ]+"', dpop), value
    assert "ES256" in dpop.split('"')[1].split()
    assert "error" not in value


# -- userinfo (RFC 6750 2-3, OpenID Connect Core 5.3) ---------------------------------------


@pytest.mark.parametrize(
    "headers",
    [
        {},
        {"Authorization": "Bearer"},
        {"Authorization": "Basic bW9ja2lkcC1jbGllbnQ6bW9ja2lkcC1zZWNyZXQ="},  # not Bearer
        {"Authorization": "Token abc"},
    ],
)
async def test_userinfo_without_a_bearer_token(
    web: httpx.AsyncClient, headers: dict[str, str]
) -> None:
    """RFC 6750 3.1: no credentials -> 401 and a challenge with no error code."""
    _no_token_challenge(await web.get("/userinfo", headers=headers))


async def test_userinfo_post_without_a_token(web: httpx.AsyncClient) -> None:
    _no_token_challenge(await web.post("/userinfo", data={"something": "else"}))


async def test_userinfo_with_the_dpop_scheme_but_no_token(web: httpx.AsyncClient) -> None:
    """RFC 9449 7.1: a DPoP client sending no token learns the algorithms, no error."""
    _no_token_challenge(await web.get("/userinfo", headers={"Authorization": "DPoP"}))


async def test_userinfo_with_an_invalid_dpop_token_names_invalid_token(
    web: httpx.AsyncClient,
) -> None:
    """RFC 9449 7.1: an unknown token sent as DPoP is challenged in the DPoP scheme."""
    response = await web.get("/userinfo", headers={"Authorization": "DPoP not-a-token"})
    assert response.status_code == 401
    value = response.headers["www-authenticate"]
    assert value.startswith('DPoP error="invalid_token"'), value
    assert "algs=" in value


@pytest.mark.parametrize(
    "token",
    [
        "not-a-token",
        "eyJhbGciOiJub25lIn0.eyJzdWIiOiJhbGljZSJ9.",  # alg none
        "a" * 4000,
    ],
)
async def test_userinfo_with_a_bad_token_is_invalid_token(
    web: httpx.AsyncClient, token: str
) -> None:
    response = await web.get("/userinfo", headers=_bearer(token))
    assert_oauth_error(response, 401, "invalid_token")
    assert 'error="invalid_token"' in _challenge(response)


async def test_userinfo_with_a_tampered_token_is_invalid_token(web: httpx.AsyncClient) -> None:
    token = (await password_tokens(web))["access_token"]
    header, payload, signature = token.split(".")
    tampered = f"{header}.{payload}.{signature[:-4]}AAAA"
    assert await userinfo_status(web, token) == 200
    response = await web.get("/userinfo", headers=_bearer(tampered))
    assert_oauth_error(response, 401, "invalid_token")


async def test_id_token_and_refresh_token_are_not_access_tokens(web: httpx.AsyncClient) -> None:
    tokens = await code_flow_tokens(web, scope="openid offline_access")
    for wrong in (tokens["id_token"], tokens["refresh_token"]):
        response = await web.get("/userinfo", headers=_bearer(wrong))
        assert_oauth_error(response, 401, "invalid_token")


async def test_userinfo_with_an_expired_token_is_invalid_token(
    web: httpx.AsyncClient, idp: IdP
) -> None:
    token = (await password_tokens(web))["access_token"]
    idp.provider.clock.advance(idp.provider.scenario.lifetimes.access_token + 1)
    response = await web.get("/userinfo", headers=_bearer(token))
    assert_oauth_error(response, 401, "invalid_token")
    assert 'error="invalid_token"' in _challenge(response)


async def test_userinfo_with_a_revoked_token_is_invalid_token(web: httpx.AsyncClient) -> None:
    token = (await password_tokens(web))["access_token"]
    revoked = await web.post("/revoke", data={"token": token}, auth=BASIC)
    assert revoked.status_code == 200
    assert_oauth_error(await web.get("/userinfo", headers=_bearer(token)), 401, "invalid_token")


@pytest.mark.parametrize(
    "how", ["client_credentials", "password without openid", "password profile only"]
)
async def test_userinfo_needs_the_openid_scope(web: httpx.AsyncClient, how: str) -> None:
    if how == "client_credentials":
        response = await web.post(
            "/token", data={"grant_type": "client_credentials", "scope": "profile"}, auth=BASIC
        )
        token = response.json()["access_token"]
    elif how == "password without openid":
        token = (await password_tokens(web, scope=""))["access_token"]
    else:
        token = (await password_tokens(web, scope="profile email"))["access_token"]
    response = await web.get("/userinfo", headers=_bearer(token))
    assert_oauth_error(response, 403, "insufficient_scope")
    assert 'error="insufficient_scope"' in _challenge(response)


async def test_userinfo_token_in_header_and_body_is_invalid_request(
    web: httpx.AsyncClient,
) -> None:
    """RFC 6750 2: a client MUST NOT use more than one method to send the token."""
    token = (await password_tokens(web))["access_token"]
    response = await web.post("/userinfo", data={"access_token": token}, headers=_bearer(token))
    assert_oauth_error(response, 400, "invalid_request")
    # control: each method alone works
    assert (await web.post("/userinfo", data={"access_token": token})).status_code == 200
    assert (await web.post("/userinfo", headers=_bearer(token))).status_code == 200


async def test_userinfo_repeated_body_token_is_invalid_request(web: httpx.AsyncClient) -> None:
    token = (await password_tokens(web))["access_token"]
    response = await web.post(
        "/userinfo",
        content=f"access_token={token}&access_token={token}",
        headers={"content-type": FORM},
    )
    assert_oauth_error(response, 400, "invalid_request")


async def test_userinfo_body_token_needs_a_form_body(web: httpx.AsyncClient) -> None:
    """RFC 6750 2.2: only a form-encoded body carries a token; JSON is no token at all."""
    token = (await password_tokens(web))["access_token"]
    response = await web.post("/userinfo", json={"access_token": token})
    _no_token_challenge(response)


async def test_userinfo_errors_are_not_cached(web: httpx.AsyncClient) -> None:
    response = await web.get("/userinfo", headers=_bearer("nope"))
    assert response.headers["cache-control"] == "no-store"


# -- introspection (RFC 7662) -----------------------------------------------------------------


@pytest.mark.parametrize(
    ("auth", "extra"),
    [
        (None, {}),
        (("nobody", "x"), {}),
        ((CLIENT_ID, "wrong"), {}),
        (None, {"client_id": PUBLIC_ID}),  # public clients cannot introspect
        (None, {"client_id": CLIENT_ID}),
    ],
)
async def test_introspection_needs_an_authenticated_confidential_client(
    web: httpx.AsyncClient, auth: tuple[str, str] | None, extra: dict[str, str]
) -> None:
    token = (await password_tokens(web))["access_token"]
    response = await web.post(
        "/introspect", data={"token": token, **extra}, headers=auth_headers(auth)
    )
    assert_invalid_client(response)
    assert "active" not in response.json()


async def test_introspection_missing_token_is_invalid_request(web: httpx.AsyncClient) -> None:
    response = await web.post("/introspect", data={"token_type_hint": "access_token"}, auth=BASIC)
    assert_oauth_error(response, 400, "invalid_request")


@pytest.mark.parametrize("hint", [None, "access_token", "refresh_token", "unknown_hint"])
async def test_introspection_of_an_unknown_token_is_inactive(
    web: httpx.AsyncClient, hint: str | None
) -> None:
    data = {"token": "made-up"} | ({"token_type_hint": hint} if hint else {})
    response = await web.post("/introspect", data=data, auth=BASIC)
    assert response.status_code == 200
    assert response.json() == {"active": False}  # RFC 7662 2.2: nothing more


async def test_introspection_of_an_expired_token_is_inactive(
    web: httpx.AsyncClient, idp: IdP
) -> None:
    token = (await password_tokens(web))["access_token"]
    before = await web.post("/introspect", data={"token": token}, auth=BASIC)
    assert before.json()["active"] is True
    idp.provider.clock.advance(idp.provider.scenario.lifetimes.access_token + 1)
    after = await web.post("/introspect", data={"token": token}, auth=BASIC)
    assert after.json() == {"active": False}


async def test_introspection_with_a_json_body_is_invalid_request(web: httpx.AsyncClient) -> None:
    response = await web.post("/introspect", json={"token": "x"}, auth=BASIC)
    assert_oauth_error(response, 400, "invalid_request")


async def test_introspection_repeated_token_is_invalid_request(web: httpx.AsyncClient) -> None:
    response = await web.post(
        "/introspect", content="token=a&token=b", headers={"content-type": FORM}, auth=BASIC
    )
    assert_oauth_error(response, 400, "invalid_request")


# -- revocation (RFC 7009) --------------------------------------------------------------------


@pytest.mark.parametrize(
    ("auth", "extra"),
    [
        (None, {}),
        (("nobody", "x"), {}),
        ((CLIENT_ID, "wrong"), {}),
        (None, {"client_id": CLIENT_ID}),
    ],
)
async def test_revocation_needs_client_authentication(
    web: httpx.AsyncClient, auth: tuple[str, str] | None, extra: dict[str, str]
) -> None:
    token = (await password_tokens(web))["access_token"]
    response = await web.post("/revoke", data={"token": token, **extra}, headers=auth_headers(auth))
    assert_invalid_client(response)
    assert await userinfo_status(web, token) == 200  # not revoked


async def test_revocation_missing_token_is_invalid_request(web: httpx.AsyncClient) -> None:
    response = await web.post("/revoke", data={"token_type_hint": "access_token"}, auth=BASIC)
    assert_oauth_error(response, 400, "invalid_request")


async def test_revocation_of_an_unknown_token_succeeds(web: httpx.AsyncClient) -> None:
    """RFC 7009 2.2: an invalid token is not an error; the answer is 200."""
    response = await web.post("/revoke", data={"token": "made-up"}, auth=BASIC)
    assert response.status_code == 200
    assert response.content == b""


async def test_revoking_another_clients_token_is_refused(web: httpx.AsyncClient) -> None:
    """RFC 7009 2.1: the token must have been issued to the client that revokes it."""
    code = await get_code(web, PUBLIC_ID, pkce=True)
    token = (await redeem(web, code, client_id=PUBLIC_ID, verifier=VERIFIER)).json()["access_token"]
    response = await web.post("/revoke", data={"token": token}, auth=BASIC)
    assert_oauth_error(response, 400, "invalid_grant")
    assert await userinfo_status(web, token) == 200  # still valid


async def test_revoking_a_refresh_token_revokes_its_access_tokens(web: httpx.AsyncClient) -> None:
    tokens = await code_flow_tokens(web)
    response = await web.post(
        "/revoke",
        data={"token": tokens["refresh_token"], "token_type_hint": "refresh_token"},
        auth=BASIC,
    )
    assert response.status_code == 200
    assert await userinfo_status(web, tokens["access_token"]) == 401
    refresh = await web.post(
        "/token",
        data={"grant_type": "refresh_token", "refresh_token": tokens["refresh_token"]},
        auth=BASIC,
    )
    assert_oauth_error(refresh, 400, "invalid_grant")


# -- end_session (OpenID Connect RP-Initiated Logout 1.0) ------------------------------------


async def test_end_session_unknown_client_is_an_error_page(web: httpx.AsyncClient) -> None:
    response = await web.get(
        "/end_session",
        params={"client_id": "nobody", "post_logout_redirect_uri": "http://localhost:8080/"},
    )
    assert_error_page(response, "invalid_client")


@pytest.mark.parametrize(
    "uri",
    [
        "https://evil.example/",
        "https://localhost:8080/",  # https is neither registered nor loopback
        "http://localhost:8080/#x",
        "http://127.0.0.1@evil.example/",
    ],
)
async def test_end_session_unregistered_redirect_is_an_error_page(
    web: httpx.AsyncClient, uri: str
) -> None:
    response = await web.get(
        "/end_session", params={"client_id": CLIENT_ID, "post_logout_redirect_uri": uri}
    )
    assert_error_page(response, "invalid_request")


async def test_end_session_redirect_without_a_client_is_an_error_page(
    web: httpx.AsyncClient,
) -> None:
    response = await web.get(
        "/end_session", params={"post_logout_redirect_uri": "http://localhost:8080/"}
    )
    assert_error_page(response, "invalid_request")


@pytest.mark.parametrize("hint", ["garbage", "a.b.c", "eyJhbGciOiJub25lIn0.eyJhdWQiOiJ4In0."])
async def test_end_session_bad_id_token_hint_is_an_error_page(
    web: httpx.AsyncClient, hint: str
) -> None:
    response = await web.get(
        "/end_session",
        params={"id_token_hint": hint, "post_logout_redirect_uri": "http://localhost:8080/"},
    )
    assert_error_page(response, "invalid_request")


async def test_end_session_hint_for_another_client_is_an_error_page(
    web: httpx.AsyncClient,
) -> None:
    id_token = (await code_flow_tokens(web, scope="openid"))["id_token"]
    response = await web.get(
        "/end_session",
        params={
            "id_token_hint": id_token,
            "client_id": PUBLIC_ID,
            "post_logout_redirect_uri": "http://localhost:8080/",
        },
    )
    assert_error_page(response, "invalid_request")


async def test_end_session_hint_from_another_issuer_is_an_error_page() -> None:
    app = create_app()
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://issuer-a.test") as web:
        id_token = (await code_flow_tokens(web, scope="openid"))["id_token"]
    async with httpx.AsyncClient(transport=transport, base_url="http://issuer-b.test") as web:
        response = await web.get(
            "/end_session",
            params={
                "id_token_hint": id_token,
                "post_logout_redirect_uri": "http://localhost:8080/",
            },
        )
    assert_error_page(response, "invalid_request")


async def test_end_session_repeated_parameter_is_an_error_page(web: httpx.AsyncClient) -> None:
    response = await web.get(
        "/end_session",
        params=[
            ("client_id", CLIENT_ID),
            ("post_logout_redirect_uri", "http://localhost:8080/"),
            ("post_logout_redirect_uri", "https://evil.example/"),
        ],
    )
    assert_error_page(response, "invalid_request")


async def test_end_session_non_utf8_query_is_an_error_page(web: httpx.AsyncClient) -> None:
    response = await web.get("/end_session?client_id=%FF&post_logout_redirect_uri=x")
    assert_error_page(response, "invalid_request")


async def test_end_session_valid_redirect_goes_there(web: httpx.AsyncClient) -> None:
    """Control for the error pages above: a registered URI is where the user goes."""
    response = await web.get(
        "/end_session",
        params={"client_id": CLIENT_ID, "post_logout_redirect_uri": "http://localhost:8080/"},
    )
    assert response.status_code == 302
    assert response.headers["location"] == "http://localhost:8080/"


# -- discovery, JWKS, unknown paths ------------------------------------------------------------


@pytest.mark.parametrize(
    "path",
    [
        "/nope",
        "/token/",
        "/TOKEN",
        "/.well-known/openid-configuration/",
        "/.well-known/unknown",
    ],
)
async def test_unknown_path_is_404(web: httpx.AsyncClient, path: str) -> None:
    for method in ("GET", "POST", "DELETE"):
        response = await web.request(method, path)
        assert response.status_code == 404, (method, path)
        assert response.json()["error"] == "not_found"


async def test_discovery_ignores_query_parameters(web: httpx.AsyncClient, idp: IdP) -> None:
    response = await web.get(DISCOVERY, params={"issuer": "https://evil.example"})
    assert response.status_code == 200
    assert response.json()["issuer"] == idp.base_url


@pytest.mark.parametrize("path", [DISCOVERY, JWKS])
async def test_head_on_documents_has_no_body(web: httpx.AsyncClient, path: str) -> None:
    response = await web.head(path)
    assert response.status_code == 200
    assert response.content == b""
    assert response.headers["content-type"] == "application/json"


# -- HTTP methods: 405 with an Allow header that tells the truth -----------------------------


@pytest.mark.parametrize(
    ("path", "method", "allow"),
    [
        (DISCOVERY, "POST", "GET, OPTIONS"),
        ("/.well-known/oauth-authorization-server", "DELETE", "GET, OPTIONS"),
        (JWKS, "PUT", "GET, OPTIONS"),
        ("/authorize", "PUT", "GET, POST"),
        ("/authorize", "OPTIONS", "GET, POST"),
        ("/token", "GET", "OPTIONS, POST"),
        ("/token", "PUT", "OPTIONS, POST"),
        ("/userinfo", "DELETE", "GET, OPTIONS, POST"),
        ("/introspect", "GET", "OPTIONS, POST"),
        ("/revoke", "GET", "OPTIONS, POST"),
        ("/end_session", "PATCH", "GET, POST"),
        ("/end_session", "OPTIONS", "GET, POST"),
        ("/interaction/login", "GET", "POST"),
        ("/interaction/consent", "GET", "POST"),
        ("/", "POST", "GET"),
    ],
)
async def test_wrong_method_is_405_with_allow(
    web: httpx.AsyncClient, path: str, method: str, allow: str
) -> None:
    response = await web.request(method, path)
    assert response.status_code == 405
    assert response.headers["allow"] == allow
    assert response.json()["error"] == "invalid_request"
    for listed in allow.split(", "):  # every method Allow names is really answered
        answer = await web.request(listed, path)
        assert answer.status_code != 405, (listed, path)


@pytest.mark.parametrize("path", [DISCOVERY, JWKS, "/token", "/userinfo", "/introspect", "/revoke"])
async def test_options_preflight_answers_cors(web: httpx.AsyncClient, path: str) -> None:
    response = await web.options(
        path,
        headers={
            "Origin": "https://spa.example",
            "Access-Control-Request-Method": "POST",
            "Access-Control-Request-Headers": "authorization, content-type",
        },
    )
    assert response.status_code == 204
    assert response.headers["access-control-allow-origin"] == "*"
    allowed_headers = {
        h.strip().lower() for h in response.headers["access-control-allow-headers"].split(",")
    }
    assert {"authorization", "content-type"} <= allowed_headers
    methods = set(response.headers["access-control-allow-methods"].split(", "))
    assert "OPTIONS" in methods
    assert methods - {"OPTIONS"} and methods <= {"GET", "POST", "OPTIONS"}
    assert int(response.headers["access-control-max-age"]) > 0


async def test_token_errors_are_readable_cross_origin(web: httpx.AsyncClient) -> None:
    response = await web.post(
        "/token", data={"grant_type": "nope"}, headers={"Origin": "https://spa.example"}
    )
    assert response.status_code == 400
    assert response.headers["access-control-allow-origin"] == "*"


@pytest.mark.parametrize("path", ["/authorize", "/end_session", "/interaction/login"])
async def test_browser_endpoints_do_not_answer_cors(web: httpx.AsyncClient, path: str) -> None:
    response = await web.options(path, headers={"Origin": "https://spa.example"})
    assert "access-control-allow-origin" not in response.headers


# -- the Host header ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    "host",
    [b"evil.example/path", b"a b", b"user@evil.example", b"evil.example\\x", b"", b"\xe9vil"],
)
async def test_invalid_host_header_is_invalid_request(web: httpx.AsyncClient, host: bytes) -> None:
    response = await web.get(DISCOVERY, headers={b"Host": host})
    assert_oauth_error(response, 400, "invalid_request")
    assert "evil" not in response.text


async def test_invalid_host_never_reaches_an_issuer(web: httpx.AsyncClient) -> None:
    """A poisoned Host cannot become the issuer of a token."""
    response = await web.post(
        "/token",
        data={"grant_type": "client_credentials"},
        auth=BASIC,
        headers={"Host": "evil.example/x?"},
    )
    assert_oauth_error(response, 400, "invalid_request")
    assert "access_token" not in response.text


async def test_missing_host_falls_back_to_the_server_address() -> None:
    app = create_app()
    status, _, body = await asgi_request(app, "GET", DISCOVERY, host=None)
    assert status == 200
    assert json.loads(body)["issuer"] == "http://mockidp.test:80"


async def test_invalid_host_over_raw_http(live: LiveServer) -> None:
    raw = (
        b"GET /.well-known/openid-configuration HTTP/1.1\r\nHost: a/b\r\nConnection: close\r\n\r\n"
    )
    status, answer = await socket_request(live.url, raw)
    assert status == 400
    assert b"a/b" not in answer.split(b"\r\n\r\n", 1)[1]
