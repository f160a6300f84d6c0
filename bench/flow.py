"""Benchmark: one authorization-code + PKCE flow in-process, its floor, and start-up.

Run from the repository root:

    .venv/bin/python bench/flow.py                 # 2,000 flows per transport and alg
    .venv/bin/python bench/flow.py --flows 5000 --json results.json
    .venv/bin/python bench/flow.py --profile httpx --alg ES256   # where the time goes

See bench/README.md for what every figure means. Not part of the pytest run.
"""

from __future__ import annotations

import argparse
import asyncio
import base64
import gc
import hashlib
import importlib.util
import json
import os
import platform
import re
import statistics
import subprocess
import sys
import time
import types
from collections.abc import Awaitable, Callable, Iterable
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlencode, urlsplit

import httpx
import yaml
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import PlainTextResponse, Response
from starlette.routing import Route

sys.path.insert(0, str(Path(__file__).resolve().parent))
from asgi_driver import DirectClient, DirectResponse

import mockidp
from mockidp import create_app

BASE_URL = "http://testserver"
CLIENT_ID = "mockidp-public"
REDIRECT_URI = "http://127.0.0.1:8080/callback"
SCOPE = "openid profile email"
STATE = "af0ifjsldkj"
VERIFIER = base64.urlsafe_b64encode(hashlib.sha256(b"mockidp bench").digest()).rstrip(b"=").decode()
CHALLENGE = (
    base64.urlsafe_b64encode(hashlib.sha256(VERIFIER.encode()).digest()).rstrip(b"=").decode()
)
AUTHORIZE_PARAMS = {
    "response_type": "code",
    "client_id": CLIENT_ID,
    "redirect_uri": REDIRECT_URI,
    "scope": SCOPE,
    "state": STATE,
    "code_challenge": CHALLENGE,
    "code_challenge_method": "S256",
}
AUTHORIZE_QUERY = urlencode(AUTHORIZE_PARAMS).encode("ascii")
DISCOVERY = "/.well-known/openid-configuration"

TARGET_RATIO_RS256 = 1.5
TARGET_FLOW_ES256_US = 1000.0
TARGET_START_US = 50_000.0

ALGS = ("RS256", "ES256")

CLOCK: list[Callable[[], int]] = [time.perf_counter_ns]
"""The clock in-process figures use: wall time (perf_counter_ns), or --clock cpu."""


# -- scenarios -------------------------------------------------------------------------


def default_mapping(alg: str) -> dict[str, Any]:
    """The embedded default scenario as a mapping, with ``signing_alg`` set to ``alg``.

    A scenario mapping replaces the default entirely, so the default's clients and users
    are kept by loading its YAML and changing one key.
    """
    text = resources.files("mockidp").joinpath("scenarios/default.yaml").read_text("utf-8")
    data: dict[str, Any] = yaml.safe_load(text)
    data["signing_alg"] = alg
    return data


def flow_scenario(alg: str) -> dict[str, Any] | None:
    """What the flow benchmark passes to create_app: None (the default) for RS256."""
    return None if alg == "RS256" else default_mapping(alg)


# -- one flow, two ways ----------------------------------------------------------------


class FlowFailed(AssertionError):
    pass


def _code_from(location: str) -> str:
    query = parse_qs(urlsplit(location).query)
    if "code" not in query:
        raise FlowFailed(f"no code in the redirect: {location}")
    return query["code"][0]


def _token_form(code: str) -> dict[str, str]:
    return {
        "grant_type": "authorization_code",
        "code": code,
        "redirect_uri": REDIRECT_URI,
        "client_id": CLIENT_ID,
        "code_verifier": VERIFIER,
    }


@dataclass
class FlowResult:
    tokens: dict[str, Any]
    userinfo: dict[str, Any]


async def httpx_flow(client: httpx.AsyncClient) -> FlowResult:
    """The flow as a test suite writes it: httpx.AsyncClient over ASGITransport."""
    r = await client.get("/authorize", params=AUTHORIZE_PARAMS)
    if r.status_code != 302:
        raise FlowFailed(f"authorize: {r.status_code} {r.text[:200]}")
    code = _code_from(r.headers["location"])
    r = await client.post("/token", data=_token_form(code))
    if r.status_code != 200:
        raise FlowFailed(f"token: {r.status_code} {r.text[:200]}")
    tokens = r.json()
    r = await client.get("/userinfo", headers={"Authorization": f"Bearer {tokens['access_token']}"})
    if r.status_code != 200:
        raise FlowFailed(f"userinfo: {r.status_code} {r.text[:200]}")
    return FlowResult(tokens, r.json())


