"""Interop with LoginRadius's own Python SDK (``loginradius-v2`` 11.7.0, pinned in the
``test`` extra) against the live loopback server under the ``loginradius`` presets.

The SDK has no call on the ``/sso/oidc/v2/...`` endpoints: an app signs the user in with
OpenID Connect (here mockidp's own login helper), then hands the access token to the
SDK's identity API calls. ``LoginRadius.CUSTOM_DOMAIN`` takes any base URL (plain http
and a port included; the SDK appends paths without a slash, so it ends with one), so
every request here is the SDK's own, byte for byte. The SDK decides an answer is an
error by its ``ErrorCode``: every refusal below must carry one.
"""

from __future__ import annotations

import json
import warnings
from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from mockidp.store.memory import MemoryStore
from mockidp.testing.login_flow import run_login
from tests.conftest import LiveServer
from tests.support.optional import missing

try:
    from LoginRadius import LoginRadius
except ImportError as exc:  # the interop extra
    missing(exc)

PRESETS = ["loginradius", "loginradius-hub"]
API_KEY, API_SECRET = "mockidp-client", "mockidp-secret"  # the default client: the defaults


def sdk(live: LiveServer, *, key: str = API_KEY, secret: str = API_SECRET) -> Any:
    """A LoginRadius SDK object pointed at the live server."""
    LoginRadius.API_KEY = key
    LoginRadius.API_SECRET = secret
    LoginRadius.CUSTOM_DOMAIN = live.url + "/"
    with warnings.catch_warnings():  # its constructor compares versions with distutils
        warnings.simplefilter("ignore", DeprecationWarning)
        lr = LoginRadius()
    lr.API_KEY, lr.API_SECRET = key, secret  # its calls read these: keep this object's own
    return lr


def sign_in(live: LiveServer) -> dict[str, Any]:
    """The OpenID sign-in (authorization code, PKCE) as alice: the token response."""
    provider = live.provider
    client = provider.deps.client(API_KEY)
    assert client is not None
    with httpx.Client(base_url=live.url) as http:
        return run_login(
            http, provider, client, "alice", scope="openid profile email offline_access", redirect_uri=None,
            params={},
        )  # fmt: skip


def _snapshot(live: LiveServer) -> str:
    store = live.provider.deps.state.store
    assert isinstance(store, MemoryStore)
    return json.dumps(store._items, sort_keys=True, default=str)


@pytest.fixture(params=PRESETS)
def lr_live(request: pytest.FixtureRequest, live: LiveServer) -> Iterator[LiveServer]:
    """The live server serving a LoginRadius preset (the default users and clients)."""
    live.provider.use_scenario({"preset": request.param})
    yield live


def test_validate_info_profile_refresh_invalidate(lr_live: LiveServer) -> None:
    tokens = sign_in(lr_live)
    lr = sdk(lr_live)
    access, refresh = tokens["access_token"], tokens["refresh_token"]

    valid = lr.authentication.auth_validate_access_token(access)
    assert "ErrorCode" not in valid, valid
    assert valid["access_token"] == access
    assert valid["expires_in"].endswith("Z")  # ISO 8601 UTC, as LoginRadius writes it

    info = lr.authentication.get_access_token_info(access)
    assert info == {"access_token": access, "isrememberme": False, "provider": "Email"}

    profile = lr.authentication.get_profile_by_access_token(access)
    assert "ErrorCode" not in profile, profile
    assert profile["Uid"] == "alice"
    assert len(profile["ID"]) == 32
    assert profile["Email"] == [{"Type": "Primary", "Value": "alice@example.com"}]
    assert (profile["FirstName"], profile["LastName"]) == ("Alice", "Anderson")
    assert profile["name"] == "Alice Anderson"  # the user's own claims too
    only = lr.authentication.get_profile_by_access_token(access, fields="Uid,Email")
    assert set(only) == {"Uid", "Email"}

    renewed = lr.account.refresh_access_token_by_refresh_token(refresh)
    assert "ErrorCode" not in renewed, renewed
    assert set(renewed) == {"access_token", "expires_in", "refresh_token"}
    assert renewed["access_token"] != access
    fresh = renewed["access_token"]
    assert lr.authentication.auth_validate_access_token(fresh)["access_token"] == fresh

    invalidated = lr.authentication.auth_in_validate_access_token(fresh)
    assert invalidated == {"IsPosted": True}
    gone = lr.authentication.auth_validate_access_token(fresh)
    assert gone["ErrorCode"] == 906, gone
    # Not preventRefresh: the grant lives on, the sign-in's own token too.
    assert "ErrorCode" not in lr.authentication.auth_validate_access_token(access)


