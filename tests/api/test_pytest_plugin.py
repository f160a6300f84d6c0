"""The pytest plugin, run as users run it: through pytester, in a fresh test session.

A sample relying party (a small Starlette app signing users in with Authlib) is tested
with the ``mockidp`` fixture in-process and with ``mockidp_server`` over HTTP, also
under pytest-xdist.
"""

from __future__ import annotations

import pytest

from mockidp.requestlog import RequestLog, RequestRecord, fingerprint, mask_authorization

SAMPLE_APP = '''
"""A relying party: /login sends the browser to the IdP, /callback redeems the code."""
import warnings

import httpx
from starlette.applications import Starlette
from starlette.responses import JSONResponse, RedirectResponse
from starlette.routing import Route

with warnings.catch_warnings():
    warnings.simplefilter("ignore")
    from authlib.integrations.httpx_client import AsyncOAuth2Client
from authlib.common.security import generate_token

APP_URL = "http://127.0.0.1:8080"


def make_app(issuer, *, transport=None, client_id="mockidp-client", secret="mockidp-secret"):
    pending = {}

    def oauth():
        return AsyncOAuth2Client(
            client_id,
            secret,
            scope="openid profile email offline_access",
            redirect_uri=APP_URL + "/callback",
            code_challenge_method="S256",
            transport=transport,
        )

    async def metadata(client):
        url = issuer + "/.well-known/openid-configuration"
        response = await client.request("GET", url, withhold_token=True)
        response.raise_for_status()
        return response.json()

    async def login(request):
        async with oauth() as client:
            meta = await metadata(client)
            verifier = generate_token(48)
            url, state = client.create_authorization_url(
                meta["authorization_endpoint"], code_verifier=verifier, nonce=generate_token(16)
            )
        pending[state] = verifier
        return RedirectResponse(url, status_code=302)

    async def callback(request):
        state = request.query_params["state"]
        async with oauth() as client:
            meta = await metadata(client)
            token = await client.fetch_token(
                meta["token_endpoint"],
                authorization_response=str(request.url),
                state=state,
                code_verifier=pending.pop(state),
            )
            info = (await client.get(meta["userinfo_endpoint"])).json()
        return JSONResponse({"sub": info["sub"], "name": info.get("name"), "token": token})

    return Starlette(routes=[Route("/login", login), Route("/callback", callback)])


async def sign_in(app, browser):
    """/login, the IdP (through ``browser``, an httpx client), then /callback."""
    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app=app), base_url=APP_URL
    ) as rp:
        start = await rp.get("/login")
        assert start.status_code == 302, start.text
        at_idp = await browser.get(start.headers["location"])
        assert at_idp.status_code == 302, at_idp.text
        back = at_idp.headers["location"]
        assert back.startswith(APP_URL + "/callback?"), back
        done = await rp.get(back)
        assert done.status_code == 200, done.text
        return done.json()
'''

CONFTEST = """
import pytest

@pytest.fixture
def anyio_backend():
    return "asyncio"
"""

SAMPLE_TESTS = """
import pytest

from sample_app import make_app, sign_in

pytestmark = pytest.mark.anyio


async def test_in_process_sign_in(mockidp):
    app = make_app(mockidp.issuer, transport=mockidp.httpx2_transport)
    result = await sign_in(app, mockidp.async_client)
    assert result["sub"] == "alice"
    mockidp.requests.assert_called(
        "token", grant_type="authorization_code", client_auth="client_secret_basic", times=1
    )
    mockidp.requests.assert_called("userinfo", status=200, times=1)


@pytest.mark.mockidp(users=[{"sub": "carol", "claims": {"name": "Carol"}}], default_user="carol")
async def test_marker_users(mockidp):
    result = await sign_in(make_app(mockidp.issuer, transport=mockidp.httpx2_transport), mockidp.async_client)
    assert (result["sub"], result["name"]) == ("carol", "Carol")


async def test_live_server_sign_in(mockidp_server):
    assert mockidp_server.url.startswith("http://127.0.0.1:")
    assert len(mockidp_server.requests) == 0  # reset before each test
    app = make_app(mockidp_server.issuer)  # no transport: real HTTP
    result = await sign_in(app, mockidp_server.async_client)
    assert result["sub"] == "alice"
    mockidp_server.requests.assert_called("token", grant_type="authorization_code", times=1)


async def test_token_endpoint_fault_reaches_the_app(mockidp):
    mockidp.fail_next("token", "temporarily_unavailable")
    app = make_app(mockidp.issuer, transport=mockidp.httpx2_transport)
    with pytest.raises(Exception, match="503"):
        await sign_in(app, mockidp.async_client)
    mockidp.requests.assert_called("token", status=503, fault="fail_next token", times=1)
"""


