"""Interop with SuperOffice's own web API client (``@superoffice/webapi``, npm, pinned in
``tests/interop/package.json``) against the live loopback server under the
``superoffice`` preset.

``tests/interop/superoffice.mjs`` reads ``v1/User/currentPrincipal`` at the ID token's
``webapi_url`` (the SDK takes any base URL, plain http and a port included) with the
SDK's own authentication: a Bearer token from the OpenID sign-in, and a system-user
ticket (``Authorization: SOTicket`` + ``SO-AppToken``) from PartnerSystemUser/
Authenticate; the SDK's converter parses the answer into its enums. Install it with
``npm ci --prefix tests/interop``.
"""

from __future__ import annotations

import json
import shutil
import subprocess
from datetime import UTC, datetime
from typing import Any

import httpx
import pytest

from mockidp.testing.login_flow import run_login
from tests.conftest import LiveServer
from tests.support.e2e import default_scenario_mapping
from tests.support.node import INTEROP, NODE, require_interop
from tests.support.presets import jwt_parts, partner_key, signed_system_token


@pytest.fixture(autouse=True, scope="module")
def _superoffice_webapi() -> None:
    require_interop("@superoffice/webapi")


SCHEMES = "http://schemes.superoffice.net/identity/"
SYSTEM_TOKEN = "DevNet-8k8Q7DmBgo"


def read_principals(reads: list[dict[str, Any]]) -> dict[str, dict[str, Any]]:
    """One Node process running the reads: each read's JSON result by name."""
    assert NODE is not None and shutil.which(NODE)
    done = subprocess.run(
        [NODE, str(INTEROP / "superoffice.mjs"), json.dumps({"reads": reads})],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    results = [json.loads(line) for line in done.stdout.splitlines() if line.startswith("{")]
    return {result["read"]: result for result in results}


def _scenario() -> dict[str, Any]:
    """The preset with the default users and clients, a partner app and a system user."""
    _, public = partner_key()
    default = default_scenario_mapping()
    partner = {
        "client_id": "partner-app",
        "client_secret": "partner-app-token",
        "redirect_uris": ["http://127.0.0.1:8080/callback"],
        "jwks": {"keys": [public]},
    }
    system = {
        "sub": "system",
        "claims": {"email": "system@example.com", "system_token": SYSTEM_TOKEN},
    }
    return {
        "preset": "superoffice",
        "clients": [*default["clients"], partner],
        "users": [*default["users"], system],
        "default_user": "alice",
    }


def test_current_principal_with_a_bearer_token_and_with_a_ticket(live: LiveServer) -> None:
    live.provider.use_scenario(_scenario())
    client = live.provider.deps.client("mockidp-client")
    assert client is not None
    with httpx.Client(base_url=live.url) as http:
        tokens = run_login(
            http, live.provider, client, "alice", scope="openid", redirect_uri=None, params={}
        )
        private, _ = partner_key()
        now = datetime.fromtimestamp(live.provider.clock.now(), UTC)
        answer = http.post(
            "/Login/api/PartnerSystemUser/Authenticate",
            json={
                "SignedSystemToken": signed_system_token(private, SYSTEM_TOKEN, now),
                "ApplicationToken": "partner-app-token",
                "ContextIdentifier": "Cust12345",
                "ReturnTokenType": "Jwt",
            },
        ).json()
    assert answer["IsSuccessful"] is True, answer
    ticket = jwt_parts(answer["Token"])[1]["ticket"]
    webapi_url = jwt_parts(tokens["id_token"])[1][SCHEMES + "webapi_url"]
    assert webapi_url == live.url + "/Cust12345/api/"
    other_tenant = live.url + "/Cust99999/api/"

    results = read_principals(
        [
            {"read": "bearer", "webapi_url": webapi_url, "token": tokens["access_token"]},
            {"read": "ticket", "webapi_url": webapi_url, "ticket": ticket,
             "app_token": "partner-app-token"},
            {"read": "ticket_without_app_token", "webapi_url": webapi_url, "ticket": ticket},
            {"read": "ticket_of_another_tenant", "webapi_url": other_tenant, "ticket": ticket,
             "app_token": "partner-app-token"},
            {"read": "unknown_token", "webapi_url": webapi_url, "token": "8A:Cust12345.nope"},
        ]
    )  # fmt: skip

    for name in ("bearer", "ticket"):
        result = results[name]
        assert result["ok"], result
        principal = result["principal"]
        # The SDK's enums parsed every value (an unknown one is dropped as undefined).
        assert principal["userType"] == "InternalAssociate", principal
        assert principal["roleType"] == "Employee", principal
        assert principal["ejUserStatus"] == "StatusNormal", principal
        assert principal["databaseContextIdentifier"] == "Cust12345"
        assert principal["associateId"] == 5
    assert results["bearer"]["principal"]["eMailAddress"] == "alice@example.com"
    assert results["ticket"]["principal"]["eMailAddress"] == "system@example.com"
    for name in ("ticket_without_app_token", "ticket_of_another_tenant", "unknown_token"):
        result = results[name]
        assert not result["ok"] and result["status"] == 401, result
        assert result["body"]["error"] == "invalid_token", result
