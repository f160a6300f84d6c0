"""The device authorization grant (RFC 8628): endpoint, verification page, polling.

The full flow runs with Authlib (a real OAuth client) polling the token endpoint, in
process and over loopback HTTP; the rest drives the app in process with httpx. Time
moves only through the provider's clock, so nothing here sleeps.
"""

from __future__ import annotations

import re
import threading
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

import httpx
import pytest
import yaml

from mockidp import MockIdPApp, Provider, create_app
from mockidp.errors import OAuthError as CoreOAuthError
from mockidp.errors import ScenarioError
from mockidp.oauth.signin.device import DeviceConfirm
from mockidp.scenario.build import build_scenario
from mockidp.scenario.dump import dump_scenario
from mockidp.scenario.loader import load_scenario
from tests.conftest import IdP
from tests.support.dynamodb import mock_aws_store, needs_moto
from tests.support.e2e import (
    CONFIDENTIAL,
    PUBLIC,
    SECRET,
    OAuthError,
    default_scenario_mapping,
    discover,
    oauth_client,
    validated_id_token,
)

pytestmark = pytest.mark.anyio

DEVICE_GRANT = "urn:ietf:params:oauth:grant-type:device_code"
BASE = "http://mockidp.test"
USER_CODE = re.compile(r"^[BCDFGHJKLMNPQRSTVWXZ]{4}-[BCDFGHJKLMNPQRSTVWXZ]{4}$")
INTERACTION = re.compile(r'name="interaction" value="([^"]+)"')


# -- helpers -------------------------------------------------------------------------------


def _app(device: dict[str, Any] | None = None, **overrides: Any) -> MockIdPApp:
    data = default_scenario_mapping(**overrides)
    if device is not None:
        data["device"] = device
    return create_app(data)


@pytest.fixture
async def http(app: MockIdPApp) -> AsyncIterator[httpx.AsyncClient]:
    async with _client(app) as client:
        yield client


def _client(app: MockIdPApp) -> httpx.AsyncClient:
    return httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url=BASE)


async def _start(
    http: httpx.AsyncClient, client_id: str = PUBLIC, scope: str = "openid profile", **data: str
) -> dict[str, Any]:
    response = await http.post(
        "/device_authorization", data={"client_id": client_id, "scope": scope, **data}
    )
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body


async def _poll(
    http: httpx.AsyncClient, device_code: str, client_id: str = PUBLIC
) -> httpx.Response:
    return await http.post(
        "/token",
        data={"grant_type": DEVICE_GRANT, "device_code": device_code, "client_id": client_id},
    )


def _error(response: httpx.Response) -> str:
    assert response.status_code == 400, (response.status_code, response.text)
    error: str = response.json()["error"]
    return error


async def _answer(
    browser: httpx.AsyncClient, user_code: str, action: str = "approve"
) -> httpx.Response:
    """What a user does on the verification page (login auto: already signed in)."""
    page = await browser.get("/device", params={"user_code": user_code})
    assert page.status_code == 200, page.text
    assert 'id="approve"' in page.text, page.text
    interaction = INTERACTION.search(page.text)
    assert interaction is not None
    return await browser.post(
        "/device", data={"interaction": interaction.group(1), "action": action}
    )


# -- end to end with Authlib ------------------------------------------------------------------


