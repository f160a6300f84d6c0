"""The superoffice preset against SuperOffice's documents (references 000, 001) and the
captured examples: requests sent exactly as SuperOffice clients send them."""

from __future__ import annotations

import base64
import hashlib
import json
import re
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from joserfc.errors import JoseError

from mockidp import MockIdPApp
from mockidp.errors import ScenarioError
from mockidp.store.memory import MemoryStore
from tests.support.e2e import CONFIDENTIAL, REDIRECT_URI, SECRET, decode_jwt, validated_id_token
from tests.support.presets import (
    IssuerMismatch,
    app_for,
    authorization_code,
    discover_issuer,
    example,
    http_for,
    jwt_parts,
    oauth_for,
    partner_key,
    signed_system_token,
)

pytestmark = pytest.mark.anyio

SOD = "https://sod.superoffice.com"
SCHEMES = "http://schemes.superoffice.net/identity/"
TOKENS = "/login/common/oauth/tokens"


def sod_app(**extra: Any) -> MockIdPApp:
    return app_for({"preset": "superoffice", "path_params": {"environment": "sod"}, **extra})


async def _tokens(app: MockIdPApp, **params: str) -> dict[str, Any]:
    """A code exchanged as the SuperOffice samples do: every parameter in the query string
    of a POST with an empty body, even with content-type application/json."""
    async with oauth_for(app, CONFIDENTIAL, client_secret=SECRET) as client:
        client.base_url = SOD
        provider = await discover_issuer(client, SOD + "/login", validate_issuer=False)
        code, _, _ = await authorization_code(
            client, provider, nonce="n-0S6_WzA2Mj", pkce=False, **params
        )
    async with http_for(app, SOD) as http:
        response = await http.post(
            TOKENS,
            params={
                "client_id": CONFIDENTIAL,
                "client_secret": SECRET,
                "code": code,
                "redirect_uri": REDIRECT_URI,
                "grant_type": "authorization_code",
                "redirect_url": REDIRECT_URI,  # the samples' misspelling: ignored
            },
            headers={"Content-Type": "application/json"},
        )
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body


async def test_discovery_document_is_the_captured_one() -> None:
    app = sod_app()
    async with http_for(app, SOD) as http:
        response = await http.get("/login/.well-known/openid-configuration")
    assert response.status_code == 200
    expected = example("superoffice-openid-configuration.json")
    assert list(response.json()) == list(expected)  # the same members, in the same order
    assert response.json() == expected


async def test_issuer_is_the_origin_while_discovery_lives_under_login() -> None:
    app = app_for({"preset": "superoffice"})
    async with http_for(app) as http:
        with pytest.raises(IssuerMismatch):  # OIDC Discovery 4.3 fails, as on the real one
            await discover_issuer(http, "http://mockidp.test/login")
        provider = await discover_issuer(http, "http://mockidp.test/login", validate_issuer=False)
        assert provider.issuer == "http://mockidp.test"
        assert (await http.get("/.well-known/openid-configuration")).status_code == 404


@pytest.mark.parametrize("environment", ["sod", "qaonline", "online"])
async def test_environments_set_the_issuer(environment: str) -> None:
    app = app_for({"preset": "superoffice", "path_params": {"environment": environment}})
    assert app.provider.scenario.issuer == f"https://{environment}.superoffice.com"


async def test_userinfo_is_not_supported() -> None:
    app = sod_app()
    async with http_for(app, SOD) as http:
        meta = (await http.get("/login/.well-known/openid-configuration")).json()
        assert "userinfo_endpoint" not in meta
        assert "introspection_endpoint" not in meta
        for path in ("/userinfo", "/login/userinfo", "/login/common/oauth/userinfo"):
            assert (await http.get(path)).status_code == 404


