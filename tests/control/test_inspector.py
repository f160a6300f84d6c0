"""The inspector page (/_mockidp/inspector): access, escaping, filters, buttons over HTTP,
and a whole debugging session in headless Chromium."""

from __future__ import annotations

import re
import threading
from collections.abc import Iterator
from typing import TYPE_CHECKING, Any
from urllib.parse import parse_qs, urlencode, urlsplit

import httpx
import pytest
import uvicorn

from mockidp import create_app
from mockidp.asgi import MockIdPApp
from tests.support.browser import serve_relying_party, single
from tests.support.e2e import default_scenario_mapping

if TYPE_CHECKING:
    from playwright.sync_api import Browser

ADMIN = "inspector-admin-token"
ORIGIN = "http://mockidp.test"
PAGE = "/_mockidp/inspector"
HOSTILE = "<script>alert(1)</script>"


def _client(app: MockIdPApp) -> httpx.AsyncClient:
    return httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url=ORIGIN)


def _csrf(html: str) -> str:
    found = re.search(r'name="csrf" value="([0-9a-f]+)"', html)
    assert found is not None
    return found.group(1)


async def _tokens(http: httpx.AsyncClient) -> dict[str, Any]:
    response = await http.post(
        "/token",
        data={"grant_type": "client_credentials"},
        auth=("mockidp-client", "mockidp-secret"),
    )
    assert response.status_code == 200
    data: dict[str, Any] = response.json()
    return data


# -- access -------------------------------------------------------------------------------


@pytest.mark.anyio
async def test_the_inspector_needs_the_admin_token() -> None:
    async with _client(create_app(admin_token=ADMIN)) as http:
        await _tokens(http)
        absent = await http.get(PAGE)
        wrong = await http.get(PAGE, headers={"Authorization": "Bearer nope"})
        bearer = await http.get(PAGE, headers={"Authorization": f"Bearer {ADMIN}"})
        bad_query = await http.get(PAGE, params={"token": "nope"})
        bad_form = await http.post(f"{PAGE}/login", data={"token": "nope"})
        reset = await http.post(f"{PAGE}/reset", data={"csrf": "x"})
    for refused in (absent, wrong, bad_query, bad_form, reset):
        assert refused.status_code == 401
        assert "alice" not in refused.text and "mockidp-client" not in refused.text
        assert 'name="token"' in refused.text  # the sign-in form
        assert refused.headers["www-authenticate"] == 'Bearer realm="mockidp-control"'
    assert "That is not the admin token" in bad_form.text
    assert bearer.status_code == 200 and "mockidp-client" in bearer.text
    assert "default-src 'none'" in bearer.headers["content-security-policy"]
    assert bearer.headers["cache-control"] == "no-store"


@pytest.mark.anyio
@pytest.mark.parametrize("how", ["query", "form"])
async def test_signing_in_sets_a_strict_http_only_cookie(how: str) -> None:
    async with _client(create_app(admin_token=ADMIN)) as http:
        if how == "query":
            response = await http.get(PAGE, params={"token": ADMIN})
        else:
            response = await http.post(f"{PAGE}/login", data={"token": ADMIN})
        assert response.status_code == 303
        assert response.headers["location"] == PAGE  # the token leaves the address bar
        cookie = response.headers["set-cookie"]
        assert "HttpOnly" in cookie and "SameSite=strict" in cookie and "Path=/_mockidp/" in cookie
        assert ADMIN not in cookie
        page = await http.get(PAGE)
        assert page.status_code == 200 and "Requests" in page.text
        other_api = await http.get("/_mockidp/scenario")  # the cookie opens only the page
        assert other_api.status_code == 401
        out = await http.post(f"{PAGE}/logout", data={"csrf": _csrf(page.text)})
        assert out.status_code == 303
        http.cookies.clear()
        assert (await http.get(PAGE)).status_code == 401


@pytest.mark.anyio
async def test_an_open_control_api_has_an_open_inspector() -> None:
    async with _client(create_app()) as http:
        index = (await http.get("/_mockidp/")).json()
        assert index["inspector"] == f"{ORIGIN}{PAGE}"
        assert (await http.get(PAGE)).status_code == 200
        assert (await http.get(f"{PAGE}/nothing")).status_code == 404


# -- content --------------------------------------------------------------------------------