async def test_full_flow_with_authlib_polling_the_token_endpoint(idp: IdP) -> None:
    async with oauth_client(idp, CONFIDENTIAL, client_secret=SECRET) as client:
        provider = await discover(client)
        assert DEVICE_GRANT in provider.metadata["grant_types_supported"]
        endpoint = provider.endpoint("device_authorization_endpoint")
        assert endpoint == idp.base_url + "/device_authorization"
        started = await client.post(
            endpoint, data={"scope": "openid profile offline_access"}, auth=(CONFIDENTIAL, SECRET)
        )
        assert started.status_code == 200, started.text
        grant = started.json()
        assert started.headers["cache-control"] == "no-store"
        token_endpoint = provider.endpoint("token_endpoint")

        async def fetch() -> dict[str, Any]:
            token: dict[str, Any] = await client.fetch_token(
                token_endpoint, grant_type=DEVICE_GRANT, device_code=grant["device_code"]
            )
            return token

        with pytest.raises(OAuthError) as pending:
            await fetch()
        assert pending.value.error == "authorization_pending"

        async with idp.client() as browser:  # the user, on another device
            page = await browser.get(grant["verification_uri_complete"])
            assert page.status_code == 200
            assert grant["user_code"] in page.text
            interaction = INTERACTION.search(page.text)
            assert interaction is not None
            done = await browser.post(
                grant["verification_uri"],
                data={"interaction": interaction.group(1), "action": "approve"},
            )
            assert done.status_code == 200
            assert 'data-approved="true"' in done.text

        idp.provider.clock.advance(grant["interval"])
        token = await fetch()
        assert token["token_type"] == "Bearer"
        assert token["refresh_token"]
        claims = validated_id_token(
            token["id_token"],
            provider,
            client_id=CONFIDENTIAL,
            nonce=None,
            access_token=token["access_token"],
            now=idp.provider.clock.now(),
        )
        assert claims["sub"] == "alice"
        userinfo = await client.get(provider.endpoint("userinfo_endpoint"))
        assert userinfo.status_code == 200
        assert userinfo.json()["name"] == "Alice Anderson"

        idp.provider.clock.advance(grant["interval"])
        with pytest.raises(OAuthError) as used:  # the device code is consumed once
            await fetch()
        assert used.value.error == "invalid_grant"


# -- the device authorization endpoint ----------------------------------------------------


async def test_public_client_gets_codes_as_rfc8628_3_2_says(http: httpx.AsyncClient) -> None:
    response = await http.post("/device_authorization", data={"client_id": PUBLIC})
    assert response.status_code == 200
    assert response.headers["cache-control"] == "no-store"
    body = response.json()
    assert set(body) == {
        "device_code",
        "user_code",
        "verification_uri",
        "verification_uri_complete",
        "expires_in",
        "interval",
    }
    assert USER_CODE.match(body["user_code"]), body["user_code"]
    assert body["verification_uri"] == BASE + "/device"
    parts = urlsplit(body["verification_uri_complete"])
    assert f"{parts.scheme}://{parts.netloc}{parts.path}" == BASE + "/device"
    assert parse_qs(parts.query) == {"user_code": [body["user_code"]]}
    assert body["expires_in"] == 600
    assert body["interval"] == 5
    assert len(body["device_code"]) >= 32


@pytest.mark.parametrize(
    ("data", "auth", "status", "error"),
    [
        ({"scope": "openid"}, None, 401, "invalid_client"),
        ({"client_id": "nobody"}, None, 401, "invalid_client"),
        ({"scope": "openid"}, (CONFIDENTIAL, "wrong"), 401, "invalid_client"),
        ({"client_id": CONFIDENTIAL}, None, 401, "invalid_client"),  # a secret is needed
        ({"client_id": PUBLIC, "scope": "openid launch_missiles"}, None, 400, "invalid_scope"),
    ],
)
async def test_device_authorization_refuses_bad_requests(
    http: httpx.AsyncClient,
    data: dict[str, str],
    auth: tuple[str, str] | None,
    status: int,
    error: str,
) -> None:
    response = await http.post("/device_authorization", data=data, auth=auth)
    assert response.status_code == status, response.text
    assert response.json()["error"] == error
    assert response.json()["error_description"]


async def test_device_authorization_needs_the_grant_type_and_a_post() -> None:
    data = default_scenario_mapping()
    data["clients"].append({"client_id": "web", "token_endpoint_auth_method": "none"})
    async with _client(create_app(data)) as http:
        response = await http.post("/device_authorization", data={"client_id": "web"})
        assert response.status_code == 400
        assert response.json()["error"] == "unauthorized_client"
        assert DEVICE_GRANT in response.json()["error_description"]
        poll = await _poll(http, "whatever", client_id="web")
        assert _error(poll) == "unauthorized_client"
        get = await http.get("/device_authorization", params={"client_id": PUBLIC})
        assert get.status_code == 405
        repeated = await http.post(
            "/device_authorization",
            content=b"client_id=mockidp-public&scope=a&scope=b",
            headers={"content-type": "application/x-www-form-urlencoded"},
        )
        assert repeated.status_code == 400
        assert repeated.json()["error"] == "invalid_request"


