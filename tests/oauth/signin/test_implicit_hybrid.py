"""Implicit and hybrid response types end to end (OpenID Connect Core 3.2 and 3.3, RFC 6749
4.2, OAuth 2.0 Multiple Response Type Encoding Practices), driven by Authlib.

ID tokens from the authorization endpoint are verified against the published JWKS
(joserfc) and validated by Authlib's ImplicitIDToken / HybridIDToken, which check the
nonce, at_hash and c_hash.
"""

from __future__ import annotations

import secrets
from typing import Any

import pytest
from authlib.oidc.core import HybridIDToken, ImplicitIDToken
from authlib.oidc.core.claims import IDToken

from mockidp import create_app
from mockidp.errors import ScenarioError
from mockidp.model.response_types import RESPONSE_MODES, RESPONSE_TYPES, canonical
from mockidp.model.scenario import AUTH_METHODS
from mockidp.oauth.grants import GRANTS
from mockidp.oauth.signin.authorize import PROMPTS
from mockidp.oauth.signin.pkce import METHODS as PKCE_METHODS
from mockidp.presets import PRESETS
from tests.conftest import IdP
from tests.support.e2e import (
    CONFIDENTIAL,
    PUBLIC,
    REDIRECT_URI,
    SECRET,
    Provider,
    callback_params,
    decode_jwt,
    default_scenario_mapping,
    discover,
    form_post_fields,
    oauth_client,
    start_authorization,
)
from tests.support.flows import only_clients
from tests.support.presets import http_for

pytestmark = pytest.mark.anyio

TOKEN_TYPES = [rt for rt in RESPONSE_TYPES if rt != "code"]


def _validated(
    id_token: str,
    provider: Provider,
    *,
    response_type: str,
    nonce: str,
    params: dict[str, str],
    now: float,
) -> IDToken:
    """An authorization-endpoint ID token, checked as Authlib's implicit / hybrid classes do."""
    alg = provider.metadata["id_token_signing_alg_values_supported"][0]
    header, claims = decode_jwt(id_token, provider.keys, alg)
    cls = HybridIDToken if "code" in response_type.split() else ImplicitIDToken
    validated: IDToken = cls(
        claims,
        header,
        options={
            "iss": {"essential": True, "value": provider.issuer},
            "aud": {"essential": True, "value": CONFIDENTIAL},
        },
        params={
            "nonce": nonce,
            "client_id": CONFIDENTIAL,
            "access_token": params.get("access_token"),
            "code": params.get("code"),
        },
    )
    validated.validate(now=int(now))
    return validated


async def _authorize(
    idp: IdP, response_type: str, *, nonce: str | None = None, **extra: str
) -> tuple[Provider, dict[str, str], str, str]:
    """One authorization request by Authlib; (provider, response params, state, location)."""
    params: dict[str, Any] = {"response_type": response_type, **extra}
    async with oauth_client(idp, CONFIDENTIAL, client_secret=SECRET, scope="openid profile") as c:
        provider = await discover(c)
        response, state = await start_authorization(
            c, provider, verifier=None, nonce=nonce, **params
        )
    assert response.status_code == 302, response.text
    location = response.headers["location"]
    return provider, callback_params(location), state, location


async def test_discovery_lists_every_response_type_and_the_implicit_grant(idp: IdP) -> None:
    async with idp.client() as http:
        meta = (await http.get("/.well-known/openid-configuration")).json()
    assert sorted(meta["response_types_supported"]) == sorted(RESPONSE_TYPES)
    assert {"query", "fragment", "form_post"} == set(meta["response_modes_supported"])
    assert "implicit" in meta["grant_types_supported"]
    assert "c_hash" not in meta["grant_types_supported"]


@pytest.mark.parametrize("response_type", TOKEN_TYPES)
async def test_token_response_types_answer_in_the_fragment(idp: IdP, response_type: str) -> None:
    nonce = secrets.token_urlsafe(16)
    provider, params, state, location = await _authorize(idp, response_type, nonce=nonce)
    assert location.startswith(REDIRECT_URI + "#")  # never tokens in the query
    assert "?" not in location
    assert params["state"] == state
    assert params["iss"] == provider.issuer
    words = set(response_type.split())
    assert ("code" in params) == ("code" in words)
    assert ("access_token" in params) == ("token" in words)
    assert ("id_token" in params) == ("id_token" in words)
    assert "refresh_token" not in params  # RFC 6749 4.2.2
    if "token" in words:
        assert params["token_type"] == "Bearer"
        assert int(params["expires_in"]) == idp.provider.scenario.lifetimes.access_token
        async with oauth_client(idp, CONFIDENTIAL) as c:  # Authlib reads it (RFC 6749 4.2.2)
            token = c.token_from_fragment(location, state)
        assert token["access_token"] == params["access_token"]
    if "id_token" in words:
        claims = _validated(
            params["id_token"],
            provider,
            response_type=response_type,
            nonce=nonce,
            params=params,
            now=idp.provider.clock.now(),
        )
        assert claims["nonce"] == nonce
        assert ("at_hash" in claims) == ("token" in words)
        assert ("c_hash" in claims) == ("code" in words)
        assert claims["sub"] == "alice"
        assert claims["name"] == "Alice Anderson"  # profile claims: no access token needed