async def direct_flow(client: DirectClient) -> FlowResult:
    """The same three requests through the minimal driver (no HTTP client library)."""
    r = await client.get("/authorize", query=AUTHORIZE_QUERY)
    location = r.header(b"location")
    if r.status != 302 or location is None:
        raise FlowFailed(f"authorize: {r.status} {r.body[:200]!r}")
    code = _code_from(location.decode("latin-1"))
    r = await client.post_form("/token", urlencode(_token_form(code)).encode("ascii"))
    if r.status != 200:
        raise FlowFailed(f"token: {r.status} {r.body[:200]!r}")
    tokens = r.json()
    bearer = b"Bearer " + tokens["access_token"].encode("ascii")
    r = await client.get("/userinfo", headers=[(b"authorization", bearer)])
    if r.status != 200:
        raise FlowFailed(f"userinfo: {r.status} {r.body[:200]!r}")
    return FlowResult(tokens, r.json())


def check_flow(result: FlowResult, alg: str) -> None:
    """Once, outside the timing: the flow really did what it should."""
    tokens = result.tokens
    for name in ("access_token", "id_token"):
        if name not in tokens:
            raise FlowFailed(f"no {name} in the token response: {tokens}")
        header = json.loads(base64.urlsafe_b64decode(tokens[name].split(".")[0] + "=="))
        if header.get("alg") != alg:
            raise FlowFailed(f"{name} is signed with {header.get('alg')}, not {alg}")
    if result.userinfo.get("sub") != "alice" or "email" not in result.userinfo:
        raise FlowFailed(f"unexpected userinfo: {result.userinfo}")


# -- the floor: a trivial Starlette endpoint over the same transports ----------------------


async def _ok(request: Request) -> PlainTextResponse:
    return PlainTextResponse("ok")


def trivial_app() -> Starlette:
    return Starlette(routes=[Route("/ping", _ok, methods=["GET", "POST"])])


async def httpx_trivial3(client: httpx.AsyncClient, token: str) -> None:
    """Three requests shaped like the flow's (query, form body, bearer header)."""
    r1 = await client.get("/ping", params=AUTHORIZE_PARAMS)
    r2 = await client.post("/ping", data=_token_form("x" * 43))
    r3 = await client.get("/ping", headers={"Authorization": f"Bearer {token}"})
    if r1.status_code != 200 or r2.status_code != 200 or r3.status_code != 200:
        raise FlowFailed("the trivial endpoint failed")


class _Recorder(DirectClient):
    """A direct client that keeps the last answer to each path."""

    def __init__(self, app: Any) -> None:
        super().__init__(app)
        self.answers: dict[str, DirectResponse] = {}

    async def request(self, method: str, path: str, **kwargs: Any) -> DirectResponse:
        answer = await super().request(method, path, **kwargs)
        self.answers[path] = answer
        return answer


async def capture_answers(app: Any) -> dict[str, DirectResponse]:
    """One real flow's three answers from ``app``, as sent (status, raw headers, body)."""
    recorder = _Recorder(app)
    await direct_flow(recorder)
    return recorder.answers


def replay_app(answers: dict[str, DirectResponse]) -> Starlette:
    """Bare Starlette answering each of the flow's three paths with ``answers``' bytes.

    The same client code (:func:`httpx_flow`) then does exactly the client work of the
    real flow (the 302's redirect request, the Set-Cookie headers, the JSON bodies), and
    the server does nothing but route and send: the HTTP floor of the flow's own answers.
    """

    def route(answer: DirectResponse) -> Callable[[Request], Awaitable[Response]]:
        async def answer_again(request: Request) -> Response:
            await request.body()  # read what the client sent, as any server does
            response = Response(answer.body, status_code=answer.status)
            response.raw_headers = list(answer.headers)
            return response

        return answer_again

    return Starlette(
        routes=[
            Route(path, route(answer), methods=["GET", "POST"]) for path, answer in answers.items()
        ]
    )


