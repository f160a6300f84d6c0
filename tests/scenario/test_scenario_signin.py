"""Scripted sign-in: login modes, sessions, prompt=none, consent decisions, pairwise subjects.

HTTP-level, every test both in-process and against the live server (``idp``): the login
and consent pages are answered with plain form POSTs carrying the page's hidden
``interaction`` field. Scenarios start from the packaged default (a scenario mapping
replaces the default entirely) with sections added or changed.
"""

from __future__ import annotations

import hashlib
import re
from html import unescape
from pathlib import Path
from typing import Any

import httpx
import pytest
from joserfc.jwk import KeySet

from mockidp.cli import main as cli_main
from mockidp.model.scenario import Client, ConsentRule, Scenario, User
from mockidp.oauth.signin.consent import decision
from mockidp.oauth.tokens.subjects import pairwise_subject, sector_identifier, subject
from mockidp.scenario.loader import load_scenario
from tests.conftest import IdP
from tests.support.e2e import decode_jwt, default_scenario_mapping
from tests.support.negative import (
    BASIC,
    CLIENT_ID,
    REDIRECT_URI,
    assert_error_redirect,
    auth_params,
    authorize,
    guarded_client,
    redirect_params,
)
from tests.support.session_state import assert_session_state

pytestmark = pytest.mark.anyio

SCENARIOS = Path(__file__).resolve().parents[2] / "scenarios"
SESSION_COOKIE = "mockidp_session"
_INTERACTION = re.compile(r'<input type="hidden" name="interaction" value="([^"]+)">')


# -- scenarios -------------------------------------------------------------------------


def scenario(**sections: Any) -> dict[str, Any]:
    """The packaged default scenario with top-level sections added or replaced."""
    return default_scenario_mapping(**sections)


def with_user(data: dict[str, Any], sub: str, **fields: Any) -> dict[str, Any]:
    for user in data["users"]:
        if user["sub"] == sub:
            user.update(fields)
    return data


def with_client(data: dict[str, Any], client_id: str, **fields: Any) -> dict[str, Any]:
    for client in data["clients"]:
        if client["client_id"] == client_id:
            client.update(fields)
    return data


# -- driving the pages -----------------------------------------------------------------


async def start(web: httpx.AsyncClient, *, pkce: bool = False, **params: str) -> httpx.Response:
    """GET /authorize for the confidential default client (scope openid, state xyz)."""
    client_id = params.pop("client_id", CLIENT_ID)
    return await authorize(web, **auth_params(client_id, pkce=pkce, **params))


def interaction_of(response: httpx.Response) -> str:
    found = _INTERACTION.findall(response.text)
    assert found, response.text
    assert len(set(found)) == 1  # every form on the page carries the same interaction
    return unescape(found[0])


def login_page(response: httpx.Response, *, prefilled: str = "") -> str:
    """Assert ``response`` is the login page; return its interaction."""
    assert response.status_code == 200, response.text
    assert "location" not in response.headers
    assert "<h1>Sign in to " in response.text
    assert 'id="approve"' not in response.text
    assert f'id="login" name="login" value="{prefilled}"' in response.text
    return interaction_of(response)


def consent_page(response: httpx.Response, sub: str, scopes: tuple[str, ...] = ("openid",)) -> str:
    """Assert ``response`` is the consent page for ``sub`` and ``scopes``; return its interaction."""
    assert response.status_code == 200, response.text
    assert "location" not in response.headers
    assert 'id="approve"' in response.text and 'id="deny"' in response.text
    assert f"Signed in as <strong>{sub}</strong>" in response.text
    assert re.findall(r"<li><code>([^<]+)</code>", response.text) == list(scopes)
    return interaction_of(response)


async def submit_login(web: httpx.AsyncClient, iid: str, login: str) -> httpx.Response:
    return await web.post("/interaction/login", data={"interaction": iid, "login": login})


async def submit_consent(web: httpx.AsyncClient, iid: str, decision: str) -> httpx.Response:
    return await web.post("/interaction/consent", data={"interaction": iid, "decision": decision})


