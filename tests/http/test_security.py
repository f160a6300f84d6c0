"""Security review of the deployed mode: one test (or a few) per item.

The per-PR provider is a public URL. These pin what keeps it from being a liability:
the control API and token minting behind the admin token (and the Lambda container
refusing to start without one), secrets compared in constant time, redirect URIs
matched exactly (no prefix, no open redirect on errors or logout), no PKCE downgrade,
codes bound to client and redirect URI, pages that escape what they echo and refuse to
be framed, cookies HttpOnly / SameSite / Secure over https, bodies capped, and a request
log that masks secrets and tokens.
"""

from __future__ import annotations

import ast
import asyncio
import base64
import hashlib
import importlib.util
import re
from pathlib import Path
from typing import Any

import httpx
import pytest

import mockidp
from mockidp import MockIdPApp, create_app
from mockidp.control.routes import ROUTES
from mockidp.http.input import MAX_BODY_BYTES
from tests.support.e2e import default_scenario_mapping
from tests.support.flows import code_of, code_request

BASE = "http://mockidp.test"
ADMIN = "a-long-enough-admin-token"
CLIENT = ("mockidp-client", "mockidp-secret")
PUBLIC = "mockidp-public"
REDIRECT = "http://localhost:8080/callback"
VERIFIER = "v" * 43
CHALLENGE = base64.urlsafe_b64encode(hashlib.sha256(VERIFIER.encode()).digest()).rstrip(b"=")
SOURCE = Path(mockidp.__file__).parent


def _call(app: MockIdPApp, method: str, url: str, base: str = BASE, **kw: Any) -> httpx.Response:
    async def go() -> httpx.Response:
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url=base) as client:
            return await client.request(method, url, **kw)

    return asyncio.run(go())


def _authorize(app: MockIdPApp, base: str = BASE, **params: str) -> httpx.Response:
    query = code_request(CLIENT[0], REDIRECT, state="st", challenge=None) | params
    return _call(app, "GET", "/authorize", base, params={k: v for k, v in query.items() if v})


def _code(app: MockIdPApp, **params: str) -> str:
    return code_of(_authorize(app, **params))


def _token(app: MockIdPApp, auth: tuple[str, str] | None = CLIENT, **form: str) -> httpx.Response:
    return _call(app, "POST", "/token", data=form, auth=auth)


def _strict_scenario() -> dict[str, Any]:
    """The default scenario with two confidential clients on https redirect URIs and no
    loopback leeway: what exact matching means for a deployed web app."""
    data = default_scenario_mapping()
    web = {
        "client_id": "web",
        "client_secret": "web-secret",
        "redirect_uris": ["https://app.example.com/cb"],
        "post_logout_redirect_uris": ["https://app.example.com/bye"],
    }
    other = {**web, "client_id": "other", "client_secret": "other-secret"}
    other["redirect_uris"] = ["https://other.example.com/cb"]
    data["clients"] = [*data["clients"], web, other]
    return data


# -- the admin token ------------------------------------------------------------------------


def _control_paths() -> list[tuple[str, str]]:
    # the public ones (the audit's attacker key) are tested in tests/audit/test_attacker_keys.py
    paths = [(r.method, "/_mockidp" + re.sub(r"\{[^}]+\}", "x", r.path)) for r in ROUTES]
    public = {(r.method, "/_mockidp" + r.path) for r in ROUTES if r.public}
    assert public == {
        ("GET", "/_mockidp/attacker/jwks.json"),
        ("GET", "/_mockidp/attacker/cert.pem"),
    }
    return [p for p in paths if p not in public]


@pytest.mark.parametrize(("method", "path"), _control_paths())
def test_every_control_operation_needs_the_admin_token(method: str, path: str) -> None:
    app = create_app(admin_token=ADMIN)
    for headers in ({}, {"Authorization": "Bearer wrong-token"}, {"Authorization": ADMIN}):
        answer = _call(app, method, path, headers=headers, json={})
        assert answer.status_code == 401, (method, path, headers, answer.text)
        assert answer.headers["www-authenticate"].startswith("Bearer")


def test_token_minting_needs_the_admin_token() -> None:
    app = create_app(admin_token=ADMIN)
    body = {"client_id": CLIENT[0], "user": "alice"}
    refused = _call(app, "POST", "/_mockidp/tokens", json=body)
    assert refused.status_code == 401
    minted = _call(
        app, "POST", "/_mockidp/tokens", json=body, headers={"Authorization": f"Bearer {ADMIN}"}
    )
    assert minted.status_code == 200, minted.text
    assert "access_token" in minted.json()


