"""The loginradius presets against LoginRadius's API document (reference 003) and the
captured examples: requests sent exactly as the document shows them (JSON bodies with
``content-Type: application/json``), and discovery-driven sign-in with Authlib."""

from __future__ import annotations

import json
import re
from typing import Any

import pytest

from mockidp import MockIdPApp
from tests.support.e2e import CONFIDENTIAL, REDIRECT_URI, SECRET, decode_jwt, validated_id_token
from tests.support.presets import (
    BASE,
    WELL_KNOWN,
    app_for,
    authorization_code,
    discover_issuer,
    example,
    http_for,
    jwt_parts,
    oauth_for,
)

pytestmark = pytest.mark.anyio

ISSUER = BASE + "/sso/oidc/v2/mysite/myapp"
TOKEN = "/sso/oidc/v2/myapp/token"
REVOKE = "/sso/oidc/v2/myapp/token/revoke"
USERINFO = "/sso/oidc/v2/mysite/myapp/userinfo"
JSON_HEADERS = {"content-Type": "application/json"}
GUID = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}")


def lr_app(**extra: Any) -> MockIdPApp:
    return app_for({"preset": "loginradius", **extra})


async def _code(
    app: MockIdPApp, *, nonce: str = "testmounce", scope: str = "openid profile"
) -> str:
    async with oauth_for(app, CONFIDENTIAL, client_secret=SECRET) as client:
        provider = await discover_issuer(client, ISSUER)
        code, _, _ = await authorization_code(
            client, provider, nonce=nonce, pkce=False, scope=scope
        )
    return code


async def _json_post(app: MockIdPApp, path: str, body: dict[str, str]) -> Any:
    """The document's request: a JSON string body and a content-Type header."""
    async with http_for(app) as http:
        return await http.post(path, content=json.dumps(body).encode(), headers=JSON_HEADERS)


async def _exchange(app: MockIdPApp, **extra: str) -> dict[str, Any]:
    code = await _code(app, **extra)
    response = await _json_post(
        app,
        TOKEN,
        {
            "grant_type": "authorization_code",
            "client_id": CONFIDENTIAL,
            "client_secret": SECRET,
            "redirect_uri": REDIRECT_URI,
            "response_type": "token",
            "code": code,
        },
    )
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body


async def _refresh(app: MockIdPApp, refresh_token: str) -> Any:
    return await _json_post(
        app,
        TOKEN,
        {
            "grant_type": "refresh_token",
            "client_id": CONFIDENTIAL,
            "client_secret": SECRET,
            "response_type": "token",
            "refresh_token": refresh_token,
            "scope": "openid profile",
        },
    )


async def test_discovery_has_the_documented_members_and_working_endpoints() -> None:
    app = lr_app()
    async with http_for(app) as http:
        response = await http.get(
            "/sso/oidc/v2/mysite/myapp/.well-known/openid-configuration", headers=JSON_HEADERS
        )
    assert response.status_code == 200
    meta = response.json()
    expected = example("loginradius-legacy-openid-configuration.json")
    assert list(meta) == list(expected)
    assert meta["issuer"] == ISSUER  # the issuer holds the site and app names, as documented
    for key in (
        "scopes_supported",
        "response_types_supported",
        "response_modes_supported",
        "subject_types_supported",
        "token_endpoint_auth_methods_supported",
        "id_token_signing_alg_values_supported",
        "claims_supported",
    ):
        assert meta[key] == expected[key], key
    # The captured endpoint URLs are placeholders; ours are the documented API paths.
    assert meta["authorization_endpoint"] == BASE + "/sso/oidc/v2/myapp/authorize"
    assert meta["token_endpoint"] == BASE + TOKEN
    assert meta["revocation_endpoint"] == BASE + REVOKE
    assert meta["userinfo_endpoint"] == BASE + USERINFO
    assert meta["jwks_uri"] == BASE + "/sso/oidc/v2/mysite/myapp/jwks"
    assert "end_session_endpoint" not in meta  # a hosted logout page, no OIDC end session


