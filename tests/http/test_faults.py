"""Scripted faults: the relying party sees exactly what the scenario scripts, and only
on the calls it selects.

Most tests run over both transports (``idp``: in-process httpx.ASGITransport and a live
uvicorn server). Timing is checked loosely: a latency is at least (nearly) what was
scripted, never at most.
"""

from __future__ import annotations

import copy
import json
import time
from collections.abc import Iterator
from importlib import resources
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, parse_qsl, urlsplit

import httpx
import pytest
import requests
import yaml

from mockidp import Provider, RequestRecord, create_app
from mockidp.cli import main
from mockidp.errors import ScenarioError
from mockidp.http.scripted import OTHER_STATE_PREFIX, other_state
from mockidp.model.scenario import CallSelector
from mockidp.oauth.scripted.calls import Call
from mockidp.oauth.scripted.faults import MALFORMED_BODY, pick
from mockidp.oauth.scripted.rules import counted, selected
from mockidp.store import MemoryStore
from tests.conftest import IdP, LiveServer, run

pytestmark = pytest.mark.anyio

DEFAULT: dict[str, Any] = yaml.safe_load(
    resources.files("mockidp").joinpath("scenarios").joinpath("default.yaml").read_text("utf-8")
)
EXAMPLES = Path(__file__).resolve().parents[2] / "scenarios"
CONFIDENTIAL = ("mockidp-client", "mockidp-secret")
PUBLIC = "mockidp-public"
REDIRECT_URI = "http://localhost:8080/callback"
TOKEN, JWKS, DISCOVERY = "/token", "/.well-known/jwks.json", "/.well-known/openid-configuration"
UNAVAILABLE = {"http_status": {"status": 503}}


def scenario(*faults: dict[str, Any]) -> dict[str, Any]:
    """The default scenario (its clients and users) with these faults."""
    data = copy.deepcopy(DEFAULT)
    data["faults"] = list(faults)
    return data


def fault(respond: dict[str, Any], name: str = "scripted", **rule: Any) -> dict[str, Any]:
    return {"name": name, "respond": respond, **rule}


async def client_credentials(http: httpx.AsyncClient) -> httpx.Response:
    return await http.post(TOKEN, data={"grant_type": "client_credentials"}, auth=CONFIDENTIAL)


async def password(http: httpx.AsyncClient, user: str, **extra: str) -> httpx.Response:
    form = {"grant_type": "password", "username": user, "password": user, **extra}
    return await http.post(TOKEN, data=form, auth=CONFIDENTIAL)


async def authorize(http: httpx.AsyncClient, **params: str) -> httpx.Response:
    query = {
        "client_id": CONFIDENTIAL[0],
        "redirect_uri": REDIRECT_URI,
        "response_type": "code",
        "scope": "openid",
        "state": "xyz",
        **params,
    }
    return await http.get("/authorize", params=query)


def redirect_params(response: httpx.Response) -> dict[str, str]:
    assert response.status_code == 302, response.text
    location = response.headers["location"]
    assert location.startswith(REDIRECT_URI + "?")
    return {k: v[0] for k, v in parse_qs(urlsplit(location).query).items()}


async def code_for(http: httpx.AsyncClient, user: str, scope: str = "openid") -> str:
    return redirect_params(await authorize(http, login_hint=user, scope=scope))["code"]


async def redeem(http: httpx.AsyncClient, code: str) -> httpx.Response:
    form = {"grant_type": "authorization_code", "code": code, "redirect_uri": REDIRECT_URI}
    return await http.post(TOKEN, data=form, auth=CONFIDENTIAL)


async def refresh(http: httpx.AsyncClient, token: str) -> httpx.Response:
    form = {"grant_type": "refresh_token", "refresh_token": token}
    return await http.post(TOKEN, data=form, auth=CONFIDENTIAL)


@pytest.fixture
def records(idp: IdP) -> Iterator[list[RequestRecord]]:
    """What the app logs for each request during the test."""
    found: list[RequestRecord] = []
    saved = idp.app.on_request
    idp.app.on_request = found.append
    yield found
    idp.app.on_request = saved


