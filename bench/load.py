"""A bounded load test of a running mockidp: concurrent sign-in flows for a fixed time.

Each worker repeats one authorization-code + PKCE flow of the default scenario (public
client ``mockidp-public``; alice signs in automatically): ``GET /authorize`` -> 302
with a code, ``POST /token`` -> tokens, then the same code again -> ``invalid_grant``
(a code redeems exactly once). It counts every request, every error (any unexpected
status, any transport error), the codes issued (a duplicate is an error), and the
latency of each request; it reports throughput and tail latency.

    .venv/bin/python bench/load.py                         # its own server, 8 x 10 s
    .venv/bin/python bench/load.py --url http://127.0.0.1:8080 --concurrency 16 --seconds 30
    .venv/bin/python bench/load.py --json out.json

tests/hosting/test_load.py runs :func:`run` for a couple of seconds against the test session's
live server and asserts the counts (never the timings).
"""

from __future__ import annotations

import argparse
import asyncio
import base64
import hashlib
import json
import secrets
import sys
import time
from dataclasses import asdict, dataclass, field
from urllib.parse import parse_qsl, urlsplit

import httpx

CLIENT_ID = "mockidp-public"
REDIRECT_URI = "http://127.0.0.1:8080/callback"


@dataclass
class LoadResult:
    """What a run did: counts, failures (first few kept), latencies in ms."""

    concurrency: int
    seconds: float
    requests: int = 0
    flows: int = 0
    errors: int = 0
    codes_issued: int = 0
    codes_redeemed: int = 0
    duplicate_codes: int = 0
    replays_accepted: int = 0
    failures: list[str] = field(default_factory=list)
    latencies_ms: list[float] = field(default_factory=list, repr=False)

    def fail(self, what: str) -> None:
        self.errors += 1
        if len(self.failures) < 20:
            self.failures.append(what)

    def percentile(self, p: float) -> float:
        ordered = sorted(self.latencies_ms)
        if not ordered:
            return 0.0
        return ordered[min(len(ordered) - 1, int(p / 100 * len(ordered)))]

    def summary(self) -> dict[str, object]:
        out = {k: v for k, v in asdict(self).items() if k != "latencies_ms"}
        out["requests_per_second"] = round(self.requests / self.seconds, 1)
        out["flows_per_second"] = round(self.flows / self.seconds, 1)
        for p in (50, 90, 99):
            out[f"p{p}_ms"] = round(self.percentile(p), 2)
        out["max_ms"] = round(max(self.latencies_ms, default=0.0), 2)
        return out


async def _timed(
    result: LoadResult, client: httpx.AsyncClient, method: str, url: str, **kw: object
) -> httpx.Response | None:
    started = time.perf_counter()
    try:
        response = await client.request(method, url, **kw)  # type: ignore[arg-type]
    except httpx.HTTPError as exc:
        result.requests += 1
        result.fail(f"{method} {url}: {type(exc).__name__}: {exc}")
        return None
    result.requests += 1
    result.latencies_ms.append((time.perf_counter() - started) * 1000)
    return response


async def _flow(result: LoadResult, client: httpx.AsyncClient, seen: set[str]) -> None:
    verifier = secrets.token_urlsafe(48)
    challenge = base64.urlsafe_b64encode(hashlib.sha256(verifier.encode()).digest())
    params = {
        "response_type": "code",
        "client_id": CLIENT_ID,
        "redirect_uri": REDIRECT_URI,
        "scope": "openid profile",
        "state": secrets.token_urlsafe(8),
        "code_challenge": challenge.rstrip(b"=").decode(),
        "code_challenge_method": "S256",
    }
    answer = await _timed(result, client, "GET", "/authorize", params=params)
    if answer is None:
        return
    location = answer.headers.get("location", "")
    query = dict(parse_qsl(urlsplit(location).query))
    if answer.status_code != 302 or "code" not in query or query.get("state") != params["state"]:
        result.fail(f"authorize: {answer.status_code} {location or answer.text[:200]}")
        return
    code = query["code"]
    result.codes_issued += 1
    if code in seen:
        result.duplicate_codes += 1
        result.fail(f"duplicate code {code}")
    seen.add(code)
    form = {
        "grant_type": "authorization_code",
        "code": code,
        "redirect_uri": REDIRECT_URI,
        "client_id": CLIENT_ID,
        "code_verifier": verifier,
    }
    token = await _timed(result, client, "POST", "/token", data=form)
    if token is None:
        return
    if token.status_code != 200 or "access_token" not in token.json():
        result.fail(f"token: {token.status_code} {token.text[:200]}")
        return
    result.codes_redeemed += 1
    replay = await _timed(result, client, "POST", "/token", data=form)
    if replay is None:
        return
    if replay.status_code != 400 or replay.json().get("error") != "invalid_grant":
        result.replays_accepted += 1
        result.fail(f"replayed code answered {replay.status_code} {replay.text[:200]}")
        return
    result.flows += 1


async def run(url: str, *, concurrency: int = 8, seconds: float = 10.0) -> LoadResult:
    """``concurrency`` workers doing flows against ``url`` until ``seconds`` have passed
    (a flow under way then finishes)."""
    result = LoadResult(concurrency, seconds)
    seen: set[str] = set()
    deadline = time.perf_counter() + seconds

    async def worker() -> None:
        # a client each: no shared cookie jar, a connection each (keep-alive)
        async with httpx.AsyncClient(base_url=url, timeout=30) as client:
            while time.perf_counter() < deadline:
                await _flow(result, client, seen)

    started = time.perf_counter()
    await asyncio.gather(*(worker() for _ in range(concurrency)))
    result.seconds = time.perf_counter() - started
    return result


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--url", help="a running mockidp (default: start one on loopback)")
    parser.add_argument("--concurrency", type=int, default=8)
    parser.add_argument("--seconds", type=float, default=10.0)
    parser.add_argument("--json", help="also write the figures here")
    args = parser.parse_args(argv)
    server = None
    url = args.url
    if url is None:
        from mockidp import create_app
        from mockidp.testing.serving import LiveServer

        server = LiveServer(create_app())
        url = server.url
    try:
        result = asyncio.run(run(url, concurrency=args.concurrency, seconds=args.seconds))
    finally:
        if server is not None:
            server.stop()
    figures = result.summary()
    print(json.dumps(figures, indent=2))
    if args.json:
        with open(args.json, "w", encoding="utf-8") as out:
            json.dump(figures, out, indent=2)
    return 1 if result.errors else 0


if __name__ == "__main__":
    sys.exit(main())
