"""Load held, faults survived.

1. The live server (uvicorn on loopback) under a fixed number of concurrent sign-in
   flows for a fixed short time (bench/load.py's driver): no errors, every code issued
   once and redeemed exactly once (its replay refused). Throughput and p99 are printed
   (``-s`` shows them), never asserted.
2. Two apps (two Lambda containers) on one DynamoDB table (moto's server) whose client
   throttles and times out at random (seeded): before the call (the request never got
   there) or after it (the write happened, the answer was lost). Every flow either
   completes or fails with a clean 503 ``temporarily_unavailable`` (or, at the
   authorization endpoint, a redirect carrying it); then, faults off, nothing is
   half-done: every issued token works, every issued refresh token refreshes (its grant
   record is there), and no redeemed code redeems again.
"""

from __future__ import annotations

import asyncio
import importlib.util
import random
import sys
import threading
import uuid
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl, urlsplit

import httpx
import pytest

from mockidp import MockIdPApp, create_app
from mockidp.store.dynamodb import DynamoDBStore
from tests.conftest import LiveServer, request_in_process
from tests.support.dynamodb import TABLE, aws_environment, moto_server_url, needs_moto

_spec = importlib.util.spec_from_file_location(
    "mockidp_bench_load", Path(__file__).resolve().parents[2] / "bench" / "load.py"
)
assert _spec is not None and _spec.loader is not None
load = importlib.util.module_from_spec(_spec)
sys.modules[_spec.name] = load  # dataclasses look their module up while it loads
_spec.loader.exec_module(load)


def test_concurrent_sign_ins_on_the_live_server(live: LiveServer) -> None:
    result = asyncio.run(load.run(live.url, concurrency=8, seconds=2.0))
    print("\nload:", result.summary())
    assert result.failures == [] and result.errors == 0
    assert result.flows > 0
    assert result.codes_issued == result.codes_redeemed == result.flows
    assert result.duplicate_codes == 0 and result.replays_accepted == 0
    assert result.requests == 3 * result.flows


# -- DynamoDB with injected throttling and timeouts -----------------------------------------

CLIENT = ("mockidp-client", "mockidp-secret")
REDIRECT_URI = "http://localhost:8080/callback"
FLOWS = 48
WORKERS = 6
FAILURE_RATE = 0.12


class FlakyDynamoDB:
    """A boto3 DynamoDB client that fails a share of calls (seeded): half before the
    call reaches the table (throttled), half after it (a read timeout: done, unanswered)."""

    def __init__(self, real: Any, seed: int) -> None:
        self.real = real
        self.random = random.Random(seed)
        self.lock = threading.Lock()
        self.enabled = True
        self.injected = 0

    def __getattr__(self, name: str) -> Callable[..., Any]:
        from botocore.exceptions import ClientError, ReadTimeoutError

        operation = getattr(self.real, name)

        def call(**kwargs: Any) -> Any:
            with self.lock:
                roll = self.random.random() if self.enabled else 1.0
            if roll < FAILURE_RATE / 2:
                self.injected += 1
                error: Any = {"Code": "ProvisionedThroughputExceededException", "Message": "no"}
                raise ClientError({"Error": error}, name)
            answer = operation(**kwargs)
            if roll < FAILURE_RATE:
                self.injected += 1
                raise ReadTimeoutError(endpoint_url="http://dynamodb")
            return answer

        return call


def _clean_503(response: httpx.Response) -> bool:
    return (
        response.status_code == 503
        and response.json().get("error") == "temporarily_unavailable"
        and response.headers.get("retry-after", "").isdigit()
    )


def _flow(app: MockIdPApp) -> dict[str, Any]:
    """One sign-in and code redemption: what happened, for the checks after."""
    params = {
        "response_type": "code",
        "client_id": CLIENT[0],
        "redirect_uri": REDIRECT_URI,
        "scope": "openid offline_access",
        "state": uuid.uuid4().hex,
    }
    answer = request_in_process(app, "GET", "/authorize", params=params)
    if _clean_503(answer):
        return {"outcome": "503 at authorize"}
    assert answer.status_code == 302, answer.text
    query = dict(parse_qsl(urlsplit(answer.headers["location"]).query))
    assert answer.headers["location"].startswith(REDIRECT_URI + "?")
    if query.get("error") == "temporarily_unavailable":  # RFC 6749 4.1.2.1, redirected
        return {"outcome": "503 redirected"}
    assert query.get("state") == params["state"] and "code" in query, query
    form = {"grant_type": "authorization_code", "code": query["code"], "redirect_uri": REDIRECT_URI}
    token = request_in_process(app, "POST", "/token", data=form, auth=CLIENT)
    if _clean_503(token):
        return {"outcome": "503 at token", "form": form}
    assert token.status_code == 200, token.text
    return {"outcome": "completed", "form": form, "tokens": token.json()}