# -- oauth_error -------------------------------------------------------------------------


async def test_oauth_error_answers_the_scripted_error(idp: IdP, http: httpx.AsyncClient) -> None:
    error = {"error": "temporarily_unavailable", "description": "try later", "status": 503}
    idp.provider.use_scenario(scenario(fault({"oauth_error": error}, match={"endpoint": "token"})))
    response = await client_credentials(http)
    assert response.status_code == 503
    assert response.json() == {"error": "temporarily_unavailable", "error_description": "try later"}
    assert response.headers["content-type"] == "application/json"
    assert response.headers["cache-control"] == "no-store"
    assert response.headers["access-control-allow-origin"] == "*"
    assert "www-authenticate" not in response.headers


@pytest.mark.parametrize(
    ("error", "status", "expected", "challenge"),
    [
        ("invalid_grant", None, 400, None),
        ("invalid_request", 429, 429, None),
        ("temporarily_unavailable", None, 503, None),
        ("server_error", None, 500, None),
        ("invalid_client", None, 401, 'Basic realm="mockidp"'),
        ("invalid_client", 400, 400, None),
    ],
)
async def test_oauth_error_status_and_challenge_are_those_of_real_errors(
    idp: IdP,
    http: httpx.AsyncClient,
    error: str,
    status: int | None,
    expected: int,
    challenge: str | None,
) -> None:
    spec: dict[str, Any] = {"error": error}
    if status is not None:
        spec["status"] = status
    idp.provider.use_scenario(scenario(fault({"oauth_error": spec})))
    response = await client_credentials(http)
    assert response.status_code == expected
    assert response.json() == {"error": error}
    assert response.headers.get("www-authenticate") == challenge


async def test_oauth_error_at_userinfo_carries_a_bearer_challenge(
    idp: IdP, http: httpx.AsyncClient
) -> None:
    spec = {"error": "invalid_token", "description": "scripted"}
    rule = fault({"oauth_error": spec}, match={"endpoint": "userinfo"})
    idp.provider.use_scenario(scenario(rule))
    access_token = (await password(http, "alice", scope="openid")).json()["access_token"]
    response = await http.get("/userinfo", headers={"Authorization": f"Bearer {access_token}"})
    assert response.status_code == 401
    assert response.json() == {"error": "invalid_token", "error_description": "scripted"}
    assert response.headers["www-authenticate"] == (
        'Bearer realm="mockidp", error="invalid_token", error_description="scripted"'
    )


async def test_oauth_error_at_the_authorization_endpoint_goes_back_to_the_client(
    idp: IdP, http: httpx.AsyncClient
) -> None:
    spec = {"error": "temporarily_unavailable", "description": "busy"}
    idp.provider.use_scenario(scenario(fault({"oauth_error": spec})))
    params = redirect_params(await authorize(http))
    assert params == {
        "error": "temporarily_unavailable",
        "error_description": "busy",
        "state": "xyz",
        "iss": str(http.base_url).rstrip("/"),
    }
    # An untrustworthy redirect URI is never followed, scripted error or not (RFC 6749 4.1.2.1).
    page = await authorize(http, redirect_uri="https://evil.example/cb")
    assert page.status_code == 400
    assert "location" not in page.headers


async def test_oauth_error_does_not_run_the_endpoint(idp: IdP, http: httpx.AsyncClient) -> None:
    code = await code_for(http, "alice")
    rule = fault({"oauth_error": {"error": "server_error"}}, match={"endpoint": "token"})
    idp.provider.use_scenario(scenario({**rule, "when": {"nth": 1}}))
    assert (await redeem(http, code)).status_code == 500
    assert "access_token" in (await redeem(http, code)).json()  # the code was not used up


# -- http_status -------------------------------------------------------------------------