def test_revoking_one_revokes_the_family(lr_live: LiveServer) -> None:
    """A refresh token revoked through the SDK ends the OpenID sign-in's tokens, and one
    revoked at the OIDC revocation endpoint ends what the SDK sees."""
    lr = sdk(lr_live)
    first = sign_in(lr_live)
    revoked = lr.account.revoke_refresh_token(first["refresh_token"])
    assert revoked == {"IsDeleted": True}
    assert lr.authentication.auth_validate_access_token(first["access_token"])["ErrorCode"] == 906
    userinfo = httpx.get(
        lr_live.url + lr_live.provider.layout.paths["userinfo"],
        headers={"Authorization": "Bearer " + first["access_token"]},
    )
    assert userinfo.status_code == 401
    again = lr.account.refresh_access_token_by_refresh_token(first["refresh_token"])
    assert again["ErrorCode"] == 2010, again

    second = sign_in(lr_live)
    renewed = lr.account.refresh_access_token_by_refresh_token(second["refresh_token"])
    answer = httpx.post(
        lr_live.url + lr_live.provider.layout.paths["revocation"],
        data={"token": renewed["refresh_token"], "token_type_hint": "refresh_token"},
        auth=(API_KEY, API_SECRET),
    )
    assert answer.status_code == 200, answer.text
    for token in (second["access_token"], renewed["access_token"]):
        assert lr.authentication.auth_validate_access_token(token)["ErrorCode"] == 906


def test_bad_input_gets_an_error_code_and_changes_nothing(lr_live: LiveServer) -> None:
    tokens = sign_in(lr_live)
    access, refresh = tokens["access_token"], tokens["refresh_token"]
    before = _snapshot(lr_live)
    good = sdk(lr_live)
    calls = {
        "unknown key": (sdk(lr_live, key="no-such-key").authentication.auth_validate_access_token,
                        access, 920),
        "wrong secret": (sdk(lr_live, secret="wrong").account.refresh_access_token_by_refresh_token,
                         refresh, 921),
        "wrong secret, revoke": (sdk(lr_live, secret="wrong").account.revoke_refresh_token,
                                 refresh, 921),
        "unknown token": (good.authentication.auth_validate_access_token, "not-a-token", 906),
        "unknown token, invalidate": (good.authentication.auth_in_validate_access_token,
                                      "not-a-token", 906),
        "unknown refresh token": (good.account.refresh_access_token_by_refresh_token,
                                  "not-a-token", 2010),
        # a path mockidp does not serve: still an error to the SDK, never data
        "unserved path": (good.authentication.get_security_questions_by_email,
                          "alice@example.com", 1000),
    }  # fmt: skip
    for name, (call, argument, code) in calls.items():
        answer = call(argument)
        assert answer.get("ErrorCode") == code, (name, answer)
        assert answer["Description"] and answer["Message"], (name, answer)
    assert _snapshot(lr_live) == before
    assert "ErrorCode" not in good.authentication.auth_validate_access_token(access)


def test_a_token_of_another_api_key_is_not_valid(lr_live: LiveServer) -> None:
    tokens = sign_in(lr_live)
    other = sdk(lr_live, key="mockidp-public")  # a real client of the scenario
    answer = other.authentication.auth_validate_access_token(tokens["access_token"])
    assert answer["ErrorCode"] == 906
