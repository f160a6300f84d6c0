"""DPoP (RFC 9449) end to end: proofs built with joserfc at the token endpoint and at
userinfo, bound access and refresh tokens, dpop_jkt codes, nonces, and every refusal."""

from __future__ import annotations

import base64
import hashlib
import secrets
from typing import Any

import httpx
import pytest
from joserfc import jwt
from joserfc.jwk import OctKey

from tests.conftest import IdP
from tests.support.e2e import PUBLIC, REDIRECT_URI, callback_params
from tests.support.flows import code_of, code_request, with_clients
from tests.support.grants import (
    CONFIDENTIAL_AUTH,
    assert_error,
    ath,
    claims_of,
    dpop_proof,
    ec_key,
    metadata,
    thumbprint,
)

pytestmark = pytest.mark.anyio

KEY = ec_key("dpop-1")
OTHER = ec_key("dpop-2")


BOUND = {
    "client_id": "bound",
    "client_secret": "bound-secret",
    "grant_types": ["client_credentials"],
    "dpop_bound_access_tokens": True,
}


def _scenario(**dpop: Any) -> dict[str, Any]:
    return with_clients(BOUND, **({"dpop": dpop} if dpop else {}))


@pytest.fixture
async def http(idp: IdP) -> Any:
    idp.provider.use_scenario(_scenario())
    async with idp.client() as client:
        yield client


def _now(idp: IdP) -> float:
    return idp.provider.clock.now()


async def _client_credentials(
    http: httpx.AsyncClient, proofs: list[str], auth: tuple[str, str] = CONFIDENTIAL_AUTH
) -> httpx.Response:
    url = (await metadata(http))["token_endpoint"]
    headers = [("DPoP", p) for p in proofs]
    return await http.post(
        url, data={"grant_type": "client_credentials"}, auth=auth, headers=headers
    )


async def _proof(idp: IdP, http: httpx.AsyncClient, key: Any = KEY, **claims: Any) -> str:
    url = (await metadata(http))["token_endpoint"]
    return dpop_proof(key, claims.pop("htu", url), now=_now(idp), **claims)


async def test_discovery_lists_asymmetric_dpop_algs(http: httpx.AsyncClient) -> None:
    algs = (await metadata(http))["dpop_signing_alg_values_supported"]
    assert "ES256" in algs and "RS256" in algs
    assert not [a for a in algs if a.startswith("HS") or a == "none"]


async def test_bound_token_carries_the_thumbprint(idp: IdP, http: httpx.AsyncClient) -> None:
    response = await _client_credentials(http, [await _proof(idp, http)])
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["token_type"] == "DPoP"
    assert claims_of(body["access_token"])["cnf"] == {"jkt": thumbprint(KEY)}
    meta = await metadata(http)
    info = await http.post(
        meta["introspection_endpoint"], data={"token": body["access_token"]}, auth=CONFIDENTIAL_AUTH
    )
    assert info.json()["cnf"] == {"jkt": thumbprint(KEY)}
    assert info.json()["token_type"] == "DPoP"


async def test_without_a_proof_the_token_is_bearer(http: httpx.AsyncClient) -> None:
    response = await _client_credentials(http, [])
    assert response.json()["token_type"] == "Bearer"
    assert "cnf" not in claims_of(response.json()["access_token"])


async def test_client_registered_for_dpop_must_send_a_proof(
    idp: IdP, http: httpx.AsyncClient
) -> None:
    auth = ("bound", "bound-secret")
    assert_error(
        await _client_credentials(http, [], auth=auth),
        "invalid_dpop_proof",
        says="dpop_bound_access_tokens",
    )
    ok = await _client_credentials(http, [await _proof(idp, http)], auth=auth)
    assert ok.json()["token_type"] == "DPoP"


def _hs256_proof(url: str, now: float) -> str:
    header = {"typ": "dpop+jwt", "alg": "HS256", "jwk": KEY.as_dict(private=False)}
    claims = {"jti": "x", "htm": "POST", "htu": url, "iat": int(now)}
    return jwt.encode(header, claims, OctKey.generate_key(256), algorithms=["HS256"])