async def test_http_status_answers_exactly_what_is_scripted(
    idp: IdP, http: httpx.AsyncClient
) -> None:
    spec = {
        "status": 502,
        "body": "<html><body>Bad Gateway</body></html>",
        "content_type": "text/html",
        "headers": {"Retry-After": "7", "X-Upstream": "down"},
    }
    idp.provider.use_scenario(scenario(fault({"http_status": spec}, match={"endpoint": "token"})))
    response = await client_credentials(http)
    assert response.status_code == 502
    assert response.text == spec["body"]
    assert response.headers["content-type"] == "text/html"
    assert response.headers["content-length"] == str(len(spec["body"]))
    assert response.headers["retry-after"] == "7"
    assert response.headers["x-upstream"] == "down"


async def test_http_status_without_body_or_type(idp: IdP, http: httpx.AsyncClient) -> None:
    idp.provider.use_scenario(scenario(fault(UNAVAILABLE)))
    response = await http.get(DISCOVERY)
    assert response.status_code == 503
    assert response.content == b""
    assert "content-type" not in response.headers
    text = scenario(fault({"http_status": {"status": 429, "body": "slow down"}}))
    idp.provider.use_scenario(text)
    response = await http.get(JWKS)
    assert (response.status_code, response.text) == (429, "slow down")
    assert response.headers["content-type"] == "text/plain; charset=utf-8"


# -- latency_ms --------------------------------------------------------------------------


async def test_latency_alone_delays_the_real_answer(
    idp: IdP, http: httpx.AsyncClient, records: list[RequestRecord]
) -> None:
    rule = fault({"latency_ms": 400}, name="slow", match={"endpoint": "jwks"})
    idp.provider.use_scenario(scenario(rule))
    started = time.perf_counter()
    response = await http.get(JWKS)
    assert time.perf_counter() - started >= 0.35
    assert response.status_code == 200
    assert response.json() == idp.provider.jwks()
    assert records[-1].fault == "slow"
    assert records[-1].duration_ms >= 350
    await http.get(DISCOVERY)
    assert records[-1].fault is None  # another endpoint: not slowed


async def test_latency_goes_with_another_behaviour(idp: IdP, http: httpx.AsyncClient) -> None:
    idp.provider.use_scenario(scenario(fault({"latency_ms": 300, **UNAVAILABLE})))
    started = time.perf_counter()
    response = await client_credentials(http)
    assert time.perf_counter() - started >= 0.25
    assert response.status_code == 503


# -- malformed_body, truncate_body, content_type -------------------------------------------


async def test_malformed_body_keeps_status_and_headers(idp: IdP, http: httpx.AsyncClient) -> None:
    rule = fault({"malformed_body": True}, match={"endpoint": "discovery"}, when={"nth": 2})
    idp.provider.use_scenario(scenario(rule))
    real = await http.get(DISCOVERY)
    spoiled = await http.get(DISCOVERY)
    assert spoiled.status_code == real.status_code == 200
    assert spoiled.content == MALFORMED_BODY
    with pytest.raises(json.JSONDecodeError):
        json.loads(spoiled.content)
    assert spoiled.headers["content-length"] == str(len(MALFORMED_BODY))
    unchanged = {"content-type", "cache-control", "access-control-allow-origin"}
    assert {k: spoiled.headers.get(k) for k in unchanged} == {
        k: real.headers.get(k) for k in unchanged
    }


async def test_malformed_body_of_an_error(idp: IdP, http: httpx.AsyncClient) -> None:
    idp.provider.use_scenario(scenario(fault({"malformed_body": True})))
    response = await http.post(TOKEN, data={"grant_type": "password"}, auth=CONFIDENTIAL)
    assert response.status_code == 400  # the real answer's status
    assert response.content == MALFORMED_BODY
    assert response.headers["cache-control"] == "no-store"


async def test_truncate_body_cuts_the_real_body(idp: IdP, http: httpx.AsyncClient) -> None:
    rule = fault({"truncate_body": 20}, match={"endpoint": "jwks"}, when={"nth": 2})
    idp.provider.use_scenario(scenario(rule))
    real = await http.get(JWKS)
    cut = await http.get(JWKS)
    assert cut.status_code == 200
    assert cut.content == real.content[:20]
    assert cut.headers["content-length"] == "20"
    assert cut.headers["content-type"] == "application/json"
    with pytest.raises(json.JSONDecodeError):
        cut.json()


