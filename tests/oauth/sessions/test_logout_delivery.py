"""Back-channel logout delivery behind the Provider: the ``LogoutDelivery`` port.

The HTTP layer asks the Provider to end the session and tell the relying parties
(``Provider.end_session_and_notify``); the Provider delivers the Logout Tokens through
its ``logout_delivery``, here a recording stand-in, and the request log gets its records.
The default (httpx over loopback) is tested in ``test_logout_channels.py``.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import parse_qs, urlsplit

import httpx
import pytest

from mockidp import create_app
from mockidp.oauth.provider import Provider
from mockidp.oauth.sessions.logout import BackChannelCall
from mockidp.requestlog import RequestRecord

CALLBACK = "http://127.0.0.1:8080/callback"
RP = "http://rp.example/backchannel"


class Recorder:
    """A LogoutDelivery that records each call and answers as the relying party would."""

    def __init__(self, status: int) -> None:
        self.status = status
        self.calls: list[BackChannelCall] = []

    async def __call__(self, calls: tuple[BackChannelCall, ...]) -> list[RequestRecord]:
        self.calls += calls
        return [
            RequestRecord(
                method="POST",
                path=call.uri,
                endpoint="backchannel_logout",
                status=self.status,
                duration_ms=0.0,
                client_id=call.client_id,
            )
            for call in calls
        ]


def _scenario() -> dict[str, Any]:
    client = {
        "client_id": "app",
        "client_secret": "secret",
        "redirect_uris": [CALLBACK],
        "backchannel_logout_uri": RP,
    }
    return {"users": [{"sub": "alice"}], "default_user": "alice", "clients": [client]}


async def _sign_in_and_out(provider: Provider, log: list[RequestRecord]) -> httpx.Response:
    app = create_app(provider=provider, on_request=log.append)
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://mockidp.test") as http:
        params = {"client_id": "app", "redirect_uri": CALLBACK}
        signed_in = await http.get(
            "/authorize", params={**params, "response_type": "code", "scope": "openid"}
        )
        assert signed_in.status_code == 302, signed_in.text
        assert "code" in parse_qs(urlsplit(signed_in.headers["location"]).query)
        return await http.get("/end_session", params={"client_id": "app"})


@pytest.mark.anyio
@pytest.mark.parametrize("status", [200, 500])
async def test_the_provider_delivers_through_its_logout_delivery(status: int) -> None:
    recorder = Recorder(status)
    provider = Provider(_scenario(), logout_delivery=recorder)
    log: list[RequestRecord] = []
    logout = await _sign_in_and_out(provider, log)
    assert logout.status_code == 200  # whatever the relying party answered
    [call] = recorder.calls
    assert (call.client_id, call.uri) == ("app", RP)
    claims = provider.keys.verify(call.logout_token)[1]
    assert claims["aud"] == "app" and "sid" in claims
    delivered = [r for r in log if r.endpoint == "backchannel_logout"]
    assert [(r.path, r.status) for r in delivered] == [(RP, status)]


@pytest.mark.anyio
async def test_end_session_and_notify_returns_the_deliveries() -> None:
    recorder = Recorder(204)
    provider = Provider(_scenario(), logout_delivery=recorder)
    assert await provider.end_session_and_notify({}, issuer="http://x", session_id=None) == (
        provider.end_session({}, issuer="http://x", session_id=None)
    )  # no session: nobody to tell, the port is not called
    assert recorder.calls == []