@pytest.mark.parametrize(
    ("make", "says"),
    [
        (lambda url, now: dpop_proof(KEY, url, now=now, header={"typ": "JWT"}), "typ must be"),
        (_hs256_proof, "alg 'HS256' is not accepted"),
        (
            lambda url, now: dpop_proof(KEY, url, now=now, header={"jwk": None}),
            "jwk",
        ),
        (
            lambda url, now: dpop_proof(
                KEY, url, now=now, header={"jwk": KEY.as_dict(private=True)}
            ),
            "public key",
        ),
        (
            lambda url, now: dpop_proof(
                OTHER, url, now=now, header={"jwk": KEY.as_dict(private=False)}
            ),
            "does not verify",
        ),
        (lambda url, now: dpop_proof(KEY, url, now=now, htm="GET"), "htm must be POST"),
        (lambda url, now: dpop_proof(KEY, url + "x", now=now), "htu must be"),
        (lambda url, now: dpop_proof(KEY, url, now=now - 3600), "too old"),
        (lambda url, now: dpop_proof(KEY, url, now=now + 3600), "in the future"),
        (lambda url, now: dpop_proof(KEY, url, now=now, jti=None), "needs a jti"),
        (lambda url, now: "not.a.jws", "not a compact JWS"),
    ],
)
async def test_bad_proofs_are_refused(
    idp: IdP, http: httpx.AsyncClient, make: Any, says: str
) -> None:
    url = (await metadata(http))["token_endpoint"]
    response = await _client_credentials(http, [make(url, _now(idp))])
    assert_error(response, "invalid_dpop_proof", says=says)


async def test_htu_ignores_query_and_case_of_host(idp: IdP, http: httpx.AsyncClient) -> None:
    url = (await metadata(http))["token_endpoint"]
    scheme, _, rest = url.partition("://")
    host, _, path = rest.partition("/")
    odd = f"{scheme.upper()}://{host.upper()}/{path}?x=1#frag"
    response = await _client_credentials(http, [dpop_proof(KEY, odd, now=_now(idp))])
    assert response.status_code == 200, response.text


async def test_replayed_proof_and_two_proofs(idp: IdP, http: httpx.AsyncClient) -> None:
    proof = await _proof(idp, http)
    assert (await _client_credentials(http, [proof])).status_code == 200
    assert_error(
        await _client_credentials(http, [proof]), "invalid_dpop_proof", says="already used"
    )
    two = [await _proof(idp, http), await _proof(idp, http)]
    assert_error(await _client_credentials(http, two), "invalid_dpop_proof", says="exactly one")


async def test_nonce_challenge_then_success(idp: IdP, http: httpx.AsyncClient) -> None:
    idp.provider.use_scenario(_scenario(require_nonce=True))
    first = await _client_credentials(http, [await _proof(idp, http)])
    assert_error(first, "use_dpop_nonce", says="nonce is required")
    nonce = first.headers["DPoP-Nonce"]
    assert_error(
        await _client_credentials(http, [await _proof(idp, http, nonce="made-up")]),
        "use_dpop_nonce",
        says="unknown or expired",
    )
    again = await _client_credentials(http, [await _proof(idp, http, nonce=nonce)])
    assert again.status_code == 200, again.text
    assert again.json()["token_type"] == "DPoP"


# -- authorization code, refresh, dpop_jkt ---------------------------------------------


def _pkce() -> tuple[str, str]:
    verifier = secrets.token_urlsafe(48)
    digest = hashlib.sha256(verifier.encode()).digest()
    return verifier, base64.urlsafe_b64encode(digest).rstrip(b"=").decode()


async def _code(http: httpx.AsyncClient, **extra: str) -> tuple[str, str]:
    meta = await metadata(http)
    verifier, challenge = _pkce()
    params = code_request(
        PUBLIC, REDIRECT_URI, scope="openid offline_access", challenge=challenge, **extra
    )
    response = await http.get(meta["authorization_endpoint"], params=params)
    return code_of(response), verifier


async def _redeem(
    idp: IdP, http: httpx.AsyncClient, code: str, verifier: str, key: Any | None
) -> httpx.Response:
    data = {
        "grant_type": "authorization_code",
        "code": code,
        "code_verifier": verifier,
        "redirect_uri": REDIRECT_URI,
        "client_id": PUBLIC,
    }
    headers = {"DPoP": await _proof(idp, http, key)} if key is not None else {}
    return await http.post((await metadata(http))["token_endpoint"], data=data, headers=headers)