# -- polling -------------------------------------------------------------------------------


async def test_poll_errors_for_bad_device_codes(app: MockIdPApp, http: httpx.AsyncClient) -> None:
    grant = await _start(http)
    missing = await http.post("/token", data={"grant_type": DEVICE_GRANT, "client_id": PUBLIC})
    assert _error(missing) == "invalid_request"
    assert _error(await _poll(http, "not-a-device-code")) == "invalid_grant"
    other = await http.post(
        "/token",
        data={"grant_type": DEVICE_GRANT, "device_code": grant["device_code"]},
        auth=(CONFIDENTIAL, SECRET),
    )
    assert _error(other) == "invalid_grant"
    assert "another client" in other.json()["error_description"]
    # None of that disturbed the real client's flow.
    assert _error(await _poll(http, grant["device_code"])) == "authorization_pending"


async def test_slow_down_adds_five_seconds_for_this_and_later_polls(
    app: MockIdPApp, http: httpx.AsyncClient
) -> None:
    clock = app.provider.clock
    clock.freeze()
    grant = await _start(http)
    code = grant["device_code"]
    assert _error(await _poll(http, code)) == "authorization_pending"
    assert _error(await _poll(http, code)) == "slow_down"  # at once: the interval is now 10
    clock.advance(9)
    too_fast = await _poll(http, code)
    assert _error(too_fast) == "slow_down"  # 9 < 10; now 15
    assert "15" in too_fast.json()["error_description"]
    clock.advance(14)
    assert _error(await _poll(http, code)) == "slow_down"  # 14 < 15; now 20
    clock.advance(20)
    assert _error(await _poll(http, code)) == "authorization_pending"
    clock.advance(20)  # the interval stays 20: RFC 8628 3.5 "all subsequent requests"
    assert _error(await _poll(http, code)) == "authorization_pending"


async def test_the_user_denies_on_the_page(app: MockIdPApp, http: httpx.AsyncClient) -> None:
    grant = await _start(http)
    async with _client(app) as browser:
        done = await _answer(browser, grant["user_code"], "deny")
        assert done.status_code == 200
        assert 'data-approved="false"' in done.text
        again = await browser.get("/device", params={"user_code": grant["user_code"]})
        assert "already used" in again.text
    assert _error(await _poll(http, grant["device_code"])) == "access_denied"
    app.provider.clock.advance(5)
    assert _error(await _poll(http, grant["device_code"])) == "access_denied"


async def test_the_device_code_expires(app: MockIdPApp, http: httpx.AsyncClient) -> None:
    grant = await _start(http)
    app.provider.clock.advance(grant["expires_in"])
    expired = await _poll(http, grant["device_code"])
    assert _error(expired) == "expired_token"
    async with _client(app) as browser:
        page = await browser.get("/device", params={"user_code": grant["user_code"]})
        assert page.status_code == 200
        assert "unknown or has expired" in page.text
        assert 'id="approve"' not in page.text


async def test_approval_after_expiry_is_refused(app: MockIdPApp, http: httpx.AsyncClient) -> None:
    grant = await _start(http)
    async with _client(app) as browser:
        page = await browser.get("/device", params={"user_code": grant["user_code"]})
        interaction = INTERACTION.search(page.text)
        assert interaction is not None
        app.provider.clock.advance(grant["expires_in"] + 1)
        done = await browser.post(
            "/device", data={"interaction": interaction.group(1), "action": "approve"}
        )
        assert "expired" in done.text
    assert _error(await _poll(http, grant["device_code"])) == "expired_token"


async def test_device_code_lifetime_comes_from_lifetimes() -> None:
    async with _client(_app(lifetimes={"device_code": 120})) as http:
        grant = await _start(http)
        assert grant["expires_in"] == 120


async def test_tokens_need_openid_for_an_id_token(app: MockIdPApp, http: httpx.AsyncClient) -> None:
    grant = await _start(http, scope="profile")
    async with _client(app) as browser:
        await _answer(browser, grant["user_code"])
    token = await _poll(http, grant["device_code"])
    assert token.status_code == 200, token.text
    body = token.json()
    assert "id_token" not in body
    assert "refresh_token" not in body  # no offline_access
    assert body["scope"] == "profile"