async def test_authlib_signs_in_with_issuer_validation_relaxed() -> None:
    app = sod_app()
    async with oauth_for(app, CONFIDENTIAL, client_secret=SECRET) as client:
        client.base_url = SOD
        provider = await discover_issuer(client, SOD + "/login", validate_issuer=False)
        code, verifier, state = await authorization_code(client, provider, nonce="abc")
        token = await client.fetch_token(
            provider.endpoint("token_endpoint"), code=code, code_verifier=verifier, state=state
        )
    assert token["token_type"] == "Bearer"
    claims = validated_id_token(
        token["id_token"],
        provider,
        client_id=CONFIDENTIAL,
        nonce="abc",
        access_token=None,  # SuperOffice sends no at_hash
        now=app.provider.clock.now(),
    )
    assert claims["iss"] == SOD


async def test_token_response_is_shaped_like_the_captured_one() -> None:
    app = sod_app()
    body = await _tokens(app)
    expected = example("superoffice-token-response.json")
    assert set(body) == set(expected)
    assert body["token_type"] == expected["token_type"] == "Bearer"
    assert body["expires_in"] == expected["expires_in"] == 3600
    # 8A:{ctx}.{base64 blob}: old clients read the tenant between "8A:" and the first "."
    assert re.fullmatch(r"8A:Cust12345\.[A-Za-z0-9+/]+={0,2}", body["access_token"])
    assert body["access_token"][3 : body["access_token"].index(".")] == "Cust12345"
    assert re.fullmatch(r"[A-Za-z0-9]{48,64}", body["refresh_token"])
    assert re.fullmatch(r"[A-Za-z0-9]{48,64}", expected["refresh_token"])  # the same shape


async def test_the_samples_misspelt_redirect_url_alone_works() -> None:
    app = sod_app()
    async with oauth_for(app, CONFIDENTIAL, client_secret=SECRET) as client:
        client.base_url = SOD
        provider = await discover_issuer(client, SOD + "/login", validate_issuer=False)
        code, _, _ = await authorization_code(client, provider, pkce=False)
    query = {
        "client_id": CONFIDENTIAL,
        "client_secret": SECRET,
        "code": code,
        "grant_type": "authorization_code",
    }
    async with http_for(app, SOD) as http:
        response = await http.post(
            TOKENS,
            params={**query, "redirect_url": REDIRECT_URI},
            headers={"Content-Type": "application/json"},
        )
    assert response.status_code == 200, response.text
    assert response.json()["access_token"].startswith("8A:")


async def test_form_body_and_basic_work_too() -> None:
    app = sod_app()
    async with oauth_for(app, CONFIDENTIAL, client_secret=SECRET) as client:
        client.base_url = SOD
        provider = await discover_issuer(client, SOD + "/login", validate_issuer=False)
        code, verifier, _ = await authorization_code(client, provider)
    async with http_for(app, SOD) as http:
        response = await http.post(
            TOKENS,
            data={
                "grant_type": "authorization_code",
                "code": code,
                "redirect_uri": REDIRECT_URI,
                "code_verifier": verifier,
            },
            auth=(CONFIDENTIAL, SECRET),
        )
    assert response.status_code == 200, response.text


async def test_refresh_tokens_do_not_rotate_and_are_not_sent_again() -> None:
    app = sod_app()
    first = await _tokens(app)
    async with http_for(app, SOD) as http:
        for _ in range(2):  # the same refresh token, again and again
            response = await http.post(
                TOKENS,
                params={
                    "client_id": CONFIDENTIAL,
                    "client_secret": SECRET,
                    "grant_type": "refresh_token",
                    "refresh_token": first["refresh_token"],
                },
            )
            assert response.status_code == 200, response.text
            body = response.json()
            assert "refresh_token" not in body
            assert set(body) == {"token_type", "access_token", "expires_in", "id_token"}
            assert body["access_token"].startswith("8A:Cust12345.")