def code_of(response: httpx.Response, state: str = "xyz", *, sessions: bool = True) -> str:
    """A successful authorization response: exactly code, state, iss and session_state
    (none without ``sessions``: no session for the check_session iframe to watch)."""
    params = redirect_params(response)
    if sessions:
        assert set(params) == {"code", "state", "iss", "session_state"}, params
        assert_session_state(params)
    else:
        assert set(params) == {"code", "state", "iss"}, params
    assert params["state"] == state
    return params["code"]


def sets_session(response: httpx.Response) -> bool:
    return any(v.startswith(f"{SESSION_COOKIE}=") for v in response.headers.get_list("set-cookie"))


async def id_token_claims(
    web: httpx.AsyncClient, code: str, auth: tuple[str, str] = BASIC
) -> dict[str, Any]:
    """Redeem ``code``; the verified ID token's claims, with the tokens under ``_tokens``."""
    response = await web.post(
        "/token",
        data={"grant_type": "authorization_code", "code": code, "redirect_uri": REDIRECT_URI},
        auth=auth,
    )
    assert response.status_code == 200, response.text
    tokens = response.json()
    keys = KeySet.import_key_set((await web.get("/.well-known/jwks.json")).json())
    _, claims = decode_jwt(tokens["id_token"], keys, "RS256")
    claims["_tokens"] = tokens
    return claims


async def signed_in_sub(
    web: httpx.AsyncClient, response: httpx.Response, *, sessions: bool = True
) -> str:
    return str((await id_token_claims(web, code_of(response, sessions=sessions)))["sub"])


# -- login: auto | page | hint_only, and a user's own login ------------------------------


async def test_login_page_mode_asks_even_with_a_hint_and_signs_in_who_is_chosen(
    idp: IdP, web: httpx.AsyncClient
) -> None:
    idp.provider.use_scenario(scenario(login="page"))
    iid = login_page(await start(web, login_hint="bob"), prefilled="bob")
    answered = await submit_login(web, iid, "bob")
    assert sets_session(answered)
    assert await signed_in_sub(web, answered) == "bob"


async def test_auto_without_hint_or_default_user_shows_the_login_page(
    idp: IdP, web: httpx.AsyncClient
) -> None:
    data = scenario(login="auto")
    del data["default_user"]
    idp.provider.use_scenario(data)
    login_page(await start(web))
    assert await signed_in_sub(web, await start(web, login_hint="bob")) == "bob"


@pytest.mark.parametrize("hint", ["bob", "bob@example.com"])
async def test_hint_only_signs_the_hinted_user_in_at_once(
    idp: IdP, web: httpx.AsyncClient, hint: str
) -> None:
    idp.provider.use_scenario(scenario(login="hint_only"))
    response = await start(web, login_hint=hint)
    assert sets_session(response)
    assert await signed_in_sub(web, response) == "bob"


async def test_hint_only_without_a_hint_shows_the_page_despite_a_default_user(
    idp: IdP, web: httpx.AsyncClient
) -> None:
    idp.provider.use_scenario(scenario(login="hint_only"))
    assert idp.provider.scenario.default_user == "alice"
    iid = login_page(await start(web))
    assert await signed_in_sub(web, await submit_login(web, iid, "alice")) == "alice"


async def test_hint_only_with_a_hint_naming_nobody_shows_the_page_with_a_notice(
    idp: IdP, web: httpx.AsyncClient
) -> None:
    idp.provider.use_scenario(scenario(login="hint_only"))
    response = await start(web, login_hint="mallory")
    login_page(response, prefilled="mallory")
    assert "No user &#x27;mallory&#x27; in this scenario." in response.text


async def test_prompt_login_shows_the_page_even_for_a_hint_only_hint(
    idp: IdP, web: httpx.AsyncClient
) -> None:
    idp.provider.use_scenario(scenario(login="hint_only"))
    login_page(await start(web, login_hint="bob", prompt="login"), prefilled="bob")


async def test_a_users_login_page_overrides_login_auto_for_that_hint(
    idp: IdP, web: httpx.AsyncClient
) -> None:
    idp.provider.use_scenario(with_user(scenario(login="auto"), "bob", login="page"))
    login_page(await start(web, login_hint="bob"), prefilled="bob")
    # Only when the hint names bob: alice (hinted, or the default user) signs in at once.
    assert await signed_in_sub(web, await start(web, login_hint="alice")) == "alice"