async def _refresh(
    idp: IdP, http: httpx.AsyncClient, refresh_token: str, key: Any | None
) -> httpx.Response:
    data = {"grant_type": "refresh_token", "refresh_token": refresh_token, "client_id": PUBLIC}
    headers = {"DPoP": await _proof(idp, http, key)} if key is not None else {}
    return await http.post((await metadata(http))["token_endpoint"], data=data, headers=headers)


async def test_public_client_refresh_token_is_bound(idp: IdP, http: httpx.AsyncClient) -> None:
    code, verifier = await _code(http)
    tokens = (await _redeem(idp, http, code, verifier, KEY)).json()
    assert tokens["token_type"] == "DPoP"
    refresh = tokens["refresh_token"]
    assert_error(
        await _refresh(idp, http, refresh, None), "invalid_grant", says="bound to a DPoP key"
    )
    assert_error(await _refresh(idp, http, refresh, OTHER), "invalid_grant", says="not the key")
    renewed = await _refresh(idp, http, refresh, KEY)  # the refusals spent nothing
    assert renewed.status_code == 200, renewed.text
    assert claims_of(renewed.json()["access_token"])["cnf"] == {"jkt": thumbprint(KEY)}


async def test_dpop_jkt_binds_the_code(idp: IdP, http: httpx.AsyncClient) -> None:
    code, verifier = await _code(http, dpop_jkt=thumbprint(KEY))
    assert_error(
        await _redeem(idp, http, code, verifier, OTHER), "invalid_grant", says="not the key"
    )
    code, verifier = await _code(http, dpop_jkt=thumbprint(KEY))
    assert_error(await _redeem(idp, http, code, verifier, None), "invalid_grant", says="bound")
    code, verifier = await _code(http, dpop_jkt=thumbprint(KEY))
    assert (await _redeem(idp, http, code, verifier, KEY)).json()["token_type"] == "DPoP"


async def test_malformed_dpop_jkt_is_redirected(http: httpx.AsyncClient) -> None:
    meta = await metadata(http)
    _, challenge = _pkce()
    params = {
        "client_id": PUBLIC,
        "redirect_uri": REDIRECT_URI,
        "response_type": "code",
        "state": "s",
        "code_challenge": challenge,
        "code_challenge_method": "S256",
        "dpop_jkt": "short",
    }
    response = await http.get(meta["authorization_endpoint"], params=params)
    found = callback_params(response.headers["location"])
    assert found["error"] == "invalid_request" and "dpop_jkt" in found["error_description"]


# -- the resource side: userinfo -------------------------------------------------------


async def _bound_user_token(idp: IdP, http: httpx.AsyncClient) -> str:
    code, verifier = await _code(http)
    token = (await _redeem(idp, http, code, verifier, KEY)).json()["access_token"]
    return str(token)


async def _userinfo(
    idp: IdP, http: httpx.AsyncClient, authorization: str, proof: str | None
) -> httpx.Response:
    url = (await metadata(http))["userinfo_endpoint"]
    headers = {"Authorization": authorization}
    if proof is not None:
        headers["DPoP"] = proof
    return await http.get(url, headers=headers)


async def _resource_proof(idp: IdP, http: httpx.AsyncClient, token: str, **claims: Any) -> str:
    url = (await metadata(http))["userinfo_endpoint"]
    key = claims.pop("key", KEY)
    htm = claims.pop("htm", "GET")
    hashed = claims.pop("ath", ath(token))
    return dpop_proof(key, url, now=_now(idp), htm=htm, ath=hashed, **claims)


async def test_userinfo_with_dpop(idp: IdP, http: httpx.AsyncClient) -> None:
    token = await _bound_user_token(idp, http)
    response = await _userinfo(idp, http, f"DPoP {token}", await _resource_proof(idp, http, token))
    assert response.status_code == 200, response.text
    assert response.json()["sub"] == "alice"