async def test_id_token_header_and_claims_match_the_captured_one() -> None:
    app = sod_app()
    body = await _tokens(app)
    captured = example("superoffice-id-token.json")
    header, claims = jwt_parts(body["id_token"])
    assert set(header) == set(captured["header"]) == {"alg", "kid", "x5t", "typ"}
    assert header["alg"] == "RS256" and header["typ"] == "JWT"
    assert re.fullmatch(r"[0-9A-F]{40}", header["kid"])  # uppercase hex SHA-1 thumbprint
    thumbprint = base64.urlsafe_b64decode(header["x5t"] + "=")
    assert thumbprint.hex().upper() == header["kid"]
    # Every captured claim, plus webapi_url (documented); no at_hash, auth_time or sid.
    wanted = set(captured["payload"]) | {SCHEMES + "webapi_url"}
    assert set(claims) == wanted
    for name, value in claims.items():
        if name.startswith(SCHEMES):
            assert isinstance(value, str), name
    assert claims["sub"] == "alice@example.com"  # the username (email)
    assert claims["aud"] == CONFIDENTIAL
    assert claims["iss"] == SOD
    assert claims["nonce"] == "n-0S6_WzA2Mj"
    assert claims["nbf"] == claims["iat"] - 60
    assert claims["exp"] == claims["iat"] + 300
    assert claims[SCHEMES + "ctx"] == "Cust12345"
    assert claims[SCHEMES + "associateid"] == "5"
    assert claims[SCHEMES + "is_administrator"] == "True"
    assert claims[SCHEMES + "identityprovider"] == "central-superid"
    assert claims[SCHEMES + "email"] == claims[SCHEMES + "upn"] == "alice@example.com"
    assert claims[SCHEMES + "webapi_url"] == "https://sod.superoffice.com/Cust12345/api/"
    assert (
        claims[SCHEMES + "netserver_url"]
        == "https://sod.superoffice.com/Cust12345/Remote/Services88/"
    )


async def test_jwks_key_carries_its_certificate() -> None:
    app = sod_app()
    async with http_for(app, SOD) as http:
        keys = (await http.get("/login/.well-known/jwks")).json()["keys"]
    assert len(keys) == 1
    key = keys[0]
    assert {"kid", "x5t", "x5c", "alg", "use", "kty", "n", "e"} <= set(key)
    assert key["alg"] == "RS256" and key["use"] == "sig"
    der = base64.b64decode(key["x5c"][0])
    assert base64.urlsafe_b64encode(hashlib.sha1(der).digest()).rstrip(b"=").decode() == key["x5t"]
    assert key["kid"] == hashlib.sha1(der).hexdigest().upper()


async def test_user_claims_choose_the_tenant() -> None:
    app = sod_app(
        users=[
            {
                "sub": "tony",
                "claims": {
                    "email": "tony@superoffice.com",
                    "ctx": "Cust26759",
                    "associateid": 7,
                    "company_name": "Tonys Developer Network",
                    "system_token": "SuperOffice DevNet Node OIDC-8k8Q7DmBgo",
                },
            }
        ],
        default_user="tony",
    )
    body = await _tokens(app)
    assert body["access_token"].startswith("8A:Cust26759.")
    _, claims = jwt_parts(body["id_token"])
    assert claims["sub"] == "tony@superoffice.com"
    assert claims[SCHEMES + "associateid"] == "7"
    assert claims[SCHEMES + "webapi_url"] == "https://sod.superoffice.com/Cust26759/api/"
    assert claims[SCHEMES + "system_token"] == "SuperOffice DevNet Node OIDC-8k8Q7DmBgo"
    assert claims[SCHEMES + "company_name"] == "Tonys Developer Network"


async def test_id_token_verifies_against_the_jwks() -> None:
    app = sod_app()
    body = await _tokens(app)
    async with http_for(app, SOD) as http:
        provider = await discover_issuer(http, SOD + "/login", validate_issuer=False)
    header, claims = decode_jwt(body["id_token"], provider.keys, "RS256")
    assert header["x5t"] == provider.jwks["keys"][0]["x5t"]
    assert claims["iss"] == SOD
    with pytest.raises(JoseError):
        decode_jwt(body["id_token"][:-4] + "AAAA", provider.keys, "RS256")