@pytest.mark.parametrize("mode", ["auto", "hint_only"])
async def test_a_users_login_overrides_login_page_for_that_hint(
    idp: IdP, web: httpx.AsyncClient, mode: str
) -> None:
    idp.provider.use_scenario(with_user(scenario(login="page"), "bob", login=mode))
    assert await signed_in_sub(web, await start(web, login_hint="bob")) == "bob"
    async with guarded_client(idp) as fresh:  # a browser without bob's session
        login_page(await start(fresh, login_hint="alice"), prefilled="alice")
        login_page(await start(fresh))


# -- sessions --------------------------------------------------------------------------


async def test_sessions_on_reuse_the_signed_in_user_without_a_page(
    idp: IdP, web: httpx.AsyncClient
) -> None:
    idp.provider.use_scenario(scenario(login="page"))
    first = await submit_login(web, login_page(await start(web)), "bob")
    assert sets_session(first)
    first_claims = await id_token_claims(web, code_of(first))
    idp.provider.clock.advance(30)
    again = await start(web)
    assert not sets_session(again)  # the same session: no new cookie
    claims = await id_token_claims(web, code_of(again))
    assert claims["sub"] == "bob"
    assert claims["auth_time"] == first_claims["auth_time"]


async def test_sessions_off_sets_no_cookie_and_every_authorization_signs_in_anew(
    idp: IdP, web: httpx.AsyncClient
) -> None:
    idp.provider.use_scenario(scenario(login="page", sessions=False))
    first = await submit_login(web, login_page(await start(web)), "bob")
    assert not sets_session(first)
    assert SESSION_COOKIE not in web.cookies
    assert (await id_token_claims(web, code_of(first, sessions=False)))["sub"] == "bob"
    # The same browser is asked again, and prompt=none can never succeed.
    login_page(await start(web))
    assert_error_redirect(
        await start(web, prompt="none"), "login_required", issuer=idp.base_url, session_state=False
    )


async def test_sessions_off_with_login_auto_gives_a_fresh_auth_time_each_time(
    idp: IdP, web: httpx.AsyncClient
) -> None:
    idp.provider.use_scenario(scenario(sessions=False))
    idp.provider.clock.freeze()  # only the advance below moves it, not a second boundary
    first = await start(web)
    assert not sets_session(first)
    before = (await id_token_claims(web, code_of(first, sessions=False)))["auth_time"]
    idp.provider.clock.advance(100)
    second = await start(web)
    assert not sets_session(second)
    after = (await id_token_claims(web, code_of(second, sessions=False)))["auth_time"]
    assert after - before == 100


async def test_sessions_off_ignores_a_session_cookie_from_before(
    idp: IdP, web: httpx.AsyncClient
) -> None:
    idp.provider.use_scenario(scenario(login="page"))
    await submit_login(web, login_page(await start(web)), "bob")
    assert SESSION_COOKIE in web.cookies
    idp.provider.use_scenario(scenario(login="page", sessions=False))
    login_page(await start(web))


async def test_sessions_off_still_carries_the_login_through_the_consent_page(
    idp: IdP, web: httpx.AsyncClient
) -> None:
    idp.provider.use_scenario(scenario(login="page", consent="page", sessions=False))
    shown = await submit_login(web, login_page(await start(web)), "bob")
    assert not sets_session(shown)
    approved = await submit_consent(web, consent_page(shown, "bob"), "approve")
    assert not sets_session(approved)
    assert await signed_in_sub(web, approved, sessions=False) == "bob"


# -- prompt=none, as scripted -----------------------------------------------------------


@pytest.mark.parametrize("answer", ["login_required", "interaction_required"])
async def test_prompt_none_without_a_session_answers_as_scripted(
    idp: IdP, web: httpx.AsyncClient, answer: str
) -> None:
    idp.provider.use_scenario(scenario(prompt_none={"login": answer}))
    response = await start(web, prompt="none", state="silent")
    assert_error_redirect(response, answer, issuer=idp.base_url, state="silent")
    assert not sets_session(response)


