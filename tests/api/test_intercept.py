"""MockIdP.intercept: every HTTP library of the process reaches the provider in-process,
at its own origins, its vendor's real hosts and extra ones; other hosts are untouched."""

from __future__ import annotations

import json
import urllib.error
import urllib.request
from collections.abc import Iterator

import httpx
import httpx2
import jwt
import pytest
import requests

from mockidp.testing import MockIdP
from mockidp.testing.routes import route_for

EXTRA = "https://api.example.com"
DISCOVERY = "/.well-known/openid-configuration"
NOWHERE = "http://127.0.0.1:9/"  # the discard port: nothing listens, so a real call fails


@pytest.fixture
def idp() -> Iterator[MockIdP]:
    provider = MockIdP.in_process()
    yield provider
    provider.close()


def _issuer_via_urllib(url: str) -> str:
    with urllib.request.urlopen(url) as response:
        return str(json.load(response)["issuer"])


SYNC_CALLS = {
    "httpx": lambda url: httpx.get(url).json()["issuer"],
    "httpx2": lambda url: httpx2.get(url).json()["issuer"],
    "requests": lambda url: requests.get(url).json()["issuer"],
    "urllib": _issuer_via_urllib,
}


@pytest.mark.parametrize("library", sorted(SYNC_CALLS))
def test_sync_libraries_reach_the_provider_without_a_socket(idp: MockIdP, library: str) -> None:
    with idp.intercept(EXTRA):
        assert SYNC_CALLS[library](EXTRA + DISCOVERY) == EXTRA  # https: no certificate asked
        assert SYNC_CALLS[library](idp.url + DISCOVERY) == idp.url
    idp.requests.assert_called("discovery", times=2)


@pytest.mark.anyio
async def test_async_libraries_reach_the_provider(idp: MockIdP) -> None:
    import aiohttp

    with idp.intercept(EXTRA):
        async with httpx.AsyncClient() as client:
            assert (await client.get(EXTRA + DISCOVERY)).json()["issuer"] == EXTRA
        async with httpx2.AsyncClient() as client2:
            assert (await client2.get(EXTRA + DISCOVERY)).json()["issuer"] == EXTRA
        async with aiohttp.ClientSession() as session, session.get(EXTRA + DISCOVERY) as response:
            assert response.status == 200
            assert (await response.json())["issuer"] == EXTRA
    idp.requests.assert_called("discovery", times=3)


@pytest.mark.parametrize("anyio_backend", ["asyncio"])
@pytest.mark.anyio
async def test_aiohttp_posts_follow_redirects_and_keep_cookies(idp: MockIdP) -> None:
    import aiohttp

    idp.respond_next("token", 302, headers={"Location": "/nope", "Set-Cookie": "seen=1; Path=/"})
    with idp.intercept():
        async with aiohttp.ClientSession() as session:
            async with session.post(idp.url + "/token", data={"grant_type": "x"}) as response:
                assert response.status == 404
                assert [str(r.url) for r in response.history] == [idp.url + "/token"]
            from yarl import URL

            assert session.cookie_jar.filter_cookies(URL(idp.url))["seen"].value == "1"
    idp.requests.assert_called("token", grant_type="x")
    idp.requests.assert_called(path="/nope")


def test_requests_sessions_keep_cookies_and_follow_redirects(idp: MockIdP) -> None:
    idp.respond_next("token", 302, headers={"Location": "/nope", "Set-Cookie": "seen=1; Path=/"})
    with idp.intercept(), requests.Session() as session:
        response = session.post(idp.url + "/token", data={"grant_type": "x"})
        assert response.status_code == 404
        assert response.history[0].status_code == 302
        assert session.cookies.get("seen") == "1"
    idp.requests.assert_called("token", grant_type="x")


def test_urllib_raises_http_errors_as_over_a_socket(idp: MockIdP) -> None:
    with idp.intercept(), pytest.raises(urllib.error.HTTPError) as raised:
        urllib.request.urlopen(idp.url + "/nope")
    assert raised.value.code == 404


def test_pyjwt_jwks_client_builds_its_own_opener_and_still_gets_the_keys(idp: MockIdP) -> None:
    token = idp.issue_tokens()["id_token"]
    with idp.intercept():
        key = jwt.PyJWKClient(idp.url + "/.well-known/jwks.json").get_signing_key_from_jwt(token)
    claims = jwt.decode(token, key, algorithms=["RS256"], options={"verify_aud": False})
    assert claims["iss"] == idp.issuer