async def test_revoking_the_refresh_token_ends_it() -> None:
    app = sod_app()
    body = await _tokens(app)
    async with http_for(app, SOD) as http:
        revoked = await http.post(
            "/login/common/oauth/revoke",
            data={"token": body["refresh_token"], "token_type_hint": "refresh_token"},
            auth=(CONFIDENTIAL, SECRET),
        )
        assert revoked.status_code == 200
        response = await http.post(
            TOKENS,
            params={
                "client_id": CONFIDENTIAL,
                "client_secret": SECRET,
                "grant_type": "refresh_token",
                "refresh_token": body["refresh_token"],
            },
        )
    assert response.status_code == 400
    assert response.json()["error"] == "invalid_grant"


async def test_end_session_takes_redirect_uri() -> None:
    app = sod_app()
    body = await _tokens(app)
    async with http_for(app, SOD) as http:
        response = await http.get(
            "/login/logout",
            params={"id_token_hint": body["id_token"], "redirect_uri": "http://localhost:8080/"},
        )
        assert response.status_code == 302
        assert response.headers["location"] == "http://localhost:8080/"
        ignored = await http.get(  # the standard name means nothing to SuperOffice
            "/login/logout",
            params={
                "id_token_hint": body["id_token"],
                "post_logout_redirect_uri": "http://localhost:8080/",
            },
        )
        assert ignored.status_code == 200


async def test_query_and_body_merge_with_the_body_winning() -> None:
    app = sod_app()
    async with oauth_for(app, CONFIDENTIAL, client_secret=SECRET) as client:
        client.base_url = SOD
        provider = await discover_issuer(client, SOD + "/login", validate_issuer=False)
        code, _, _ = await authorization_code(client, provider, pkce=False)
    async with http_for(app, SOD) as http:
        response = await http.post(
            TOKENS,
            params={"grant_type": "authorization_code", "code": "not-this-one"},
            data={
                "code": code,
                "redirect_uri": REDIRECT_URI,
                "client_id": CONFIDENTIAL,
                "client_secret": SECRET,
            },
        )
        assert response.status_code == 200, response.text
        junk = await http.post(TOKENS, content=b"{}", headers={"Content-Type": "text/plain"})
    assert junk.status_code == 400


async def test_acr_values_choose_the_tenant_for_every_token() -> None:
    app = sod_app()
    body = await _tokens(app, acr_values="tenant:Cust77777")
    assert body["access_token"].startswith("8A:Cust77777.")
    _, claims = jwt_parts(body["id_token"])
    assert claims[SCHEMES + "ctx"] == "Cust77777"
    assert claims[SCHEMES + "webapi_url"] == "https://sod.superoffice.com/Cust77777/api/"
    async with http_for(app, SOD) as http:
        refreshed = await http.post(
            TOKENS,
            params={
                "client_id": CONFIDENTIAL,
                "client_secret": SECRET,
                "grant_type": "refresh_token",
                "refresh_token": body["refresh_token"],
            },
        )
    assert refreshed.json()["access_token"].startswith("8A:Cust77777.")
    _, again = jwt_parts(refreshed.json()["id_token"])
    assert again[SCHEMES + "ctx"] == "Cust77777"


async def test_the_tenant_can_be_chosen_by_path() -> None:
    app = sod_app()
    async with http_for(app, SOD) as http:
        response = await http.get(
            "/login/Cust55555/oauth/authorize",
            params={
                "client_id": CONFIDENTIAL,
                "redirect_uri": REDIRECT_URI,
                "response_type": "code",
                "scope": "openid",
                "state": "s",
            },
        )
        assert response.status_code == 302, response.text
        code = response.headers["location"].split("code=")[1].split("&")[0]
        tokens = await http.post(
            TOKENS,
            params={
                "client_id": CONFIDENTIAL,
                "client_secret": SECRET,
                "code": code,
                "redirect_uri": REDIRECT_URI,
                "grant_type": "authorization_code",
            },
        )
    assert tokens.json()["access_token"].startswith("8A:Cust55555.")


# The members AspNet.Security.OAuth.SuperOffice (linked from reference 001) reads, plus
# providers.md's ContextId.
PRINCIPAL_MEMBERS = {
    "UserType", "Associate", "AssociateId", "IsPerson", "PersonId", "CountryId",
    "HomeCountryId", "ContactId", "GroupId", "BusinessId", "CategoryId", "ContactOwner",
    "RoleId", "RoleName", "RoleDescription", "RoleType", "Licenses", "FullName",
    "EMailAddress", "FunctionRights", "EjUserId", "EjAccessLevel", "EjUserStatus",
    "ProvidedCredentials", "SecondaryGroups", "ContextIdentifier",
    "DatabaseContextIdentifier", "ContextId",
}  # fmt: skip