async def test_jwks_is_shaped_like_the_documented_one() -> None:
    app = lr_app()
    async with http_for(app) as http:
        response = await http.get("/sso/oidc/v2/mysite/myapp/jwks", headers=JSON_HEADERS)
    keys = response.json()["keys"]
    assert [set(k) for k in keys] == [{"kty", "use", "alg", "kid", "n", "e"}]
    assert keys[0]["kid"] == "206" and keys[0]["alg"] == "RS256" and keys[0]["use"] == "sig"


async def test_access_token_by_openid_code_with_a_json_body() -> None:
    body = await _exchange(lr_app())
    assert set(body) == {"access_token", "token_type", "expires_in", "refresh_token", "id_token"}
    assert body["token_type"] == "access_token"
    assert GUID.fullmatch(body["access_token"])
    assert GUID.fullmatch(body["refresh_token"])
    assert body["expires_in"] == 394  # as the document's sample response says
    header, claims = jwt_parts(body["id_token"])
    assert header["alg"] == "RS256" and header["kid"] == "206"
    assert claims["iss"] == ISSUER and claims["aud"] == CONFIDENTIAL


async def test_form_body_and_basic_are_accepted_too() -> None:
    app = lr_app()
    code = await _code(app)
    async with http_for(app) as http:
        response = await http.post(
            TOKEN,
            data={"grant_type": "authorization_code", "code": code, "redirect_uri": REDIRECT_URI},
            auth=(CONFIDENTIAL, SECRET),
        )
    assert response.status_code == 200, response.text
    assert response.json()["token_type"] == "access_token"


async def test_refresh_access_token_with_a_json_body() -> None:
    app = lr_app()
    first = await _exchange(app)
    response = await _refresh(app, first["refresh_token"])
    assert response.status_code == 200, response.text
    body = response.json()
    assert set(body) == {"access_token", "token_type", "expires_in", "refresh_token", "id_token"}
    assert body["token_type"] == "access_token"
    assert GUID.fullmatch(body["access_token"]) and GUID.fullmatch(body["refresh_token"])


async def test_refresh_response_id_token_spelling_is_switchable() -> None:
    app = lr_app(quirks={"refresh_id_token_member": "Id_token"})  # as the document spells it
    first = await _exchange(app)
    assert "id_token" in first  # the code exchange keeps the usual name
    body = (await _refresh(app, first["refresh_token"])).json()
    assert "Id_token" in body and "id_token" not in body


async def test_revoke_refresh_token_answers_an_empty_object() -> None:
    app = lr_app()
    first = await _exchange(app)
    response = await _json_post(
        app,
        REVOKE,
        {"client_id": CONFIDENTIAL, "client_secret": SECRET, "token": first["refresh_token"]},
    )
    assert response.status_code == 200
    assert response.json() == {}
    assert (await _refresh(app, first["refresh_token"])).json()["error"] == "invalid_grant"


async def test_the_documented_token_key_with_a_space_is_switchable() -> None:
    body = {"client_id": CONFIDENTIAL, "client_secret": SECRET}
    strict = lr_app()
    first = await _exchange(strict)
    refused = await _json_post(strict, REVOKE, {**body, "token ": first["refresh_token"]})
    assert refused.status_code == 400 and refused.json()["error"] == "invalid_request"
    lenient = lr_app(quirks={"strip_json_keys": True})
    second = await _exchange(lenient)
    revoked = await _json_post(lenient, REVOKE, {**body, "token ": second["refresh_token"]})
    assert revoked.status_code == 200
    assert (await _refresh(lenient, second["refresh_token"])).status_code == 400


