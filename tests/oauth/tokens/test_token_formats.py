"""Opaque access tokens and refresh tokens shaped by templates (access_token_format,
access_token_template, refresh_token_template), and the JWT default."""

from __future__ import annotations

import re

import pytest

from mockidp.keys.ring import half_hash
from mockidp.model import token_formats
from tests.support.e2e import CONFIDENTIAL, decode_jwt, provider_key_set, validated_id_token
from tests.support.issuance import (
    code_flow,
    introspect,
    load_example,
    make_idp,
    password_grant,
    refresh,
    revoke,
    scenario,
    token_request,
    user_named,
    userinfo,
)

pytestmark = pytest.mark.anyio

OPAQUE = re.compile(r"8A:(?P<ctx>[a-z0-9]*)\.[A-Za-z0-9+/]{64}")
REFRESH = re.compile(r"RT-(?P<client>[\w-]+)-[0-9a-f-]{36}-[0-9]{12}")


def _opaque_scenario() -> dict[str, object]:
    data = scenario(
        access_token_format="opaque",
        access_token_template="8A:{ctx}.{random:base64:64}",
        refresh_token_template="RT-{client_id}-{guid}-{random:digits:12}",
    )
    user_named(data, "alice")["claims"]["ctx"] = "eu1"
    return data


async def test_opaque_access_tokens_follow_the_template_with_the_users_claims() -> None:
    idp = make_idp(_opaque_scenario())
    alice = await password_grant(idp, "alice")
    bob = await password_grant(idp, "bob")  # no ctx claim: the placeholder renders empty
    assert (match := OPAQUE.fullmatch(alice["access_token"])) and match["ctx"] == "eu1"
    assert (match := OPAQUE.fullmatch(bob["access_token"])) and match["ctx"] == ""
    assert alice["access_token"] != (await password_grant(idp, "alice"))["access_token"]
    assert alice["token_type"] == "Bearer"
    assert alice["expires_in"] == idp.provider.scenario.lifetimes.access_token


async def test_sub_and_client_id_placeholders() -> None:
    idp = make_idp(
        scenario(
            access_token_format="opaque",
            access_token_template="{client_id}|{sub}|{random:hex:16}",
        )
    )
    body = await password_grant(idp, "bob")
    assert re.fullmatch(rf"{CONFIDENTIAL}\|bob\|[0-9a-f]{{16}}", body["access_token"])
    machine = await token_request(idp, {"grant_type": "client_credentials"})
    assert machine.status_code == 200, machine.text  # no user: sub is the client's own id
    assert re.fullmatch(
        rf"{CONFIDENTIAL}\|{CONFIDENTIAL}\|[0-9a-f]{{16}}", machine.json()["access_token"]
    )


async def test_opaque_tokens_work_at_userinfo_introspection_and_revocation() -> None:
    idp = make_idp(_opaque_scenario())
    body = await password_grant(idp, "alice")
    token = body["access_token"]

    info = await userinfo(idp, token)
    assert info.status_code == 200, info.text
    assert info.json()["sub"] == "alice"
    assert info.json()["name"] == "Alice Anderson"

    active = await introspect(idp, token)
    assert active["active"] is True
    assert active["token_type"] == "Bearer"
    assert active["sub"] == "alice"
    assert active["client_id"] == CONFIDENTIAL
    assert active["scope"] == "openid profile offline_access"
    assert active["exp"] - active["iat"] == idp.provider.scenario.lifetimes.access_token

    assert (await revoke(idp, token)).status_code == 200
    assert await introspect(idp, token) == {"active": False}
    assert (await userinfo(idp, token)).status_code == 401
    assert (await userinfo(idp, token + "x")).status_code == 401


async def test_the_id_tokens_at_hash_is_computed_over_the_opaque_access_token() -> None:
    idp = make_idp(_opaque_scenario())
    tokens = await code_flow(idp)
    assert OPAQUE.fullmatch(tokens.access_token)
    claims = validated_id_token(  # Authlib checks at_hash against the opaque token
        tokens.id_token,
        tokens.provider,
        client_id=CONFIDENTIAL,
        nonce=tokens.nonce,
        access_token=tokens.access_token,
        now=idp.provider.clock.now(),
    )
    assert claims["at_hash"] == half_hash(tokens.access_token, "RS256")


async def test_refresh_token_template_shapes_refresh_tokens_through_rotation() -> None:
    idp = make_idp(_opaque_scenario())
    first = (await password_grant(idp, "alice"))["refresh_token"]
    assert (match := REFRESH.fullmatch(first)) and match["client"] == CONFIDENTIAL
    assert (await introspect(idp, first))["active"] is True

    rotated = await refresh(idp, first)
    assert rotated.status_code == 200, rotated.text
    second = rotated.json()["refresh_token"]
    assert REFRESH.fullmatch(second) and second != first
    assert OPAQUE.fullmatch(rotated.json()["access_token"])
    assert (await refresh(idp, second)).status_code == 200


async def test_jwt_access_tokens_remain_the_default() -> None:
    idp = make_idp(scenario())
    body = await password_grant(idp, "alice")
    header, claims = decode_jwt(body["access_token"], provider_key_set(idp), "RS256")
    assert header["typ"] == "at+jwt"  # RFC 9068 2.1
    assert claims["client_id"] == CONFIDENTIAL and claims["sub"] == "alice"
    default_refresh = re.compile(r"[A-Za-z0-9_-]{64}")  # {random:base64url:64}
    assert default_refresh.fullmatch(body["refresh_token"])


async def test_templates_are_parsed_once_not_per_token(monkeypatch: pytest.MonkeyPatch) -> None:
    calls: list[str] = []
    original = token_formats.parse_template

    def counting(template: str) -> tuple[token_formats.Part, ...]:
        calls.append(template)
        return original(template)

    token_formats.compiled.cache_clear()
    monkeypatch.setattr(token_formats, "parse_template", counting)
    idp = make_idp(_opaque_scenario())
    calls.clear()  # loading validated the templates; issuing must not parse them again
    for _ in range(3):
        await password_grant(idp, "alice")
    assert sorted(calls) == sorted(
        ["8A:{ctx}.{random:base64:64}", "RT-{client_id}-{guid}-{random:digits:12}"]
    )


async def test_the_opaque_tokens_example_issues_what_its_comments_say() -> None:
    idp = make_idp(load_example("opaque-tokens.yaml"))
    body = await password_grant(idp, "alice")
    assert re.fullmatch(r"8A:eu1\.[A-Za-z0-9+/]{64}", body["access_token"])
    assert re.fullmatch(rf"rt_{CONFIDENTIAL}_[0-9a-f-]{{36}}_[0-9a-f]{{24}}", body["refresh_token"])
    assert (await userinfo(idp, body["access_token"])).json()["sub"] == "alice"