async def test_truncate_body_longer_than_the_body_changes_nothing(
    idp: IdP, http: httpx.AsyncClient
) -> None:
    idp.provider.use_scenario(scenario(fault({"truncate_body": 1_000_000})))
    response = await http.get(JWKS)
    assert response.json() == idp.provider.jwks()


async def test_content_type_relabels_the_real_body(idp: IdP, http: httpx.AsyncClient) -> None:
    rule = fault({"content_type": "text/html; charset=utf-8"}, match={"endpoint": "jwks"})
    idp.provider.use_scenario(scenario(rule))
    response = await http.get(JWKS)
    assert response.status_code == 200
    assert response.headers["content-type"] == "text/html; charset=utf-8"
    assert json.loads(response.content) == idp.provider.jwks()


# -- redirect_state ----------------------------------------------------------------------


@pytest.mark.parametrize("how", ["other", "absent"])
async def test_redirect_state_changes_the_authorization_responses_state(
    idp: IdP, http: httpx.AsyncClient, how: str
) -> None:
    rule = fault({"redirect_state": how}, match={"endpoint": "authorization"})
    idp.provider.use_scenario(scenario(rule))
    params = redirect_params(await authorize(http))
    assert set(params) - {"session_state"} == {"code", "iss"} | (
        {"state"} if how == "other" else set()
    )
    if how == "other":
        assert params["state"].startswith(OTHER_STATE_PREFIX)
    assert "access_token" in (await redeem(http, params["code"])).json()  # the code is good


async def test_redirect_state_reaches_a_fragment_response(
    idp: IdP, http: httpx.AsyncClient
) -> None:
    idp.provider.use_scenario(scenario(fault({"redirect_state": "other"})))
    answer = await authorize(http, response_type="id_token token", nonce="n")
    fragment = dict(parse_qsl(urlsplit(answer.headers["location"]).fragment))
    assert fragment["state"].startswith(OTHER_STATE_PREFIX)
    assert {"access_token", "id_token"} <= set(fragment)


@pytest.mark.parametrize("how", ["other", "absent"])
async def test_redirect_state_changes_rp_initiated_logouts_state_and_still_logs_out(
    idp: IdP, http: httpx.AsyncClient, how: str
) -> None:
    await authorize(http)  # a session
    assert http.cookies.get("mockidp_session")
    rule = fault({"redirect_state": how}, match={"endpoint": "end_session"})
    idp.provider.use_scenario(scenario(rule))
    after = "http://localhost:8080/"
    query = {"client_id": CONFIDENTIAL[0], "post_logout_redirect_uri": after, "state": "s1"}
    answer = await http.get("/end_session", params=query)
    assert answer.status_code == 302
    location = answer.headers["location"]
    assert location.startswith(after)
    state = dict(parse_qsl(urlsplit(location).query)).get("state")
    assert state is None if how == "absent" else state.startswith(OTHER_STATE_PREFIX)
    assert not http.cookies.get("mockidp_session")  # the session ended all the same


def test_other_state_leaves_a_url_without_state_alone() -> None:
    assert (
        other_state("https://rp.example/after?x=1#y", "other") == "https://rp.example/after?x=1#y"
    )
    assert other_state("https://rp.example/cb?state=a&code=c", "absent") == (
        "https://rp.example/cb?code=c"
    )


async def test_redirect_state_leaves_an_answer_without_a_redirect_alone(
    idp: IdP, http: httpx.AsyncClient
) -> None:
    idp.provider.use_scenario(scenario(fault({"redirect_state": "absent"})))
    assert (await http.get(JWKS)).json() == idp.provider.jwks()


def test_redirect_state_is_one_answer_among_the_others() -> None:
    with pytest.raises(ScenarioError, match="choose one of content_type, redirect_state"):
        Provider(scenario=scenario(fault({"content_type": "a/b", "redirect_state": "other"})))


# -- drop_connection ---------------------------------------------------------------------


