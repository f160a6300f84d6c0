"""Sign-ins the sign-in tests drive through a MockIdP's client (in-process or live):
an authorization code sign-in with refresh and logout, a device sign-in, a faulted one."""

from __future__ import annotations

import re

from mockidp.testing import MockIdP

CLIENT = ("mockidp-client", "mockidp-secret")
DEVICE_GRANT = "urn:ietf:params:oauth:grant-type:device_code"


def sign_in_refresh_logout(idp: MockIdP) -> None:
    """discovery, authorize, login page, token, userinfo, refresh, logout."""
    idp.client.get("/.well-known/openid-configuration")
    tokens = idp.login("alice", scope="openid offline_access")
    bearer = {"Authorization": f"Bearer {tokens['access_token']}"}
    assert idp.client.get("/userinfo", headers=bearer).status_code == 200
    refresh = {"grant_type": "refresh_token", "refresh_token": tokens["refresh_token"]}
    assert idp.client.post("/token", data=refresh, auth=CLIENT).status_code == 200
    idp.client.get("/end_session", params={"id_token_hint": tokens["id_token"]})


def device_sign_in(idp: MockIdP) -> None:
    """device_authorization, a poll too early, the verification page, sign in, approve, token."""
    grant = idp.client.post(
        "/device_authorization", data={"client_id": "mockidp-public", "scope": "openid"}
    ).json()
    poll = {"grant_type": DEVICE_GRANT, "device_code": grant["device_code"]}
    poll["client_id"] = "mockidp-public"
    assert idp.client.post("/token", data=poll).json()["error"] == "authorization_pending"
    page = idp.client.get("/device", params={"user_code": grant["user_code"]}).text
    interaction = re.search(r'name="interaction" value="([^"]+)"', page)
    assert interaction is not None and 'id="approve"' not in page, page  # sign in first
    signed_in = {"interaction": interaction.group(1), "action": "login", "login": "alice"}
    page = idp.client.post("/device", data=signed_in).text
    interaction = re.search(r'name="interaction" value="([^"]+)"', page)
    assert interaction is not None, page
    idp.client.post("/device", data={"interaction": interaction.group(1), "action": "approve"})
    assert idp.client.post("/token", data=poll).status_code == 200


def faulted_sign_in(idp: MockIdP) -> None:
    idp.fail_next("token", "invalid_grant")
    code = idp.authorize("bob")
    redeem = {
        "grant_type": "authorization_code",
        "code": code.code,
        "redirect_uri": code.redirect_uri,
        "code_verifier": code.code_verifier,
    }
    assert idp.client.post("/token", data=redeem, auth=CLIENT).status_code == 400
