"""Negative tests of the authorization endpoint (RFC 6749 4.1, OpenID Connect Core 3.1.2).

Two kinds of failure, told apart strictly (RFC 6749 4.1.2.1): when the client or the
redirect URI cannot be trusted the user gets an HTML error page (400) and is never
redirected; every other error goes back to the validated redirect URI with error,
error_description, state and iss (RFC 9207).
"""

from __future__ import annotations

import html
import re
from typing import Any

import httpx
import pytest

from mockidp import create_app
from tests.conftest import IdP, LiveServer
from tests.support.flows import minimal
from tests.support.negative import (
    CHALLENGE,
    OTHER_REDIRECT_URI,
    PUBLIC_ID,
    REDIRECT_URI,
    asgi_request,
    assert_error_page,
    assert_error_redirect,
    auth_params,
    authorize,
    authorize_pairs,
    guarded_client,
    redirect_params,
    single_values,
    socket_request,
)
from tests.support.session_state import assert_session_state

pytestmark = pytest.mark.anyio


def _scenario(**client: Any) -> dict[str, Any]:
    """A one-client scenario with alice as the default user."""
    base: dict[str, Any] = {
        "client_id": "app",
        "client_secret": "app-secret",
        "redirect_uris": ["https://app.example/cb"],
    }
    return minimal({**base, **client})


# -- the client or the redirect URI cannot be trusted: a page, never a redirect --------


async def test_missing_client_id_is_an_error_page(web: httpx.AsyncClient) -> None:
    params = auth_params()
    del params["client_id"]
    assert_error_page(await authorize(web, **params), "invalid_request")


async def test_empty_client_id_counts_as_missing(web: httpx.AsyncClient) -> None:
    # RFC 6749 3.1: a parameter sent without a value is treated as omitted.
    assert_error_page(await authorize(web, **auth_params(client_id="")), "invalid_request")


async def test_unknown_client_is_an_error_page(web: httpx.AsyncClient) -> None:
    page = assert_error_page(
        await authorize(web, **auth_params("no-such-client")), "invalid_client"
    )
    assert "no-such-client" in html.unescape(page)


@pytest.mark.parametrize(
    "redirect_uri",
    [
        "https://evil.example/callback",
        "http://localhost:8080/callback#fragment",
        "https://localhost:8080/callback",  # https on loopback is neither registered nor loopback
        "http://127.0.0.1@evil.example/callback",
        "http://evil.example@127.0.0.1/callback",
        "http://localhost.evil.example/callback",
        "http://127.0.0.1.nip.io/callback",
        "http://[::ffff:127.0.0.1]/callback",
        "//evil.example/callback",
        "/callback",
        "javascript:alert(1)",
        "HTTP://EVIL.EXAMPLE/callback",
    ],
)
async def test_unregistered_redirect_uri_is_an_error_page(
    web: httpx.AsyncClient, redirect_uri: str
) -> None:
    response = await authorize(web, **auth_params(redirect_uri=redirect_uri))
    assert_error_page(response, "invalid_request")
    assert "evil.example/callback?" not in response.text


@pytest.mark.parametrize(
    "broken",
    [
        {"response_type": "bogus"},
        {"scope": "not-a-scope"},
        {"prompt": "none"},
        {"response_mode": "form_post"},
        {"response_mode": "fragment"},
        {"request": "eyJhbGciOiJub25lIn0.e30."},
    ],
)
async def test_bad_redirect_uri_wins_over_every_later_error(
    web: httpx.AsyncClient, broken: dict[str, str]
) -> None:
    """The redirect URI is checked first: no later error may be sent to an unchecked URI."""
    params = auth_params(redirect_uri="https://evil.example/callback")
    params.update(broken)
    response = await authorize(web, **params)
    assert_error_page(response, "invalid_request")


async def test_unknown_client_wins_over_a_bad_response_type(web: httpx.AsyncClient) -> None:
    response = await authorize(web, **auth_params("no-such-client", response_type="bogus"))
    assert_error_page(response, "invalid_client")


