"""One handler per endpoint: HTTP in, plain arguments to the Provider, HTTP out."""

from __future__ import annotations

import secrets
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field

from starlette.requests import Request
from starlette.responses import HTMLResponse, JSONResponse, RedirectResponse, Response

from mockidp import pages
from mockidp.authorize import error_params, resolve_target
from mockidp.errors import InvalidRequest, OAuthError, PageError
from mockidp.http_input import (
    RepeatedParameters,
    bearer_token,
    body_params,
    form_params,
    is_form,
    query_params,
)
from mockidp.provider import Provider
from mockidp.redirects import add_fragment, add_query
from mockidp.signin import AuthorizationResponse, AuthorizeResult, ConsentPage, LoginPage
from mockidp.types import JSONObject, Params

SESSION_COOKIE = "mockidp_session"

NO_STORE = {"Cache-Control": "no-store", "Pragma": "no-cache"}
PAGE_HEADERS = {
    **NO_STORE,
    "X-Frame-Options": "DENY",
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
    # No form-action: browsers apply it to the redirect that follows a form, which
    # must be free to reach any registered redirect URI.
    "Content-Security-Policy": "default-src 'none'; style-src 'unsafe-inline'; img-src data:; "
    "frame-ancestors 'none'; base-uri 'none'",
}


@dataclass
class Exchange:
    """One request on its way through a handler, with what the log line needs."""

    request: Request
    issuer: str
    endpoint: str
    params: Params = field(default_factory=dict)

    @property
    def secure(self) -> bool:
        # What request.url.scheme reads, without building the whole URL object.
        return str(self.request.scope.get("scheme", "http")).lower() == "https"

    @property
    def cookie_path(self) -> str:
        return str(self.request.scope.get("root_path") or "") or "/"


Handler = Callable[[Provider, Exchange], Awaitable[Response]]


def json_response(data: JSONObject, *, status: int = 200, no_store: bool = True) -> Response:
    return JSONResponse(data, status_code=status, headers=NO_STORE if no_store else None)


def html_response(body: str, *, status: int = 200, csp: str | None = None) -> Response:
    headers = dict(PAGE_HEADERS)
    if csp is not None:
        headers["Content-Security-Policy"] = csp
    return HTMLResponse(body, status_code=status, headers=headers)


async def discovery(provider: Provider, ex: Exchange) -> Response:
    return json_response(provider.metadata(ex.issuer), no_store=False)


async def jwks(provider: Provider, ex: Exchange) -> Response:
    return json_response(provider.jwks(), no_store=False)


async def authorization(provider: Provider, ex: Exchange) -> Response:
    repeated: frozenset[str] = frozenset()
    try:
        ex.params = await _query_or_form(ex.request)
    except RepeatedParameters as exc:  # RFC 6749 4.1.2.1: redirected if the target is sure
        ex.params, repeated = exc.params, exc.names
    except InvalidRequest as exc:  # no trustworthy client yet: the user sees a page
        raise PageError("invalid_request", exc.description) from None
    tenant = ex.request.path_params.get("tenant")  # /login/<tenant>/oauth/authorize
    prefix = provider.scenario.quirks.tenant_acr_prefix
    if tenant and prefix:  # the same as acr_values=tenant:<tenant>
        acr = f"{ex.params.get('acr_values', '')} {prefix}{tenant}".strip()
        ex.params = {**ex.params, "acr_values": acr}
    session_id = ex.request.cookies.get(SESSION_COOKIE)
    result = provider.authorize(
        ex.params, issuer=ex.issuer, session_id=session_id, repeated=repeated
    )
    return _render(provider, ex, result)


def authorization_error(provider: Provider, ex: Exchange, error: OAuthError) -> Response:
    """A scripted error at the authorization endpoint, answered as RFC 6749 4.1.2.1 says:
    sent back to the client's redirect URI, or a page when that cannot be trusted."""
    target = resolve_target(provider.scenario, ex.params)
    params = error_params(error, target, ex.issuer)
    return _authorization_response(
        AuthorizationResponse(target.redirect_uri, params, target.response_mode)
    )


async def login(provider: Provider, ex: Exchange) -> Response:
    ex.params = await form_params(ex.request)
    return _render(provider, ex, provider.submit_login(ex.params, issuer=ex.issuer))


async def consent(provider: Provider, ex: Exchange) -> Response:
    ex.params = await form_params(ex.request)
    return _render(provider, ex, provider.submit_consent(ex.params, issuer=ex.issuer))


async def _back_channel_params(provider: Provider, request: Request) -> Params:
    """Form body parameters, or as the preset's quirks allow, JSON and query ones too."""
    quirks = provider.scenario.quirks
    return await body_params(
        request,
        merge_query=quirks.merge_query_into_body,
        accept_json=quirks.accept_json_body,
        strip_json_keys=quirks.strip_json_keys,
    )


async def token(provider: Provider, ex: Exchange) -> Response:
    ex.params = await _back_channel_params(provider, ex.request)
    auth = ex.request.headers.get("authorization")
    return json_response(provider.token(ex.params, authorization=auth, issuer=ex.issuer))


async def userinfo(provider: Provider, ex: Exchange) -> Response:
    header_token = bearer_token(ex.request.headers.get("authorization"))
    body_token = None
    if ex.request.method == "POST" and is_form(ex.request):
        ex.params = await form_params(ex.request)
        body_token = ex.params.get("access_token")  # RFC 6750 2.2
    if header_token and body_token:
        raise InvalidRequest("send the access token once: in the header or in the body")
    if provider.scenario.quirks.userinfo_format == "jwt_string":  # a JSON-quoted JWT
        signed = provider.userinfo_jwt(header_token or body_token, issuer=ex.issuer)
        return JSONResponse(signed, headers=NO_STORE)
    return json_response(provider.userinfo(header_token or body_token))