async def test_current_principal_as_the_linked_client_requests_it() -> None:
    app = sod_app(
        users=[
            {
                "sub": "tony",
                "claims": {
                    "email": "tony@superoffice.com",
                    "ctx": "Cust26759",
                    "current_principal": {"FunctionRights": ["admin-all"], "GroupId": 2},
                },
            }
        ],
        default_user="tony",
    )
    body = await _tokens(app)
    bearer = {"Authorization": "Bearer " + body["access_token"]}
    async with http_for(app, SOD) as http:
        # The client's path: lowercase "user" (SuperOffice's servers ignore case).
        response = await http.get("/Cust26759/api/v1/user/currentPrincipal", headers=bearer)
    assert response.status_code == 200, response.text
    principal = response.json()
    assert set(principal) == PRINCIPAL_MEMBERS
    assert principal["Associate"] == "tony" and principal["EMailAddress"] == "tony@superoffice.com"
    assert principal["ContextIdentifier"] == principal["ContextId"] == "Cust26759"
    assert principal["FunctionRights"] == ["admin-all"] and principal["GroupId"] == 2


async def test_paths_ignore_case_as_superoffice_servers_do() -> None:
    app = sod_app()
    async with http_for(app, SOD) as http:
        upper = await http.get("/LOGIN/.well-known/openid-configuration")
        assert upper.status_code == 200
        assert upper.json() == (await http.get("/login/.well-known/openid-configuration")).json()
        system = await http.post("/login/api/partnersystemuser/authenticate", json={})
        assert system.status_code == 200 and system.json()["IsSuccessful"] is False
    strict = app_for({"preset": "superoffice", "quirks": {"case_insensitive_paths": False}})
    async with http_for(strict, SOD) as http:
        assert (await http.get("/LOGIN/.well-known/openid-configuration")).status_code == 404


async def test_current_principal_at_the_webapi_url() -> None:
    app = sod_app()
    body = await _tokens(app)
    _, claims = jwt_parts(body["id_token"])
    webapi_url = claims[SCHEMES + "webapi_url"]
    bearer = {"Authorization": "Bearer " + body["access_token"]}
    async with http_for(app, SOD) as http:
        response = await http.get(webapi_url + "v1/User/currentPrincipal", headers=bearer)
        assert response.status_code == 200, response.text
        principal = response.json()
        assert principal["ContextId"] == "Cust12345"
        assert principal["PersonId"] == 5 and principal["AssociateId"] == 5
        assert principal["RoleName"] == "User level 0"
        assert principal["EMailAddress"] == "alice@example.com"
        other = await http.get("/Cust99999/api/v1/User/currentPrincipal", headers=bearer)
        assert other.status_code == 401  # another tenant's API
        anonymous = await http.get(webapi_url + "v1/User/currentPrincipal")
        assert anonymous.status_code == 401


async def test_system_user_exchanges_a_signed_system_token_for_a_jwt() -> None:
    app, request, private, now = _system_user_setup()
    request["ReturnTokenType"] = "JWT"  # the vendor's documents spell it both ways
    path = "/Login/api/PartnerSystemUser/Authenticate"
    async with http_for(app, SOD) as http:
        response = await http.post(path, json=request)
        assert response.status_code == 200, response.text
        answer = response.json()
        assert set(answer) == {"IsSuccessful", "Token", "ErrorMessage"}
        assert answer["IsSuccessful"] is True and answer["ErrorMessage"] is None
        provider = await discover_issuer(http, SOD + "/login", validate_issuer=False)
        _, claims = decode_jwt(answer["Token"], provider.keys, "RS256")
        assert claims["iss"] == "SuperOffice AS"
        assert claims["aud"] == "spn:1801550193"
        assert claims["ctx"] == "Cust12345" and claims["serial"] == "1801550193"
        assert claims["ticket"]
        for change in (
            {"ApplicationToken": "wrong"},
            {"ContextIdentifier": "Cust99999"},
            {"SignedSystemToken": request["SignedSystemToken"][:-8] + "AAAAAAA="},
            {
                "SignedSystemToken": signed_system_token(
                    private, "DevNet-8k8Q7DmBgo", now - timedelta(hours=2)
                )
            },
        ):
            refused = (await http.post(path, json={**request, **change})).json()
            assert refused["IsSuccessful"] is False and refused["Token"] is None, change
            assert refused["ErrorMessage"]