@pytest.mark.parametrize("response_type", ["id_token token", "code id_token token", "token"])
async def test_the_front_channel_access_token_works_at_userinfo(
    idp: IdP, response_type: str
) -> None:
    _, params, _, _ = await _authorize(idp, response_type, nonce="n-1")
    async with idp.client() as http:
        info = await http.get(
            "/userinfo", headers={"Authorization": f"Bearer {params['access_token']}"}
        )
    assert info.status_code == 200, info.text
    assert info.json()["sub"] == "alice"


@pytest.mark.parametrize("response_type", ["code id_token", "code token", "code id_token token"])
async def test_hybrid_code_redeems_for_an_id_token_with_the_same_subject(
    idp: IdP, response_type: str
) -> None:
    nonce = secrets.token_urlsafe(16)
    async with oauth_client(idp, CONFIDENTIAL, client_secret=SECRET, scope="openid") as c:
        provider = await discover(c)
        response, state = await start_authorization(
            c, provider, verifier=None, nonce=nonce, response_type=response_type
        )
        front = callback_params(response.headers["location"])
        token = await c.fetch_token(
            provider.endpoint("token_endpoint"), code=front["code"], state=state
        )
    alg = provider.metadata["id_token_signing_alg_values_supported"][0]
    _, claims = decode_jwt(token["id_token"], provider.keys, alg)
    assert claims["nonce"] == nonce  # Core 3.3.3.6: as in the code flow
    assert claims["iss"] == provider.issuer
    if "id_token" in front:
        _, first = decode_jwt(front["id_token"], provider.keys, alg)
        assert (claims["sub"], claims["iss"]) == (first["sub"], first["iss"])  # Core 3.3.3.6
    if "access_token" in front:
        assert token["access_token"] != front["access_token"]


async def test_form_post_carries_the_tokens_in_the_form(idp: IdP) -> None:
    provider, _, _, _ = await _authorize(idp, "code", nonce="x")  # discovery only
    async with oauth_client(idp, CONFIDENTIAL, client_secret=SECRET, scope="openid") as c:
        response, state = await start_authorization(
            c,
            provider,
            verifier=None,
            nonce="n-2",
            response_type="id_token token",
            response_mode="form_post",
        )
    assert response.status_code == 200
    method, action, fields = form_post_fields(response.text)
    assert (method, action) == ("post", REDIRECT_URI)
    assert fields["state"] == state
    claims = _validated(
        fields["id_token"],
        provider,
        response_type="id_token token",
        nonce="n-2",
        params=fields,
        now=idp.provider.clock.now(),
    )
    assert "at_hash" in claims


async def test_word_order_does_not_matter(idp: IdP) -> None:
    _, params, _, _ = await _authorize(idp, "token code id_token", nonce="n")
    assert {"code", "access_token", "id_token"} <= set(params)
    assert canonical("token id_token") == "id_token token"
    assert canonical("code code") is None


# -- errors: sent back in the fragment, where a token response would have gone ------------


def _error(location: str) -> dict[str, str]:
    assert location.startswith(REDIRECT_URI + "#"), location
    return callback_params(location)


@pytest.mark.parametrize("response_type", ["id_token", "id_token token", "code id_token"])
async def test_missing_nonce_is_invalid_request(idp: IdP, response_type: str) -> None:
    _, _, state, location = await _authorize(idp, response_type)
    error = _error(location)
    assert error["error"] == "invalid_request"
    assert "nonce" in error["error_description"]
    assert error["state"] == state


@pytest.mark.parametrize("response_type", ["code token", "token"])
async def test_nonce_is_optional_without_an_id_token(idp: IdP, response_type: str) -> None:
    """Core 3.3.2.1 (errata): nonce is required only where the response carries an ID token."""
    _, params, _, _ = await _authorize(idp, response_type)
    assert "access_token" in params


@pytest.mark.parametrize("response_type", TOKEN_TYPES)
async def test_query_mode_is_refused_for_token_responses(idp: IdP, response_type: str) -> None:
    _, _, _, location = await _authorize(idp, response_type, nonce="n", response_mode="query")
    error = _error(location)
    assert error["error"] == "invalid_request"
    assert "response_mode=query" in error["error_description"]


async def test_id_token_needs_the_openid_scope(idp: IdP) -> None:
    _, _, _, location = await _authorize(idp, "id_token", nonce="n", scope="profile")
    assert _error(location)["error"] == "invalid_request"


def _scenario(**client: Any) -> dict[str, Any]:
    return only_clients(
        {"client_id": CONFIDENTIAL, "client_secret": SECRET, "redirect_uris": [REDIRECT_URI]}
        | client
    )