async def direct_trivial3(client: DirectClient, token: str) -> None:
    r1 = await client.get("/ping", query=AUTHORIZE_QUERY)
    r2 = await client.post_form("/ping", urlencode(_token_form("x" * 43)).encode("ascii"))
    r3 = await client.get("/ping", headers=[(b"authorization", b"Bearer " + token.encode())])
    if r1.status != 200 or r2.status != 200 or r3.status != 200:
        raise FlowFailed("the trivial endpoint failed")


# -- statistics ------------------------------------------------------------------------


@dataclass
class Stat:
    samples_ns: list[int] = field(default_factory=list)

    def add(self, ns: int) -> None:
        self.samples_ns.append(ns)

    @property
    def n(self) -> int:
        return len(self.samples_ns)

    def median_us(self) -> float:
        return statistics.median(self.samples_ns) / 1000

    def pct_us(self, p: int) -> float:
        if len(self.samples_ns) < 2:
            return self.median_us()
        return statistics.quantiles(self.samples_ns, n=100, method="inclusive")[p - 1] / 1000

    def summary(self) -> dict[str, float]:
        return {
            "n": self.n,
            "median_us": self.median_us(),
            "p90_us": self.pct_us(90),
            "p99_us": self.pct_us(99),
        }


async def time_many(stat: Stat, n: int, step: Callable[[], Awaitable[Any]]) -> None:
    clock = CLOCK[0]
    for _ in range(n):
        t0 = clock()
        await step()
        stat.add(clock() - t0)


# -- measurements ----------------------------------------------------------------------


@dataclass
class AlgResult:
    alg: str
    flow_httpx: Stat = field(default_factory=Stat)
    flow_direct: Stat = field(default_factory=Stat)
    sign2: Stat = field(default_factory=Stat)
    trivial_httpx: Stat = field(default_factory=Stat)
    trivial_direct: Stat = field(default_factory=Stat)
    replay_httpx: Stat = field(default_factory=Stat)
    """The same httpx flow against :func:`replay_app` (the flow's own answers, replayed)."""
    sign2_in_flow: Stat = field(default_factory=Stat)

    def floor_us(self, http: Stat) -> float:
        """A floor: the two signatures plus the median of ``http`` (the requests alone)."""
        return self.sign2.median_us() + http.median_us()


async def time_httpx_flows(stat: Stat, n: int, client: httpx.AsyncClient) -> None:
    """``n`` httpx flows. httpx keeps the session cookie; it is cleared outside the timed
    region so that every flow is a fresh automatic sign-in, exactly like the direct
    driver's."""
    clock = CLOCK[0]
    for _ in range(n):
        t0 = clock()
        await httpx_flow(client)
        stat.add(clock() - t0)
        client.cookies.clear()