async def test_userinfo_is_a_json_quoted_signed_jwt() -> None:
    app = lr_app()
    tokens = await _exchange(app, nonce="testmounce")
    async with http_for(app) as http:
        response = await http.request(  # the document's GET, JSON header and "{}" body
            "GET",
            USERINFO,
            content=b"{}",
            headers={**JSON_HEADERS, "Authorization": "Bearer " + tokens["access_token"]},
        )
        assert response.status_code == 200, response.text
        signed = response.json()
        assert isinstance(signed, str)
        provider = await discover_issuer(http, ISSUER)
    header, claims = decode_jwt(signed, provider.keys, "RS256")
    assert header == {"alg": "RS256", "kid": "206", "typ": "JWT"}
    captured = example("loginradius-userinfo-jwt-payload.json")["payload"]
    assert set(claims) == set(captured) - {"asdas"}  # asdas is that site's custom field
    assert claims["Uid"] == claims["sub"] == "alice"
    assert claims["aud"] == CONFIDENTIAL and claims["iss"] == ISSUER
    assert claims["nonce"] == "testmounce"
    assert claims["exp"] == claims["iat"] + 600 and claims["nbf"] == claims["iat"]
    assert claims["email"] == "alice@example.com"  # all the profile, whatever the scope
    assert claims["middle_name"] is None and claims["profile"] is None
    assert set(captured["address"]) <= set(claims["address"])


# The document says POST needs "application/x-wwww-form-urlencoded" (sic): an empty
# body with either spelling is fine.
@pytest.mark.parametrize(
    "content_type", ["application/x-www-form-urlencoded", "application/x-wwww-form-urlencoded"]
)
async def test_userinfo_by_post_with_a_bearer_token(content_type: str) -> None:
    app = lr_app()
    tokens = await _exchange(app)
    async with http_for(app) as http:
        response = await http.post(
            USERINFO,
            headers={
                "Authorization": "Bearer " + tokens["access_token"],
                "Content-Type": content_type,
            },
        )
    assert response.status_code == 200
    assert isinstance(response.json(), str)


async def test_state_is_required() -> None:
    app = lr_app()
    async with http_for(app) as http:
        response = await http.get(
            "/sso/oidc/v2/myapp/authorize",
            params={
                "client_id": CONFIDENTIAL,
                "redirect_uri": REDIRECT_URI,
                "response_type": "code",
                "scope": "openid",
            },
        )
    assert response.status_code == 302
    location = response.headers["location"]
    assert "error=invalid_request" in location and "state" in location


async def test_authlib_signs_in_from_the_issuer_url_alone() -> None:
    app = lr_app()
    async with oauth_for(
        app, CONFIDENTIAL, client_secret=SECRET, token_endpoint_auth_method="client_secret_post"
    ) as client:
        provider = await discover_issuer(client, ISSUER)  # strict: the issuer matches
        code, verifier, state = await authorization_code(client, provider, nonce="xyz")
        token = await client.fetch_token(
            provider.endpoint("token_endpoint"), code=code, code_verifier=verifier, state=state
        )
    assert token["token_type"] == "access_token"
    validated_id_token(
        token["id_token"],
        provider,
        client_id=CONFIDENTIAL,
        nonce="xyz",
        access_token=token["access_token"],
        now=app.provider.clock.now(),
    )


async def test_paths_fill_in_the_site_and_app_names() -> None:
    app = lr_app(path_params={"sitename": "acme", "oidcappname": "portal"})
    issuer = BASE + "/sso/oidc/v2/acme/portal"
    async with http_for(app) as http:
        provider = await discover_issuer(http, issuer)
    assert provider.endpoint("token_endpoint") == BASE + "/sso/oidc/v2/portal/token"


# -- the hub layout ----------------------------------------------------------------------

HUB_ISSUER = BASE + "/service/oidc/myapp"


async def test_hub_metadata_matches_the_captured_layout() -> None:
    app = app_for({"preset": "loginradius-hub"})
    async with http_for(app) as http:
        response = await http.get("/service/oidc/myapp/.well-known/oauth-authorization-server")
    meta = response.json()
    captured = example("loginradius-hub-oauth-authorization-server.json")

    def shape(url: str) -> str:
        return url.replace("https://{TenantEndpoint}", BASE).replace("{oidcAppName}", "myapp")

    assert meta["issuer"] == shape(captured["issuer"]) == HUB_ISSUER
    for key in ("authorization_endpoint", "token_endpoint", "jwks_uri", "revocation_endpoint"):
        assert meta[key] == shape(captured[key]), key
    assert meta["code_challenge_methods_supported"] == ["S256"]
    for key in (
        "grant_types_supported",
        "response_modes_supported",
        "token_endpoint_auth_methods_supported",
        "revocation_endpoint_auth_methods_supported",
        "token_endpoint_auth_signing_alg_values_supported",
        "scopes_supported",
        "subject_types_supported",
    ):
        assert meta[key] == captured[key], key