@pytest.mark.anyio
async def test_tokens_are_decoded_and_never_shown_nor_secrets() -> None:
    app = create_app()
    async with _client(app) as http:
        tokens = await _tokens(http)
        page = (await http.get(PAGE)).text
    assert tokens["access_token"] not in page
    assert "mockidp-secret" not in page
    assert 'data-kind="access_token"' in page
    assert 'signature: <span class="signature ok">valid' in page
    assert re.search(
        r"exp</th><td>\d+ <span class=\"when\">\d{4}-\d\d-\d\d [\d:]+ UTC "
        r"\(expires in 59m \d+s\)",
        page,
    )
    assert "at+jwt" in page  # the header, decoded


@pytest.mark.anyio
async def test_hostile_values_are_escaped() -> None:
    scenario = default_scenario_mapping()
    scenario["clients"] = [
        *scenario["clients"],
        {
            "client_id": HOSTILE,
            "client_secret": "s",
            "name": HOSTILE,
            "grant_types": ["client_credentials"],
            "redirect_uris": [f"https://x.example/{HOSTILE}"],
        },
    ]
    scenario["users"] = [*scenario["users"], {"sub": HOSTILE, "claims": {"name": HOSTILE}}]
    async with _client(create_app(scenario)) as http:
        response = await http.post(
            "/token",
            data={"grant_type": "client_credentials", "scope": HOSTILE},
            auth=(HOSTILE, "s"),
        )
        assert response.status_code == 400
        await http.get("/authorize", params={"client_id": HOSTILE, "state": HOSTILE})
        page = (await http.get(PAGE, params={"client": HOSTILE, "status": HOSTILE})).text
        everything = (await http.get(PAGE)).text
    for html in (page, everything):
        assert HOSTILE not in html
        assert "<script" not in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in everything


@pytest.mark.anyio
async def test_filters_work_from_the_query_string() -> None:
    async with _client(create_app()) as http:
        await _tokens(http)
        await http.post("/token", data={"grant_type": "client_credentials"})  # 401
        await http.get("/userinfo")  # 401
        await http.get("/.well-known/openid-configuration")

        async def rows(**query: str) -> list[str]:
            html = (await http.get(PAGE, params=query)).text
            return re.findall(r'<tr class="request" data-endpoint="([^"]*)"', html)

        everything = await rows()
        assert everything == ["discovery", "userinfo", "token", "token"]  # newest first
        assert await rows(endpoint="token") == ["token", "token"]
        assert await rows(status="4xx") == ["userinfo", "token"]
        assert await rows(status="error", endpoint="userinfo") == ["userinfo"]
        assert await rows(status="200") == ["discovery", "token"]
        assert await rows(client="mockidp-client") == ["token"]


@pytest.mark.anyio
async def test_buttons_need_the_form_token_and_the_same_origin() -> None:
    app = create_app(admin_token=ADMIN)
    async with _client(app) as http:
        await http.get(PAGE, params={"token": ADMIN})
        await _tokens(http)
        csrf = _csrf((await http.get(PAGE)).text)
        before = app.provider.clock.now()
        assert (await http.post(f"{PAGE}/clock", data={"advance": "3600"})).status_code == 403
        crossed = await http.post(
            f"{PAGE}/clock",
            data={"advance": "3600", "csrf": csrf},
            headers={"Origin": "https://evil.example"},
        )
        assert crossed.status_code == 403
        assert app.provider.clock.now() - before < 60
        moved = await http.post(
            f"{PAGE}/clock", data={"advance": "3600", "csrf": csrf}, headers={"Origin": ORIGIN}
        )
        assert moved.status_code == 303 and app.provider.clock.now() - before >= 3600
        assert (
            await http.post(f"{PAGE}/clock", data={"advance": "7", "csrf": csrf})
        ).status_code == 400
        assert len(app.control.requests) == 1
        reset = await http.post(f"{PAGE}/reset", data={"csrf": csrf})
        assert reset.status_code == 303
        assert len(app.control.requests) == 0
        page = (await http.get(PAGE)).text
        assert 'id="tokens-empty"' in page and 'id="requests-empty"' in page