async def test_codes_are_64_alphanumerics() -> None:
    app = sod_app()
    async with http_for(app, SOD) as http:
        response = await http.get(
            "/login/common/oauth/authorize",
            params={
                "client_id": CONFIDENTIAL,
                "redirect_uri": REDIRECT_URI,
                "response_type": "code",
                "scope": "openid",
            },
        )
    code = response.headers["location"].split("code=")[1].split("&")[0]
    assert re.fullmatch(r"[A-Za-z0-9]{64}", code)


async def test_a_strict_mode_puts_the_issuer_under_login() -> None:
    app = app_for({"preset": "superoffice", "quirks": {"issuer_path": "/login"}})
    async with oauth_for(app, CONFIDENTIAL, client_secret=SECRET) as client:
        provider = await discover_issuer(client, "http://mockidp.test/login")  # strict
        code, verifier, state = await authorization_code(client, provider, nonce="n")
        token = await client.fetch_token(
            provider.endpoint("token_endpoint"), code=code, code_verifier=verifier, state=state
        )
    assert provider.endpoint("token_endpoint") == "http://mockidp.test/login/common/oauth/tokens"
    _, claims = jwt_parts(token["id_token"])
    assert claims["iss"] == "http://mockidp.test/login"
    assert claims[SCHEMES + "webapi_url"] == "http://mockidp.test/Cust12345/api/"


async def test_an_unregistered_redirect_url_is_authorization_error_2() -> None:
    app = sod_app()
    async with http_for(app, SOD) as http:
        response = await http.get(
            "/login/common/oauth/authorize",
            params={
                "client_id": CONFIDENTIAL,
                "redirect_uri": "https://evil.example/cb",
                "response_type": "code",
                "scope": "openid",
            },
        )
    assert response.status_code == 400
    assert "location" not in response.headers  # never sent to an untrusted address
    assert "Authorization error: InvalidRedirectUrl (2)" in response.text


def _system_user_setup() -> tuple[MockIdPApp, dict[str, str], Any, datetime]:
    """An app with a partner application and a system user, a valid request, the
    partner's private key and the moment the request was signed."""
    private, public = partner_key()
    app = sod_app(
        clients=[
            {
                "client_id": "partner-app",
                "client_secret": "app-token",
                "redirect_uris": [REDIRECT_URI],
                "jwks": {"keys": [public]},
            }
        ],
        users=[
            {
                "sub": "system",
                "claims": {"email": "system@example.com", "system_token": "DevNet-8k8Q7DmBgo"},
            }
        ],
    )
    now = datetime.fromtimestamp(app.provider.clock.now(), UTC)
    request = {
        "SignedSystemToken": signed_system_token(private, "DevNet-8k8Q7DmBgo", now),
        "ApplicationToken": "app-token",
        "ContextIdentifier": "Cust12345",
        "ReturnTokenType": "Jwt",
    }
    return app, request, private, now


def _system_user_app() -> tuple[MockIdPApp, dict[str, str]]:
    """An app with a partner application and a system user, and a valid request."""
    app, request, _, _ = _system_user_setup()
    return app, request


async def _ticket(app: MockIdPApp, request: dict[str, str]) -> str:
    async with http_for(app, SOD) as http:
        answer = (await http.post("/Login/api/PartnerSystemUser/Authenticate", json=request)).json()
    assert answer["IsSuccessful"] is True, answer
    _, claims = jwt_parts(answer["Token"])
    ticket: str = claims["ticket"]
    assert ticket.startswith("7T:")
    return ticket