async def test_hub_authlib_sign_in() -> None:
    app = app_for({"preset": "loginradius-hub"})
    async with oauth_for(app, CONFIDENTIAL, client_secret=SECRET) as client:
        provider = await discover_issuer(client, HUB_ISSUER)
        code, verifier, state = await authorization_code(client, provider, nonce="n1")
        token = await client.fetch_token(
            provider.endpoint("token_endpoint"), code=code, code_verifier=verifier, state=state
        )
    assert provider.endpoint("token_endpoint") == BASE + "/api/oidc/myapp/token"
    validated_id_token(
        token["id_token"],
        provider,
        client_id=CONFIDENTIAL,
        nonce="n1",
        access_token=token["access_token"],
        now=app.provider.clock.now(),
    )


async def test_errors_come_in_the_oidc_shape_by_default() -> None:
    app = lr_app()
    response = await _json_post(
        app,
        TOKEN,
        {"grant_type": "authorization_code", "client_id": CONFIDENTIAL, "client_secret": "no"},
    )
    # LoginRadius answers a wrong secret as unauthorized_client, in its own words.
    assert response.status_code == 400
    assert response.json() == {
        "error": "unauthorized_client",
        "error_description": "The client_secret is not valid, check your client_secret again",
    }


@pytest.mark.parametrize(
    ("body", "error", "description", "status"),
    [
        (
            {"client_id": "nobody", "client_secret": SECRET, "code": "x"},
            "invalid_client",
            "The client_id is not valid, check your client_id again",
            401,
        ),
        (
            {"client_secret": SECRET, "code": "unknown"},
            "invalid_grant",
            "The code has been expired",
            400,
        ),
        (
            {"grant_type": "refresh_token", "client_secret": SECRET, "refresh_token": "x"},
            "invalid_grant",
            "The refresh_token is not valid",
            400,
        ),
    ],
)
async def test_token_errors_use_loginradius_wording(
    body: dict[str, str], error: str, description: str, status: int
) -> None:
    app = lr_app()
    response = await _json_post(
        app, TOKEN, {"grant_type": "authorization_code", "client_id": CONFIDENTIAL, **body}
    )
    assert response.status_code == status, response.text
    assert response.json() == {"error": error, "error_description": description}


async def test_a_used_code_is_already_used() -> None:
    app = lr_app()
    code = await _code(app)
    body = {
        "grant_type": "authorization_code",
        "client_id": CONFIDENTIAL,
        "client_secret": SECRET,
        "redirect_uri": REDIRECT_URI,
        "code": code,
    }
    assert (await _json_post(app, TOKEN, body)).status_code == 200
    again = await _json_post(app, TOKEN, body)
    assert again.json() == {
        "error": "invalid_grant",
        "error_description": "The code is already used",
    }


@pytest.mark.parametrize(
    ("body", "error_code", "status"),
    [
        ({"client_id": "nobody", "client_secret": SECRET, "code": "x"}, 2009, 401),
        ({"client_secret": "wrong", "code": "x"}, 2011, 403),
        ({"client_secret": SECRET, "code": "unknown"}, 2005, 401),
        ({"client_secret": SECRET}, 2008, 400),
        ({"client_secret": SECRET, "grant_type": "magic"}, 2012, 400),
        ({"client_secret": SECRET, "grant_type": "refresh_token", "refresh_token": "x"}, 2010, 400),
    ],
)
async def test_the_loginradius_error_envelope_is_switchable(
    body: dict[str, str], error_code: int, status: int
) -> None:
    app = lr_app(quirks={"error_shape": "loginradius"})
    response = await _json_post(
        app, TOKEN, {"grant_type": "authorization_code", "client_id": CONFIDENTIAL, **body}
    )
    assert response.status_code == status, response.text
    envelope = response.json()
    assert set(envelope) == {
        "Description",
        "ErrorCode",
        "Message",
        "IsProviderError",
        "ProviderErrorResponse",
    }
    assert envelope["ErrorCode"] == error_code
    assert envelope["IsProviderError"] is False and envelope["ProviderErrorResponse"] is None