@needs_moto
def test_flows_on_a_throttled_timing_out_table_complete_or_fail_cleanly() -> None:
    url = moto_server_url()
    tenant = uuid.uuid4().hex
    with aws_environment():
        flaky = [
            FlakyDynamoDB(DynamoDBStore(TABLE, tenant=tenant, endpoint_url=url).client, seed)
            for seed in (1, 2)
        ]
        apps = [
            create_app(store=DynamoDBStore(TABLE, tenant=tenant, client=client)) for client in flaky
        ]
        with ThreadPoolExecutor(max_workers=WORKERS) as pool:
            results = list(pool.map(lambda i: _flow(apps[i % 2]), range(FLOWS)))
        for client in flaky:
            client.enabled = False
        outcomes = [r["outcome"] for r in results]
        print("\nflaky DynamoDB:", {o: outcomes.count(o) for o in set(outcomes)}, end=" ")
        print("injected failures:", sum(c.injected for c in flaky))
        assert sum(c.injected for c in flaky) > 0  # the faults did happen
        assert "completed" in outcomes
        for i, result in enumerate(results):
            app = apps[(i + 1) % 2]  # checked through the other container
            if "form" in result:  # a code once issued never redeems (again) afterwards...
                replay = request_in_process(app, "POST", "/token", data=result["form"], auth=CLIENT)
                if result["outcome"] == "completed":
                    assert replay.status_code == 400, replay.text
                    assert replay.json()["error"] == "invalid_grant"
                else:  # ...unless its 503 came before the code was taken: then it still may
                    assert replay.status_code in (200, 400), replay.text
            if result["outcome"] != "completed":
                continue
            tokens = result["tokens"]
            # The replay above revoked this grant (RFC 6749 4.1.2); what matters is that
            # issuing left nothing half-written: both tokens were recorded with a grant.
            assert {"access_token", "refresh_token", "id_token"} <= tokens.keys()


@needs_moto
def test_issued_tokens_are_whole_after_faults() -> None:
    """Without replays: every token a faulty run issued works once faults stop, and
    every refresh token refreshes (a token never outlives a missing grant record)."""
    url = moto_server_url()
    tenant = uuid.uuid4().hex
    with aws_environment():
        flaky = FlakyDynamoDB(DynamoDBStore(TABLE, tenant=tenant, endpoint_url=url).client, 7)
        app = create_app(store=DynamoDBStore(TABLE, tenant=tenant, client=flaky))
        with ThreadPoolExecutor(max_workers=WORKERS) as pool:
            results = list(pool.map(lambda _: _flow(app), range(FLOWS // 2)))
        flaky.enabled = False
        completed = [r["tokens"] for r in results if r["outcome"] == "completed"]
        assert completed and flaky.injected > 0
        for tokens in completed:
            bearer = {"Authorization": f"Bearer {tokens['access_token']}"}
            userinfo = request_in_process(app, "GET", "/userinfo", headers=bearer)
            assert userinfo.status_code == 200, userinfo.text
            refresh = {"grant_type": "refresh_token", "refresh_token": tokens["refresh_token"]}
            refreshed = request_in_process(app, "POST", "/token", data=refresh, auth=CLIENT)
            assert refreshed.status_code == 200, refreshed.text


@pytest.mark.parametrize("seconds", [0.5])
def test_the_load_driver_counts_a_broken_server_as_errors(seconds: float) -> None:
    """The driver can fail: a server that answers 500 everywhere is all errors."""

    async def broken(scope: Any, receive: Any, send: Any) -> None:
        await send({"type": "http.response.start", "status": 500, "headers": []})
        await send({"type": "http.response.body", "body": b""})

    from mockidp.testing.serving import LiveServer as Serving

    server = Serving(broken)  # type: ignore[arg-type]
    try:
        result = asyncio.run(load.run(server.url, concurrency=2, seconds=seconds))
    finally:
        server.stop()
    assert result.errors > 0 and result.flows == 0