def _race(providers: list[Provider], params: dict[str, str]) -> list[str]:
    """One thread per provider polls at the same moment; what each got."""
    barrier = threading.Barrier(len(providers))
    results: list[str] = []

    def poll(provider: Provider) -> None:
        barrier.wait()
        try:
            provider.token(params, authorization=None, issuer=BASE)
            results.append("tokens")
        except CoreOAuthError as error:
            results.append(error.error)

    threads = [threading.Thread(target=poll, args=(p,)) for p in providers]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return results


async def test_two_racing_polls_after_approval_get_tokens_once() -> None:
    provider = Provider(default_scenario_mapping(device={"interval": 0}))
    for _ in range(5):
        grant = provider.device_authorization(
            {"client_id": PUBLIC, "scope": "openid"}, authorization=None, issuer=BASE
        )
        page = provider.device_page(grant["user_code"], session_id=None)
        assert isinstance(page, DeviceConfirm)
        provider.submit_device({"interaction": page.interaction, "action": "approve"})
        params = {"grant_type": DEVICE_GRANT, "device_code": grant["device_code"]}
        assert sorted(_race([provider, provider], {**params, "client_id": PUBLIC})) == [
            "invalid_grant",
            "tokens",
        ]


@needs_moto
def test_racing_polls_through_two_processes_sharing_dynamodb_get_tokens_once() -> None:
    scenario = default_scenario_mapping(device={"interval": 0})
    with mock_aws_store() as store:
        device, browser = Provider(scenario, store=store), Provider(scenario, store=store)
        grant = device.device_authorization(
            {"client_id": PUBLIC, "scope": "openid"}, authorization=None, issuer=BASE
        )
        page = browser.device_page(grant["user_code"], session_id=None)
        assert isinstance(page, DeviceConfirm)
        browser.submit_device({"interaction": page.interaction, "action": "approve"})
        params = {"grant_type": DEVICE_GRANT, "device_code": grant["device_code"]}
        results = _race([device, browser, device, browser], {**params, "client_id": PUBLIC})
        assert sorted(results) == ["invalid_grant"] * 3 + ["tokens"]


# -- scripted decisions ------------------------------------------------------------------


async def test_scenario_approves_after_n_polls() -> None:
    app = _app({"decision": "approve", "after_polls": 2, "user": "bob", "interval": 0})
    async with _client(app) as http:
        grant = await _start(http)
        assert grant["interval"] == 0
        assert _error(await _poll(http, grant["device_code"])) == "authorization_pending"
        assert _error(await _poll(http, grant["device_code"])) == "authorization_pending"
        token = await _poll(http, grant["device_code"])
        assert token.status_code == 200, token.text
        userinfo = await http.get(
            "/userinfo", headers={"authorization": f"Bearer {token.json()['access_token']}"}
        )
        assert userinfo.json()["sub"] == "bob"
        assert _error(await _poll(http, grant["device_code"])) == "invalid_grant"


async def test_scenario_denies_at_once_and_a_client_overrides_it() -> None:
    data = default_scenario_mapping(device={"decision": "deny"})
    data["clients"][0]["device"] = {"decision": "approve", "user": "alice"}
    async with _client(create_app(data)) as http:
        denied = await _start(http)
        assert _error(await _poll(http, denied["device_code"])) == "access_denied"
        approved = await http.post(
            "/device_authorization", data={"scope": "openid"}, auth=(CONFIDENTIAL, SECRET)
        )
        poll = await http.post(
            "/token",
            data={"grant_type": DEVICE_GRANT, "device_code": approved.json()["device_code"]},
            auth=(CONFIDENTIAL, SECRET),
        )
        assert poll.status_code == 200, poll.text
        assert poll.json()["id_token"]


async def test_user_code_format_options() -> None:
    app = _app(
        {"user_code_alphabet": "digits", "user_code_length": 9, "verification_uri_complete": False}
    )
    async with _client(app) as http:
        grant = await _start(http)
        assert re.fullmatch(r"\d{4}-\d{4}-\d", grant["user_code"]), grant["user_code"]
        assert "verification_uri_complete" not in grant