def test_drop_connection_closes_the_socket_without_an_answer(live: LiveServer) -> None:
    rule = fault({"drop_connection": True}, name="drop", match={"endpoint": "jwks"})
    live.provider.use_scenario(scenario({**rule, "when": {"every": 2}}))
    found: list[RequestRecord] = []
    live.app.on_request = found.append
    try:
        with httpx.Client(base_url=live.url) as http:
            assert http.get(JWKS).status_code == 200
            with pytest.raises(httpx.RemoteProtocolError, match="without sending a response"):
                http.get(JWKS)
            assert http.get(JWKS).status_code == 200  # the server lives on
        with pytest.raises(requests.ConnectionError):
            requests.get(live.url + JWKS, timeout=10)
    finally:
        live.app.on_request = None
    assert [(r.status, r.fault) for r in found] == [
        (200, None),
        (0, "drop"),
        (200, None),
        (0, "drop"),
    ]


async def test_drop_connection_in_process_is_a_transport_error(app: Any) -> None:
    app.provider.use_scenario(scenario(fault({"drop_connection": True}, when={"nth": 1})))
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://mockidp.test") as http:
        with pytest.raises(httpx.TransportError, match="dropped the connection"):
            await http.get(DISCOVERY)
        assert (await http.get(DISCOVERY)).status_code == 200


async def test_drop_connection_does_not_run_the_endpoint(idp: IdP, http: httpx.AsyncClient) -> None:
    code = await code_for(http, "alice")
    rule = fault({"drop_connection": True}, match={"endpoint": "token"}, when={"nth": 1})
    idp.provider.use_scenario(scenario(rule))
    with pytest.raises(httpx.TransportError):
        await redeem(http, code)
    assert "access_token" in (await redeem(http, code)).json()  # a retry succeeds


# -- matching: faults stay on the requests they name ---------------------------------------


BEHAVIOURS: dict[str, dict[str, Any]] = {
    "oauth_error": {"oauth_error": {"error": "invalid_grant", "description": "scripted"}},
    "http_status": UNAVAILABLE,
    "latency_ms": {"latency_ms": 200},
    "malformed_body": {"malformed_body": True},
    "truncate_body": {"truncate_body": 10},
    "content_type": {"content_type": "text/plain"},
    "drop_connection": {"drop_connection": True},
}


@pytest.mark.parametrize("behaviour", list(BEHAVIOURS))
async def test_each_behaviour_stays_on_the_calls_it_names(
    idp: IdP, http: httpx.AsyncClient, records: list[RequestRecord], behaviour: str
) -> None:
    match = {
        "endpoint": "token",
        "grant_type": "password",
        "client_id": CONFIDENTIAL[0],
        "user": "bob",
    }
    rule = fault(BEHAVIOURS[behaviour], name=behaviour, match=match, when={"nth": 2})
    idp.provider.use_scenario(scenario(rule))

    async def real(response: httpx.Response, status: int = 200) -> None:
        assert response.status_code == status
        assert response.headers["content-type"] == "application/json"
        response.json()
        assert records[-1].fault is None

    await real(await password(http, "bob"))  # call 1 of the matching ones: not selected
    await real(await http.get(JWKS))  # another endpoint
    await real(await client_credentials(http))  # another grant type
    await real(await password(http, "alice"))  # another user
    form = {"grant_type": "password", "username": "bob", "password": "bob", "client_id": PUBLIC}
    await real(await http.post(TOKEN, data=form), 400)  # another client (not allowed: 400)

    started = time.perf_counter()
    if behaviour == "drop_connection":
        with pytest.raises(httpx.TransportError):
            await password(http, "bob")
    else:
        faulted = await password(http, "bob")  # call 2: selected
        if behaviour == "oauth_error":
            assert faulted.status_code == 400
            assert faulted.json() == {"error": "invalid_grant", "error_description": "scripted"}
        elif behaviour == "http_status":
            assert (faulted.status_code, faulted.content) == (503, b"")
        elif behaviour == "latency_ms":
            assert time.perf_counter() - started >= 0.15
            assert "access_token" in faulted.json()
        elif behaviour == "malformed_body":
            assert faulted.content == MALFORMED_BODY
        elif behaviour == "truncate_body":
            assert len(faulted.content) == 10
        else:
            assert faulted.headers["content-type"] == "text/plain"
            assert "access_token" in json.loads(faulted.content)
    assert records[-1].fault == behaviour
    await real(await password(http, "bob"))  # call 3: not selected