@pytest.mark.parametrize("answer", ["consent_required", "interaction_required"])
async def test_prompt_none_needing_consent_answers_as_scripted(
    idp: IdP, web: httpx.AsyncClient, answer: str
) -> None:
    idp.provider.use_scenario(scenario(consent="page", prompt_none={"consent": answer}))
    consent_page(await start(web), "alice")  # signed in (auto), consent not yet given
    response = await start(web, prompt="none", state="silent")
    assert_error_redirect(response, answer, issuer=idp.base_url, state="silent")


async def test_prompt_none_scripted_for_consent_leaves_login_required_alone(
    idp: IdP, web: httpx.AsyncClient
) -> None:
    idp.provider.use_scenario(scenario(prompt_none={"consent": "interaction_required"}))
    assert_error_redirect(await start(web, prompt="none"), "login_required", issuer=idp.base_url)


# -- consent decisions -------------------------------------------------------------------


async def test_consent_deny_redirects_access_denied_with_state_and_iss(
    idp: IdP, web: httpx.AsyncClient
) -> None:
    idp.provider.use_scenario(scenario(consent="deny"))
    response = await start(web, state="refused")
    params = assert_error_redirect(response, "access_denied", issuer=idp.base_url, state="refused")
    assert "consent" in params["error_description"]
    assert sets_session(response)  # alice did sign in; only consent was refused
    # Neither the session nor prompt=consent / prompt=none changes a scripted refusal.
    for prompt in ("consent", "none"):
        again = await start(web, prompt=prompt)
        assert_error_redirect(again, "access_denied", issuer=idp.base_url)


async def test_consent_deny_after_the_login_page(idp: IdP, web: httpx.AsyncClient) -> None:
    idp.provider.use_scenario(scenario(login="page", consent="deny"))
    iid = login_page(await start(web, response_mode="query"))
    response = await submit_login(web, iid, "bob")
    assert_error_redirect(response, "access_denied", issuer=idp.base_url)
    assert sets_session(response)
    spent = await submit_login(web, iid, "bob")  # the interaction was answered
    assert spent.status_code == 400


async def test_consent_auto_shows_no_page_but_prompt_consent_does(
    idp: IdP, web: httpx.AsyncClient
) -> None:
    idp.provider.use_scenario(scenario(consent="auto"))
    assert await signed_in_sub(web, await start(web)) == "alice"
    shown = await start(web, prompt="consent", scope="openid email")
    iid = consent_page(shown, "alice", ("openid", "email"))
    assert await signed_in_sub(web, await submit_consent(web, iid, "approve")) == "alice"


async def test_consent_page_deny_button_is_access_denied(idp: IdP, web: httpx.AsyncClient) -> None:
    idp.provider.use_scenario(scenario(consent="page"))
    iid = consent_page(await start(web, state="s1"), "alice")
    response = await submit_consent(web, iid, "deny")
    assert_error_redirect(response, "access_denied", issuer=idp.base_url, state="s1")


async def test_client_consent_overrides_the_scenarios(idp: IdP, web: httpx.AsyncClient) -> None:
    data = with_client(scenario(consent="page"), CLIENT_ID, consent="deny")
    data = with_client(data, "mockidp-public", consent="auto")
    idp.provider.use_scenario(data)
    assert_error_redirect(await start(web), "access_denied", issuer=idp.base_url)
    public = await start(web, client_id="mockidp-public", pkce=True)
    assert set(redirect_params(public)) == {"code", "state", "iss", "session_state"}


async def test_user_consent_overrides_the_clients(idp: IdP, web: httpx.AsyncClient) -> None:
    data = with_client(scenario(consent="deny"), CLIENT_ID, consent="deny")
    data = with_user(data, "alice", consent="auto")
    data = with_user(data, "bob", consent="page")
    idp.provider.use_scenario(data)
    assert await signed_in_sub(web, await start(web)) == "alice"
    async with guarded_client(idp) as other:
        consent_page(await start(other, login_hint="bob"), "bob")