# -- the verification page -------------------------------------------------------------------


async def test_code_is_compared_case_insensitively_without_dashes(
    app: MockIdPApp, http: httpx.AsyncClient
) -> None:
    grant = await _start(http)
    typed = grant["user_code"].replace("-", " ").lower()
    async with _client(app) as browser:
        entry = await browser.get("/device")
        assert entry.status_code == 200
        assert 'name="user_code"' in entry.text
        await _answer(browser, typed)
    token = await _poll(http, grant["device_code"])
    assert token.status_code == 200, token.text


async def test_page_signs_in_then_asks(app: MockIdPApp, http: httpx.AsyncClient) -> None:
    app.provider.use_scenario(default_scenario_mapping(login="page"))
    grant = await _start(http)
    async with _client(app) as browser:
        login = await browser.get("/device", params={"user_code": grant["user_code"]})
        assert 'data-user="bob"' in login.text
        assert 'id="approve"' not in login.text
        interaction = INTERACTION.search(login.text)
        assert interaction is not None
        iid = interaction.group(1)
        confirm = await browser.post(
            "/device", data={"interaction": iid, "action": "login", "login": "bob"}
        )
        assert 'id="user">bob<' in confirm.text
        assert "mockidp_session" in confirm.headers["set-cookie"]
        switched = await browser.post("/device", data={"interaction": iid, "action": "switch"})
        assert 'data-user="alice"' in switched.text
        confirm = await browser.post(
            "/device", data={"interaction": iid, "action": "login", "login": "alice"}
        )
        assert 'id="user">alice<' in confirm.text
        done = await browser.post("/device", data={"interaction": iid, "action": "approve"})
        assert 'data-approved="true"' in done.text
        replay = await browser.post("/device", data={"interaction": iid, "action": "deny"})
        assert replay.status_code == 400  # one answer per page
        # The session the page started signs the same browser in elsewhere.
        session = browser.cookies.get("mockidp_session")
        assert session and app.provider.deps.state.get("session", session)["sub"] == "alice"
    token = await _poll(http, grant["device_code"])
    assert token.status_code == 200, token.text


async def test_page_posts_without_the_page_id_change_nothing(
    app: MockIdPApp, http: httpx.AsyncClient
) -> None:
    grant = await _start(http)
    async with _client(app) as browser:
        await browser.get("/device", params={"user_code": grant["user_code"]})  # signed in
        for data in ({"action": "approve"}, {"interaction": "forged", "action": "approve"}):
            forged = await browser.post("/device", data=data)
            assert forged.status_code == 400
            assert "expired or was already answered" in forged.text
        page = await browser.get("/device", params={"user_code": grant["user_code"]})
        iid = INTERACTION.search(page.text)
        assert iid is not None
        odd = await browser.post("/device", data={"interaction": iid.group(1), "action": "x"})
        assert odd.status_code == 400
    assert _error(await _poll(http, grant["device_code"])) == "authorization_pending"


async def test_page_escapes_what_it_echoes(http: httpx.AsyncClient) -> None:
    hostile = '"><script>alert(1)</script>'
    page = await http.get("/device", params={"user_code": hostile})
    assert page.status_code == 200
    assert "<script>" not in page.text
    assert "&lt;script&gt;" in page.text
    assert page.headers["content-security-policy"].startswith("default-src 'none'")
    assert page.headers["x-frame-options"] == "DENY"


# -- discovery, layout, presets, faults -------------------------------------------------------


async def test_discovery_lists_the_device_flow_only_when_served() -> None:
    app = _app(endpoints={"device_authorization": None})
    async with _client(app) as http:
        meta = (await http.get("/.well-known/openid-configuration")).json()
        assert "device_authorization_endpoint" not in meta
        assert DEVICE_GRANT not in meta["grant_types_supported"]
        gone = await http.post("/device_authorization", data={"client_id": PUBLIC})
        assert gone.status_code == 404