async def test_bearer_errors_stay_rfc_6750_in_the_envelope_mode() -> None:
    app = lr_app(quirks={"error_shape": "loginradius"})
    async with http_for(app) as http:
        response = await http.get(USERINFO, headers={"Authorization": "Bearer nope"})
    assert response.status_code == 401
    assert response.json()["error"] == "invalid_token"
    assert "invalid_token" in response.headers["WWW-Authenticate"]


async def test_scope_must_contain_openid() -> None:
    app = lr_app()
    async with http_for(app) as http:
        response = await http.get(
            "/sso/oidc/v2/myapp/authorize",
            params={
                "client_id": CONFIDENTIAL,
                "redirect_uri": REDIRECT_URI,
                "response_type": "code",
                "scope": "profile",
                "state": "s",
            },
        )
    assert response.status_code == 302
    assert "error=request_not_supported" in response.headers["location"]


async def test_redirect_uri_mismatch_is_2014_in_the_envelope() -> None:
    app = lr_app(quirks={"error_shape": "loginradius"})
    code = await _code(app)
    response = await _json_post(
        app,
        TOKEN,
        {
            "grant_type": "authorization_code",
            "client_id": CONFIDENTIAL,
            "client_secret": SECRET,
            "redirect_uri": "http://localhost:9/elsewhere",
            "code": code,
        },
    )
    assert response.status_code == 401
    assert response.json()["ErrorCode"] == 2014
    assert response.json()["Message"] == "invalid_grant"


async def test_the_hosted_logout_page_returns_to_return_url() -> None:
    app = lr_app()
    target = "http://localhost:8080/"
    async with http_for(app) as http:
        response = await http.get("/auth.aspx", params={"action": "logout", "return_url": target})
        assert response.status_code in (302, 303), response.text
        assert response.headers["location"] == target
        refused = await http.get(
            "/auth.aspx", params={"action": "logout", "return_url": "https://evil.example/"}
        )
    assert refused.status_code == 400


# -- the document's sample requests, byte for byte (its curl / Python / JavaScript) -------

SAMPLE_HEADERS = {"Cache-Control": "no-cache", "content-Type": "application/json"}


def _sample(template: str, **values: str) -> bytes:
    """A sample body as the document writes it, ``<name>`` placeholders filled in."""
    for name, value in values.items():
        template = template.replace(f"<{name}>", value)
    return template.encode()