async def test_consent_rules_first_match_wins_and_beat_the_user(
    idp: IdP, web: httpx.AsyncClient
) -> None:
    rules = [
        {"client_id": CLIENT_ID, "scopes": ["offline_access"], "decision": "deny"},
        {"user": "alice", "scopes": ["email", "phone"], "decision": "page"},
        {"user": "alice", "decision": "auto"},  # never reached for email or phone
    ]
    data = with_user(scenario(consent="deny", consent_rules=rules), "alice", consent="deny")
    idp.provider.use_scenario(data)
    assert await signed_in_sub(web, await start(web, scope="openid profile")) == "alice"
    consent_page(await start(web, scope="openid phone"), "alice", ("openid", "phone"))
    refused = await start(web, scope="openid email offline_access")
    assert_error_redirect(refused, "access_denied", issuer=idp.base_url)
    # No rule matches bob: his own consent is absent, so the scenario's deny applies.
    async with guarded_client(idp) as other:
        bob = await start(other, login_hint="bob")
        assert_error_redirect(bob, "access_denied", issuer=idp.base_url)


async def test_remembered_consent_covers_the_approved_scopes_only(
    idp: IdP, web: httpx.AsyncClient
) -> None:
    idp.provider.use_scenario(scenario(consent="page"))
    first = await start(web, scope="openid email")
    await submit_consent(web, consent_page(first, "alice", ("openid", "email")), "approve")
    assert await signed_in_sub(web, await start(web, scope="openid email")) == "alice"
    assert await signed_in_sub(web, await start(web, scope="openid")) == "alice"
    wider = await start(web, scope="openid profile")
    await submit_consent(web, consent_page(wider, "alice", ("openid", "profile")), "approve")
    # Approvals add up: email (first) and profile (second) are both covered now.
    assert await signed_in_sub(web, await start(web, scope="openid profile email")) == "alice"
    # prompt=consent asks although everything was approved.
    consent_page(await start(web, prompt="consent"), "alice")


async def test_remember_consent_off_asks_every_time(idp: IdP, web: httpx.AsyncClient) -> None:
    idp.provider.use_scenario(scenario(consent="page", remember_consent=False))
    for _ in range(2):
        iid = consent_page(await start(web), "alice")
        assert await signed_in_sub(web, await submit_consent(web, iid, "approve")) == "alice"


async def test_remembered_consent_is_per_client(idp: IdP, web: httpx.AsyncClient) -> None:
    idp.provider.use_scenario(scenario(consent="page"))
    await submit_consent(web, consent_page(await start(web), "alice"), "approve")
    assert await signed_in_sub(web, await start(web)) == "alice"
    consent_page(await start(web, client_id="mockidp-public", pkce=True), "alice")


def test_consent_decision_precedence_rules_user_client_scenario() -> None:
    client = Client("app", consent="page")
    alice = User("alice", "al", consent="auto")
    bare = User("bob", "bob")
    base = Scenario(consent="deny", clients=(client,), users=(alice, bare))
    assert decision(base, client, alice, ["openid"]) == "auto"  # user beats client
    assert decision(base, client, bare, ["openid"]) == "page"  # client beats scenario
    assert decision(base, Client("other"), bare, ["openid"]) == "deny"  # the scenario
    ruled = Scenario(
        consent="auto",
        clients=(client,),
        users=(alice, bare),
        consent_rules=(
            ConsentRule("deny", user="al", scopes=("email",)),  # a username names alice
            ConsentRule("page", client_id="app"),
            ConsentRule("deny"),
        ),
    )
    assert decision(ruled, client, alice, ["openid", "email"]) == "deny"
    assert decision(ruled, client, alice, ["openid"]) == "page"
    assert decision(ruled, client, bare, ["email"]) == "page"
    assert decision(ruled, Client("other"), bare, ["email"]) == "deny"


# -- pairwise subjects -------------------------------------------------------------------


def expected_pairwise(sector: str, sub: str, salt: str) -> str:
    return hashlib.sha256(f"{sector}{sub}{salt}".encode()).hexdigest()


