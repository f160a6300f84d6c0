"""The loopback flow's floor: the same HTTP server doing only what the flow cannot skip.

    .venv/bin/python bench/loopback_floor.py --port 8000

uvicorn as ``mockidp serve`` runs it (httptools, uvloop, no access log) serving a bare
ASGI app: ``GET /authorize`` answers the 302 with a random code, ``POST /token`` reads
the form and signs an access token and an ID token (RS256, the key's own cryptography
``sign``, claims written by ``json``) with a random refresh token, or for
``grant_type=client_credentials`` the access token alone; ``GET /userinfo`` answers a
fixed ``sub``. No validation, no state, no log. ``bench/goals.py`` times it in the same
rounds as mockidp (and oauth2-mock-server): what a Python server pays for the flow and
for each grant before any of mockidp's own work (bench/README.md, "The loopback floor").
"""

from __future__ import annotations

import argparse
import base64
import json
import secrets
import time
from typing import Any
from urllib.parse import parse_qsl

import uvicorn
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import padding, rsa

KEY = rsa.generate_private_key(public_exponent=65537, key_size=2048)
HEADER = base64.urlsafe_b64encode(b'{"typ":"JWT","alg":"RS256","kid":"floor"}').rstrip(b"=")


def _b64(data: bytes) -> bytes:
    return base64.urlsafe_b64encode(data).rstrip(b"=")


def signed(claims: dict[str, Any]) -> str:
    signing_input = HEADER + b"." + _b64(json.dumps(claims).encode())
    signature = KEY.sign(signing_input, padding.PKCS1v15(), hashes.SHA256())
    return (signing_input + b"." + _b64(signature)).decode("ascii")


async def _answer(send: Any, status: int, headers: list[tuple[bytes, bytes]], body: bytes) -> None:
    headers.append((b"content-length", str(len(body)).encode("ascii")))
    await send({"type": "http.response.start", "status": status, "headers": headers})
    await send({"type": "http.response.body", "body": body})


async def app(scope: dict[str, Any], receive: Any, send: Any) -> None:
    if scope["type"] != "http":
        return
    path = scope["path"]
    if path == "/authorize":
        query = dict(parse_qsl(scope["query_string"].decode("ascii")))
        location = (
            f"{query['redirect_uri']}?code={secrets.token_urlsafe(32)}&state={query['state']}"
        )
        await _answer(send, 302, [(b"location", location.encode("ascii"))], b"")
        return
    if path == "/token":
        form, more = b"", True
        while more:  # the form is read, as any server must
            message = await receive()
            form += message.get("body", b"")
            more = message.get("more_body", False)
        now = int(time.time())
        claims = {
            "iss": "http://floor",
            "sub": "alice",
            "aud": "bench",
            "iat": now,
            "exp": now + 300,
        }
        answer = {
            "access_token": signed({**claims, "jti": secrets.token_hex(16)}),
            "token_type": "Bearer",
            "expires_in": 300,
        }
        if b"grant_type=client_credentials" not in form:  # a user's grant: ID token too
            answer["id_token"] = signed(claims)
            answer["refresh_token"] = secrets.token_urlsafe(32)
        body = json.dumps(answer).encode()
    else:
        body = b'{"sub": "alice"}'
    await _answer(send, 200, [(b"content-type", b"application/json")], body)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--port", type=int, required=True)
    port = parser.parse_args().port
    uvicorn.run(
        app, host="127.0.0.1", port=port, log_level="warning", access_log=False, lifespan="off"
    )


if __name__ == "__main__":
    main()
