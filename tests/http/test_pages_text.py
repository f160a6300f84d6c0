"""The login and device pages say what they do: no password asked, any subject may
sign in (one the scenario lacks gets only ``sub``), the client named by its name."""

from __future__ import annotations

import base64
import json
import re
from collections.abc import Iterator
from urllib.parse import parse_qsl, urlsplit

import pytest

from mockidp.testing import MockIdP

AUTHORIZE = {
    "client_id": "mockidp-client",
    "response_type": "code",
    "scope": "openid profile email",
    "redirect_uri": "http://localhost:8080/callback",
    "state": "s",
}


@pytest.fixture
def idp() -> Iterator[MockIdP]:
    idp = MockIdP.in_process(None)
    idp.use_scenario(login="page")
    yield idp
    idp.close()


def _interaction(page: str) -> str:
    found = re.search(r'name="interaction" value="([^"]+)"', page)
    assert found is not None, page
    return found.group(1)


def test_the_login_page_asks_no_password_and_offers_any_subject(idp: MockIdP) -> None:
    page = idp.client.get("/authorize", params=AUTHORIZE).text
    assert "no password needed" not in page
    assert "asks for no password (passwords are for the password grant only)" in page
    assert 'type="password"' not in page
    assert "Or any subject (one the scenario does not list gets only a <code>sub</code>" in page


def test_a_subject_the_scenario_lacks_signs_in_with_only_sub(idp: MockIdP) -> None:
    page = idp.client.get("/authorize", params=AUTHORIZE).text
    back = idp.client.post(
        "/interaction/login", data={"interaction": _interaction(page), "login": "mallory"}
    )
    code = dict(parse_qsl(urlsplit(back.headers["location"]).query))["code"]
    tokens = idp.client.post(
        "/token",
        data={"grant_type": "authorization_code", "code": code, **AUTHORIZE},
        auth=("mockidp-client", "mockidp-secret"),
    ).json()
    payload = tokens["id_token"].split(".")[1]
    claims = json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))
    assert claims["sub"] == "mallory"
    assert not {"name", "email", "preferred_username"} & claims.keys()


def test_the_device_page_names_the_client(idp: MockIdP) -> None:
    idp.use_scenario(login="auto")
    grant = idp.client.post("/device_authorization", data={"client_id": "mockidp-public"}).json()
    page = idp.client.get("/device", params={"user_code": grant["user_code"]}).text
    assert "<h1>Connect mockidp public client on your device</h1>" in page
    assert "PKCE required" not in page