@pytest.mark.parametrize(
    ("preset", "endpoint", "page"),
    [
        ("permiso", "/oauth/device/code", "/activate"),
        ("loginradius-hub", "/service/oidc/myapp/device/authorize", "/service/oidc/myapp/device"),
    ],
)
async def test_presets_serve_their_device_paths(preset: str, endpoint: str, page: str) -> None:
    app = create_app({"preset": preset})
    async with _client(app) as http:
        issuer = app.provider.issuer_for(BASE)
        meta = app.provider.metadata(issuer)
        assert meta["device_authorization_endpoint"] == BASE + endpoint
        assert DEVICE_GRANT in meta["grant_types_supported"]
        started = await http.post(endpoint, data={"client_id": PUBLIC, "scope": "openid"})
        assert started.status_code == 200, started.text
        grant = started.json()
        assert grant["verification_uri"] == BASE + page
        async with _client(app) as browser:
            shown = await browser.get(grant["verification_uri_complete"])
            iid = INTERACTION.search(shown.text)
            assert iid is not None
            await browser.post(page, data={"interaction": iid.group(1), "action": "approve"})
        token = await http.post(
            meta["token_endpoint"],
            data={
                "grant_type": DEVICE_GRANT,
                "device_code": grant["device_code"],
                "client_id": PUBLIC,
            },
        )
        assert token.status_code == 200, token.text


async def test_faults_match_the_device_endpoint_and_grant() -> None:
    faults = [
        {
            "match": {"endpoint": "device_authorization"},
            "when": {"nth": 1},
            "respond": {"oauth_error": {"error": "temporarily_unavailable"}},
        },
        {
            "match": {"grant_type": DEVICE_GRANT, "client_id": PUBLIC},
            "when": {"nth": 1},
            "respond": {"oauth_error": {"error": "slow_down"}},
        },
    ]
    async with _client(_app(faults=faults)) as http:
        first = await http.post("/device_authorization", data={"client_id": PUBLIC})
        assert first.status_code == 503
        grant = await _start(http)
        assert _error(await _poll(http, grant["device_code"])) == "slow_down"  # scripted
        assert _error(await _poll(http, grant["device_code"])) == "authorization_pending"


# -- the scenario format ---------------------------------------------------------------------


def test_device_section_is_checked_and_dumps_back() -> None:
    data = default_scenario_mapping(
        device={"decision": "approve", "after_polls": 3, "user": "bob", "interval": 2}
    )
    data["clients"][1]["device"] = {"decision": "deny"}
    scenario = load_scenario(data)
    assert scenario.device_for(scenario.clients[1]).decision == "deny"
    assert scenario.device_for(scenario.clients[1]).interval == 2
    assert scenario.device_for(scenario.clients[0]).user == "bob"
    dumped = dump_scenario(scenario)
    assert dumped["device"] == {
        "decision": "approve",
        "after_polls": 3,
        "user": "bob",
        "interval": 2,
    }
    assert build_scenario(dumped, scenario.source) == scenario


@pytest.mark.parametrize(
    ("device", "message"),
    [
        ({"user": "mallory"}, "no user 'mallory'"),
        ({"decision": "maybe"}, "decision"),
        ({"interval": -1}, "interval"),
        ({"user_code_length": 2}, "user_code_length"),
    ],
)
def test_bad_device_sections_are_refused(device: dict[str, Any], message: str) -> None:
    with pytest.raises(ScenarioError) as refused:
        load_scenario(default_scenario_mapping(device=device))
    assert message in str(refused.value)


def test_scripted_approve_needs_someone_to_approve_as() -> None:
    data = default_scenario_mapping(device={"decision": "approve"})
    del data["default_user"]
    with pytest.raises(ScenarioError) as refused:
        load_scenario(data)
    assert "approve needs device.user or a default_user" in str(refused.value)


def test_the_documented_device_section_loads() -> None:
    text = (Path(__file__).resolve().parents[3] / "docs" / "device.md").read_text("utf-8")
    block = re.search(r"```yaml\n(.*?)```", text, re.S)
    assert block is not None
    documented = yaml.safe_load(block.group(1))
    data = default_scenario_mapping(device=documented["device"])
    data["clients"].extend(documented["clients"])
    scenario = load_scenario(data)
    tv = scenario.client("tv-app")
    assert tv is not None
    assert scenario.device_for(tv).decision == "deny"
    assert scenario.device.user == "bob"
