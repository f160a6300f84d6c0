"""Keycloak's browser-session pages (:mod:`mockidp.oauth.vendors.keycloak.session`): the
3p-cookies check, the login-status iframe and its ``/init`` origin check."""

from __future__ import annotations

import secrets
from collections.abc import Callable

from starlette.responses import HTMLResponse, Response

from mockidp.errors import NotFound
from mockidp.http.endpoints import Endpoint, Exchange
from mockidp.http.input import query_params
from mockidp.http.render import NO_STORE, PAGE_HEADERS
from mockidp.oauth.clients import web_origins
from mockidp.oauth.provider import Provider
from mockidp.oauth.vendors.keycloak import session as keycloak_session


def framed_page(provider: Provider, render: Callable[[str], str]) -> Response:
    """A page relying parties frame: no X-Frame-Options, a nonce'd script."""
    if not provider.scenario.quirks.keycloak_login_status:
        raise NotFound("Keycloak's session pages are off (quirk keycloak_login_status)")
    nonce = secrets.token_urlsafe(16)
    headers = {k: v for k, v in PAGE_HEADERS.items() if k != "X-Frame-Options"}
    headers["Content-Security-Policy"] = keycloak_session.framed_csp(nonce)
    return HTMLResponse(render(nonce), headers=headers)


async def third_party_cookies_step1(provider: Provider, ex: Exchange) -> Response:
    return framed_page(provider, keycloak_session.step1_page)


async def third_party_cookies_step2(provider: Provider, ex: Exchange) -> Response:
    return framed_page(provider, keycloak_session.step2_page)


async def login_status_init(provider: Provider, ex: Exchange) -> Response:
    """204 when ``origin`` is one of ``client_id``'s web origins, else 403 (Keycloak's)."""
    if not provider.scenario.quirks.keycloak_login_status:
        raise NotFound("Keycloak's session pages are off (quirk keycloak_login_status)")
    ex.params = query_params(ex.incoming)
    client_id, origin = ex.params.get("client_id"), ex.params.get("origin")
    status = 204 if web_origins.allowed(provider.deps, client_id, origin) else 403
    return Response(b"", status_code=status, headers=NO_STORE)


_GET = frozenset({"GET"})

KEYCLOAK_ENDPOINTS: dict[str, Endpoint] = {
    "third_party_cookies_step1": Endpoint(third_party_cookies_step1, _GET, cors=False),
    "third_party_cookies_step2": Endpoint(third_party_cookies_step2, _GET, cors=False),
    "login_status_init": Endpoint(login_status_init, _GET, cors=False),
}
