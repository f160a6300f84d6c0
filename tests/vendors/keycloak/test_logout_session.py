"""Keycloak's logout by refresh token ends the browser's session too, not only the
grant's tokens: the next ``prompt=none`` authorization answers ``login_required``
(Keycloak's back-channel logout of python-keycloak's ``logout()`` and keycloak-js)."""

from __future__ import annotations

import re
from collections.abc import Iterator
from urllib.parse import parse_qs, urlsplit

import pytest

from mockidp.testing import MockIdP
from tests.support.flows import PKCE_VERIFIER, code_request

OIDC = "/realms/mockidp/protocol/openid-connect"
REDIRECT = "http://127.0.0.1:8080/callback"
DEVICE_GRANT = "urn:ietf:params:oauth:grant-type:device_code"
INTERACTION = re.compile(r'name="interaction" value="([^"]+)"')


@pytest.fixture
def idp() -> Iterator[MockIdP]:
    idp = MockIdP.in_process(
        {
            "preset": "keycloak",
            "login": "auto",
            "consent": "auto",
            # Keycloak's device endpoints (the preset leaves the device grant out)
            "endpoints": {
                "device_authorization": OIDC + "/auth/device",
                "device": "/realms/mockidp/device",
            },
        }
    )
    yield idp
    idp.close()


def _authorize(idp: MockIdP, **extra: str) -> dict[str, list[str]]:
    params = code_request("mockidp-client", REDIRECT, scope="openid offline_access", **extra)
    answer = idp.client.get(OIDC + "/auth", params=params)  # the client keeps the cookie
    assert answer.status_code in (302, 303), answer.text
    return parse_qs(urlsplit(answer.headers["location"]).query)


def _tokens(idp: MockIdP) -> dict[str, str]:
    code = _authorize(idp)["code"][0]
    answer = idp.client.post(
        OIDC + "/token",
        data={
            "grant_type": "authorization_code",
            "code": code,
            "redirect_uri": REDIRECT,
            "code_verifier": PKCE_VERIFIER,
        },
        auth=("mockidp-client", "mockidp-secret"),
    )
    assert answer.status_code == 200, answer.text
    tokens: dict[str, str] = answer.json()
    return tokens


def _device_tokens(idp: MockIdP) -> dict[str, str]:
    """The device grant, approved on the verification page (login auto: the browser's
    session starts there)."""
    auth = ("mockidp-client", "mockidp-secret")
    started = idp.client.post(
        OIDC + "/auth/device", data={"scope": "openid offline_access"}, auth=auth
    )
    assert started.status_code == 200, started.text
    grant = started.json()
    page = idp.client.get(grant["verification_uri_complete"])
    interaction = INTERACTION.search(page.text)
    assert interaction is not None, page.text
    done = idp.client.post(
        grant["verification_uri"], data={"interaction": interaction.group(1), "action": "approve"}
    )
    assert 'data-approved="true"' in done.text, done.text
    answer = idp.client.post(
        OIDC + "/token",
        data={"grant_type": DEVICE_GRANT, "device_code": grant["device_code"]},
        auth=auth,
    )
    assert answer.status_code == 200, answer.text
    tokens: dict[str, str] = answer.json()
    return tokens


def _logout(idp: MockIdP, refresh_token: str, client: str = "mockidp-client") -> int:
    secret = "mockidp-secret" if client == "mockidp-client" else "wrong"
    answer = idp.client.post(
        OIDC + "/logout", data={"refresh_token": refresh_token}, auth=(client, secret)
    )
    return answer.status_code


def test_logout_by_refresh_token_ends_the_browser_session(idp: MockIdP) -> None:
    tokens = _tokens(idp)
    assert "code" in _authorize(idp, prompt="none")  # the session signs in silently
    assert _logout(idp, tokens["refresh_token"]) == 204
    assert _authorize(idp, prompt="none")["error"] == ["login_required"]


def test_logout_by_refresh_token_ends_a_session_started_on_the_device_page(
    idp: MockIdP,
) -> None:
    tokens = _device_tokens(idp)
    assert "code" in _authorize(idp, prompt="none")  # the device page's session signs in
    assert _logout(idp, tokens["refresh_token"]) == 204
    assert _authorize(idp, prompt="none")["error"] == ["login_required"]


def test_a_refused_logout_leaves_the_session(idp: MockIdP) -> None:
    tokens = _tokens(idp)
    assert _logout(idp, tokens["refresh_token"], client="mockidp-public") >= 400
    assert _logout(idp, "not-a-refresh-token") == 400
    assert "code" in _authorize(idp, prompt="none")
