"""One rule engine: a ``match`` means the same in ``faults`` and ``broken_tokens`` (and a
consent rule's ``user`` the same as theirs), and every rule counts its own matching calls
in the store, shared by every provider on it.

Each case issues tokens by the password grant and then calls userinfo with the access
token: a ``broken_tokens`` rule shows on the ID token (expired), a fault on userinfo
(503). The same ``match`` in both sections must pick the same issuances.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest
from joserfc.errors import JoseError
from joserfc.jwt import JWTClaimsRegistry

from mockidp import create_app
from mockidp.errors import ScenarioError
from mockidp.scenario.loader import load_scenario
from mockidp.store import MemoryStore
from tests.conftest import IdP
from tests.support.e2e import CONFIDENTIAL, decode_jwt, provider_key_set
from tests.support.issuance import (
    BASE_URL,
    make_idp,
    password_grant,
    path,
    scenario,
    second_confidential_client,
    userinfo,
)

pytestmark = pytest.mark.anyio

CAROL = {
    "sub": "u-7f3c",
    "username": "carol",
    "password": "carol",
    "claims": {"email": "carol@example.org"},
}
"""A user whose subject, username and email all differ."""

OTHER = ("other-client", "other-secret")
MINE = (CONFIDENTIAL, "mockidp-secret")
ISSUANCES: list[tuple[str, tuple[str, str], str]] = [
    ("alice", MINE, "openid"),
    ("carol", MINE, "openid phone"),
    ("carol", OTHER, "openid"),
    ("alice", OTHER, "openid phone"),
]
"""Who signs in, at which client, with which scopes."""


def _data(match: dict[str, Any], **sections: Any) -> dict[str, Any]:
    data = scenario(**sections)
    data["users"].append(CAROL)
    data["clients"].append(second_confidential_client())
    data["faults"] = [
        {
            "name": "userinfo down",
            "match": {**match, "endpoint": "userinfo"},
            "respond": {"http_status": {"status": 503}},
        }
    ]
    data["broken_tokens"] = [{"token": "id_token", "defect": "expired", "match": match}]
    return data


def _valid(idp: IdP, id_token: str) -> bool:
    try:
        _, claims = decode_jwt(id_token, provider_key_set(idp), "RS256")
        JWTClaimsRegistry(now=int(idp.provider.clock.now())).validate(claims)
    except JoseError:
        return False
    return True


async def _picked(idp: IdP) -> tuple[list[bool], list[bool]]:
    """Per issuance: whether broken_tokens broke the ID token, whether the fault hit."""
    broken, faulted = [], []
    for user, (client_id, secret), scope in ISSUANCES:
        body = await password_grant(idp, user, scope=scope, client_id=client_id, secret=secret)
        broken.append(not _valid(idp, body["id_token"]))
        status = (await userinfo(idp, body["access_token"])).status_code
        assert status in (200, 503)
        faulted.append(status == 503)
    return broken, faulted


@pytest.mark.parametrize(
    ("match", "expected"),
    [
        ({"user": "u-7f3c"}, [False, True, True, False]),
        ({"user": "carol"}, [False, True, True, False]),
        # broken_tokens matched a user by sub or username only: an email failed to load
        ({"user": "carol@example.org"}, [False, True, True, False]),
        ({"user": ["alice@example.com", "u-7f3c"]}, [True, True, True, True]),
        ({"client_id": "other-client"}, [False, False, True, True]),
        ({"scope": "phone"}, [False, True, False, True]),
        ({"scope": ["email", "phone"], "user": "carol@example.org"}, [False, True, False, False]),
        ({"client_id": CONFIDENTIAL, "user": "alice"}, [True, False, False, False]),
    ],
    ids=[
        "user-by-sub",
        "user-by-username",
        "user-by-email",
        "users-by-email-or-sub",
        "client_id",
        "scope",
        "scopes-and-user-by-email",
        "client_id-and-user",
    ],
)
async def test_a_match_picks_the_same_calls_in_faults_and_broken_tokens(
    match: dict[str, Any], expected: list[bool]
) -> None:
    broken, faulted = await _picked(make_idp(_data(match)))
    assert broken == expected
    assert faulted == expected


async def test_a_consent_rule_names_a_user_by_email_too() -> None:
    data = scenario(consent_rules=[{"decision": "deny", "user": "carol@example.org"}])
    data["users"].append(CAROL)
    idp = make_idp(data)
    errors = [await _authorize_error(idp, login) for login in ("alice", "carol")]
    assert errors == [None, "access_denied"]


async def _authorize_error(idp: IdP, login: str) -> str | None:
    query = {
        "client_id": CONFIDENTIAL,
        "redirect_uri": "http://localhost:8080/callback",
        "response_type": "code",
        "scope": "openid",
        "state": "s",
        "login_hint": login,
    }
    async with idp.client() as http:
        response = await http.get(path(idp, "authorization"), params=query)
    assert response.status_code == 302, response.text
    params = parse_qs(urlsplit(response.headers["location"]).query)
    assert "code" in params or "error" in params
    return params["error"][0] if "error" in params else None


def test_a_rule_may_name_a_user_by_email_but_not_an_unknown_one() -> None:
    data = _data({"user": "carol@example.org"})
    assert load_scenario(data).broken_tokens[0].match.users == ("carol@example.org",)
    for section in ("faults", "broken_tokens"):
        data = _data({})
        data[section][0]["match"]["user"] = "dave@example.org"
        with pytest.raises(ScenarioError, match=f"{section}.*no user 'dave@example.org'"):
            load_scenario(data)


# -- counting ------------------------------------------------------------------------------


async def test_each_rule_counts_only_the_calls_it_sees_across_sections() -> None:
    """A fault and a broken-token rule with the same match and when count apart: a call
    the fault answers never reaches issuance, so the rule does not count it."""
    data = scenario(
        faults=[
            {
                "name": "second token call fails",
                "match": {"endpoint": "token"},
                "when": {"nth": 2},
                "respond": {"http_status": {"status": 503}},
            }
        ],
        broken_tokens=[{"token": "id_token", "defect": "expired", "match": {}, "when": {"nth": 2}}],
    )
    idp = make_idp(data)
    form = {"grant_type": "password", "username": "alice", "password": "alice", "scope": "openid"}
    seen = []
    for _ in range(4):
        async with idp.client() as http:
            response = await http.post(path(idp, "token"), data=form, auth=MINE)
        if response.status_code == 503:
            seen.append("fault")
        else:
            seen.append("good" if _valid(idp, response.json()["id_token"]) else "broken")
    # token call 2 is the fault's 2nd; token call 3 is the rule's 2nd issuance
    assert seen == ["good", "fault", "broken", "good"]


async def test_providers_on_one_store_share_the_counts() -> None:
    """Two providers on one store (two processes or Lambda containers, say) count the
    same issuances: every second one is broken, whichever provider issues it."""
    store = MemoryStore()
    data = scenario(
        broken_tokens=[{"token": "id_token", "defect": "expired", "when": {"every": 2}}]
    )
    apps = [create_app(data, store=store) for _ in range(2)]
    one, two = (IdP("asgi", BASE_URL, app.provider, app) for app in apps)
    seen = []
    for idp in (one, two, two, one, one, two):
        seen.append(_valid(idp, (await password_grant(idp, "alice"))["id_token"]))
    assert seen == [True, False, True, False, True, False]