def _lambda_container(env: dict[str, str]) -> Any:
    spec = importlib.util.spec_from_file_location(
        "mockidp_security_lambda", SOURCE / "lambda_handler.py"
    )
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    with pytest.MonkeyPatch.context() as patch:
        for key in ("MOCKIDP_ADMIN_TOKEN", "MOCKIDP_ALLOW_NO_ADMIN_TOKEN", "MOCKIDP_TABLE"):
            patch.delenv(key, raising=False)
        patch.delenv("MOCKIDP_STORE", raising=False)
        for key, value in env.items():
            patch.setenv(key, value)
        spec.loader.exec_module(module)
    return module


@pytest.mark.usefixtures("event_loop_for_mangum")
def test_the_lambda_container_refuses_to_start_without_an_admin_token() -> None:
    with pytest.raises(RuntimeError, match="MOCKIDP_ADMIN_TOKEN"):
        _lambda_container({})
    assert _lambda_container({"MOCKIDP_ADMIN_TOKEN": ADMIN}).app.control.protected
    opted_out = _lambda_container({"MOCKIDP_ALLOW_NO_ADMIN_TOKEN": "1"})
    assert not opted_out.app.control.protected


def test_the_template_requires_a_hidden_admin_token() -> None:
    import yaml

    class Loader(yaml.SafeLoader):
        pass

    Loader.add_multi_constructor("!", lambda loader, suffix, node: None)
    template = yaml.load((SOURCE.parent / "template.yaml").read_text("utf-8"), Loader)
    parameter = template["Parameters"]["AdminToken"]
    assert parameter.get("NoEcho") is True
    assert "Default" not in parameter  # required: no deployment without one
    assert int(parameter["MinLength"]) >= 16


# -- constant-time comparisons --------------------------------------------------------------

_SECRET_NAME = re.compile(r"secret|password|admin|verifier|csrf|access_token$|registration_token")


def _names(node: ast.expr) -> list[str]:
    if isinstance(node, ast.Name):
        return [] if node.id.isupper() else [node.id]  # a constant (a type URN): no secret
    if isinstance(node, ast.Attribute):
        return [node.attr]
    if isinstance(node, ast.Call):
        return _names(node.func)
    return []


def test_secrets_are_never_compared_with_equality() -> None:
    """No ``==`` / ``!=`` between a secret-named value and anything but a literal or None:
    such comparisons take hmac.compare_digest (constant time)."""
    found = []
    for path in sorted(SOURCE.rglob("*.py")):
        for node in ast.walk(ast.parse(path.read_text("utf-8"))):
            if not isinstance(node, ast.Compare):
                continue
            sides = [node.left, *node.comparators]
            if not any(isinstance(op, ast.Eq | ast.NotEq) for op in node.ops):
                continue
            if any(isinstance(s, ast.Constant) for s in sides):
                continue  # a method name, a type hint value, None: not a secret compared
            if any(_SECRET_NAME.search(n.lower()) for s in sides for n in _names(s)):
                found.append(f"{path.name}:{node.lineno}: {ast.unparse(node)}")
    assert found == []


@pytest.mark.parametrize(
    "module",
    [
        "control/api.py",
        "oauth/clients/auth.py",
        "oauth/signin/pkce.py",
        "oauth/clients/registration.py",
        "control/inspector/app.py",
    ],
)
def test_secret_checks_use_compare_digest(module: str) -> None:
    assert "compare_digest" in (SOURCE / module).read_text("utf-8")


# -- redirect URIs --------------------------------------------------------------------------

_NEAR_MISSES = [
    "https://app.example.com/cb/",
    "https://app.example.com/cb/evil",
    "https://app.example.com/cbx",
    "https://app.example.com/c",
    "https://app.example.com/cb?x=1",
    "https://app.example.com/cb#x",
    "https://APP.example.com/cb",
    "http://app.example.com/cb",
    "https://app.example.com:444/cb",
    "https://app.example.com.evil.example/cb",
    "https://evil.example@app.example.com/cb",
    "https://app.example.com@evil.example/cb",
    "https://evil.example/cb",
]


@pytest.mark.parametrize("uri", _NEAR_MISSES)
def test_redirect_uri_is_matched_exactly_and_errors_never_redirect(uri: str) -> None:
    app = create_app(_strict_scenario())
    for extra in ({}, {"response_type": "bogus"}, {"prompt": "none"}):
        answer = _authorize(app, client_id="web", redirect_uri=uri, **extra)
        assert answer.status_code == 400, answer.text
        assert "location" not in answer.headers
        assert answer.headers["content-type"].startswith("text/html")
    good = _authorize(app, client_id="web", redirect_uri="https://app.example.com/cb")
    assert good.headers["location"].startswith("https://app.example.com/cb?")