async def test_the_documented_sample_requests_verbatim() -> None:
    app = lr_app(quirks={"strip_json_keys": True})
    code = await _code(app)
    ids = {"client_id": CONFIDENTIAL, "client_secret": SECRET}
    async with http_for(app) as http:
        # Access Token by OpenID code: no redirect_uri (the document marks it optional).
        exchanged = await http.post(
            TOKEN,
            content=_sample(
                '{ "grant_type" : "<grant_type>","client_id" : "<client_id>","client_secret" : '
                '"<client_secret>","response_type" : "<response_type>","code" : "<code>"  }',
                grant_type="authorization_code",
                response_type="token",
                code=code,
                **ids,
            ),
            headers=SAMPLE_HEADERS,
        )
        assert exchanged.status_code == 200, exchanged.text
        tokens = exchanged.json()
        assert set(tokens) == {
            "access_token",
            "token_type",
            "expires_in",
            "refresh_token",
            "id_token",
        }
        assert tokens["token_type"] == "access_token" and tokens["expires_in"] == 394
        # Refresh Access Token, the JavaScript sample (it names refresh_token twice).
        refreshed = await http.post(
            TOKEN,
            content=_sample(
                '{ "grant_type" : "<grant_type>","client_id" : "<client_id>","client_secret" : '
                '"<client_secret>","response_type" : "<response_type>","refresh_token" : '
                '"<refresh_token>","refresh_token" : "<refresh_token>","scope" : "<scope>"  }',
                grant_type="refresh_token",
                response_type="token",
                refresh_token=tokens["refresh_token"],
                scope="openid profile",
                **ids,
            ),
            headers=SAMPLE_HEADERS,
        )
        assert refreshed.status_code == 200, refreshed.text
        assert refreshed.json()["expires_in"] == 394
        # UserInfo by Access Token: a GET with a JSON content type and a "{}" body.
        userinfo = await http.request(
            "GET",
            USERINFO,
            content=b"{}",
            headers={**SAMPLE_HEADERS, "Authorization": "Bearer " + tokens["access_token"]},
        )
        assert userinfo.status_code == 200 and isinstance(userinfo.json(), str)
        # JSON Web Key Set and discovery: GETs with the same header and body (the JWKS
        # table also lists a Bearer header, which its samples leave out: either works).
        for path in ("/sso/oidc/v2/mysite/myapp/jwks", ISSUER[len(BASE) :] + WELL_KNOWN):
            got = await http.request("GET", path, content=b"{}", headers=SAMPLE_HEADERS)
            assert got.status_code == 200, path
        keys = await http.get(
            "/sso/oidc/v2/mysite/myapp/jwks",
            headers={**SAMPLE_HEADERS, "Authorization": "Bearer " + tokens["access_token"]},
        )
        assert keys.status_code == 200 and keys.json()["keys"][0]["kid"] == "206"
        # Revoke Refresh Token: the document's "token " key (strip_json_keys on here).
        revoked = await http.post(
            REVOKE,
            content=_sample(
                '{ "client_id" : "<client_id>","client_secret" : "<client_secret>","token " : '
                '"<token >"  }',
                **ids,
                **{"token ": refreshed.json()["refresh_token"]},
            ),
            headers=SAMPLE_HEADERS,
        )
        assert revoked.status_code == 200 and revoked.json() == {}


async def test_a_redirect_uri_that_is_sent_must_still_match() -> None:
    app = lr_app()
    code = await _code(app)
    response = await _json_post(
        app,
        TOKEN,
        {
            "grant_type": "authorization_code",
            "client_id": CONFIDENTIAL,
            "client_secret": SECRET,
            "redirect_uri": "http://localhost:8080/other",
            "code": code,
        },
    )
    assert response.status_code == 400 and response.json()["error"] == "invalid_grant"


async def test_prompt_none_without_a_session_is_login_required() -> None:
    app = lr_app()
    async with http_for(app) as http:
        response = await http.get(
            "/sso/oidc/v2/myapp/authorize",
            params={
                "client_id": CONFIDENTIAL,
                "redirect_uri": REDIRECT_URI,
                "response_type": "code",
                "scope": "openid",
                "state": "s1",
                "prompt": "none",
            },
        )
    assert response.status_code == 302
    location = response.headers["location"]
    assert "error=login_required" in location and "state=s1" in location


@pytest.mark.parametrize("preset", ["loginradius", "loginradius-hub"])
@pytest.mark.parametrize("quirks", [{}, {"error_shape": "loginradius"}])
async def test_every_envelope_carries_a_numeric_error_code(
    preset: str, quirks: dict[str, str]
) -> None:
    """LoginRadius's SDKs read a body without an ErrorCode as data: an unserved path, a
    wrong method and the identity API's refusals all carry one."""
    app = app_for({"preset": preset, "quirks": quirks})
    async with http_for(app) as http:
        answers = {
            "unserved": await http.get("/identity/v2/auth/securityquestion/email"),
            "method": await http.post("/identity/v2/auth/access_token/validate"),
            "no key": await http.get("/identity/v2/auth/access_token/validate"),
            "repeated": await http.get("/identity/v2/auth/account?apikey=a&apikey=b"),
        }
    assert answers["unserved"].status_code == 404
    assert answers["method"].status_code == 405 and "Allow" in answers["method"].headers
    codes = {name: answer.json()["ErrorCode"] for name, answer in answers.items()}
    assert codes == {"unserved": 1000, "method": 1000, "no key": 922, "repeated": 908}
    for answer in answers.values():
        assert set(answer.json()) == {
            "Description", "ErrorCode", "Message", "IsProviderError", "ProviderErrorResponse"
        }  # fmt: skip