async def test_bound_token_as_bearer_is_refused(idp: IdP, http: httpx.AsyncClient) -> None:
    token = await _bound_user_token(idp, http)
    response = await _userinfo(idp, http, f"Bearer {token}", None)
    assert_error(response, "invalid_token", status=401, says="DPoP-bound")
    challenge = response.headers["WWW-Authenticate"]
    assert challenge.startswith('DPoP error="invalid_token"') and 'algs="' in challenge


@pytest.mark.parametrize(
    ("change", "says"),
    [
        ({"proof": None}, "exactly one DPoP header"),
        ({"ath": "wrong"}, "ath does not match"),
        ({"ath": None}, "needs an ath"),
        ({"key": OTHER}, "not the key the access token is bound to"),
        ({"htm": "POST"}, "htm must be GET"),
    ],
)
async def test_bad_resource_proofs(
    idp: IdP, http: httpx.AsyncClient, change: dict[str, Any], says: str
) -> None:
    token = await _bound_user_token(idp, http)
    change = dict(change)
    proof = None if "proof" in change else await _resource_proof(idp, http, token, **change)
    response = await _userinfo(idp, http, f"DPoP {token}", proof)
    assert_error(response, "invalid_dpop_proof", status=401, says=says)
    assert response.headers["WWW-Authenticate"].startswith('DPoP error="invalid_dpop_proof"')


async def test_unbound_token_with_dpop_scheme(idp: IdP, http: httpx.AsyncClient) -> None:
    token = (await _client_credentials(http, [])).json()["access_token"]
    response = await _userinfo(idp, http, f"DPoP {token}", await _resource_proof(idp, http, token))
    assert_error(response, "invalid_token", status=401, says="not DPoP-bound")


async def test_userinfo_nonce_challenge(idp: IdP, http: httpx.AsyncClient) -> None:
    token = await _bound_user_token(idp, http)
    idp.provider.use_scenario(_scenario(require_nonce=True), keep_time=True)
    first = await _userinfo(idp, http, f"DPoP {token}", await _resource_proof(idp, http, token))
    assert_error(first, "use_dpop_nonce", status=401)
    assert first.headers["WWW-Authenticate"].startswith('DPoP error="use_dpop_nonce"')
    nonce = first.headers["DPoP-Nonce"]
    proof = await _resource_proof(idp, http, token, nonce=nonce)
    assert (await _userinfo(idp, http, f"DPoP {token}", proof)).status_code == 200


async def test_unknown_token_with_dpop_scheme_gets_a_dpop_challenge(
    idp: IdP, http: httpx.AsyncClient
) -> None:
    response = await _userinfo(idp, http, "DPoP no-such-token", None)
    assert_error(response, "invalid_token", status=401, says="unknown")
    assert response.headers["WWW-Authenticate"].startswith('DPoP error="invalid_token"')


async def test_pushed_request_with_a_proof_binds_the_code(
    idp: IdP, http: httpx.AsyncClient
) -> None:
    meta = await metadata(http)
    par_url = meta["pushed_authorization_request_endpoint"]
    _, challenge = _pkce()
    pushed = {
        "client_id": PUBLIC,
        "redirect_uri": REDIRECT_URI,
        "response_type": "code",
        "scope": "openid",
        "state": "s",
        "code_challenge": challenge,
        "code_challenge_method": "S256",
    }
    mismatch = await http.post(
        par_url,
        data={**pushed, "dpop_jkt": thumbprint(OTHER)},
        headers={"DPoP": dpop_proof(KEY, par_url, now=_now(idp))},
    )
    assert_error(mismatch, "invalid_request", says="dpop_jkt differs")
    verifier, challenge = _pkce()
    response = await http.post(
        par_url,
        data={**pushed, "code_challenge": challenge},
        headers={"DPoP": dpop_proof(KEY, par_url, now=_now(idp))},
    )
    assert response.status_code == 201, response.text
    authorize = await http.get(
        meta["authorization_endpoint"],
        params={"client_id": PUBLIC, "request_uri": response.json()["request_uri"]},
    )
    code = callback_params(authorize.headers["location"])["code"]
    assert_error(
        await _redeem(idp, http, code, verifier, OTHER), "invalid_grant", says="not the key"
    )