def test_an_unknown_client_never_redirects() -> None:
    app = create_app(_strict_scenario())
    answer = _authorize(app, client_id="nobody", redirect_uri="https://evil.example/cb")
    assert answer.status_code == 400 and "location" not in answer.headers


@pytest.mark.parametrize("uri", ["https://evil.example/", "https://app.example.com/bye/x"])
def test_logout_never_redirects_to_an_unregistered_uri(uri: str) -> None:
    app = create_app(_strict_scenario())
    answer = _call(
        app,
        "GET",
        "/end_session",
        params={"client_id": "web", "post_logout_redirect_uri": uri, "state": "s"},
    )
    assert answer.status_code == 400, answer.text
    assert "location" not in answer.headers
    assert "evil.example" not in answer.headers.get("refresh", "")
    good = _call(
        app,
        "GET",
        "/end_session",
        params={"client_id": "web", "post_logout_redirect_uri": "https://app.example.com/bye"},
    )
    assert good.headers.get("location", "").startswith("https://app.example.com/bye")


# -- PKCE and codes -------------------------------------------------------------------------


def test_pkce_cannot_be_downgraded() -> None:
    app = create_app()
    # a code bound to a challenge: no verifier, a wrong one -> invalid_grant
    challenged = {"code_challenge": CHALLENGE.decode(), "code_challenge_method": "S256"}
    for verifier in ({}, {"code_verifier": "w" * 43}):
        code = _code(app, **challenged)
        form = {"grant_type": "authorization_code", "code": code, "redirect_uri": REDIRECT}
        answer = _call(app, "POST", "/token", data={**form, **verifier}, auth=CLIENT)
        assert answer.status_code == 400 and answer.json()["error"] == "invalid_grant", answer.text
    # RFC 9700 4.8.2: a code issued without a challenge refuses a verifier
    code = _code(app)
    answer = _token(
        app,
        grant_type="authorization_code",
        code=code,
        redirect_uri=REDIRECT,
        code_verifier=VERIFIER,
    )
    assert answer.status_code == 400 and answer.json()["error"] == "invalid_grant", answer.text
    # and the genuine verifier works
    code = _code(app, **challenged)
    answer = _token(
        app,
        grant_type="authorization_code",
        code=code,
        redirect_uri=REDIRECT,
        code_verifier=VERIFIER,
    )
    assert answer.status_code == 200, answer.text


def test_codes_are_bound_to_their_client_and_redirect_uri() -> None:
    app = create_app(_strict_scenario())
    code = _code(app, client_id="web", redirect_uri="https://app.example.com/cb")
    form = {"grant_type": "authorization_code", "code": code}
    stolen = _token(
        app, ("other", "other-secret"), **form, redirect_uri="https://other.example.com/cb"
    )
    assert stolen.status_code == 400 and stolen.json()["error"] == "invalid_grant", stolen.text
    code = _code(app, client_id="web", redirect_uri="https://app.example.com/cb")
    moved = _token(app, ("web", "web-secret"), grant_type="authorization_code", code=code,
                   redirect_uri="https://app.example.com/cb/")  # fmt: skip
    assert moved.status_code == 400 and moved.json()["error"] == "invalid_grant", moved.text
    missing = _token(app, ("web", "web-secret"), grant_type="authorization_code", code=code)
    assert missing.status_code == 400, missing.text  # the code was spent by the failed try


# -- pages: XSS, framing, content security ---------------------------------------------------

XSS = '"><script>alert(1)</script><img src=x onerror=alert(2)>'


def _assert_escaped(page: str) -> None:
    assert "<script>alert" not in page
    assert "<img src=x" not in page
    assert "onerror=alert" not in page or "&quot;" in page or "&#x27;" in page


def _assert_page_headers(answer: httpx.Response) -> None:
    assert answer.headers["x-frame-options"] == "DENY"
    csp = answer.headers["content-security-policy"]
    assert "frame-ancestors 'none'" in csp and "default-src 'none'" in csp
    assert (
        "script-src" not in csp or "'unsafe-inline'" not in csp.split("script-src")[1].split(";")[0]
    )
    assert answer.headers["x-content-type-options"] == "nosniff"


def test_the_login_page_escapes_every_echoed_value() -> None:
    data = default_scenario_mapping(login="page")
    app = create_app(data)
    answer = _authorize(
        app, state=XSS, nonce=XSS, login_hint=XSS, scope="openid " + XSS.replace(" ", "")
    )
    if answer.status_code == 302:  # a scope it refuses goes back: retry with plain scope
        answer = _authorize(app, state=XSS, nonce=XSS, login_hint=XSS)
    assert answer.status_code == 200, answer.text
    assert "<form" in answer.text
    _assert_escaped(answer.text)
    _assert_page_headers(answer)