async def test_a_system_user_ticket_reads_the_current_principal() -> None:
    app, request = _system_user_app()
    ticket = await _ticket(app, request)
    headers = {"Authorization": "SOTicket " + ticket, "SO-AppToken": "app-token"}
    async with http_for(app, SOD) as http:
        response = await http.get("/Cust12345/api/v1/User/currentPrincipal", headers=headers)
    assert response.status_code == 200, response.text
    principal = response.json()
    assert principal["EMailAddress"] == "system@example.com"
    assert principal["ContextIdentifier"] == "Cust12345"
    assert principal["EjUserStatus"] == "StatusNormal"  # a value of the vendor's enum


async def test_a_ticket_is_refused_elsewhere_without_its_app_token_or_late() -> None:
    app, request = _system_user_app()
    ticket = await _ticket(app, request)
    path = "/Cust12345/api/v1/User/currentPrincipal"
    before = _stored(app)
    async with http_for(app, SOD) as http:
        for headers in (
            {"Authorization": "SOTicket " + ticket},  # no SO-AppToken
            {"Authorization": "SOTicket " + ticket, "SO-AppToken": "mockidp-secret"},
            {"Authorization": "SOTicket 7T:unknown", "SO-AppToken": "app-token"},
        ):
            refused = await http.get(path, headers=headers)
            assert refused.status_code == 401, headers
            assert refused.json()["error"] == "invalid_token"
            assert "WWW-Authenticate" in refused.headers
        good = {"Authorization": "SOTicket " + ticket, "SO-AppToken": "app-token"}
        other = await http.get("/Cust99999/api/v1/User/currentPrincipal", headers=good)
        assert other.status_code == 401  # another tenant's web API
        assert _stored(app) == before  # refusals change nothing stored
        app.provider.clock.advance(6 * 3600 + 1)  # a ticket lives 6 hours
        assert (await http.get(path, headers=good)).status_code == 401


@pytest.mark.parametrize("kind", ["Saml", "None", "jwt2"])
async def test_return_token_type_other_than_jwt_is_refused(kind: str) -> None:
    app, request = _system_user_app()
    before = _stored(app)
    async with http_for(app, SOD) as http:
        answer = await http.post(
            "/Login/api/PartnerSystemUser/Authenticate", json={**request, "ReturnTokenType": kind}
        )
    assert answer.status_code == 200
    assert answer.json() == {
        "IsSuccessful": False,
        "Token": None,
        "ErrorMessage": f"ReturnTokenType {kind!r} is not supported; use Jwt",
    }
    assert _stored(app) == before  # no ticket stored


def _stored(app: MockIdPApp) -> str:
    """Everything the app's store holds, to compare before and after a refusal."""
    store = app.provider.deps.state.store
    assert isinstance(store, MemoryStore)
    return json.dumps(store._items, sort_keys=True, default=str)


async def test_principal_enums_are_set_per_user_and_checked_at_load() -> None:
    user = {
        "sub": "reader",
        "claims": {
            "email": "reader@example.com",
            "current_principal": {"EjUserStatus": "StatusReadOnly", "UserType": "SystemAssociate"},
        },
    }
    app = sod_app(users=[user], default_user="reader")
    body = await _tokens(app)
    async with http_for(app, SOD) as http:
        response = await http.get(
            "/Cust12345/api/v1/User/currentPrincipal",
            headers={"Authorization": "Bearer " + body["access_token"]},
        )
    principal = response.json()
    assert (principal["EjUserStatus"], principal["UserType"]) == (
        "StatusReadOnly",
        "SystemAssociate",
    )
    assert principal["RoleType"] == "Employee"
    typo = {**user, "claims": {**user["claims"], "current_principal": {"EjUserStatus": "Normal"}}}
    with pytest.raises(ScenarioError) as bad:
        sod_app(users=[typo])
    problem = bad.value.problems[0]
    assert problem.location.endswith("current_principal.EjUserStatus"), problem
    assert "'Normal' is not one of StatusNone, StatusNormal" in problem.message