async def test_other_endpoints_are_untouched_and_uncounted(
    idp: IdP, http: httpx.AsyncClient
) -> None:
    rule = fault(UNAVAILABLE, match={"endpoint": "token"}, when={"nth": 2})
    idp.provider.use_scenario(scenario(rule))
    assert (await client_credentials(http)).status_code == 200
    for path in (DISCOVERY, JWKS, DISCOVERY):  # not the token endpoint: not counted
        assert (await http.get(path)).status_code == 200
    assert (await client_credentials(http)).status_code == 503
    assert (await client_credentials(http)).status_code == 200


async def test_other_clients_are_untouched(idp: IdP, http: httpx.AsyncClient) -> None:
    rule = fault(UNAVAILABLE, match={"client_id": PUBLIC})
    idp.provider.use_scenario(scenario(rule))
    assert (await client_credentials(http)).status_code == 200  # Basic credentials
    form = {"grant_type": "authorization_code", "code": "x", "client_id": PUBLIC}
    assert (await http.post(TOKEN, data=form)).status_code == 503
    # The client named by Basic credentials matches too.
    idp.provider.use_scenario(scenario(fault(UNAVAILABLE, match={"client_id": CONFIDENTIAL[0]})))
    assert (await client_credentials(http)).status_code == 503
    assert (await http.post(TOKEN, data=form)).status_code == 400  # the real invalid_grant


async def test_other_grant_types_are_untouched(idp: IdP, http: httpx.AsyncClient) -> None:
    rule = fault(UNAVAILABLE, match={"endpoint": "token", "grant_type": "refresh_token"})
    idp.provider.use_scenario(scenario(rule))
    assert (await client_credentials(http)).status_code == 200
    assert (await password(http, "alice")).status_code == 200
    assert (await refresh(http, "not-a-token")).status_code == 503


async def test_other_users_are_untouched(idp: IdP, http: httpx.AsyncClient) -> None:
    idp.provider.use_scenario(scenario(fault(UNAVAILABLE, match={"user": "bob"})))
    assert (await password(http, "alice")).status_code == 200
    assert (await password(http, "bob")).status_code == 503
    assert (await client_credentials(http)).status_code == 200  # no user: no match
    assert (await authorize(http, login_hint="bob@example.com")).status_code == 503
    assert (await authorize(http, login_hint="alice@example.com")).status_code == 302


async def test_the_user_behind_a_code_is_peeked_not_consumed(
    idp: IdP, http: httpx.AsyncClient
) -> None:
    alice, bob = await code_for(http, "alice"), await code_for(http, "bob")
    rule = fault(UNAVAILABLE, match={"endpoint": "token", "user": "bob"}, when={"nth": 1})
    idp.provider.use_scenario(scenario(rule))
    assert (await redeem(http, alice)).status_code == 200
    assert (await redeem(http, bob)).status_code == 503
    assert (await redeem(http, bob)).status_code == 200  # the code survived the peek


async def test_the_user_behind_a_refresh_token(idp: IdP, http: httpx.AsyncClient) -> None:
    scope = "openid offline_access"
    alice = (await redeem(http, await code_for(http, "alice", scope))).json()["refresh_token"]
    bob = (await redeem(http, await code_for(http, "bob", scope))).json()["refresh_token"]
    rule = fault(UNAVAILABLE, match={"grant_type": "refresh_token", "user": "bob"})
    idp.provider.use_scenario(scenario(rule))
    assert (await refresh(http, alice)).status_code == 200
    assert (await refresh(http, bob)).status_code == 503


