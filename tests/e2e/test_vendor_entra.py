"""msal (Microsoft's own Python library) against the entra preset, over HTTPS.

msal refuses an authority that is not https. It is pointed at the HTTPS server with
``authority="https://127.0.0.1:PORT/{tenant}"``, ``instance_discovery=False`` (its
documented switch for authorities that are not Microsoft's cloud) and ``verify=`` the
local CA (its documented option, handed to requests; requests prefers
``REQUESTS_CA_BUNDLE`` when that is set, so the tests set both). msal builds the authorization
URL, checks state and nonce, redeems the code, validates the ID token's issuer,
audience and times, reads ``client_info``, and keeps tokens in its cache, from which
``acquire_token_silent`` refreshes for other scopes and resources.
"""

from __future__ import annotations

import base64
import json
from typing import Any
from urllib.parse import urlsplit

import pytest

from mockidp.presets.entra import TENANT
from mockidp.testing import MockIdP
from mockidp.testing.login_flow import page_form
from tests.support.optional import missing
from tests.support.vendors import CALLBACK, CLIENT, OTHER, SECRET, two_clients

try:
    import msal
except ImportError as exc:  # the interop extra
    missing(exc)

pytestmark = pytest.mark.mockidp(preset="entra", clients=two_clients())


@pytest.fixture(autouse=True)
def _trust(mockidp_https_server: MockIdP, monkeypatch: pytest.MonkeyPatch) -> None:
    # requests lets REQUESTS_CA_BUNDLE, when set, win over a session's verify=.
    monkeypatch.setenv("REQUESTS_CA_BUNDLE", str(mockidp_https_server.ca_file))


def _app(
    idp: MockIdP, client: str = CLIENT, secret: str = SECRET
) -> msal.ConfidentialClientApplication:
    return msal.ConfidentialClientApplication(
        client,
        client_credential=secret,
        authority=f"{idp.url}/{TENANT}",
        instance_discovery=False,
        verify=str(idp.ca_file),
    )


def _claims(token: str) -> dict[str, Any]:
    payload = token.split(".")[1]
    decoded: dict[str, Any] = json.loads(base64.urlsafe_b64decode(payload + "=" * 4))
    return decoded


def _browser(idp: MockIdP, auth_uri: str) -> dict[str, str]:
    """What a browser does with msal's authorization URL (response_mode=form_post, as
    msal recommends): the fields posted to the callback."""
    response = idp.client.get(auth_uri)
    for _ in range(5):
        assert response.status_code == 200, response.text
        action, fields = page_form(response.text)
        if action == urlsplit(CALLBACK).path and "state" in fields:
            return fields
        response = idp.client.post(action, data={**fields, "login": "alice", "decision": "approve"})
    raise AssertionError(f"no form_post to the callback: {response.text[:300]}")


def test_sign_in_graph_scope_then_silent_for_an_api(mockidp_https_server: MockIdP) -> None:
    idp = mockidp_https_server
    app = _app(idp)
    flow = app.initiate_auth_code_flow(
        ["User.Read"], redirect_uri=CALLBACK, response_mode="form_post"
    )
    result = app.acquire_token_by_auth_code_flow(flow, _browser(idp, flow["auth_uri"]))
    assert "access_token" in result, result
    assert _claims(result["access_token"])["aud"] == "https://graph.microsoft.com"
    claims = result["id_token_claims"]
    assert claims["tid"] == TENANT and claims["oid"]
    account = app.get_accounts()[0]  # from client_info: uid.utid
    assert account["home_account_id"] == f"{claims['oid']}.{TENANT}"
    assert account["local_account_id"] == claims["oid"]

    # The refresh token serves another resource's scope (Entra's rule).
    api = app.acquire_token_silent([f"api://{CLIENT}/.default"], account=account)
    assert api is not None and "access_token" in api, api
    assert _claims(api["access_token"])["aud"] == f"api://{CLIENT}"
    again = app.acquire_token_silent(["User.Read"], account=account, force_refresh=True)
    assert again is not None and "access_token" in again, again


def test_app_only_token_has_tid(mockidp_https_server: MockIdP) -> None:
    result = _app(mockidp_https_server).acquire_token_for_client([f"api://{OTHER}/.default"])
    assert "access_token" in result, result
    claims = _claims(result["access_token"])
    assert (claims["tid"], claims["aud"], claims["azp"]) == (TENANT, f"api://{OTHER}", CLIENT)


def test_unknown_scopes_are_refused(mockidp_https_server: MockIdP) -> None:
    app = _app(mockidp_https_server)
    unknown_api = app.acquire_token_for_client(["api://nobody/.default"])
    assert unknown_api.get("error") == "invalid_scope", unknown_api
    two = app.acquire_token_for_client([f"api://{OTHER}/.default", "User.Read"])
    assert two.get("error") == "invalid_scope", two
    made_up = app.acquire_token_for_client(["https://graph.microsoft.com/Made.Up"])
    assert made_up.get("error") == "invalid_scope", made_up