@pytest.mark.parametrize("field", ["client_id", "redirect_uri", "response_type"])
def test_error_pages_escape_echoed_values(field: str) -> None:
    app = create_app()
    answer = _authorize(app, **{field: XSS})
    assert answer.status_code in (302, 400), answer.text
    if answer.status_code == 400:
        _assert_escaped(answer.text)
        _assert_page_headers(answer)
    else:  # an error redirected back: the echoed value is percent-encoded in the URL
        assert "<" not in answer.headers["location"]


# -- cookies ---------------------------------------------------------------------------------


def _session_cookie(answer: httpx.Response) -> str:
    cookies = [v for k, v in answer.headers.multi_items() if k == "set-cookie"]
    found = [c for c in cookies if c.startswith("mockidp_session=")]
    assert found, cookies
    return found[0].lower()


def test_the_session_cookie_is_httponly_samesite_and_secure_over_https() -> None:
    app = create_app()
    secure = _session_cookie(_authorize(app, "https://idp.example.com"))
    assert "; httponly" in secure and "; samesite=lax" in secure and "; secure" in secure
    plain = _session_cookie(_authorize(app))
    assert "httponly" in plain and "samesite=lax" in plain
    assert "; secure" not in plain  # http on loopback: a Secure cookie would never come back


@pytest.mark.usefixtures("event_loop_for_mangum")
def test_behind_the_lambda_gateway_https_is_recognised() -> None:
    """Mangum takes the scheme from X-Forwarded-Proto (API Gateway, Function URLs)."""
    from tests.support.lambda_events import FUNCTION_URL, Browser

    module = _lambda_container({"MOCKIDP_ADMIN_TOKEN": ADMIN})
    browser = Browser(FUNCTION_URL, [module.handler])
    query = f"response_type=code&client_id={CLIENT[0]}&redirect_uri={REDIRECT}&scope=openid"
    answer = browser.request("GET", f"/authorize?{query}")
    assert answer.status == 302, answer.body
    session = [c.lower() for c in answer.cookies if c.startswith("mockidp_session=")]
    assert session, answer.cookies
    assert "; secure" in session[0] and "; httponly" in session[0]


# -- size limits and the request log ---------------------------------------------------------


@pytest.mark.parametrize("path", ["/token", "/introspect", "/revoke", "/register", "/par"])
def test_request_bodies_are_capped(path: str) -> None:
    app = create_app()
    if path == "/register":  # RFC 7591: JSON client metadata
        body = b'{"client_name": "' + b"b" * MAX_BODY_BYTES + b'"}'
        kind = "application/json"
    else:
        body = b"a=" + b"b" * MAX_BODY_BYTES
        kind = "application/x-www-form-urlencoded"
    answer = _call(app, "POST", path, content=body, headers={"Content-Type": kind}, auth=CLIENT)
    assert answer.status_code in (400, 413), answer.text
    assert "larger than" in answer.json().get("error_description", ""), answer.text


def test_the_request_log_masks_secrets_and_tokens() -> None:
    app = create_app(admin_token=ADMIN)
    challenged = {"code_challenge": CHALLENGE.decode(), "code_challenge_method": "S256"}
    code = _code(app, client_id=PUBLIC, **challenged)
    tokens = _call(
        app,
        "POST",
        "/token",
        data={
            "grant_type": "authorization_code",
            "code": code,
            "redirect_uri": REDIRECT,
            "client_id": PUBLIC,
            "code_verifier": VERIFIER,
        },
    ).json()
    _call(app, "GET", "/userinfo", headers={"Authorization": f"Bearer {tokens['access_token']}"})
    _token(app, grant_type="client_credentials")  # secret in the Authorization header
    post = {"grant_type": "client_credentials", "client_id": CLIENT[0], "client_secret": CLIENT[1]}
    _call(app, "POST", "/token", data=post)  # and in the body
    log = _call(app, "GET", "/_mockidp/requests", headers={"Authorization": f"Bearer {ADMIN}"})
    assert log.status_code == 200, log.text
    text = log.text
    assert text.count('"/token"') >= 3, text  # the log did record the requests
    basic = base64.b64encode(f"{CLIENT[0]}:{CLIENT[1]}".encode()).decode()
    for secret in (
        code,
        VERIFIER,
        tokens["access_token"],
        tokens["id_token"],
        CLIENT[1],
        basic,
        ADMIN,
    ):
        assert secret not in text, secret[:12]