async def test_the_user_of_the_session_at_the_authorization_endpoint(
    idp: IdP, http: httpx.AsyncClient
) -> None:
    await code_for(http, "bob")  # signs bob in: the session cookie is kept by the client
    rule = fault(UNAVAILABLE, match={"endpoint": "authorization", "user": "bob"})
    idp.provider.use_scenario(scenario(rule))
    assert (await authorize(http)).status_code == 503  # bob's session, no login_hint
    assert (await authorize(http, login_hint="alice")).status_code == 302
    http.cookies.clear()
    assert (await authorize(http)).status_code == 302  # no session: the user is unknown


async def test_other_scopes_and_params_are_untouched(idp: IdP, http: httpx.AsyncClient) -> None:
    idp.provider.use_scenario(
        scenario(
            fault(UNAVAILABLE, match={"endpoint": "authorization", "scope": ["email", "phone"]}),
            fault({"http_status": {"status": 502}}, match={"params": {"nonce": "fail-me"}}),
        )
    )
    assert (await authorize(http, scope="openid profile")).status_code == 302
    assert (await authorize(http, scope="openid email")).status_code == 503
    assert (await authorize(http, nonce="fine")).status_code == 302
    assert (await authorize(http, nonce="fail-me")).status_code == 502


async def test_cors_preflights_are_never_faulted(idp: IdP, http: httpx.AsyncClient) -> None:
    idp.provider.use_scenario(scenario(fault(UNAVAILABLE, when={"nth": 1})))
    headers = {"Origin": "https://app.example", "Access-Control-Request-Method": "POST"}
    assert (await http.options(TOKEN, headers=headers)).status_code == 204
    assert (await client_credentials(http)).status_code == 503  # the preflight was not counted


# -- when: which matching calls ----------------------------------------------------------


@pytest.mark.parametrize(
    ("when", "hits"),
    [
        ({"nth": 3}, [3]),
        ({"every": 3}, [3, 6]),
        ({"from": 6}, [6, 7, 8]),
        ({"first": 2}, [1, 2]),
        ({}, [1, 2, 3, 4, 5, 6, 7, 8]),
    ],
)
async def test_when_selects_the_matching_calls(
    idp: IdP, http: httpx.AsyncClient, when: dict[str, int], hits: list[int]
) -> None:
    idp.provider.use_scenario(scenario(fault(UNAVAILABLE, match={"endpoint": "jwks"}, when=when)))
    statuses = [(await http.get(JWKS)).status_code for _ in range(8)]
    assert [n for n, status in enumerate(statuses, 1) if status == 503] == hits


async def test_probability_with_a_seed_is_reproducible(idp: IdP, http: httpx.AsyncClient) -> None:
    when = {"probability": 0.5, "seed": 7}
    idp.provider.use_scenario(scenario(fault(UNAVAILABLE, when=when)))
    expected = [selected(CallSelector(probability=0.5, seed=7), n) for n in range(1, 13)]
    assert 0 < sum(expected) < 12  # the test would prove nothing otherwise
    for _ in range(2):
        statuses = [(await http.get(JWKS)).status_code for _ in range(12)]
        assert [status == 503 for status in statuses] == expected
        idp.provider.reset()  # counts start again: the same calls fail again


async def test_reset_restarts_the_counts(idp: IdP, http: httpx.AsyncClient) -> None:
    idp.provider.use_scenario(scenario(fault(UNAVAILABLE, when={"nth": 1})))
    assert [(await http.get(JWKS)).status_code for _ in range(2)] == [503, 200]
    idp.provider.reset()
    assert [(await http.get(JWKS)).status_code for _ in range(2)] == [503, 200]


async def test_use_scenario_swaps_the_faults(idp: IdP, http: httpx.AsyncClient) -> None:
    idp.provider.use_scenario(scenario(fault(UNAVAILABLE, when={"nth": 1})))
    assert (await http.get(JWKS)).status_code == 503
    idp.provider.use_scenario(scenario())
    assert (await http.get(JWKS)).status_code == 200
    # Another fault in the same place counts from one, not from where the old one was.
    idp.provider.use_scenario(scenario(fault({"http_status": {"status": 502}}, when={"nth": 1})))
    assert (await http.get(JWKS)).status_code == 502
    assert (await http.get(JWKS)).status_code == 200


