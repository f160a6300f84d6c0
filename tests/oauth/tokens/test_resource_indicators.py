"""Resource indicators (RFC 8707) end to end: repeated ``resource`` at the authorization
and token endpoints, audience-restricted access tokens, narrowing on refresh, and
``invalid_target`` for what the scenario does not allow."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlencode

import httpx
import pytest

from tests.conftest import IdP
from tests.support.e2e import CONFIDENTIAL, REDIRECT_URI, callback_params, default_scenario_mapping
from tests.support.flows import with_clients
from tests.support.grants import CONFIDENTIAL_AUTH, assert_error, claims_of, metadata

pytestmark = pytest.mark.anyio

API = "https://api.example/"
OTHER = "https://other.example/v1"


def _scenario() -> dict[str, Any]:
    narrow = {
        "client_id": "narrow",
        "client_secret": "narrow-secret",
        "grant_types": ["client_credentials"],
        "resources": [API],
    }
    return with_clients(narrow, resources=[API, OTHER, "urn:example:ledger"])


@pytest.fixture
async def http(idp: IdP) -> Any:
    idp.provider.use_scenario(_scenario())
    async with idp.client() as client:
        yield client


async def _authorize(http: httpx.AsyncClient, resources: list[str]) -> dict[str, str]:
    meta = await metadata(http)
    params: list[tuple[str, str]] = [
        ("client_id", CONFIDENTIAL),
        ("redirect_uri", REDIRECT_URI),
        ("response_type", "code"),
        ("scope", "openid offline_access"),
        ("state", "st"),
        *[("resource", r) for r in resources],
    ]
    response = await http.get(meta["authorization_endpoint"], params=params)
    assert response.status_code == 302, response.text
    return callback_params(response.headers["location"])


async def _token(http: httpx.AsyncClient, data: list[tuple[str, str]], **kw: Any) -> httpx.Response:
    url = (await metadata(http))["token_endpoint"]
    auth = kw.pop("auth", CONFIDENTIAL_AUTH)
    form = {"Content-Type": "application/x-www-form-urlencoded"}
    return await http.post(url, content=urlencode(data), auth=auth, headers=form)


async def _code_tokens(
    http: httpx.AsyncClient, at_authorize: list[str], at_token: list[str]
) -> httpx.Response:
    code = (await _authorize(http, at_authorize))["code"]
    data = [
        ("grant_type", "authorization_code"),
        ("code", code),
        ("redirect_uri", REDIRECT_URI),
        *[("resource", r) for r in at_token],
    ]
    return await _token(http, data)


async def test_repeated_resources_become_the_audience(http: httpx.AsyncClient) -> None:
    response = await _code_tokens(http, [API, OTHER], [])
    assert response.status_code == 200, response.text
    assert claims_of(response.json()["access_token"])["aud"] == [API, OTHER]


async def test_token_request_narrows_to_one_resource(http: httpx.AsyncClient) -> None:
    response = await _code_tokens(http, [API, OTHER], [OTHER])
    assert claims_of(response.json()["access_token"])["aud"] == OTHER
    meta = await metadata(http)
    info = await http.post(
        meta["introspection_endpoint"],
        data={"token": response.json()["access_token"]},
        auth=CONFIDENTIAL_AUTH,
    )
    assert info.json()["aud"] == OTHER


async def test_token_request_cannot_widen(http: httpx.AsyncClient) -> None:
    response = await _code_tokens(http, [API], [OTHER])
    assert_error(response, "invalid_target", says="was not granted")


async def test_refresh_with_a_narrower_resource(http: httpx.AsyncClient) -> None:
    first = (await _code_tokens(http, [API, OTHER], [])).json()
    refresh = first["refresh_token"]
    wider = await _token(
        http,
        [
            ("grant_type", "refresh_token"),
            ("refresh_token", refresh),
            ("resource", "urn:example:ledger"),
        ],
    )
    assert_error(wider, "invalid_target", says="was not granted")
    narrower = await _token(
        http, [("grant_type", "refresh_token"), ("refresh_token", refresh), ("resource", API)]
    )
    assert narrower.status_code == 200, narrower.text  # the refused request spent nothing
    assert claims_of(narrower.json()["access_token"])["aud"] == API
    again = await _token(
        http,
        [("grant_type", "refresh_token"), ("refresh_token", narrower.json()["refresh_token"])],
    )
    assert claims_of(again.json()["access_token"])["aud"] == [API, OTHER]  # all still granted


@pytest.mark.parametrize(
    ("resource", "says"),
    [
        ("https://unlisted.example/", "is not allowed"),
        ("/relative/path", "must be an absolute URI"),
        (API + "#part", "must not contain a fragment"),
    ],
)
async def test_authorization_refuses_bad_resources(
    http: httpx.AsyncClient, resource: str, says: str
) -> None:
    found = await _authorize(http, [resource])
    assert found["error"] == "invalid_target", found
    assert says in found["error_description"]
    assert found["state"] == "st"


async def test_client_credentials_with_resource(http: httpx.AsyncClient) -> None:
    data = [("grant_type", "client_credentials"), ("resource", API), ("resource", OTHER)]
    response = await _token(http, data)
    assert claims_of(response.json()["access_token"])["aud"] == [API, OTHER]


async def test_client_list_replaces_the_scenarios(http: httpx.AsyncClient) -> None:
    auth = ("narrow", "narrow-secret")
    ok = await _token(http, [("grant_type", "client_credentials"), ("resource", API)], auth=auth)
    assert claims_of(ok.json()["access_token"])["aud"] == API
    refused = await _token(
        http, [("grant_type", "client_credentials"), ("resource", OTHER)], auth=auth
    )
    assert_error(refused, "invalid_target", says="not allowed for client 'narrow'")


async def test_without_a_list_any_absolute_uri(idp: IdP, http: httpx.AsyncClient) -> None:
    idp.provider.use_scenario(default_scenario_mapping())
    data = [("grant_type", "client_credentials"), ("resource", "https://anything.example/x")]
    response = await _token(http, data)
    assert claims_of(response.json()["access_token"])["aud"] == "https://anything.example/x"
    plain = await _token(http, [("grant_type", "client_credentials")])
    assert claims_of(plain.json()["access_token"])["aud"] == CONFIDENTIAL


async def test_other_parameters_still_may_not_repeat(http: httpx.AsyncClient) -> None:
    data = [("grant_type", "client_credentials"), ("scope", "a"), ("scope", "b")]
    assert_error(await _token(http, data), "invalid_request", says="repeated")


def test_scenario_resources_hold_no_spaces() -> None:
    from mockidp import ScenarioError
    from mockidp.scenario.loader import load_scenario

    with pytest.raises(ScenarioError, match=r"resources\[1\].*must not contain spaces"):
        load_scenario({"resources": [API, "https://a.example/ b"]})


def test_the_documented_scenario_loads() -> None:
    import re
    from pathlib import Path

    from mockidp.scenario.loader import check_scenario_text

    doc = Path(__file__).resolve().parents[3] / "docs" / "tokens.md"
    blocks = re.findall(r"```yaml\n(.*?)```", doc.read_text("utf-8"), re.S)
    assert blocks
    for block in blocks:
        assert check_scenario_text(block) == [], block


async def test_implicit_access_token_is_for_the_resources(http: httpx.AsyncClient) -> None:
    meta = await metadata(http)
    params = [
        ("client_id", CONFIDENTIAL),
        ("redirect_uri", REDIRECT_URI),
        ("response_type", "token"),
        ("state", "st"),
        ("resource", API),
    ]
    response = await http.get(meta["authorization_endpoint"], params=params)
    found = callback_params(response.headers["location"])
    assert claims_of(found["access_token"])["aud"] == API
