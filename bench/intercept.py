"""Benchmark: the per-test cost of an app's sign-in tested through ``mockidp.intercept``
against the same sign-in with the app pointed at a live server (``mockidp_server``).

The app is Authlib's Starlette integration (as docs/examples/fastapi_authlib), driven by
``MockIdP.sign_in`` through Starlette's TestClient. Each "test" is what the fixtures do
per test (a fresh provider state) plus one whole sign-in: discovery, authorize, token
with the ID token checked against the JWKS. Run from the repository root:

    .venv/bin/python bench/intercept.py            # 200 sign-ins each way
    .venv/bin/python bench/intercept.py --tests 500

Not part of the pytest run; prints medians in milliseconds.
"""

from __future__ import annotations

import argparse
import statistics
import time
import warnings
from collections.abc import Callable
from typing import Any

ISSUER = "https://login.example-idp.com"


def make_app(issuer: str) -> Any:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        from authlib.integrations.starlette_client import OAuth
    from starlette.applications import Starlette
    from starlette.middleware import Middleware
    from starlette.middleware.sessions import SessionMiddleware
    from starlette.responses import JSONResponse, RedirectResponse
    from starlette.routing import Route

    oauth = OAuth()
    oauth.register(
        name="idp",
        server_metadata_url=issuer + "/.well-known/openid-configuration",
        client_id="mockidp-client",
        client_secret="mockidp-secret",
        client_kwargs={"scope": "openid profile email"},
    )

    async def login(request: Any) -> Any:
        return await oauth.idp.authorize_redirect(request, str(request.url_for("auth")))

    async def auth(request: Any) -> Any:
        token = await oauth.idp.authorize_access_token(request)
        request.session["sub"] = token["userinfo"]["sub"]
        return RedirectResponse("/")

    async def home(request: Any) -> Any:
        return JSONResponse({"sub": request.session.get("sub")})

    routes = [Route("/", home), Route("/login", login), Route("/auth", auth, name="auth")]
    return Starlette(routes=routes, middleware=[Middleware(SessionMiddleware, secret_key="x")])


def timed(tests: int, one: Callable[[], None]) -> float:
    one()  # warm: imports, metadata caches, the event loop thread
    samples = []
    for _ in range(tests):
        start = time.perf_counter()
        one()
        samples.append((time.perf_counter() - start) * 1000)
    return statistics.median(samples)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--tests", type=int, default=200)
    args = parser.parse_args()
    from starlette.testclient import TestClient

    from mockidp.testing import MockIdP, scenario_for_test

    scenario = scenario_for_test(issuer=ISSUER)
    idp = MockIdP.in_process(scenario)
    app = make_app(ISSUER)

    def intercepted() -> None:
        idp.reset(scenario)
        with idp.intercept(), TestClient(app) as client:
            assert idp.sign_in(client, "/login", user="bob").json() == {"sub": "bob"}

    live = MockIdP.serve(None)
    live_app = make_app(live.url)

    def served() -> None:
        live.reset(None)
        with TestClient(live_app) as client:
            assert live.sign_in(client, "/login", user="bob").json() == {"sub": "bob"}

    import httpx

    kept = httpx.Client()

    def request_intercepted() -> None:
        with idp.intercept():
            kept.get(ISSUER + "/.well-known/jwks.json").raise_for_status()

    def request_served() -> None:
        kept.get(live.url + "/.well-known/jwks.json").raise_for_status()

    try:
        a = timed(args.tests, intercepted)
        b = timed(args.tests, served)
        c = timed(args.tests * 5, request_intercepted)
        d = timed(args.tests * 5, request_served)
    finally:
        kept.close()
        idp.close()
        live.close()
        if live.server is not None:
            live.server.stop()
    print(f"per test, one sign-in, median of {args.tests}:")
    print(f"  intercept (in-process):      {a:7.2f} ms")
    print(f"  mockidp_server (loopback):   {b:7.2f} ms")
    print(f"  intercept / server:          {a / b:7.2f}")
    print("one JWKS request on a kept httpx.Client (interception switched on per request):")
    print(f"  intercept (in-process):      {c:7.2f} ms")
    print(f"  mockidp_server (loopback):   {d:7.2f} ms")


if __name__ == "__main__":
    main()