async def current_principal(provider: Provider, ex: Exchange) -> Response:
    """SuperOffice's ``GET {webapi_url}v1/User/currentPrincipal`` with the bearer token."""
    token = bearer_token(ex.request.headers.get("authorization"))
    ctx = ex.request.path_params.get("ctx", "")
    return json_response(provider.current_principal(token, ctx, issuer=ex.issuer))


async def system_user(provider: Provider, ex: Exchange) -> Response:
    """SuperOffice's PartnerSystemUser/Authenticate: a JSON body in, a JSON answer out."""
    ex.params = await body_params(ex.request, accept_json=True)
    return json_response(provider.system_user(ex.params, issuer=ex.issuer))


async def introspection(provider: Provider, ex: Exchange) -> Response:
    ex.params = await form_params(ex.request)
    auth = ex.request.headers.get("authorization")
    return json_response(provider.introspect(ex.params, authorization=auth, issuer=ex.issuer))


async def revocation(provider: Provider, ex: Exchange) -> Response:
    ex.params = await _back_channel_params(provider, ex.request)
    provider.revoke(
        ex.params, authorization=ex.request.headers.get("authorization"), issuer=ex.issuer
    )
    if provider.scenario.quirks.revocation_json:  # LoginRadius answers {}
        return json_response({})
    return Response(b"", status_code=200, headers=NO_STORE)


async def end_session(provider: Provider, ex: Exchange) -> Response:
    try:
        ex.params = await _query_or_form(ex.request)
    except InvalidRequest as exc:  # a browser's request: the user sees a page
        raise PageError("invalid_request", exc.description) from None
    session_id = ex.request.cookies.get(SESSION_COOKIE)
    result = provider.end_session(ex.params, issuer=ex.issuer, session_id=session_id)
    response: Response
    if result.redirect_to is not None:
        response = RedirectResponse(result.redirect_to, status_code=302, headers=NO_STORE)
    else:
        response = html_response(pages.logged_out_page())
    response.delete_cookie(
        SESSION_COOKIE, path=ex.cookie_path, secure=ex.secure, httponly=True, samesite="lax"
    )
    return response


async def home(provider: Provider, ex: Exchange) -> Response:
    layout = provider.layout
    discovery_url = (
        layout.url(provider.endpoint_base(ex.issuer), "discovery")
        if layout.has("discovery")
        else None
    )
    return html_response(pages.home_page(provider.scenario, ex.issuer, discovery_url))


async def _query_or_form(request: Request) -> Params:
    if request.method == "POST":
        return await form_params(request)
    return query_params(request)


def _render(provider: Provider, ex: Exchange, result: AuthorizeResult) -> Response:
    base = provider.endpoint_base(ex.issuer)
    response: Response
    if isinstance(result, LoginPage):
        return html_response(pages.login_page(result, provider.layout.url(base, "login")))
    if isinstance(result, ConsentPage):
        response = html_response(pages.consent_page(result, provider.layout.url(base, "consent")))
    else:
        response = _authorization_response(result)
    if result.session_id is not None:
        response.set_cookie(
            SESSION_COOKIE,
            result.session_id,
            path=ex.cookie_path,
            max_age=provider.scenario.lifetimes.session,
            secure=ex.secure,
            httponly=True,
            samesite="lax",
        )
    return response


def _authorization_response(result: AuthorizationResponse) -> Response:
    if result.mode == "form_post":
        nonce = secrets.token_urlsafe(16)
        csp = (
            f"default-src 'none'; script-src 'nonce-{nonce}'; style-src 'unsafe-inline'; "
            "frame-ancestors 'none'; base-uri 'none'"
        )
        return html_response(
            pages.form_post_page(result.redirect_uri, result.params, nonce), csp=csp
        )
    if result.mode == "fragment":
        location = add_fragment(result.redirect_uri, result.params)
    else:
        location = add_query(result.redirect_uri, result.params)
    return RedirectResponse(location, status_code=302, headers=NO_STORE)


@dataclass(frozen=True)
class Endpoint:
    """How an endpoint is served: its handler, HTTP methods, and whether browsers' scripts call it."""

    handler: Handler
    methods: frozenset[str]
    cors: bool = True


ENDPOINTS: dict[str, Endpoint] = {
    "discovery": Endpoint(discovery, frozenset({"GET"})),
    "oauth_metadata": Endpoint(discovery, frozenset({"GET"})),
    "jwks": Endpoint(jwks, frozenset({"GET"})),
    "authorization": Endpoint(authorization, frozenset({"GET", "POST"}), cors=False),
    "authorization_tenant": Endpoint(authorization, frozenset({"GET", "POST"}), cors=False),
    "current_principal": Endpoint(current_principal, frozenset({"GET"})),
    "system_user": Endpoint(system_user, frozenset({"POST"})),
    "login": Endpoint(login, frozenset({"POST"}), cors=False),
    "consent": Endpoint(consent, frozenset({"POST"}), cors=False),
    "token": Endpoint(token, frozenset({"POST"})),
    "userinfo": Endpoint(userinfo, frozenset({"GET", "POST"})),
    "introspection": Endpoint(introspection, frozenset({"POST"})),
    "revocation": Endpoint(revocation, frozenset({"POST"})),
    "end_session": Endpoint(end_session, frozenset({"GET", "POST"}), cors=False),
    "home": Endpoint(home, frozenset({"GET"}), cors=False),
}