async def test_response_types_default_to_code_only(idp: IdP) -> None:
    idp.provider.use_scenario(_scenario())
    _, _, _, location = await _authorize(idp, "id_token token", nonce="n")
    error = _error(location)
    assert error["error"] == "unauthorized_client"
    assert "registered for code" in error["error_description"]
    _, params, _, _ = await _authorize(idp, "code")
    assert "code" in params


async def test_a_client_gets_only_the_response_types_it_lists(idp: IdP) -> None:
    idp.provider.use_scenario(
        _scenario(grant_types=["authorization_code", "implicit"], response_types=["code id_token"])
    )
    _, params, _, _ = await _authorize(idp, "id_token code", nonce="n")
    assert {"code", "id_token"} <= set(params)
    _, _, _, location = await _authorize(idp, "code token", nonce="n")
    assert _error(location)["error"] == "unauthorized_client"


def test_response_types_need_the_matching_grant_types() -> None:
    with pytest.raises(ScenarioError) as caught:
        create_app(_scenario(response_types=["code", "id_token"]))
    problems = {p.location: p.message for p in caught.value.problems}
    assert "implicit" in problems["clients[0].response_types[1]"]


async def test_public_hybrid_client_still_needs_pkce(idp: IdP) -> None:
    async with oauth_client(idp, PUBLIC, scope="openid") as c:
        provider = await discover(c)
        response, _ = await start_authorization(
            c, provider, verifier=None, nonce="n", response_type="code id_token"
        )
        assert _error(response.headers["location"])["error"] == "invalid_request"
        implicit, _ = await start_authorization(
            c, provider, verifier=None, nonce="n", response_type="id_token"
        )
        assert "id_token" in callback_params(implicit.headers["location"])  # no code: no PKCE


async def test_wrong_at_hash_defect_reaches_the_front_channel_id_token(idp: IdP) -> None:
    data = default_scenario_mapping(
        broken_tokens=[
            {"token": "id_token", "defect": "wrong_at_hash", "match": {"endpoint": "authorization"}}
        ]
    )
    idp.provider.use_scenario(data)
    nonce = "n-3"
    provider, params, _, _ = await _authorize(idp, "id_token token", nonce=nonce)
    with pytest.raises(Exception, match="at_hash"):
        _validated(
            params["id_token"],
            provider,
            response_type="id_token token",
            nonce=nonce,
            params=params,
            now=idp.provider.clock.now(),
        )


# -- presets: every response type and mode their discovery lists works ---------------------


@pytest.mark.parametrize("preset", ["superoffice", "loginradius"])
async def test_preset_advertised_response_types_and_modes_work(preset: str) -> None:
    app = create_app({"preset": preset})
    async with http_for(app) as http:
        issuer = app.provider.issuer_for("http://mockidp.test")
        meta = app.provider.metadata(issuer)
        authorize = meta["authorization_endpoint"]
        for response_type in meta["response_types_supported"]:
            for mode in meta.get("response_modes_supported", ["query", "fragment"]):
                response = await http.get(
                    authorize,
                    params={
                        "client_id": CONFIDENTIAL,
                        "redirect_uri": REDIRECT_URI,
                        "response_type": response_type,
                        "response_mode": mode,
                        "scope": "openid",
                        "state": "s",
                        "nonce": "n",
                    },
                )
                got = (
                    callback_params(response.headers.get("location", ""))
                    or (form_post_fields(response.text)[2])
                )
                if mode == "query" and response_type != "code":
                    assert got["error"] == "invalid_request", (response_type, mode)
                    continue
                assert "error" not in got, (response_type, mode, got)
                for word in response_type.split():
                    assert (word if word != "token" else "access_token") in got
        for grant in meta.get("grant_types_supported", []):
            assert grant in {"authorization_code", "refresh_token", "implicit"}, grant


@pytest.mark.parametrize("preset", sorted(PRESETS))
def test_every_preset_discovery_lists_only_what_works(preset: str) -> None:
    """Each value a preset's discovery lists is one mockidp serves (issue 5's truthfulness)."""
    provider = create_app({"preset": preset}).provider
    meta = provider.metadata(provider.issuer_for("http://mockidp.test"))
    for response_type in meta.get("response_types_supported", []):
        assert canonical(response_type) is not None, response_type
    assert set(meta.get("response_modes_supported", [])) <= set(RESPONSE_MODES)
    assert set(meta.get("grant_types_supported", [])) <= {*GRANTS, "implicit"}
    for key in (
        "token_endpoint_auth_methods_supported",
        "revocation_endpoint_auth_methods_supported",
        "introspection_endpoint_auth_methods_supported",
    ):
        assert set(meta.get(key, [])) <= set(AUTH_METHODS), key
    assert set(meta.get("code_challenge_methods_supported", [])) <= set(PKCE_METHODS)
    assert set(meta.get("prompt_values_supported", [])) <= set(PROMPTS)
    assert meta.get("request_parameter_supported", False) is False
    assert meta.get("request_uri_parameter_supported", False) is False
    assert set(meta.get("id_token_signing_alg_values_supported", [])) <= set(
        provider.keys.signing_algs
    )
    assert set(meta.get("subject_types_supported", [])) == {provider.scenario.subject_type}