def _sample(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(sample_app=SAMPLE_APP, conftest=CONFTEST, test_sample=SAMPLE_TESTS)


def test_sample_app_in_process_and_live(pytester: pytest.Pytester) -> None:
    _sample(pytester)
    result = pytester.runpytest_subprocess("-q", "-p", "anyio")
    result.assert_outcomes(passed=4)


def test_sample_app_under_xdist(pytester: pytest.Pytester) -> None:
    _sample(pytester)
    pytester.makepyfile(
        test_isolation="""
        import os
        import pytest

        @pytest.mark.parametrize("n", range(6))
        def test_each_worker_has_its_own_server(mockidp_server, n):
            assert len(mockidp_server.requests) == 0
            mockidp_server.client.get("/.well-known/jwks.json")
            mockidp_server.advance(3600 * (n + 1))
            assert os.environ["PYTEST_XDIST_WORKER"].startswith("gw")
            mockidp_server.requests.assert_called("jwks", times=1)
        """
    )
    result = pytester.runpytest_subprocess("-q", "-p", "xdist", "-n", "2", "-p", "anyio")
    result.assert_outcomes(passed=10)


def test_fixtures_are_documented(pytester: pytest.Pytester) -> None:
    result = pytester.runpytest_subprocess("--fixtures")
    text = result.stdout.str()
    for name in (
        "mockidp ",
        "mockidp_server ",
        "mockidp_settings ",
        "mockidp_scenario ",
        "mockidp_log_size ",
        "mockidp_factory ",
        "mockidp_session_server ",
    ):
        start = text.index(name + "[") if name + "[" in text else text.index(name)
        assert "no docstring available" not in text[start : start + 300], name
    assert "An in-process mock OpenID provider for this test" in text
    assert "respond_next, drop_next" in text  # the whole docstring, not its first paragraph


def test_marker_is_registered(pytester: pytest.Pytester) -> None:
    result = pytester.runpytest_subprocess("--markers")
    result.stdout.fnmatch_lines(["@pytest.mark.mockidp(scenario=None, preset=None, users=None*"])


def test_marker_arguments_are_checked(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(
        """
        import pytest

        @pytest.mark.mockidp(sesions=False)
        def test_misspelt(mockidp):
            pass

        @pytest.mark.mockidp("scenarios/mine.yaml")
        def test_positional(mockidp):
            pass

        @pytest.mark.mockidp(login="sometimes")
        def test_bad_value(mockidp):
            pass

        @pytest.mark.mockidp(preset="no-such-provider")
        def test_unknown_preset(mockidp):
            pass

        @pytest.mark.mockidp(login="page")
        def test_without_fixture():
            pass
        """
    )
    result = pytester.runpytest_subprocess("-q", "--strict-markers")
    result.assert_outcomes(errors=5)
    result.stdout.fnmatch_lines(
        [
            "*has no argument 'sesions'; did you mean 'sessions'?*",
            "*takes keyword arguments only*",
            "*login*sometimes*",
            "*preset*",
            "*the test uses neither*",
        ],
        consecutive=False,
    )


def test_scenario_fixture_overridable_and_marker_wins(pytester: pytest.Pytester) -> None:
    pytester.makeconftest(
        """
        import pytest

        @pytest.fixture(scope="session")
        def mockidp_log_size():
            return 2

        @pytest.fixture
        def mockidp_scenario():
            return {"clients": [{"client_id": "app", "client_secret": "s",
                                 "grant_types": ["client_credentials"]}],
                    "users": [{"sub": "dora"}]}
        """
    )
    pytester.makepyfile(
        """
        import pytest

        def test_from_the_fixture(mockidp):
            assert [c.client_id for c in mockidp.provider.scenario.clients] == ["app"]
            response = mockidp.client.post(
                "/token", data={"grant_type": "client_credentials"}, auth=("app", "s"))
            assert response.status_code == 200
            for _ in range(2):
                mockidp.client.get("/.well-known/jwks.json")
            assert len(mockidp.requests) == 2 and mockidp.requests.dropped == 1

        @pytest.mark.mockidp(scenario=None)
        def test_marker_wins(mockidp):
            assert mockidp.provider.scenario.client("mockidp-client") is not None

        @pytest.mark.mockidp(users=["erin"])
        def test_marker_changes_the_fixture_scenario(mockidp):
            assert {u.sub for u in mockidp.provider.scenario.users} == {"dora", "erin"}
        """
    )
    pytester.runpytest_subprocess("-q").assert_outcomes(passed=3)


def test_helpers_and_fresh_state(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(
        """
        import httpx
        import pytest

        AUTH = ("mockidp-client", "mockidp-secret")

        def introspect(idp, token):
            return idp.client.post("/introspect", data={"token": token}, auth=AUTH).json()

        @pytest.mark.parametrize("name", ["mockidp", "mockidp_server"])
        def test_issue_tokens_and_advance(request, name):
            idp = request.getfixturevalue(name)
            tokens = idp.issue_tokens(user="bob", scope="openid email")
            assert introspect(idp, tokens["access_token"])["sub"] == "bob"
            idp.advance(3601)
            assert introspect(idp, tokens["access_token"]) == {"active": False}

        @pytest.mark.parametrize("name", ["mockidp", "mockidp_server"])
        def test_state_is_fresh(request, name):
            idp = request.getfixturevalue(name)
            assert len(idp.requests) == 0 and not idp.provider.scenario.faults
            assert abs(idp.provider.clock.now() - __import__("time").time()) < 60
            idp.fail_next("token")

        @pytest.mark.mockidp(login="page", consent="page")
        @pytest.mark.parametrize("name", ["mockidp", "mockidp_server"])
        def test_login_answers_the_pages(request, name):
            idp = request.getfixturevalue(name)
            tokens = idp.login("bob")
            userinfo = idp.client.get(
                "/userinfo", headers={"Authorization": "Bearer " + tokens["access_token"]})
            assert userinfo.json()["sub"] == "bob"
            idp.requests.assert_called("login", times=1)
            idp.requests.assert_called("consent", times=1)

        def test_faults(mockidp):
            mockidp.respond_next("jwks", 502, body="bad gateway", times=2)
            assert mockidp.client.get("/.well-known/jwks.json").status_code == 502
            assert mockidp.client.get("/.well-known/jwks.json").status_code == 502
            assert mockidp.client.get("/.well-known/jwks.json").status_code == 200
            mockidp.drop_next("token", grant_type="client_credentials")
            with pytest.raises(httpx.RemoteProtocolError):
                mockidp.client.post("/token", data={"grant_type": "client_credentials"}, auth=AUTH)
            mockidp.corrupt_next("discovery")
            assert mockidp.client.get("/.well-known/openid-configuration").content.startswith(
                b'{"mockidp": "malformed_body')
            with pytest.raises(ValueError, match="no client 'nobody'"):
                mockidp.fail_next("token", client_id="nobody")

        @pytest.mark.mockidp(clock={"at": 2000000000, "frozen": True})
        def test_a_fault_keeps_the_clock(mockidp):
            mockidp.advance(60)
            mockidp.fail_next("userinfo")
            assert mockidp.provider.clock.now() == 2000000060

        def test_use_scenario_and_factory(mockidp, mockidp_factory):
            mockidp.use_scenario(None, refresh_tokens="never")
            assert "refresh_token" not in mockidp.issue_tokens()
            other = mockidp_factory({"users": [{"sub": "zed"}]})
            try:
                assert [u.sub for u in other.provider.scenario.users] == ["zed"]
            finally:
                other.close()

        def test_requests_library_against_the_server(mockidp_server):
            import requests

            found = requests.get(mockidp_server.url + "/.well-known/openid-configuration")
            assert found.json()["issuer"] == mockidp_server.issuer == mockidp_server.url

        @pytest.mark.anyio
        async def test_async_client_in_an_async_test(mockidp):
            response = await mockidp.async_client.get("/.well-known/openid-configuration")
            assert response.json()["issuer"] == mockidp.issuer == "http://mockidp.test"

        @pytest.fixture
        def anyio_backend():
            return "asyncio"
        """
    )
    pytester.runpytest_subprocess("-q", "-p", "anyio").assert_outcomes(passed=11)


def test_assert_called_failure_shows_near_misses(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(
        """
        def test_refresh_was_not_called(mockidp):
            mockidp.client.post("/token", data={"grant_type": "client_credentials"},
                                auth=("mockidp-client", "mockidp-secret"))
            mockidp.requests.assert_called("token", grant_type="refresh_token", times=1)
        """
    )
    result = pytester.runpytest_subprocess("-q")
    result.assert_outcomes(failed=1)
    result.stdout.fnmatch_lines(
        [
            "*expected token grant_type='refresh_token' to be called 1 time; it was called 0 times",
            "*near misses (closest first):",
            "*token POST 200 client_auth=client_secret_basic grant_type='client_credentials'",
            "*differs: grant_type='client_credentials'",
        ]
    )


def _record(endpoint: str = "token", **params: str) -> RequestRecord:
    return RequestRecord("POST", "/" + endpoint, endpoint, 200, 1.0, params=params)


def test_request_log_masks_secrets() -> None:
    log = RequestLog()
    app_log = log.record
    from mockidp import create_app
    from tests.conftest import run

    app = create_app(on_request=app_log)

    async def calls() -> None:
        import httpx

        async with httpx.AsyncClient(
            transport=httpx.ASGITransport(app=app), base_url="http://idp.test"
        ) as http:
            await http.post(
                "/token",
                data={"grant_type": "password", "username": "bob", "password": "bob"},
                auth=("mockidp-client", "mockidp-secret"),
            )
            await http.post(
                "/token",
                data={
                    "grant_type": "client_credentials",
                    "client_id": "mockidp-client",
                    "client_secret": "mockidp-secret",
                    "client_assertion": "x.y.z",
                },
            )

    run(calls())
    first, second = log.records
    assert first.params["password"] == fingerprint("bob") != "bob"
    basic = "Basic bW9ja2lkcC1jbGllbnQ6bW9ja2lkcC1zZWNyZXQ="  # mockidp-client:mockidp-secret
    assert first.authorization == mask_authorization(basic)
    assert first.authorization is not None and first.authorization.startswith("Basic ***")
    assert first.client_auth == "client_secret_basic"
    assert second.params["client_secret"].startswith("***")
    assert second.params["client_assertion"].startswith("***")
    assert "mockidp-secret" not in repr(log.records)
    log.assert_called("token", password="bob", username="bob", times=1)
    log.assert_called("token", authorization=basic, times=1)


def test_request_log_is_bounded_and_says_so() -> None:
    log = RequestLog(maxlen=2)
    for n in range(3):
        log.record(_record(grant_type="refresh_token", n=str(n)))
    assert [r.params["n"] for r in log] == ["1", "2"] and log.dropped == 1
    with pytest.raises(AssertionError, match="1 older requests fell out of the log; maxlen=2"):
        log.assert_called("token", n="0")
    log.assert_not_called("userinfo")
    with pytest.raises(ValueError, match="maxlen"):
        RequestLog(maxlen=0)


def test_async_client_under_pytest_asyncio(pytester: pytest.Pytester) -> None:
    """``mockidp.async_client`` and ``mockidp_server.async_client`` in pytest-asyncio tests
    (strict mode: only tests marked asyncio run on its loop), next to an anyio test."""
    _sample(pytester)
    pytester.makepyfile(
        test_asyncio_style="""
        import pytest
        from sample_app import make_app, sign_in

        @pytest.mark.asyncio
        async def test_in_process(mockidp):
            app = make_app(mockidp.issuer, transport=mockidp.httpx2_transport)
            result = await sign_in(app, mockidp.async_client)
            assert result["sub"] == "alice"
            assert [r.endpoint for r in mockidp.requests.records].count("token") == 1

        @pytest.mark.asyncio
        async def test_live(mockidp_server):
            result = await sign_in(make_app(mockidp_server.issuer), mockidp_server.async_client)
            assert result["sub"] == "alice"

        @pytest.mark.anyio
        async def test_anyio_still(mockidp):
            response = await mockidp.async_client.get("/.well-known/openid-configuration")
            assert response.json()["issuer"] == mockidp.issuer
        """
    )
    result = pytester.runpytest_subprocess(
        "-q", "-p", "anyio", "-W", "error", "test_asyncio_style.py"
    )
    result.assert_outcomes(passed=3)


FAILING_SIGN_IN = """
import pytest


def test_sign_in_fails(mockidp):
    mockidp.fail_next("token", "invalid_grant")
    code = mockidp.authorize("alice")
    answer = mockidp.client.post(
        "/token",
        data={
            "grant_type": "authorization_code",
            "code": code.code,
            "redirect_uri": code.redirect_uri,
            "code_verifier": code.code_verifier,
        },
        auth=("mockidp-client", "mockidp-secret"),
    )
    assert answer.status_code == 200, "the app could not redeem its code"


def test_passes(mockidp):
    mockidp.client.get("/.well-known/openid-configuration")


def test_fails_without_mockidp():
    assert False
"""


def test_a_failed_test_s_report_shows_the_idp_s_requests(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(test_story=FAILING_SIGN_IN)
    result = pytester.runpytest_subprocess("-q", "-p", "no:cacheprovider")
    result.assert_outcomes(passed=1, failed=2)
    result.stdout.fnmatch_lines(
        [
            "*- mockidp: requests to the IdP -*",
            "  1. GET /authorize client_id=mockidp-client response_type=code scope=openid* -> 302 code",
            "  2. POST /token client_id=mockidp-client grant_type=authorization_code -> 400 "
            "invalid_grant* [[]fault fail_next token]",
        ]
    )
    out = result.stdout.str()
    assert out.count("mockidp: requests to the IdP") == 1  # not for the test without mockidp
    assert "code_verifier" not in out.split("requests to the IdP")[1]  # no secret, not even masked


@pytest.mark.parametrize(
    ("ini", "flag", "shown"),
    [("false", None, False), ("false", "on", True), ("true", "off", False), (None, None, True)],
)
def test_the_report_section_is_switched_by_ini_and_flag(
    pytester: pytest.Pytester, ini: str | None, flag: str | None, shown: bool
) -> None:
    pytester.makepyfile(test_story=FAILING_SIGN_IN)
    if ini is not None:
        pytester.makeini(f"[pytest]\nmockidp_report = {ini}\n")
    args = ["-q", "-p", "no:cacheprovider", "-k", "sign_in_fails"]
    result = pytester.runpytest_subprocess(*args, *([f"--mockidp-report={flag}"] if flag else []))
    result.assert_outcomes(failed=1, deselected=2)
    assert ("requests to the IdP" in result.stdout.str()) is shown


def test_a_marker_typo_is_reported_once_without_schema(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(
        """
        import pytest

        @pytest.mark.mockidp(sesions=False)
        def test_misspelt(mockidp):
            pass
        """
    )
    result = pytester.runpytest_subprocess("-q")
    result.assert_outcomes(errors=1)
    out = result.stdout.str()
    # once in the error's report; the short summary repeats it whole under CI (pytest
    # truncates summary lines to the terminal's width only outside CI)
    report = out.split("short test summary info")[0]
    assert report.count("has no argument 'sesions'") == 1, out
    assert "During handling" not in out
    assert "$schema" not in out


def test_the_report_names_a_broken_token(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(
        """
        import pytest

        @pytest.mark.mockidp(broken_tokens=[{"token": "id_token", "defect": "wrong_audience"}])
        def test_app_refuses_the_id_token(mockidp):
            mockidp.login("alice")
            assert False, "the app refused the ID token"
        """
    )
    result = pytester.runpytest_subprocess("-q", "-p", "no:cacheprovider")
    result.assert_outcomes(failed=1)
    result.stdout.fnmatch_lines(
        ["  2. POST /token * -> 200 access_token * [[]broken id_token: wrong audience]"]
    )