def test_a_preset_answers_at_its_vendors_real_hosts() -> None:
    idp = MockIdP.in_process({"preset": "superoffice"})
    try:
        assert "https://sod.superoffice.com" in idp.origins()
        with idp.intercept():
            meta = httpx.get("https://sod.superoffice.com/login" + DISCOVERY).json()
        assert meta["issuer"] == "https://sod.superoffice.com"
    finally:
        idp.close()


def test_a_star_matches_a_tenant_host(idp: MockIdP) -> None:
    with idp.intercept("https://*.hub.example.com"):
        assert route_for("https://acme.hub.example.com/x") is not None
        assert route_for("https://hub.example.com/x") is None
        assert route_for("http://acme.hub.example.com/x") is None  # another scheme
        assert route_for("https://acme.hub.example.com:8443/x") is None  # another port


def test_faults_and_the_log_see_intercepted_calls(idp: MockIdP) -> None:
    idp.fail_next("token", "temporarily_unavailable")
    with idp.intercept():
        response = requests.post(idp.url + "/token", data={"grant_type": "client_credentials"})
    assert response.status_code == 503
    idp.requests.assert_called("token", fault="fail_next token")


@pytest.mark.parametrize("library", sorted(SYNC_CALLS))
def test_other_hosts_and_time_outside_are_untouched(idp: MockIdP, library: str) -> None:
    originals = (httpx.HTTPTransport.handle_request, requests.adapters.HTTPAdapter.send)
    with idp.intercept(), pytest.raises(Exception) as inside:
        SYNC_CALLS[library](NOWHERE)  # goes to the real transport: refused
    with pytest.raises(Exception) as outside:
        SYNC_CALLS[library](idp.url + DISCOVERY)  # no interception: a real DNS lookup fails
    assert "connect" in repr(inside.value).lower() or "refused" in repr(inside.value).lower()
    assert type(outside.value) is not AssertionError
    assert (httpx.HTTPTransport.handle_request, requests.adapters.HTTPAdapter.send) == originals
    assert len(idp.requests) == 0


def test_nested_interceptions_end_in_order(idp: MockIdP) -> None:
    other = MockIdP.in_process()
    try:
        with idp.intercept(), other.intercept():
            httpx.get(idp.url + DISCOVERY)  # the newest interception of the origin answers
        assert route_for(idp.url) is None
    finally:
        other.close()
    assert len(idp.requests) == 0
    assert len(other.requests) == 1


def test_it_decorates_sync_and_async_functions(idp: MockIdP) -> None:
    @idp.intercept()
    def fetch() -> int:
        return httpx.get(idp.url + DISCOVERY).status_code

    @idp.intercept()
    async def fetch_async() -> int:
        async with httpx.AsyncClient() as client:
            return (await client.get(idp.url + DISCOVERY)).status_code

    import asyncio

    assert fetch() == 200
    assert asyncio.run(fetch_async()) == 200
    assert route_for(idp.url) is None


@pytest.mark.parametrize("origin", ["api.example.com", "ftp://x.example", "https://"])
def test_a_bad_origin_is_refused_with_its_reason(idp: MockIdP, origin: str) -> None:
    with pytest.raises(ValueError, match=r"intercept: .* origin"):
        idp.intercept(origin)


def test_the_marker_intercepts_for_one_test(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(
        """
        import httpx, pytest, requests

        @pytest.mark.mockidp(intercept=True)
        def test_default_origins(mockidp):
            assert requests.get(mockidp.url + "/.well-known/jwks.json").status_code == 200

        @pytest.mark.mockidp(intercept=["https://login.example.com"])
        def test_extra_origin(mockidp):
            assert httpx.get("https://login.example.com/.well-known/jwks.json").status_code == 200
            mockidp.requests.assert_called("jwks")

        @pytest.mark.mockidp(intercept=["https://login.example.com"])
        def test_live_server_too(mockidp_server):
            assert httpx.get("https://login.example.com/.well-known/jwks.json").status_code == 200
            mockidp_server.requests.assert_called("jwks")

        def test_none_without_the_marker(mockidp):
            with pytest.raises(httpx.ConnectError):
                httpx.get("http://127.0.0.1:9/jwks")

        @pytest.mark.mockidp(intercept="https://x.example")
        def test_bad_value(mockidp):
            pass

        @pytest.mark.mockidp(intercept=["x.example"])
        def test_bad_origin(mockidp):
            pass
        """
    )
    result = pytester.runpytest_subprocess("-q")
    result.assert_outcomes(passed=4, errors=2)
    result.stdout.fnmatch_lines(
        [
            "*intercept=...) takes True or a list of origins*not 'https://x.example'*",
            "*intercept: 'x.example' is not an origin*",
        ]
    )
