"""Pushed authorization requests (RFC 9126) end to end: push, authorize by request_uri,
redeem; and every way a push or a request_uri can be wrong."""

from __future__ import annotations

from typing import Any

import httpx
import pytest
from joserfc import jwt
from joserfc.jwk import OctKey

from mockidp import create_app
from mockidp.errors import ScenarioError
from tests.conftest import IdP
from tests.support.e2e import CONFIDENTIAL, SECRET, default_scenario_mapping
from tests.support.negative import (
    BASIC,
    PUBLIC_ID,
    REDIRECT_URI,
    VERIFIER,
    assert_error_page,
    assert_error_redirect,
    assert_invalid_client,
    assert_no_store,
    assert_oauth_error,
    auth_params,
    authorize,
    redeem,
    redirect_params,
)

pytestmark = pytest.mark.anyio

URN = "urn:ietf:params:oauth:request_uri:"


async def _par_url(web: httpx.AsyncClient) -> str:
    meta = (await web.get("/.well-known/openid-configuration")).json()
    return str(meta["pushed_authorization_request_endpoint"])


async def push(
    web: httpx.AsyncClient, params: dict[str, str], auth: tuple[str, str] = BASIC
) -> httpx.Response:
    return await web.post(await _par_url(web), data=params, auth=auth)


async def pushed_uri(web: httpx.AsyncClient, **changes: str) -> str:
    params = auth_params()
    params.update(changes)
    response = await push(web, params)
    assert response.status_code == 201, response.text
    return str(response.json()["request_uri"])


async def test_discovery_lists_the_par_endpoint_truthfully(web: httpx.AsyncClient) -> None:
    meta = (await web.get("/.well-known/openid-configuration")).json()
    assert meta["pushed_authorization_request_endpoint"].endswith("/par")
    assert meta["require_pushed_authorization_requests"] is False
    # OpenID Connect's request_uri (a request object by reference) is not fetched
    assert meta["request_uri_parameter_supported"] is False


async def test_push_then_authorize_then_redeem(web: httpx.AsyncClient, idp: IdP) -> None:
    response = await push(web, auth_params(pkce=True, nonce="n-1"))
    assert response.status_code == 201, response.text
    assert_no_store(response)
    body = response.json()
    assert set(body) == {"request_uri", "expires_in"}
    assert body["request_uri"].startswith(URN)
    assert len(body["request_uri"]) > len(URN) + 32
    assert body["expires_in"] == idp.provider.scenario.lifetimes.request_uri
    code = redirect_params(
        await authorize(web, client_id=CONFIDENTIAL, request_uri=body["request_uri"])
    )
    assert code["state"] == "xyz"
    token = await redeem(web, code["code"], verifier=VERIFIER)
    assert token.status_code == 200, token.text
    assert "id_token" in token.json()


async def test_parameters_outside_the_pushed_request_are_ignored(web: httpx.AsyncClient) -> None:
    uri = await pushed_uri(web, state="pushed")
    response = await authorize(
        web, client_id=CONFIDENTIAL, request_uri=uri, state="other", scope="nope"
    )
    assert redirect_params(response)["state"] == "pushed"


async def test_a_public_client_pushes_with_its_client_id(web: httpx.AsyncClient) -> None:
    params = auth_params(PUBLIC_ID, pkce=True)
    response = await web.post(await _par_url(web), data=params)
    assert response.status_code == 201, response.text
    uri = response.json()["request_uri"]
    assert "code" in redirect_params(await authorize(web, client_id=PUBLIC_ID, request_uri=uri))


async def test_a_request_uri_is_single_use(web: httpx.AsyncClient) -> None:
    uri = await pushed_uri(web)
    assert "code" in redirect_params(await authorize(web, client_id=CONFIDENTIAL, request_uri=uri))
    again = await authorize(web, client_id=CONFIDENTIAL, request_uri=uri)
    assert_error_page(again, "invalid_request_uri")


async def test_a_request_uri_expires(web: httpx.AsyncClient, idp: IdP) -> None:
    uri = await pushed_uri(web)
    idp.provider.clock.advance(idp.provider.scenario.lifetimes.request_uri + 1)
    response = await authorize(web, client_id=CONFIDENTIAL, request_uri=uri)
    assert_error_page(response, "invalid_request_uri")


async def test_a_request_uri_is_bound_to_the_client_that_pushed_it(web: httpx.AsyncClient) -> None:
    uri = await pushed_uri(web)
    response = await authorize(web, client_id=PUBLIC_ID, request_uri=uri)
    assert_error_page(response, "invalid_request_uri")
    # the other client's attempt does not use it up
    assert "code" in redirect_params(await authorize(web, client_id=CONFIDENTIAL, request_uri=uri))


@pytest.mark.parametrize("client_id", [None, CONFIDENTIAL])
async def test_unknown_or_clientless_request_uris_are_error_pages(
    web: httpx.AsyncClient, client_id: str | None
) -> None:
    params = {"request_uri": URN + "never-pushed"}
    if client_id is not None:
        params["client_id"] = client_id
    response = await authorize(web, **params)
    assert_error_page(response, "invalid_request_uri" if client_id else "invalid_request")


async def test_a_request_object_by_reference_is_still_not_supported(
    web: httpx.AsyncClient, idp: IdP
) -> None:
    response = await authorize(web, **auth_params(request_uri="https://app.example/req.jwt"))
    assert_error_redirect(response, "request_uri_not_supported", issuer=idp.base_url)