async def test_redirect_uri_match_is_exact_without_loopback_rule(idp: IdP) -> None:
    idp.provider.use_scenario(_scenario(redirect_uris=["http://localhost:8080/callback"]))
    async with guarded_client(idp) as web:
        for uri in (
            "http://localhost:8081/callback",
            "http://localhost:8080/callback/",
            "http://localhost:8080/Callback",
            "http://localhost:8080/callback?x=1",
        ):
            response = await authorize(web, **auth_params("app", redirect_uri=uri))
            assert_error_page(response, "invalid_request")
        ok = await authorize(web, **auth_params("app"))
        assert "code" in redirect_params(ok)


async def test_missing_redirect_uri_with_two_registered_is_an_error_page(
    web: httpx.AsyncClient,
) -> None:
    params = auth_params()
    del params["redirect_uri"]
    assert_error_page(await authorize(web, **params), "invalid_request")


async def test_missing_redirect_uri_with_one_registered_redirects_errors_there(idp: IdP) -> None:
    idp.provider.use_scenario(_scenario())
    async with guarded_client(idp) as web:
        params = auth_params("app", response_type="bogus")
        del params["redirect_uri"]
        response = await authorize(web, **params)
        assert_error_redirect(
            response,
            "unsupported_response_type",
            issuer=idp.base_url,
            redirect_uri="https://app.example/cb",
        )


@pytest.mark.parametrize("name", ["client_id", "redirect_uri"])
async def test_repeated_client_id_or_redirect_uri_is_an_error_page(
    web: httpx.AsyncClient, name: str
) -> None:
    """RFC 6749 3.1: no parameter twice; the repeated one decides the target, so a page."""
    params = list(auth_params().items())
    params.append((name, dict(params)[name]))  # even the same value twice
    response = await authorize_pairs(web, params)
    assert_error_page(response, "invalid_request")


async def test_repeated_other_parameter_redirects_invalid_request(
    web: httpx.AsyncClient, idp: IdP
) -> None:
    """RFC 6749 4.1.2.1: "includes a parameter more than once" is redirected to the client."""
    params = [*auth_params().items(), ("scope", "email")]
    response = await authorize_pairs(web, params)
    assert_error_redirect(response, "invalid_request", issuer=idp.base_url, state="xyz")


async def test_repeated_state_is_not_echoed(web: httpx.AsyncClient, idp: IdP) -> None:
    params = [*auth_params().items(), ("state", "other")]
    response = await authorize_pairs(web, params)
    assert_error_redirect(response, "invalid_request", issuer=idp.base_url, state=None)


async def test_repeated_response_mode_falls_back_to_query(web: httpx.AsyncClient, idp: IdP) -> None:
    params = [*auth_params(response_mode="fragment").items(), ("response_mode", "form_post")]
    response = await authorize_pairs(web, params)
    assert_error_redirect(response, "invalid_request", issuer=idp.base_url)


async def test_repeated_parameter_with_an_empty_value_is_not_a_repeat(
    web: httpx.AsyncClient,
) -> None:
    # RFC 6749 3.1: "scope=" is as if scope were absent, so scope appears once.
    params = [*auth_params().items(), ("scope", "")]
    assert "code" in redirect_params(await authorize_pairs(web, params))


async def test_non_utf8_percent_encoding_in_query_is_an_error_page(
    web: httpx.AsyncClient,
) -> None:
    response = await web.get(
        "/authorize?client_id=mockidp-client&response_type=code&state=%FF%FE"
        "&redirect_uri=http%3A%2F%2Flocalhost%3A8080%2Fcallback"
    )
    assert_error_page(response, "invalid_request")


async def test_raw_non_ascii_query_bytes_are_an_error_page() -> None:
    app = create_app()
    status, headers, body = await asgi_request(
        app, "GET", "/authorize", query=b"client_id=mockidp-client&state=\xe9t\xe9"
    )
    assert status == 400
    assert headers["content-type"].startswith("text/html")
    assert "location" not in headers
    assert b'<strong id="error">invalid_request</strong>' in body


async def test_raw_non_ascii_query_bytes_over_http(live: LiveServer) -> None:
    raw = (
        b"GET /authorize?client_id=mockidp-client&state=\xe9 HTTP/1.1\r\n"
        b"Host: 127.0.0.1\r\nConnection: close\r\n\r\n"
    )
    status, answer = await socket_request(live.url, raw)
    assert status == 400
    assert b"\r\nlocation:" not in answer.lower()