async def measure_alg(alg: str, flows: int, warmup: int, rounds: int) -> AlgResult:
    """Flows over both transports and the floor, interleaved in ``rounds`` for fairness."""
    res = AlgResult(alg)
    app = create_app(flow_scenario(alg))
    if app.provider.keys.alg != alg:
        raise FlowFailed(f"the app signs with {app.provider.keys.alg}, not {alg}")
    trivial = trivial_app()
    replay = replay_app(await capture_answers(app))
    direct = DirectClient(app)
    direct_trivial = DirectClient(trivial)
    async with (
        httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url=BASE_URL) as hx,
        httpx.AsyncClient(
            transport=httpx.ASGITransport(app=trivial), base_url=BASE_URL
        ) as hx_trivial,
        httpx.AsyncClient(
            transport=httpx.ASGITransport(app=replay), base_url=BASE_URL
        ) as hx_replay,
    ):
        # Warm-up, and proof that both drivers run the real flow.
        first = await httpx_flow(hx)
        check_flow(first, alg)
        hx.cookies.clear()
        check_flow(await direct_flow(direct), alg)
        check_flow(await httpx_flow(hx_replay), alg)  # the replay reads as a real flow
        hx_replay.cookies.clear()
        access_token = first.tokens["access_token"]
        keys = app.provider.keys
        sign_raw = raw_signature(keys, alg)
        inputs = [t.rsplit(".", 1)[0].encode() for t in (access_token, first.tokens["id_token"])]

        async def sign2() -> None:
            sign_raw(inputs[0])
            sign_raw(inputs[1])

        for _ in range(warmup):
            await httpx_flow(hx)
            hx.cookies.clear()  # every flow signs in afresh, as in the direct driver
            await direct_flow(direct)
            await sign2()
            await httpx_trivial3(hx_trivial, access_token)
            await direct_trivial3(direct_trivial, access_token)
            await httpx_flow(hx_replay)
            hx_replay.cookies.clear()

        per_round = max(1, -(-flows // rounds))
        clock = CLOCK[0]
        for _ in range(rounds):
            await time_httpx_flows(res.flow_httpx, per_round, hx)
            await time_many(res.flow_direct, per_round, lambda: direct_flow(direct))
            await time_many(res.sign2, per_round, sign2)
            await time_many(
                res.trivial_httpx, per_round, lambda: httpx_trivial3(hx_trivial, access_token)
            )
            await time_many(
                res.trivial_direct,
                per_round,
                lambda: direct_trivial3(direct_trivial, access_token),
            )
            await time_httpx_flows(res.replay_httpx, per_round, hx_replay)
        # Informational: the same two signatures timed inside direct flows. Caches are
        # colder there than in the tight loop above, so in-flow signing costs more.
        spent = [0]
        sign = keys.sign

        def timed_sign(claims: dict[str, Any], **options: Any) -> str:
            t0 = clock()
            token = sign(claims, **options)
            spent[0] += clock() - t0
            return token

        keys.sign = timed_sign  # type: ignore[method-assign]
        try:
            for _ in range(per_round):
                spent[0] = 0
                await direct_flow(direct)
                res.sign2_in_flow.add(spent[0])
        finally:
            del keys.sign
    return res


def raw_signature(keys: Any, alg: str) -> Callable[[bytes], bytes]:
    """The floor's signature: the signing key's own cryptography ``sign`` of a JWS signing
    input, nothing around it (no JSON, no base64, no JOSE library)."""
    from cryptography.hazmat.primitives import hashes
    from cryptography.hazmat.primitives.asymmetric import ec, padding

    private = keys._phases[keys._index()].signer.private.private_key
    if alg.startswith("ES"):
        algorithm = ec.ECDSA(hashes.SHA256())
        return lambda data: bytes(private.sign(data, algorithm))
    return lambda data: bytes(private.sign(data, padding.PKCS1v15(), hashes.SHA256()))


@dataclass
class StartResult:
    label: str
    create: Stat = field(default_factory=Stat)
    total_direct: Stat = field(default_factory=Stat)
    total_httpx: Stat = field(default_factory=Stat)


async def measure_start(label: str, make: Callable[[], Any], runs: int) -> StartResult:
    """create_app() to the first served request (discovery), on fresh apps."""
    res = StartResult(label)
    clock = CLOCK[0]
    for i in range(runs + 3):
        t0 = clock()
        app = create_app(make())
        t1 = clock()
        r = await DirectClient(app).get(DISCOVERY)
        t2 = clock()
        if r.status != 200:
            raise FlowFailed(f"discovery: {r.status}")
        t3 = clock()
        app = create_app(make())
        async with httpx.AsyncClient(
            transport=httpx.ASGITransport(app=app), base_url=BASE_URL
        ) as hx:
            rr = await hx.get(DISCOVERY)
        t4 = clock()
        if rr.status_code != 200:
            raise FlowFailed(f"discovery: {rr.status_code}")
        if i >= 3:  # the first few pay one-off costs (lazy imports, caches)
            res.create.add(t1 - t0)
            res.total_direct.add(t2 - t0)
            res.total_httpx.add(t4 - t3)
    return res


@dataclass
class ImportResult:
    runs: int
    pass_wall_us: float
    import_wall_us: float
    importtime_us: float
    heaviest: list[tuple[str, int]]
    cold: dict[str, dict[str, float]] = field(default_factory=dict)


BENCH_DIR = Path(__file__).resolve().parent
"""The working directory of the fresh interpreters: ``python -c`` puts it first on
sys.path, and it holds no mockidp, so mockidp is imported as the benchmark imports it
(the installed package, or the one PYTHONPATH names)."""


def _run(args: list[str]) -> tuple[int, str]:
    t0 = time.perf_counter_ns()
    proc = subprocess.run(args, capture_output=True, text=True, check=True, cwd=BENCH_DIR)
    return time.perf_counter_ns() - t0, proc.stderr


_IMPORTTIME = re.compile(r"import time:\s+(\d+) \|\s+(\d+) \|(\s*)(\S+)")


_COLD_SCRIPT = """
import asyncio, json, sys, time
t0 = time.perf_counter_ns()
import mockidp
t1 = time.perf_counter_ns()
sys.path.insert(0, sys.argv[1])
from asgi_driver import DirectClient
scenario = json.loads(sys.argv[2])
t2 = time.perf_counter_ns()
app = mockidp.create_app(scenario)
t3 = time.perf_counter_ns()
r = asyncio.run(DirectClient(app).get("/.well-known/openid-configuration"))
t4 = time.perf_counter_ns()
assert r.status == 200, r.status
print(json.dumps({"import": t1 - t0, "create_app": t3 - t2, "first_request": t4 - t3,
                  "file": mockidp.__file__}))
"""


def measure_cold(label: str, scenario: dict[str, Any] | None, runs: int) -> dict[str, float]:
    """In a fresh interpreter: import mockidp, then the first create_app and request.

    The asyncio.run() of the first request is included: a test session pays it too.
    """
    bench_dir = str(Path(__file__).resolve().parent)
    out: dict[str, list[float]] = {"import": [], "create_app": [], "first_request": []}
    for _ in range(runs):
        proc = subprocess.run(
            [sys.executable, "-c", _COLD_SCRIPT, bench_dir, json.dumps(scenario)],
            capture_output=True,
            text=True,
            check=True,
            cwd=BENCH_DIR,
        )
        found = json.loads(proc.stdout)
        if found.pop("file") != mockidp.__file__:
            raise FlowFailed("the fresh interpreter imported another mockidp than this one")
        for key, ns in found.items():
            out[key].append(ns / 1000)
    return {key: statistics.median(values) for key, values in out.items()}


def measure_import(runs: int) -> ImportResult:
    """``import mockidp`` in fresh interpreters: wall time over ``pass``, and -X importtime."""
    py = sys.executable
    _run([py, "-c", "import mockidp"])  # make sure .pyc files exist
    passes: list[int] = []
    imports: list[int] = []
    cumulative: list[int] = []
    self_times: dict[str, list[int]] = {}
    for _ in range(runs):
        passes.append(_run([py, "-c", "pass"])[0])
        imports.append(_run([py, "-c", "import mockidp"])[0])
        _, err = _run([py, "-X", "importtime", "-c", "import mockidp"])
        for line in err.splitlines():
            m = _IMPORTTIME.match(line)
            if not m:
                continue
            own, cum, indent, name = int(m[1]), int(m[2]), m[3], m[4]
            if name == "mockidp" and len(indent) == 1:
                cumulative.append(cum)
            top = name.split(".")[0]
            self_times.setdefault(top, []).append(own)
    cold = {
        "RS256, create_app() [default]": measure_cold("RS256", None, runs),
        "ES256, create_app(mapping)": measure_cold("ES256", default_mapping("ES256"), runs),
    }
    per_package = {k: sum(v) // runs for k, v in self_times.items()}
    heaviest = sorted(per_package.items(), key=lambda kv: -kv[1])[:10]
    return ImportResult(
        runs,
        statistics.median(passes) / 1000,
        statistics.median(imports) / 1000,
        statistics.median(cumulative) / 1 if cumulative else float("nan"),
        heaviest,
        cold,
    )


# -- report ----------------------------------------------------------------------------


def _fmt(value: float) -> str:
    return f"{value:,.0f}"


def _row(label: str, cells: Iterable[str], width: int = 44) -> str:
    return f"{label:<{width}}" + "".join(f"{c:>28}" for c in cells)


def _stat_cell(stat: Stat) -> str:
    return f"{_fmt(stat.median_us())} / {_fmt(stat.pct_us(90))} / {_fmt(stat.pct_us(99))}"


def report(
    results: list[AlgResult],
    starts: list[StartResult],
    imp: ImportResult | None,
    args: argparse.Namespace,
) -> dict[str, Any]:
    out: dict[str, Any] = {
        "python": platform.python_version(),
        "mockidp": str(Path(mockidp.__file__).parent),
        "cpus": os.cpu_count(),
        "flows": args.flows,
        "warmup": args.warmup,
        "rounds": args.rounds,
        "clock": args.clock,
        "sniffio": args.sniffio,
        "algs": {},
    }
    print()
    print(
        f"mockidp flow benchmark: {results[0].flow_httpx.n if results else 0} timed flows per "
        f"transport after {args.warmup} warm-up, {args.rounds} interleaved rounds; "
        f"Python {platform.python_version()}, {os.cpu_count()} CPUs, GC on, "
        f"{'CPU time (thread_time_ns)' if args.clock == 'cpu' else 'wall time (perf_counter_ns)'}; "
        f"{args.sniffio}"
    )
    print(f"mockidp imported from {Path(mockidp.__file__).parent}")
    print("all times in microseconds (us): median / p90 / p99")
    print()
    print(_row("", [r.alg for r in results]))
    lines: list[tuple[str, Callable[[AlgResult], str]]] = [
        ("full flow, httpx.AsyncClient+ASGITransport", lambda r: _stat_cell(r.flow_httpx)),
        ("full flow, direct ASGI driver", lambda r: _stat_cell(r.flow_direct)),
        (
            "  client library cost (httpx - direct)",
            lambda r: _fmt(r.flow_httpx.median_us() - r.flow_direct.median_us()),
        ),
        ("2 signatures (the key's raw sign: AT + ID token)", lambda r: _stat_cell(r.sign2)),
        ("  the same 2, timed inside direct flows", lambda r: _stat_cell(r.sign2_in_flow)),
        ("3 trivial Starlette requests, httpx", lambda r: _stat_cell(r.trivial_httpx)),
        ("3 trivial Starlette requests, direct", lambda r: _stat_cell(r.trivial_direct)),
        (
            "floor, httpx (2 signs + 3 trivial)",
            lambda r: _fmt(r.floor_us(r.trivial_httpx)),
        ),
        (
            "floor, direct (2 signs + 3 trivial)",
            lambda r: _fmt(r.floor_us(r.trivial_direct)),
        ),
        (
            "flow / floor, httpx",
            lambda r: f"{r.flow_httpx.median_us() / r.floor_us(r.trivial_httpx):.2f}x",
        ),
        (
            "flow / floor, direct",
            lambda r: f"{r.flow_direct.median_us() / r.floor_us(r.trivial_direct):.2f}x",
        ),
        (
            "the flow's own answers replayed, httpx",
            lambda r: _stat_cell(r.replay_httpx),
        ),
        (
            "floor, httpx (2 signs + the answers replayed)",
            lambda r: _fmt(r.floor_us(r.replay_httpx)),
        ),
        (
            "flow / that floor, httpx",
            lambda r: f"{r.flow_httpx.median_us() / r.floor_us(r.replay_httpx):.2f}x",
        ),
        (
            "flow above floor, direct (mockidp's own)",
            lambda r: _fmt(r.flow_direct.median_us() - r.floor_us(r.trivial_direct)),
        ),
    ]
    for label, cell in lines:
        print(_row(label, [cell(r) for r in results]))
    for r in results:
        floor_h = r.floor_us(r.trivial_httpx)
        floor_d = r.floor_us(r.trivial_direct)
        out["algs"][r.alg] = {
            "flow_httpx": r.flow_httpx.summary(),
            "flow_direct": r.flow_direct.summary(),
            "sign2": r.sign2.summary(),
            "sign2_in_flow": r.sign2_in_flow.summary(),
            "trivial3_httpx": r.trivial_httpx.summary(),
            "trivial3_direct": r.trivial_direct.summary(),
            "replay_httpx": r.replay_httpx.summary(),
            "floor_replay_httpx_us": r.floor_us(r.replay_httpx),
            "floor_httpx_us": floor_h,
            "floor_direct_us": floor_d,
            "ratio_httpx": r.flow_httpx.median_us() / floor_h,
            "ratio_direct": r.flow_direct.median_us() / floor_d,
        }

    if starts:
        print()
        print(
            f"app start: create_app(...) to the first served request (GET {DISCOVERY}), "
            f"fresh apps in one process, median of {starts[0].create.n} (us)"
        )
        print(_row("", ["create_app() alone", "+ 1st request, direct", "+ 1st request, httpx"]))
        out["start"] = {}
        for s in starts:
            print(
                _row(
                    s.label,
                    [
                        _fmt(s.create.median_us()),
                        _fmt(s.total_direct.median_us()),
                        _fmt(s.total_httpx.median_us()),
                    ],
                )
            )
            out["start"][s.label] = {
                "create": s.create.summary(),
                "total_direct": s.total_direct.summary(),
                "total_httpx": s.total_httpx.summary(),
            }

    if imp is not None:
        print()
        print(f"import mockidp in a fresh interpreter, median of {imp.runs} runs")
        print(
            _row(
                "wall: python -c 'import mockidp' - 'pass'",
                [f"{_fmt(imp.import_wall_us - imp.pass_wall_us)} us"],
            )
        )
        print(_row("  (python -c 'pass' alone)", [f"{_fmt(imp.pass_wall_us)} us"]))
        print(_row("-X importtime, mockidp cumulative", [f"{_fmt(imp.importtime_us)} us"]))
        print(
            "  heaviest top-level packages by own import time (us): "
            + ", ".join(f"{name} {us:,}" for name, us in imp.heaviest)
        )
        print()
        print(f"cold start in a fresh interpreter (wall), median of {imp.runs} runs (us)")
        print(_row("", ["import mockidp", "1st create_app()", "+ 1st request"]))
        for label, cold in imp.cold.items():
            print(
                _row(
                    label,
                    [
                        _fmt(cold["import"]),
                        _fmt(cold["create_app"]),
                        _fmt(cold["create_app"] + cold["first_request"]),
                    ],
                )
            )
        out["import"] = {
            "cold": imp.cold,
            "wall_us": imp.import_wall_us - imp.pass_wall_us,
            "pass_wall_us": imp.pass_wall_us,
            "importtime_us": imp.importtime_us,
            "heaviest": imp.heaviest,
        }

    print()
    print("targets")
    by_alg = {r.alg: r for r in results}
    if "RS256" in by_alg:
        r = by_alg["RS256"]
        for name, flow, trivial in (
            ("httpx", r.flow_httpx, r.trivial_httpx),
            ("direct", r.flow_direct, r.trivial_direct),
        ):
            ratio = flow.median_us() / r.floor_us(trivial)
            ok = "MET " if ratio <= TARGET_RATIO_RS256 else "MISS"
            print(f"  [{ok}] RS256 flow <= {TARGET_RATIO_RS256}x its floor ({name}): {ratio:.2f}x")
    if "ES256" in by_alg:
        r = by_alg["ES256"]
        for name, flow in (("httpx", r.flow_httpx), ("direct", r.flow_direct)):
            med = flow.median_us()
            ok = "MET " if med < TARGET_FLOW_ES256_US else "MISS"
            print(f"  [{ok}] ES256 flow < 1 ms ({name}): {med / 1000:.3f} ms")
    for s in starts:
        for name, stat in (("direct", s.total_direct), ("httpx", s.total_httpx)):
            med = stat.median_us()
            ok = "MET " if med < TARGET_START_US else "MISS"
            print(f"  [{ok}] start < 50 ms, {s.label} ({name}): {med / 1000:.2f} ms")
    return out


# -- profiling -------------------------------------------------------------------------


async def _profile_target(transport: str, alg: str, flows: int) -> Callable[[], Awaitable[None]]:
    app = create_app(flow_scenario(alg))
    if transport == "direct":
        client = DirectClient(app)

        async def run_direct() -> None:
            for _ in range(flows):
                await direct_flow(client)

        return run_direct
    hx = httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url=BASE_URL)

    async def run_httpx() -> None:
        for _ in range(flows):
            await httpx_flow(hx)
            hx.cookies.clear()

    return run_httpx


def profile(transport: str, alg: str, flows: int, use_cprofile: bool) -> None:
    """Run ``flows`` flows under pyinstrument (or cProfile) and print where the time goes."""

    async def main() -> None:
        run = await _profile_target(transport, alg, flows)
        await run()  # warm-up pass is the same size; profile the second
        profiler: Any
        if not use_cprofile:
            try:
                from pyinstrument import Profiler
            except ImportError:
                print("pyinstrument is not installed; falling back to cProfile", file=sys.stderr)
            else:
                profiler = Profiler(interval=0.0001, async_mode="disabled")
                profiler.start()
                await run()
                profiler.stop()
                print(profiler.output_text(unicode=True, color=False, show_all=False))
                return
        import cProfile
        import pstats

        prof = cProfile.Profile()
        prof.enable()
        await run()
        prof.disable()
        pstats.Stats(prof).sort_stats("cumulative").print_stats(45)
        pstats.Stats(prof).sort_stats("tottime").print_stats(30)

    asyncio.run(main())


# -- main ------------------------------------------------------------------------------


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    p.add_argument(
        "--flows",
        type=int,
        default=2000,
        help="timed flows per transport and alg (default 2000; use >= 1000)",
    )
    p.add_argument("--warmup", type=int, default=200, help="untimed flows first (default 200)")
    p.add_argument("--rounds", type=int, default=5, help="interleaved rounds (default 5)")
    p.add_argument("--alg", action="append", choices=ALGS, help="only this alg (repeatable)")
    p.add_argument("--starts", type=int, default=100, help="fresh apps for start-up (default 100)")
    p.add_argument("--imports", type=int, default=10, help="fresh interpreters (default 10)")
    p.add_argument("--no-start", action="store_true", help="skip the start-up measurement")
    p.add_argument("--no-import", action="store_true", help="skip the import measurement")
    p.add_argument(
        "--clock",
        choices=("wall", "cpu"),
        default="wall",
        help="wall: time.perf_counter_ns (default); cpu: time.thread_time_ns, less\n"
        "disturbed by other processes on a busy machine (everything runs in one thread)",
    )
    p.add_argument("--json", type=Path, help="also write the results here")
    p.add_argument(
        "--profile",
        choices=("httpx", "direct"),
        help="instead of benchmarking, profile --flows flows over this transport",
    )
    p.add_argument("--cprofile", action="store_true", help="profile with cProfile")
    p.add_argument(
        "--sniffio-stub",
        action="store_true",
        help="when sniffio is not installed, put a stand-in in sys.modules: shows what the\n"
        "httpx figures would be with it installed (httpx.ASGITransport imports it per request)",
    )
    return p.parse_args(argv)


def sniffio_state(stub: bool) -> str:
    """httpx.ASGITransport runs ``import sniffio`` on every request; a failed import is slow."""
    if importlib.util.find_spec("sniffio") is None:
        if not stub:
            return "sniffio missing: httpx pays a failed import per request"
        module = types.ModuleType("sniffio")
        module.current_async_library = lambda: "asyncio"  # type: ignore[attr-defined]
        sys.modules["sniffio"] = module
        return "sniffio missing, stubbed (--sniffio-stub)"
    return "sniffio installed"


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    algs = tuple(args.alg or ALGS)
    if args.clock == "cpu":
        CLOCK[0] = time.thread_time_ns
    args.sniffio = sniffio_state(args.sniffio_stub)
    if args.profile:
        profile(args.profile, algs[0], args.flows, args.cprofile)
        return 0
    if args.flows < 1000:
        print(f"note: --flows {args.flows} is below the 1,000 the figures are meant for")

    async def run_all() -> tuple[list[AlgResult], list[StartResult]]:
        results = []
        for alg in algs:
            print(f"measuring {alg} flows ...", file=sys.stderr, flush=True)
            results.append(await measure_alg(alg, args.flows, args.warmup, args.rounds))
            gc.collect()
        starts: list[StartResult] = []
        if not args.no_start:
            print("measuring app start ...", file=sys.stderr, flush=True)
            variants: list[tuple[str, Callable[[], Any]]] = []
            if "RS256" in algs:
                variants.append(("RS256, create_app() [default]", lambda: None))
                rs = default_mapping("RS256")
                variants.append(("RS256, create_app(mapping)", lambda: rs))
            if "ES256" in algs:
                es = default_mapping("ES256")
                variants.append(("ES256, create_app(mapping)", lambda: es))
            for label, make in variants:
                starts.append(await measure_start(label, make, args.starts))
        return results, starts

    results, starts = asyncio.run(run_all())
    imp = None
    if not args.no_import:
        print("measuring import time ...", file=sys.stderr, flush=True)
        imp = measure_import(args.imports)
    out = report(results, starts, imp, args)
    if args.json:
        args.json.write_text(json.dumps(out, indent=2) + "\n", encoding="utf-8")
        print(f"\nwrote {args.json}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