@pytest.mark.anyio
async def test_wrong_methods_and_a_tenant_s_own_inspector() -> None:
    async with _client(create_app()) as http:
        put = await http.put(PAGE)
        assert put.status_code == 405 and put.headers["allow"] == "GET, HEAD"
        get_reset = await http.get(f"{PAGE}/reset")
        assert get_reset.status_code == 405 and get_reset.headers["allow"] == "POST"
        await http.get("/t/acme/.well-known/openid-configuration")
        tenant = await http.get(f"/t/acme{PAGE}")
        assert tenant.status_code == 200
        assert 'data-endpoint="discovery"' in tenant.text
        assert 'data-endpoint="discovery"' not in (await http.get(PAGE)).text
        csrf = _csrf(tenant.text)
        moved = await http.post(f"/t/acme{PAGE}/clock", data={"advance": "60", "csrf": csrf})
        assert moved.status_code == 303 and moved.headers["location"] == f"/t/acme{PAGE}"


# -- in a browser ---------------------------------------------------------------------------


# Last in the module: while Playwright's sync API runs, anyio tests cannot (browser_support.py).


@pytest.fixture(scope="module")
def protected_server() -> Iterator[tuple[str, MockIdPApp]]:
    """A live mockidp whose control API (and inspector) needs ADMIN."""
    app = create_app(admin_token=ADMIN)
    config = uvicorn.Config(app, host="127.0.0.1", port=0, log_level="warning", lifespan="off")
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, name="mockidp-inspector", daemon=True)
    thread.start()
    for _ in range(500):
        if server.started:
            break
        threading.Event().wait(0.01)
    port = server.servers[0].sockets[0].getsockname()[1]
    yield f"http://127.0.0.1:{port}", app
    server.should_exit = True
    thread.join(timeout=5)


@pytest.mark.browser
def test_debugging_a_sign_in_in_the_browser(
    browser: Browser, protected_server: tuple[str, MockIdPApp]
) -> None:
    url, app = protected_server
    context = browser.new_context()
    page = context.new_page()
    page.set_default_timeout(5000)
    with serve_relying_party() as rp:
        # a sign-in through the IdP in the browser, then the code exchanged
        query = {
            "client_id": "mockidp-client",
            "redirect_uri": rp.callback,
            "response_type": "code",
            "scope": "openid profile",
            "state": "st-1",
            "nonce": "n-1",
        }
        page.goto(f"{url}/authorize?{urlencode(query)}")
        landed = single(parse_qs(urlsplit(page.url).query))
    token = httpx.post(
        f"{url}/token",
        data={
            "grant_type": "authorization_code",
            "code": landed["code"],
            "redirect_uri": rp.callback,
        },
        auth=("mockidp-client", "mockidp-secret"),
    )
    assert token.status_code == 200
    # the inspector asks for the admin token first
    page.goto(f"{url}{PAGE}")
    page.fill("#token", ADMIN)
    page.click("#sign-in")
    assert page.locator("h1").inner_text() == "mockidp inspector"
    endpoints = page.locator("tr.request").evaluate_all("rows => rows.map(r => r.dataset.endpoint)")
    assert endpoints == ["token", "authorization"]
    id_token = page.locator('section.token[data-kind="id_token"]')
    assert "expires in 59m" in id_token.inner_text()
    assert "valid" in id_token.locator(".signature").inner_text()
    assert "unexpired" in id_token.locator(".state").inner_text()
    assert "n-1" in id_token.inner_text()  # the nonce claim
    assert token.json()["id_token"] not in page.content()
    # filter without script: the form's GET
    page.select_option("#filter-endpoint", "authorization")
    page.click("#filter")
    assert "endpoint=authorization" in page.url
    assert page.locator("tr.request").count() == 1
    # move the clock an hour: the tokens expire
    page.click("#advance-3600")
    id_token = page.locator('section.token[data-kind="id_token"]')
    assert "expired" in id_token.locator(".state").inner_text()
    assert "expired" in id_token.inner_text() and "ago" in id_token.inner_text()
    access = page.locator('section.token[data-kind="access_token"]')
    assert "not active" in access.locator(".state").inner_text()
    # reset: the log and the journal are empty, the clock stays moved
    page.click("#reset")
    assert page.locator("#requests-empty").is_visible()
    assert page.locator("#tokens-empty").is_visible()
    assert len(app.control.requests) == 0
    page.click("#clock-reset")
    context.close()