async def test_too_many_parameters_is_an_error_page(web: httpx.AsyncClient) -> None:
    params = [*auth_params().items(), *((f"x{i}", "1") for i in range(200))]
    response = await authorize_pairs(web, params)
    assert_error_page(response, "invalid_request")


async def test_post_with_a_json_body_is_an_error_page(web: httpx.AsyncClient) -> None:
    response = await web.post("/authorize", json=auth_params())
    assert_error_page(response, "invalid_request")


async def test_post_with_a_huge_body_is_an_error_page(web: httpx.AsyncClient) -> None:
    data = {**auth_params(), "padding": "x" * (64 * 1024)}
    response = await web.post("/authorize", data=data)
    assert_error_page(response, "invalid_request")


async def test_post_form_works_like_get(web: httpx.AsyncClient) -> None:
    """Control for the two tests above: a small form POST is a valid authorization request."""
    response = await web.post("/authorize", data=auth_params())
    assert "code" in redirect_params(response)


# -- every other error: redirected back with error, error_description, state, iss -------


@pytest.mark.parametrize(
    ("change", "error"),
    [
        ({"response_type": None}, "invalid_request"),
        ({"response_type": "bogus"}, "unsupported_response_type"),
        ({"response_type": "code code"}, "unsupported_response_type"),
        ({"response_type": "code bogus"}, "unsupported_response_type"),
        ({"scope": "openid not-a-scope"}, "invalid_scope"),
        ({"response_mode": "web_message"}, "invalid_request"),
        ({"prompt": "sometimes"}, "invalid_request"),
        ({"prompt": "none login"}, "invalid_request"),
        ({"max_age": "-1"}, "invalid_request"),
        ({"max_age": "soon"}, "invalid_request"),
        ({"max_age": "12345678901"}, "invalid_request"),
        ({"code_challenge": CHALLENGE, "code_challenge_method": "S512"}, "invalid_request"),
        ({"code_challenge": "too-short", "code_challenge_method": "S256"}, "invalid_request"),
        ({"code_challenge": CHALLENGE + "=", "code_challenge_method": "S256"}, "invalid_request"),
        ({"code_challenge_method": "S256"}, "invalid_request"),
        ({"claims": "{not json"}, "invalid_request"),
        ({"claims": "[]"}, "invalid_request"),
        ({"claims": '{"userinfo": ["email"]}'}, "invalid_request"),
        ({"request": "eyJhbGciOiJub25lIn0.e30."}, "request_not_supported"),
        ({"request_uri": "https://app.example/request.jwt"}, "request_uri_not_supported"),
        ({"prompt": "none"}, "login_required"),
    ],
)
async def test_invalid_request_redirects_with_the_error(
    idp: IdP, change: dict[str, str | None], error: str
) -> None:
    params: dict[str, str] = auth_params()
    for name, value in change.items():
        if value is None:
            params.pop(name)
        else:
            params[name] = value
    async with guarded_client(idp) as web:  # a fresh client: no session cookie
        response = await authorize(web, **params)
    assert_error_redirect(response, error, issuer=idp.base_url)


async def test_error_redirect_without_state_has_no_state(web: httpx.AsyncClient, idp: IdP) -> None:
    params = auth_params(response_type="bogus")
    del params["state"]
    assert_error_redirect(
        await authorize(web, **params), "unsupported_response_type", issuer=idp.base_url, state=None
    )


async def test_state_is_echoed_exactly(web: httpx.AsyncClient, idp: IdP) -> None:
    state = "a b&c=d/é?#%20+"
    response = await authorize(web, **auth_params(state=state, response_type="bogus"))
    assert_error_redirect(response, "unsupported_response_type", issuer=idp.base_url, state=state)


async def test_error_goes_to_the_redirect_uri_the_request_named(
    web: httpx.AsyncClient, idp: IdP
) -> None:
    response = await authorize(web, **auth_params(redirect_uri=OTHER_REDIRECT_URI, scope="nope"))
    assert_error_redirect(
        response, "invalid_scope", issuer=idp.base_url, redirect_uri=OTHER_REDIRECT_URI
    )