async def test_each_fault_counts_and_the_first_picked_applies(
    idp: IdP, http: httpx.AsyncClient, records: list[RequestRecord]
) -> None:
    idp.provider.use_scenario(
        scenario(
            fault(UNAVAILABLE, name="first-fails", when={"nth": 1}),
            fault({"http_status": {"status": 502}}, name="every-other", when={"every": 2}),
        )
    )
    statuses = [(await http.get(JWKS)).status_code for _ in range(4)]
    assert statuses == [503, 502, 200, 502]
    assert [r.fault for r in records] == ["first-fails", "every-other", None, "every-other"]


async def test_the_request_log_names_the_fault(
    idp: IdP, http: httpx.AsyncClient, records: list[RequestRecord]
) -> None:
    rule = fault(UNAVAILABLE, name="token-down", match={"endpoint": "token"})
    idp.provider.use_scenario(scenario(rule))
    await client_credentials(http)
    await http.get(JWKS)
    faulted, plain = records
    assert (faulted.fault, faulted.status, faulted.client_id) == (
        "token-down",
        503,
        CONFIDENTIAL[0],
    )
    assert faulted.grant_type == "client_credentials"
    assert "fault=token-down" in faulted.line()
    assert plain.fault is None
    assert "fault=" not in plain.line()


# -- the counter itself ------------------------------------------------------------------


def test_a_fault_that_does_not_fit_is_not_counted() -> None:
    provider = Provider(scenario(fault(UNAVAILABLE, match={"endpoint": "token"}, when={"nth": 1})))
    state = provider.deps.state
    only = provider.scenario.faults[0]
    assert pick(provider.scenario, state, Call("jwks", "GET")) is None
    assert counted(state, "faults", 0, only) == 0
    assert pick(provider.scenario, state, Call("token", "POST")) is only
    assert counted(state, "faults", 0, only) == 1


def test_counts_are_shared_through_the_store() -> None:
    """Two providers on one store (two processes, say) count the same calls."""
    store = MemoryStore()
    data = scenario(fault(UNAVAILABLE, when={"every": 2}))
    one, two = Provider(data, store=store), Provider(data, store=store)
    call = Call("jwks", "GET")
    picks = [pick(p.scenario, p.deps.state, call) is not None for p in (one, two, one, two)]
    assert picks == [False, True, False, True]


# -- the example scenario files ----------------------------------------------------------


@pytest.mark.parametrize("name", ["flaky-token-endpoint.yaml", "slow-jwks.yaml"])
def test_example_scenarios_validate(name: str, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["validate", str(EXAMPLES / name)]) == 0
    text = (EXAMPLES / name).read_text("utf-8")
    assert text.startswith("#")  # documented at the top


async def test_flaky_token_endpoint_example(app: Any, client: httpx.AsyncClient) -> None:
    app.provider.use_scenario(EXAMPLES / "flaky-token-endpoint.yaml")
    statuses = [(await client_credentials(client)).status_code for _ in range(6)]
    assert statuses == [200, 200, 503, 200, 200, 503]
    assert (await client.get(JWKS)).status_code == 200
    body = (await client_credentials(client)).json()
    assert "access_token" in body


async def test_slow_jwks_example(app: Any, client: httpx.AsyncClient) -> None:
    app.provider.use_scenario(EXAMPLES / "slow-jwks.yaml")
    started = time.perf_counter()
    response = await client.get(JWKS)
    assert time.perf_counter() - started >= 1.4
    assert response.json() == app.provider.jwks()
    assert (await client.get(DISCOVERY)).status_code == 200
    assert (await client_credentials(client)).status_code == 200


def test_faults_work_with_a_fresh_app_too() -> None:
    """create_app(mapping) applies faults from the start, not only after use_scenario."""
    app = create_app(scenario(fault(UNAVAILABLE)))

    async def get() -> int:
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://t") as http:
            return (await http.get(JWKS)).status_code

    assert run(get()) == 503
