"""The request log (``GET /_mockidp/requests``) never shows a credential.

Each flow that sends one runs against the real app: PAR's ``request_uri``, the code and
its DPoP proof, the device flow's ``device_code`` and ``user_code``, token exchange's
``subject_token`` / ``actor_token``, a JWT bearer ``assertion``, and registration's
initial and registration access tokens. Then not one of those values may appear in the
log, which still records every request (as ``***`` fingerprints).
"""

from __future__ import annotations

from typing import Any
from urllib.parse import parse_qs, urlencode, urlsplit

import httpx
import pytest

from mockidp import create_app
from tests.support.e2e import REDIRECT_URI, SECRET
from tests.support.flows import with_clients
from tests.support.grants import (
    JWT_BEARER,
    TOKEN_EXCHANGE,
    TOKEN_TYPE,
    dpop_proof,
    ec_key,
    public_jwks,
    sign,
)

pytestmark = pytest.mark.anyio

ORIGIN = "http://mockidp.test"
ADMIN = "log-admin-token"
INITIAL = "initial-access-token-value"
CLIENT = ("mockidp-client", SECRET)
SVC = ("svc", "svc-secret")


def _scenario() -> dict[str, Any]:
    svc = {
        "client_id": SVC[0],
        "client_secret": SVC[1],
        "grant_types": [JWT_BEARER, TOKEN_EXCHANGE],
        "jwks": public_jwks("svc-key"),
    }
    return with_clients(svc, registration={"initial_access_token": INITIAL})


def _query(location: str) -> dict[str, str]:
    return {k: v[0] for k, v in parse_qs(urlsplit(location).query).items()}


async def test_no_credential_of_any_flow_reaches_the_request_log() -> None:
    app = create_app(_scenario(), admin_token=ADMIN)
    now = app.provider.clock.now()
    secrets: dict[str, str] = {}
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url=ORIGIN) as http:
        # PAR, then the authorization request by reference, then the code with DPoP.
        pushed = await http.post(
            "/par",
            data={"response_type": "code", "redirect_uri": REDIRECT_URI, "scope": "openid"},
            auth=CLIENT,
        )
        assert pushed.status_code == 201, pushed.text
        secrets["request_uri"] = pushed.json()["request_uri"]
        query = urlencode({"client_id": CLIENT[0], "request_uri": secrets["request_uri"]})
        answer = await http.get(f"/authorize?{query}")
        assert answer.status_code == 302, answer.text
        secrets["code"] = _query(answer.headers["location"])["code"]
        proof = dpop_proof(ec_key("client-key"), f"{ORIGIN}/token", now=now)
        secrets["dpop"] = proof
        redeemed = await http.post(
            "/token",
            data={
                "grant_type": "authorization_code",
                "code": secrets["code"],
                "redirect_uri": REDIRECT_URI,
            },
            auth=CLIENT,
            headers={"DPoP": proof},
        )
        assert redeemed.status_code == 200, redeemed.text
        assert redeemed.json()["token_type"] == "DPoP"
        secrets["access_token"] = redeemed.json()["access_token"]

        # The device flow: the code the device polls with, the one the user types.
        device = await http.post(
            "/device_authorization", data={"client_id": "mockidp-public", "scope": "openid"}
        )
        assert device.status_code == 200, device.text
        secrets["device_code"] = device.json()["device_code"]
        secrets["user_code"] = device.json()["user_code"]
        page = await http.get("/device", params={"user_code": secrets["user_code"]})
        assert page.status_code == 200, page.text
        polled = await http.post(
            "/token",
            data={
                "grant_type": "urn:ietf:params:oauth:grant-type:device_code",
                "device_code": secrets["device_code"],
                "client_id": "mockidp-public",
            },
        )
        assert polled.json()["error"] == "authorization_pending", polled.text

        # Token exchange and a JWT bearer assertion.
        bearer = await http.post("/token", data={"grant_type": "client_credentials"}, auth=CLIENT)
        assert bearer.status_code == 200, bearer.text
        secrets["subject_token"] = bearer.json()["access_token"]
        actor = await http.post("/token", data={"grant_type": "client_credentials"}, auth=CLIENT)
        secrets["actor_token"] = actor.json()["access_token"]
        exchanged = await http.post(
            "/token",
            data={
                "grant_type": TOKEN_EXCHANGE,
                "subject_token": secrets["subject_token"],
                "subject_token_type": TOKEN_TYPE + "access_token",
                "actor_token": secrets["actor_token"],
                "actor_token_type": TOKEN_TYPE + "access_token",
            },
            auth=SVC,
        )
        assert exchanged.status_code < 500, exchanged.text
        claims = {"iss": SVC[0], "sub": "alice", "aud": f"{ORIGIN}/token"}
        claims.update({"iat": int(now), "exp": int(now) + 300, "jti": "log-test-1"})
        secrets["assertion"] = sign(claims, ec_key("svc-key"))
        asserted = await http.post(
            "/token", data={"grant_type": JWT_BEARER, "assertion": secrets["assertion"]}, auth=SVC
        )
        assert asserted.status_code == 200, asserted.text

        # Registration: the initial access token in, the registration access token out.
        registered = await http.post(
            "/register",
            json={"redirect_uris": [REDIRECT_URI]},
            headers={"Authorization": f"Bearer {INITIAL}"},
        )
        assert registered.status_code == 201, registered.text
        info = registered.json()
        secrets["initial_access_token"] = INITIAL
        secrets["registration_access_token"] = info["registration_access_token"]
        secrets["client_secret"] = info["client_secret"]
        read = await http.get(
            info["registration_client_uri"],
            headers={"Authorization": f"Bearer {info['registration_access_token']}"},
        )
        assert read.status_code == 200, read.text

        log = await http.get(
            "/_mockidp/requests",
            params={"limit": "1000"},
            headers={"Authorization": f"Bearer {ADMIN}"},
        )
    assert log.status_code == 200, log.text
    records = log.json()["requests"]
    endpoints = {r["endpoint"] for r in records}
    assert {"pushed_authorization_request", "authorization", "token"} <= endpoints
    assert {"device_authorization", "device", "registration", "registration_client"} <= endpoints
    for name, value in secrets.items():
        assert value not in log.text, f"{name} is in the request log"
    masked = {k: v for r in records for k, v in r["params"].items() if k in secrets}
    assert set(masked) >= {
        "request_uri",
        "code",
        "device_code",
        "user_code",
        "subject_token",
        "actor_token",
        "assertion",
    }, masked
    assert all(v.startswith("***") for v in masked.values()), masked