async def test_error_goes_to_a_loopback_redirect_uri_any_port(
    web: httpx.AsyncClient, idp: IdP
) -> None:
    uri = "http://127.0.0.1:53219/oauth/cb"
    response = await authorize(web, **auth_params(redirect_uri=uri, response_type="bogus"))
    assert_error_redirect(
        response, "unsupported_response_type", issuer=idp.base_url, redirect_uri=uri
    )


async def test_error_keeps_the_redirect_uri_query(idp: IdP) -> None:
    idp.provider.use_scenario(_scenario(redirect_uris=["https://app.example/cb?tenant=7"]))
    async with guarded_client(idp) as web:
        params = auth_params("app", redirect_uri="https://app.example/cb?tenant=7", scope="x")
        response = await authorize(web, **params)
    assert response.status_code == 302
    base, _, query = response.headers["location"].partition("?")
    assert base == "https://app.example/cb"
    got = single_values(query)
    assert got["tenant"] == "7"
    assert got["error"] == "invalid_scope"
    assert got["iss"] == idp.base_url


async def test_error_in_fragment_mode_goes_in_the_fragment(
    web: httpx.AsyncClient, idp: IdP
) -> None:
    response = await authorize(web, **auth_params(response_mode="fragment", scope="nope"))
    assert response.status_code == 302
    base, _, fragment = response.headers["location"].partition("#")
    assert base == REDIRECT_URI
    got = single_values(fragment)
    assert got == {
        "error": "invalid_scope",
        "error_description": got["error_description"],
        "state": "xyz",
        "iss": idp.base_url,
        "session_state": assert_session_state(got),
    }


async def test_error_in_form_post_mode_is_posted(web: httpx.AsyncClient, idp: IdP) -> None:
    response = await authorize(web, **auth_params(response_mode="form_post", scope="nope"))
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/html")
    assert "location" not in response.headers
    action = re.search(r'<form method="post" action="([^"]*)"', response.text)
    assert action is not None
    assert html.unescape(action.group(1)) == REDIRECT_URI
    fields = {
        html.unescape(name): html.unescape(value)
        for name, value in re.findall(r'name="([^"]*)" value="([^"]*)"', response.text)
    }
    assert fields["error"] == "invalid_scope"
    assert fields["state"] == "xyz"
    assert fields["iss"] == idp.base_url
    assert "code" not in fields


async def test_public_client_without_pkce_is_refused(web: httpx.AsyncClient, idp: IdP) -> None:
    response = await authorize(web, **auth_params(PUBLIC_ID))
    assert_error_redirect(response, "invalid_request", issuer=idp.base_url)


async def test_public_client_with_pkce_gets_a_code(web: httpx.AsyncClient) -> None:
    """Control for the test above: the same request with a challenge succeeds."""
    response = await authorize(web, **auth_params(PUBLIC_ID, pkce=True))
    assert "code" in redirect_params(response)


async def test_require_pkce_applies_to_confidential_clients_too(idp: IdP) -> None:
    idp.provider.use_scenario(_scenario(require_pkce=True))
    async with guarded_client(idp) as web:
        params = auth_params("app", redirect_uri="https://app.example/cb")
        response = await authorize(web, **params)
    assert_error_redirect(
        response, "invalid_request", issuer=idp.base_url, redirect_uri="https://app.example/cb"
    )


async def test_client_without_the_code_grant_is_unauthorized(idp: IdP) -> None:
    idp.provider.use_scenario(_scenario(grant_types=["client_credentials"]))
    async with guarded_client(idp) as web:
        params = auth_params("app", redirect_uri="https://app.example/cb")
        response = await authorize(web, **params)
    assert_error_redirect(
        response, "unauthorized_client", issuer=idp.base_url, redirect_uri="https://app.example/cb"
    )


async def test_scope_outside_the_clients_list_is_invalid(idp: IdP) -> None:
    idp.provider.use_scenario(_scenario(scopes=["openid", "profile"]))
    async with guarded_client(idp) as web:
        params = auth_params("app", redirect_uri="https://app.example/cb", scope="openid email")
        response = await authorize(web, **params)
    assert_error_redirect(
        response, "invalid_scope", issuer=idp.base_url, redirect_uri="https://app.example/cb"
    )