async def test_discovery_lists_the_subject_type_in_force(idp: IdP, web: httpx.AsyncClient) -> None:
    discovery = "/.well-known/openid-configuration"
    assert (await web.get(discovery)).json()["subject_types_supported"] == ["public"]
    idp.provider.use_scenario(scenario(subject_type="pairwise"))
    assert (await web.get(discovery)).json()["subject_types_supported"] == ["pairwise"]


async def test_pairwise_sub_is_the_same_everywhere_and_not_the_users_sub(
    idp: IdP, web: httpx.AsyncClient
) -> None:
    idp.provider.use_scenario(scenario(subject_type="pairwise", pairwise_salt="pepper"))
    # The default clients' redirect URIs span two hosts: the sector is the client_id.
    expected = expected_pairwise(CLIENT_ID, "alice", "pepper")
    claims = await id_token_claims(web, code_of(await start(web, scope="openid email")))
    tokens = claims["_tokens"]
    assert claims["sub"] == expected
    keys = KeySet.import_key_set((await web.get("/.well-known/jwks.json")).json())
    _, at_claims = decode_jwt(tokens["access_token"], keys, "RS256")
    assert at_claims["sub"] == expected
    bearer = {"Authorization": f"Bearer {tokens['access_token']}"}
    userinfo = (await web.get("/userinfo", headers=bearer)).json()
    assert userinfo == {"sub": expected, "email": "alice@example.com", "email_verified": True}
    introspected = await web.post("/introspect", data={"token": tokens["access_token"]}, auth=BASIC)
    assert introspected.json()["sub"] == expected
    assert introspected.json()["username"] == "alice"


async def test_pairwise_sub_survives_refresh_and_applies_to_the_password_grant(
    idp: IdP, web: httpx.AsyncClient
) -> None:
    idp.provider.use_scenario(scenario(subject_type="pairwise"))
    expected = expected_pairwise(CLIENT_ID, "alice", "mockidp")  # the default salt
    claims = await id_token_claims(web, code_of(await start(web, scope="openid offline_access")))
    assert claims["sub"] == expected
    refresh_token = claims["_tokens"]["refresh_token"]
    introspected = await web.post(
        "/introspect",
        data={"token": refresh_token, "token_type_hint": "refresh_token"},
        auth=BASIC,
    )
    assert (introspected.json()["sub"], introspected.json()["username"]) == (expected, "alice")
    refreshed = await web.post(
        "/token", data={"grant_type": "refresh_token", "refresh_token": refresh_token}, auth=BASIC
    )
    assert refreshed.status_code == 200, refreshed.text
    keys = KeySet.import_key_set((await web.get("/.well-known/jwks.json")).json())
    _, again = decode_jwt(refreshed.json()["id_token"], keys, "RS256")
    assert again["sub"] == expected
    password = await web.post(
        "/token",
        data={"grant_type": "password", "username": "bob", "password": "bob", "scope": "openid"},
        auth=BASIC,
    )
    _, bob = decode_jwt(password.json()["id_token"], keys, "RS256")
    assert bob["sub"] == expected_pairwise(CLIENT_ID, "bob", "mockidp")
    # A client's own token keeps its client_id as sub (RFC 9068 2.2).
    own = await web.post("/token", data={"grant_type": "client_credentials"}, auth=BASIC)
    _, own_claims = decode_jwt(own.json()["access_token"], keys, "RS256")
    assert own_claims["sub"] == CLIENT_ID


async def test_pairwise_sub_behind_an_opaque_access_token(idp: IdP, web: httpx.AsyncClient) -> None:
    idp.provider.use_scenario(scenario(subject_type="pairwise", access_token_format="opaque"))
    expected = expected_pairwise(CLIENT_ID, "alice", "mockidp")
    claims = await id_token_claims(web, code_of(await start(web)))
    access_token = claims["_tokens"]["access_token"]
    assert claims["sub"] == expected
    assert access_token.count(".") != 2  # not a JWT
    bearer = {"Authorization": f"Bearer {access_token}"}
    assert (await web.get("/userinfo", headers=bearer)).json() == {"sub": expected}
    introspected = await web.post("/introspect", data={"token": access_token}, auth=BASIC)
    assert (introspected.json()["sub"], introspected.json()["username"]) == (expected, "alice")


