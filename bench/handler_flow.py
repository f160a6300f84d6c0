"""A full flow through the Lambda handler, its state in DynamoDB on moto's server.

Starts ``python -m tests.support.moto_server`` (moto's DynamoDB over HTTP on a loopback port),
creates the table, imports ``mockidp.lambda_handler`` with ``MOCKIDP_TABLE`` set (the
true cold import is ``bench/cold_import.py``'s: here boto3 is already loaded), then drives authorization-code + PKCE flows (authorize, token,
userinfo) as HTTP API payload 2.0 events (``tests/support/lambda_events.py``) and prints the
median per flow and per step. Every step's state goes through DynamoDB (moto), so the
figure is dominated by the store's round trips, as on Lambda.

    .venv/bin/python bench/handler_flow.py --flows 200

Not part of the pytest run.
"""

from __future__ import annotations

import argparse
import base64
import hashlib
import json
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path
from urllib.parse import parse_qs, urlencode, urlsplit

ROOT = Path(__file__).resolve().parent.parent
TABLE = "mockidp-bench-flow"
REDIRECT_URI = "http://127.0.0.1:8080/callback"
VERIFIER = base64.urlsafe_b64encode(hashlib.sha256(b"mockidp bench").digest()).rstrip(b"=").decode()
CHALLENGE = (
    base64.urlsafe_b64encode(hashlib.sha256(VERIFIER.encode()).digest()).rstrip(b"=").decode()
)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--flows", type=int, default=200)
    parser.add_argument("--warmup", type=int, default=20)
    args = parser.parse_args()
    sys.path.insert(0, str(ROOT))
    moto = subprocess.Popen(
        [sys.executable, "-m", "tests.support.moto_server"],
        cwd=ROOT,
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,  # moto logs every request
        text=True,
    )
    try:
        assert moto.stdout is not None
        endpoint = moto.stdout.readline().strip()
        os.environ.update(
            {
                "MOCKIDP_TABLE": TABLE,
                "AWS_REGION": "eu-west-1",
                "AWS_ACCESS_KEY_ID": "bench",
                "AWS_SECRET_ACCESS_KEY": "bench",
                "AWS_ENDPOINT_URL_DYNAMODB": endpoint,
                "MOCKIDP_ADMIN_TOKEN": "bench-admin-token-0123456789",
            }
        )
        from mockidp.store.dynamodb import create_table

        create_table(TABLE, region="eu-west-1", endpoint_url=endpoint)
        t0 = time.perf_counter()
        import mockidp.lambda_handler as lambda_handler

        import_ms = (time.perf_counter() - t0) * 1000
        from tests.support.lambda_events import HTTP_API, LambdaContext, v2_event

        context = LambdaContext()
        query = urlencode(
            {
                "response_type": "code",
                "client_id": "mockidp-public",
                "redirect_uri": REDIRECT_URI,
                "scope": "openid profile email",
                "state": "af0ifjsldkj",
                "code_challenge": CHALLENGE,
                "code_challenge_method": "S256",
            }
        )
        form_headers = {"content-type": "application/x-www-form-urlencoded"}
        steps: dict[str, list[float]] = {"authorize": [], "token": [], "userinfo": [], "flow": []}

        def call(method: str, path: str, q: str, headers: dict[str, str], body: bytes | None):
            event = v2_event(HTTP_API, method, path, q, headers, (), body)
            return lambda_handler.handler(event, context)

        def flow(record: bool) -> None:
            marks = [time.perf_counter()]
            answer = call("GET", "/authorize", query, {}, None)
            assert answer["statusCode"] == 302, answer
            code = parse_qs(urlsplit(answer["headers"]["location"]).query)["code"][0]
            marks.append(time.perf_counter())
            form = urlencode(
                {
                    "grant_type": "authorization_code",
                    "code": code,
                    "redirect_uri": REDIRECT_URI,
                    "client_id": "mockidp-public",
                    "code_verifier": VERIFIER,
                }
            ).encode()
            answer = call("POST", "/token", "", form_headers, form)
            assert answer["statusCode"] == 200, answer
            body = answer["body"]
            if answer.get("isBase64Encoded"):
                body = base64.b64decode(body).decode()
            access = json.loads(body)["access_token"]
            marks.append(time.perf_counter())
            answer = call("GET", "/userinfo", "", {"authorization": f"Bearer {access}"}, None)
            assert answer["statusCode"] == 200, answer
            marks.append(time.perf_counter())
            if record:
                for name, a, b in zip(
                    ("authorize", "token", "userinfo"), marks, marks[1:], strict=False
                ):
                    steps[name].append((b - a) * 1000)
                steps["flow"].append((marks[-1] - marks[0]) * 1000)

        first = time.perf_counter()
        flow(False)
        first_ms = (time.perf_counter() - first) * 1000
        for _ in range(args.warmup):
            flow(False)
        for _ in range(args.flows):
            flow(True)
        print(f"Lambda handler on moto's DynamoDB server ({endpoint}), {args.flows} flows")
        print(
            f"  import of the handler (boto3 already loaded by create_table): {import_ms:7.1f} ms"
        )
        print(f"  first flow (boto3 import, client, first round trips):       {first_ms:7.1f} ms")
        for name, values in steps.items():
            print(f"  {name:<9} median {statistics.median(values):7.2f} ms")
    finally:
        moto.terminate()
        moto.wait(10)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