async def test_prompt_none_needing_consent_is_consent_required(idp: IdP) -> None:
    scenario = _scenario(redirect_uris=[REDIRECT_URI])
    scenario["consent"] = "page"
    idp.provider.use_scenario(scenario)
    async with guarded_client(idp) as web:
        first = await authorize(web, **auth_params("app"))
        assert first.status_code == 200  # the consent page; the session cookie is now set
        assert 'id="approve"' in first.text
        response = await authorize(web, **auth_params("app", prompt="none"))
    assert_error_redirect(response, "consent_required", issuer=idp.base_url)


# -- the login and consent pages ---------------------------------------------------------


async def test_login_page_cancel_redirects_access_denied(idp: IdP) -> None:
    scenario = _scenario(redirect_uris=[REDIRECT_URI])
    scenario["login"] = "page"
    idp.provider.use_scenario(scenario)
    async with guarded_client(idp) as web:
        page = await authorize(web, **auth_params("app"))
        assert page.status_code == 200
        found = re.search(r'name="interaction" value="([^"]+)"', page.text)
        assert found is not None
        response = await web.post(
            "/interaction/login", data={"interaction": found.group(1), "action": "cancel"}
        )
        assert_error_redirect(response, "access_denied", issuer=idp.base_url)
        # the interaction is spent: signing in through the same page afterwards is a page,
        # not a second authorization response (with a code) for a request already answered
        again = await web.post(
            "/interaction/login", data={"interaction": found.group(1), "login": "alice"}
        )
        assert_error_page(again, "invalid_request")


async def test_consent_denied_redirects_access_denied(idp: IdP) -> None:
    scenario = _scenario(redirect_uris=[REDIRECT_URI])
    scenario["consent"] = "page"
    idp.provider.use_scenario(scenario)
    async with guarded_client(idp) as web:
        page = await authorize(web, **auth_params("app"))
        found = re.search(r'name="interaction" value="([^"]+)"', page.text)
        assert found is not None
        response = await web.post(
            "/interaction/consent", data={"interaction": found.group(1), "decision": "deny"}
        )
        assert_error_redirect(response, "access_denied", issuer=idp.base_url)
        again = await web.post(
            "/interaction/consent", data={"interaction": found.group(1), "decision": "approve"}
        )
        assert_error_page(again, "invalid_request")


@pytest.mark.parametrize("path", ["/interaction/login", "/interaction/consent"])
async def test_unknown_interaction_is_an_error_page(web: httpx.AsyncClient, path: str) -> None:
    for data in ({"interaction": "forged", "login": "alice"}, {"decision": "approve"}):
        assert_error_page(await web.post(path, data=data), "invalid_request")


async def test_expired_interaction_is_an_error_page(idp: IdP) -> None:
    scenario = _scenario(redirect_uris=[REDIRECT_URI])
    scenario["login"] = "page"
    idp.provider.use_scenario(scenario)
    async with guarded_client(idp) as web:
        page = await authorize(web, **auth_params("app"))
        found = re.search(r'name="interaction" value="([^"]+)"', page.text)
        assert found is not None
        idp.provider.clock.advance(idp.provider.scenario.lifetimes.interaction + 1)
        response = await web.post(
            "/interaction/login", data={"interaction": found.group(1), "login": "alice"}
        )
    assert_error_page(response, "invalid_request")


async def test_no_error_response_ever_carries_a_code(web: httpx.AsyncClient) -> None:
    """A sweep of broken requests: each is a page or an error redirect, never a code."""
    broken: list[dict[str, Any]] = [
        {"response_type": "bogus"},
        {"scope": "nope"},
        {"client_id": "nope"},
        {"redirect_uri": "https://evil.example/"},
        {"code_challenge_method": "plain"},
        {"prompt": "none login"},
    ]
    for change in broken:
        response = await authorize(web, **auth_params(**change))
        location = response.headers.get("location", "")
        assert "code=" not in location
        if response.status_code == 302:
            assert location.startswith(REDIRECT_URI + "?")
            assert "error" in single_values(location.partition("?")[2])
        else:
            assert response.status_code == 400
            assert response.headers["content-type"].startswith("text/html")