@pytest.mark.parametrize(
    ("change", "status", "error"),
    [
        ({"request_uri": URN + "x"}, 400, "invalid_request"),
        ({"redirect_uri": "https://evil.example/cb"}, 400, "invalid_request"),
        ({"response_type": "bogus"}, 400, "unsupported_response_type"),
        ({"scope": "openid nope"}, 400, "invalid_scope"),
        ({"client_id": PUBLIC_ID}, 400, "invalid_request"),
        ({"response_type": "id_token"}, 400, "invalid_request"),  # no nonce
        ({"prompt": "sometimes"}, 400, "invalid_request"),
    ],
)
async def test_push_errors_are_json(
    web: httpx.AsyncClient, change: dict[str, str], status: int, error: str
) -> None:
    params = auth_params()
    params.update(change)
    response = await push(web, params)
    assert_oauth_error(response, status, error)
    assert_no_store(response)


async def test_push_needs_client_authentication(web: httpx.AsyncClient) -> None:
    assert_invalid_client(await push(web, auth_params(), auth=(CONFIDENTIAL, "wrong")))
    bare = await web.post(await _par_url(web), data=auth_params())
    assert_oauth_error(bare, 401, "invalid_client")


async def test_push_accepts_only_post(web: httpx.AsyncClient) -> None:
    response = await web.get(await _par_url(web))
    assert response.status_code == 405


def _requiring(**client: Any) -> dict[str, Any]:
    data = default_scenario_mapping()
    data["clients"] = [
        {
            "client_id": CONFIDENTIAL,
            "client_secret": SECRET,
            "redirect_uris": [REDIRECT_URI],
            **client,
        },
        {"client_id": "free", "client_secret": "s", "redirect_uris": [REDIRECT_URI]},
    ]
    return data


async def test_scenario_wide_par_requirement(web: httpx.AsyncClient, idp: IdP) -> None:
    idp.provider.use_scenario({**_requiring(), "require_pushed_authorization_requests": True})
    meta = (await web.get("/.well-known/openid-configuration")).json()
    assert meta["require_pushed_authorization_requests"] is True
    response = await authorize(web, **auth_params())
    body = assert_error_redirect(response, "invalid_request", issuer=idp.base_url)
    assert "pushed" in body["error_description"]
    uri = await pushed_uri(web)
    assert "code" in redirect_params(await authorize(web, client_id=CONFIDENTIAL, request_uri=uri))


async def test_per_client_par_requirement(web: httpx.AsyncClient, idp: IdP) -> None:
    idp.provider.use_scenario(_requiring(require_pushed_authorization_requests=True))
    meta = (await web.get("/.well-known/openid-configuration")).json()
    assert meta["require_pushed_authorization_requests"] is False
    response = await authorize(web, **auth_params())
    assert_error_redirect(response, "invalid_request", issuer=idp.base_url)
    assert "code" in redirect_params(await authorize(web, **auth_params("free")))
    uri = await pushed_uri(web)
    assert "code" in redirect_params(await authorize(web, client_id=CONFIDENTIAL, request_uri=uri))


async def test_pushed_request_can_ask_for_a_hybrid_response(web: httpx.AsyncClient) -> None:
    uri = await pushed_uri(web, response_type="code id_token", nonce="n-2")
    response = await authorize(web, client_id=CONFIDENTIAL, request_uri=uri)
    location = response.headers["location"]
    assert location.startswith(REDIRECT_URI + "#")
    assert "id_token=" in location and "code=" in location


async def test_par_endpoint_can_be_switched_off(web: httpx.AsyncClient, idp: IdP) -> None:
    idp.provider.use_scenario(
        {**default_scenario_mapping(), "endpoints": {"pushed_authorization_request": None}}
    )
    meta = (await web.get("/.well-known/openid-configuration")).json()
    assert "pushed_authorization_request_endpoint" not in meta
    assert "require_pushed_authorization_requests" not in meta
    assert (await web.post("/par", data=auth_params(), auth=BASIC)).status_code == 404


@pytest.mark.parametrize(
    ("scenario", "location"),
    [
        (
            {
                "require_pushed_authorization_requests": True,
                "endpoints": {"pushed_authorization_request": None},
            },
            "require_pushed_authorization_requests",
        ),
        (
            {"preset": "superoffice", "require_pushed_authorization_requests": True},
            "require_pushed_authorization_requests",
        ),
        (
            {
                "endpoints": {"pushed_authorization_request": None},
                "clients": [{"client_id": "c", "require_pushed_authorization_requests": True}],
            },
            "clients[0].require_pushed_authorization_requests",
        ),
    ],
)
def test_requiring_par_without_its_endpoint_is_a_scenario_error(
    scenario: dict[str, Any], location: str
) -> None:
    with pytest.raises(ScenarioError) as caught:
        create_app(scenario)
    assert [p.location for p in caught.value.problems] == [location]


async def test_a_client_assertion_may_name_the_par_endpoint(
    web: httpx.AsyncClient, idp: IdP
) -> None:
    """RFC 9126 2: the PAR endpoint URL is an audience the assertion may use."""
    secret = "a-client-secret-long-enough-for-hs256-0123456789"
    data = default_scenario_mapping()
    data["clients"] = [
        {
            "client_id": "jwt-client",
            "client_secret": secret,
            "token_endpoint_auth_method": "client_secret_jwt",
            "redirect_uris": [REDIRECT_URI],
        }
    ]
    idp.provider.use_scenario(data)
    url = await _par_url(web)
    now = int(idp.provider.clock.now())
    claims = {"iss": "jwt-client", "sub": "jwt-client", "aud": url, "jti": "j-1"}
    assertion = jwt.encode(
        {"alg": "HS256"}, {**claims, "iat": now, "exp": now + 60}, OctKey.import_key(secret)
    )
    params = auth_params("jwt-client")
    params["client_assertion_type"] = "urn:ietf:params:oauth:client-assertion-type:jwt-bearer"
    params["client_assertion"] = assertion
    response = await web.post(url, data=params)
    assert response.status_code == 201, response.text