async def test_pairwise_sectors_are_redirect_uri_hosts(idp: IdP, web: httpx.AsyncClient) -> None:
    idp.provider.use_scenario(SCENARIOS / "pairwise.yaml")
    subs: dict[str, str] = {}
    for client_id, redirect_uri in (
        ("shop", "https://shop.example.test/callback"),
        ("shop-admin", "https://shop.example.test/admin/callback"),
        ("blog", "https://blog.example.test/callback"),
    ):
        response = await start(web, client_id=client_id, redirect_uri=redirect_uri)
        code = redirect_params(response, redirect_uri)["code"]
        token = await web.post(
            "/token",
            data={"grant_type": "authorization_code", "code": code, "redirect_uri": redirect_uri},
            auth=(client_id, f"{client_id}-secret"),
        )
        assert token.status_code == 200, token.text
        keys = KeySet.import_key_set((await web.get("/.well-known/jwks.json")).json())
        _, claims = decode_jwt(token.json()["id_token"], keys, "RS256")
        subs[client_id] = claims["sub"]
    assert (
        subs["shop"]
        == subs["shop-admin"]
        == expected_pairwise("shop.example.test", "alice", "change-me")
    )
    assert subs["blog"] == expected_pairwise("blog.example.test", "alice", "change-me")
    assert subs["blog"] != subs["shop"]


def test_sector_identifier_and_subject_function() -> None:
    one_host = Client("a", redirect_uris=("https://App.example/cb", "https://app.example/x"))
    assert sector_identifier(one_host) == "app.example"
    two_hosts = Client("b", redirect_uris=("https://a.example/cb", "https://b.example/cb"))
    assert sector_identifier(two_hosts) == "b"
    assert sector_identifier(Client("c")) == "c"
    assert sector_identifier(Client("d", redirect_uris=("com.example.app:/cb",))) == "d"
    alice = User("alice", "alice")
    assert subject(Scenario(), one_host, alice) == "alice"
    pairwise = Scenario(subject_type="pairwise", pairwise_salt="s")
    assert subject(pairwise, one_host, alice) == pairwise_subject("app.example", "alice", "s")
    assert pairwise_subject("app.example", "alice", "s") == expected_pairwise(
        "app.example", "alice", "s"
    )


# -- the example scenario files ----------------------------------------------------------


@pytest.mark.parametrize("name", ["consent-denied.yaml", "login-page.yaml", "pairwise.yaml"])
def test_example_scenarios_validate(name: str, capsys: pytest.CaptureFixture[str]) -> None:
    assert cli_main(["validate", str(SCENARIOS / name)]) == 0
    assert capsys.readouterr().out.strip().endswith(": ok")
    load_scenario(SCENARIOS / name)


async def test_consent_denied_example_does_what_its_comments_say(
    idp: IdP, web: httpx.AsyncClient
) -> None:
    idp.provider.use_scenario(SCENARIOS / "consent-denied.yaml")
    assert_error_redirect(await start(web), "access_denied", issuer=idp.base_url)
    trusted = ("trusted-app", "trusted-secret")
    code = code_of(await start(web, client_id="trusted-app"))
    assert (await id_token_claims(web, code, trusted))["sub"] == "alice"
    offline = await start(web, client_id="trusted-app", scope="openid offline_access")
    assert_error_redirect(offline, "access_denied", issuer=idp.base_url)
    for client_id in (CLIENT_ID, "trusted-app"):
        async with guarded_client(idp) as other:
            consent_page(await start(other, client_id=client_id, login_hint="bob"), "bob")


async def test_login_page_example_does_what_its_comments_say(
    idp: IdP, web: httpx.AsyncClient
) -> None:
    idp.provider.use_scenario(SCENARIOS / "login-page.yaml")
    for hint in ("bob", "bob@example.com"):
        response = await start(web, login_hint=hint)
        assert not sets_session(response)
        assert await signed_in_sub(web, response, sessions=False) == "bob"
    login_page(await start(web))
    login_page(await start(web, login_hint="carol"), prefilled="carol")
    assert_error_redirect(
        await start(web, prompt="none"),
        "interaction_required",
        issuer=idp.base_url,
        session_state=False,
    )
