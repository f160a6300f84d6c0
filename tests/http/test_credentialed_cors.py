"""Keycloak's credentialed CORS for a client's web origins (quirk credentialed_cors; its
browser-session pages are tested in tests/vendors/keycloak/test_session_pages.py, and
tests/e2e/test_vendor_keycloak_js.py drives both with keycloak-js itself)."""

from __future__ import annotations

import base64
import json
from collections.abc import Iterator
from typing import Any

import pytest

from mockidp.testing import MockIdP

APP = "http://127.0.0.1:5173"
STRANGER = "http://127.0.0.1:6666"
CLIENTS: list[dict[str, Any]] = [
    {
        "client_id": "spa",
        "token_endpoint_auth_method": "none",
        "redirect_uris": [APP + "/callback"],
        "grant_types": ["authorization_code", "refresh_token"],
    },
    {
        "client_id": "api",
        "client_secret": "api-secret",
        "redirect_uris": [APP + "/other"],
        "grant_types": ["client_credentials"],
    },
]
OIDC = "/realms/mockidp/protocol/openid-connect"


def _idp(**scenario: Any) -> Iterator[MockIdP]:
    idp = MockIdP.in_process({"clients": CLIENTS, **scenario})
    try:
        yield idp
    finally:
        idp.close()


@pytest.fixture
def keycloak() -> Iterator[MockIdP]:
    yield from _idp(preset="keycloak")


@pytest.fixture
def generic() -> Iterator[MockIdP]:
    yield from _idp()


def _payload(jwt: str) -> dict[str, Any]:
    part = jwt.split(".")[1]
    return dict(json.loads(base64.urlsafe_b64decode(part + "=" * (-len(part) % 4))))


def _refresh(idp: MockIdP, path: str, origin: str | None) -> Any:
    headers = {"Origin": origin} if origin else {}
    body = {"grant_type": "refresh_token", "refresh_token": "unknown", "client_id": "spa"}
    return idp.client.post(path, data=body, headers=headers)


def test_a_web_origin_is_echoed_with_credentials(keycloak: MockIdP) -> None:
    answer = _refresh(keycloak, OIDC + "/token", APP)
    assert answer.status_code == 400  # an error answer is readable to the script too
    assert answer.headers["access-control-allow-origin"] == APP
    assert answer.headers["access-control-allow-credentials"] == "true"
    assert answer.headers["vary"] == "Origin"


def test_another_origin_is_answered_without_credentials(keycloak: MockIdP) -> None:
    allowed = _refresh(keycloak, OIDC + "/token", APP)
    for origin in (STRANGER, "null", None):
        answer = _refresh(keycloak, OIDC + "/token", origin)
        assert (answer.status_code, answer.json()) == (allowed.status_code, allowed.json())
        assert answer.headers["access-control-allow-origin"] == "*"
        assert "access-control-allow-credentials" not in answer.headers
        assert answer.headers["vary"] == "Origin"


def test_basic_credentials_name_the_client(keycloak: MockIdP) -> None:
    answer = keycloak.client.post(
        OIDC + "/token",
        data={"grant_type": "client_credentials"},
        auth=("api", "api-secret"),
        headers={"Origin": APP},
    )
    assert answer.status_code == 200
    assert answer.headers["access-control-allow-origin"] == APP
    other = keycloak.client.post(  # spa's origin is api's too here; a stranger is not
        OIDC + "/token",
        data={"grant_type": "client_credentials"},
        auth=("api", "api-secret"),
        headers={"Origin": STRANGER},
    )
    assert other.status_code == 200
    assert other.headers["access-control-allow-origin"] == "*"


def test_preflight_echoes_the_origin(keycloak: MockIdP) -> None:
    answer = keycloak.client.options(
        OIDC + "/token",
        headers={"Origin": STRANGER, "Access-Control-Request-Method": "POST"},
    )
    assert answer.status_code == 204
    assert answer.headers["access-control-allow-origin"] == STRANGER
    assert answer.headers["access-control-allow-credentials"] == "true"
    assert "POST" in answer.headers["access-control-allow-methods"]


def test_generic_cors_is_unchanged(generic: MockIdP) -> None:
    answer = _refresh(generic, "/token", APP)
    assert answer.headers["access-control-allow-origin"] == "*"
    assert "access-control-allow-credentials" not in answer.headers
    assert "vary" not in answer.headers
    preflight = generic.client.options("/token", headers={"Origin": APP})
    assert preflight.headers["access-control-allow-origin"] == "*"


def test_access_tokens_carry_the_session(keycloak: MockIdP) -> None:
    code = keycloak.authorize("alice", client_id="spa", redirect_uri=APP + "/callback")
    tokens = keycloak.client.post(
        OIDC + "/token",
        data={
            "grant_type": "authorization_code",
            "code": code.code,
            "client_id": "spa",
            "redirect_uri": code.redirect_uri,
            "code_verifier": code.code_verifier,
        },
    ).json()
    access, id_token = _payload(tokens["access_token"]), _payload(tokens["id_token"])
    assert access["sid"] == id_token["sid"] == tokens["session_state"]


@pytest.mark.parametrize(
    "origin", ["http://localhost:3000", "http://127.0.0.1:49152", "http://[::1]:8081"]
)
def test_a_client_taking_any_loopback_redirect_takes_any_loopback_origin(origin: str) -> None:
    """The default public client (``loopback_redirects``) from an app on any local port:
    the preflight and the answer alike echo the origin with credentials (keycloak-js)."""
    idp = MockIdP.in_process({"preset": "keycloak"})  # the default clients
    try:
        body = {"grant_type": "refresh_token", "refresh_token": "x", "client_id": "mockidp-public"}
        headers = {"Origin": origin}
        preflight = idp.client.options(
            OIDC + "/token", headers={**headers, "Access-Control-Request-Method": "POST"}
        )
        answer = idp.client.post(OIDC + "/token", data=body, headers=headers)
        other = idp.client.post(
            OIDC + "/token", data=body, headers={"Origin": "https://app.example"}
        )
    finally:
        idp.close()
    for response in (preflight, answer):
        assert response.headers["access-control-allow-origin"] == origin
        assert response.headers["access-control-allow-credentials"] == "true"
    assert other.headers["access-control-allow-origin"] == "*"  # not a loopback origin


def test_a_client_with_port_free_loopback_redirects_takes_that_host_on_any_port() -> None:
    native = {
        "client_id": "native",
        "token_endpoint_auth_method": "none",
        "redirect_uris": ["http://127.0.0.1/callback"],
        "loopback_ports": True,  # as dynamic registration makes native clients
    }
    idp = MockIdP.in_process({"preset": "keycloak", "clients": [native]})
    try:
        body = {"grant_type": "refresh_token", "refresh_token": "x", "client_id": "native"}
        same = idp.client.post(
            OIDC + "/token", data=body, headers={"Origin": "http://127.0.0.1:40001"}
        )
        other = idp.client.post(
            OIDC + "/token", data=body, headers={"Origin": "http://localhost:40001"}
        )
    finally:
        idp.close()
    assert same.headers["access-control-allow-origin"] == "http://127.0.0.1:40001"
    assert other.headers["access-control-allow-origin"] == "*"
