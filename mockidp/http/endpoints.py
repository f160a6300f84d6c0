"""One handler per endpoint: HTTP in, plain arguments to the Provider, HTTP out."""

from __future__ import annotations

import json

from starlette.datastructures import URL
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response

from mockidp.errors import InvalidRequest, NotFound, OAuthError, PageError
from mockidp.http import cookies, csp, links, pages, session_pages
from mockidp.http.cookies import SESSION_COOKIE
from mockidp.http.exchange import Endpoint, Exchange
from mockidp.http.input import (
    Incoming,
    RepeatedParameters,
    accepts,
    bearer_token,
    body_params,
    dpop_token,
    form_params,
    is_form,
    is_json,
    query_params,
)
from mockidp.http.render import (
    INTROSPECTION_JWT,
    NO_STORE,
    USERINFO_JWT,
    JSONAnswer,
    html_response,
    json_response,
)
from mockidp.oauth.provider import Provider
from mockidp.oauth.sessions import session_management
from mockidp.oauth.signin.flow import AuthorizationResponse, AuthorizeResult, ConsentPage, LoginPage
from mockidp.oauth.urls import add_fragment, add_query
from mockidp.types import JSONObject, Params


async def discovery(provider: Provider, ex: Exchange) -> Response:
    return json_response(
        ex.back_channel_urls(provider, provider.metadata(ex.issuer)), no_store=False
    )


async def jwks(provider: Provider, ex: Exchange) -> Response:
    return json_response(provider.jwks(), no_store=False)


async def authorization(provider: Provider, ex: Exchange) -> Response:
    repeated: frozenset[str] = frozenset()
    try:
        ex.params = await _browser_params(ex.incoming, keep_repeated=True)
    except RepeatedParameters as exc:  # RFC 6749 4.1.2.1: redirected if the target is sure
        ex.params, repeated = exc.params, exc.names
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
    return _authorization_response(provider.authorization_error(ex.params, error, issuer=ex.issuer))


async def login(provider: Provider, ex: Exchange) -> Response:
    ex.params = await form_params(ex.incoming)
    return _render(provider, ex, provider.submit_login(ex.params, issuer=ex.issuer))


async def consent(provider: Provider, ex: Exchange) -> Response:
    ex.params = await form_params(ex.incoming)
    return _render(provider, ex, provider.submit_consent(ex.params, issuer=ex.issuer))


async def _back_channel_params(provider: Provider, incoming: Incoming) -> Params:
    """Form body parameters, or as the preset's quirks allow, JSON and query ones too."""
    quirks = provider.scenario.quirks
    return await body_params(
        incoming,
        merge_query=quirks.merge_query_into_body,
        accept_json=quirks.accept_json_body,
        strip_json_keys=quirks.strip_json_keys,
    )


async def token(provider: Provider, ex: Exchange) -> Response:
    ex.params = await _back_channel_params(provider, ex.incoming)
    proofs = tuple(ex.request.headers.getlist("dpop"))  # RFC 9449 5
    answer = provider.token(
        ex.params,
        credentials=ex.client_credentials(),
        issuer=ex.issuer,
        dpop_proofs=proofs,
        request_url=_request_url(ex.request) if proofs else None,
    )
    ex.handed_out = links.picked(answer)
    return json_response(answer)


async def pushed_authorization_request(provider: Provider, ex: Exchange) -> Response:
    """RFC 9126 2: 201 with the request_uri, or an RFC 6749 error as JSON."""
    ex.params = await form_params(ex.incoming)
    proofs = tuple(ex.request.headers.getlist("dpop"))  # RFC 9449 10.1
    pushed = provider.push_authorization_request(
        ex.params,
        credentials=ex.client_credentials(),
        issuer=ex.issuer,
        dpop_proofs=proofs,
        request_url=_request_url(ex.request) if proofs else None,
    )
    ex.handed_out = links.picked(pushed)
    return json_response(pushed, status=201)


async def userinfo(provider: Provider, ex: Exchange) -> Response:
    from mockidp.oauth.tokens.dpop import Presentation

    authorization = ex.request.headers.get("authorization")
    bound_token = dpop_token(authorization)  # RFC 9449 7.1: Authorization: DPoP <token>
    header_token = bearer_token(authorization) or bound_token
    body_token = None
    if ex.request.method == "POST" and is_form(ex.request):
        ex.params = await form_params(ex.incoming)
        body_token = ex.params.get("access_token")  # RFC 6750 2.2
    if header_token and body_token:
        raise InvalidRequest("send the access token once: in the header or in the body")
    # htu (RFC 9449 4.3) is read only for a token sent with the DPoP scheme
    urls = (
        provider.endpoint_urls("userinfo", ex.issuer, _request_url(ex.request))
        if bound_token
        else ()
    )
    shown = Presentation(
        "DPoP" if bound_token else "Bearer",
        tuple(ex.request.headers.getlist("dpop")),
        ex.request.method,
        urls,
    )
    if provider.scenario.quirks.userinfo_format == "jwt_string":  # a JSON-quoted JWT
        signed = provider.userinfo_jwt(
            header_token or body_token, issuer=ex.issuer, presentation=shown
        )
        return JSONAnswer(signed, headers=NO_STORE)
    answer = provider.userinfo_answer(
        header_token or body_token, issuer=ex.issuer, presentation=shown
    )
    if isinstance(answer, str):  # OpenID Connect Core 5.3.2: the client registered a signed answer
        return Response(answer, media_type=USERINFO_JWT, headers=NO_STORE)
    return json_response(answer)


def _request_url(request: Request) -> str:
    """The URL a request reached, without query (a DPoP proof's htu, RFC 9449 4.3); built
    only for a request that sends a proof.

    Built without the query string: a raw non-UTF-8 byte in it (which the endpoint
    refuses as invalid_request) must not fail here first."""
    return str(URL(scope={**request.scope, "query_string": b""}))


async def introspection(provider: Provider, ex: Exchange) -> Response:
    ex.params = await form_params(ex.incoming)
    creds = ex.client_credentials()
    if accepts(ex.request.headers.get("accept"), INTROSPECTION_JWT):  # RFC 9701
        signed = provider.introspect_jwt(ex.params, credentials=creds, issuer=ex.issuer)
        return Response(signed, media_type=INTROSPECTION_JWT, headers=NO_STORE)
    return json_response(provider.introspect(ex.params, credentials=creds, issuer=ex.issuer))


async def revocation(provider: Provider, ex: Exchange) -> Response:
    ex.params = await _back_channel_params(provider, ex.incoming)
    provider.revoke(ex.params, credentials=ex.client_credentials(), issuer=ex.issuer)
    if provider.scenario.quirks.revocation_json:  # LoginRadius answers {}
        return json_response({})
    return Response(b"", status_code=200, headers=NO_STORE)


async def end_session(provider: Provider, ex: Exchange) -> Response:
    ex.params = await _browser_params(ex.incoming)
    if (
        ex.request.method == "POST"
        and "refresh_token" in ex.params
        and provider.scenario.quirks.logout_refresh_token
    ):  # Keycloak: a client ends a grant by its refresh token, no browser involved
        authorization = ex.request.headers.get("authorization")
        provider.logout_refresh_token(ex.params, authorization=authorization, issuer=ex.issuer)
        return Response(b"", status_code=204, headers=NO_STORE)
    session_id = ex.request.cookies.get(SESSION_COOKIE)
    result = await provider.end_session_and_notify(
        ex.params, issuer=ex.issuer, session_id=session_id
    )
    ex.outgoing += result.deliveries  # sent before answering
    response: Response
    if result.logout.front_channel:  # the iframes load, then the browser goes on
        response = _front_channel_logout(result.logout.front_channel, result.redirect_to)
    elif result.redirect_to is not None:
        response = RedirectResponse(result.redirect_to, status_code=302, headers=NO_STORE)
    else:
        response = html_response(pages.logged_out_page())
    cookies.clear_session(response, ex)
    return response


def _front_channel_logout(uris: tuple[str, ...], redirect_to: str | None) -> Response:
    """Front-Channel Logout 1.0 3: a page framing each RP's logout URI (and nothing else)."""
    nonce = csp.nonce()
    sources = sorted({csp.source(uri) for uri in uris})
    policy = csp.policy(script_nonce=nonce, styles=True, frames=sources)
    return html_response(pages.front_channel_logout_page(uris, redirect_to, nonce), csp=policy)


async def check_session(provider: Provider, ex: Exchange) -> Response:
    """Session Management 1.0 3.2: the OP iframe. Relying parties frame it, so it may be."""
    if not provider.scenario.sessions:  # sessions: false: no session, so nothing to watch
        raise NotFound(f"no endpoint at {ex.request.url.path}; see the discovery document")
    if provider.scenario.quirks.keycloak_login_status:  # Keycloak's login-status iframe
        from mockidp.http.vendors.keycloak import login_status

        return await login_status(provider, ex)
    return session_pages.check_session_page()


async def device_authorization(provider: Provider, ex: Exchange) -> Response:
    """RFC 8628 3.1 / 3.2: a device code and user code, as JSON."""
    ex.params = await _back_channel_params(provider, ex.incoming)
    creds = ex.client_credentials()
    result = provider.device_authorization(ex.params, credentials=creds, issuer=ex.issuer)
    ex.handed_out = links.picked(result)
    return json_response(result)


async def device(provider: Provider, ex: Exchange) -> Response:
    """RFC 8628 3.3: the verification page (GET: the code; POST: sign in, approve, deny)."""
    from mockidp.http.device_pages import device_page
    from mockidp.oauth.signin.device import DeviceConfirm

    ex.params = await _browser_params(ex.incoming)
    if ex.request.method == "POST":
        page = provider.submit_device(ex.params)
    else:
        session_id = ex.request.cookies.get(SESSION_COOKIE)
        page = provider.device_page(ex.params.get("user_code"), session_id=session_id)
    action = provider.layout.url(provider.endpoint_base(ex.issuer), "device")
    response = html_response(device_page(page, action))
    session_id = page.session_id if isinstance(page, DeviceConfirm) else None
    ex.handed_out = links.picked({"interaction": getattr(page, "interaction", None)})
    ex.started_session = session_id
    if session_id is not None:
        lifetime = provider.scenario.lifetimes.session
        cookies.set_session(response, ex, session_id, max_age=lifetime)
    return response


async def home(provider: Provider, ex: Exchange) -> Response:
    layout = provider.layout
    discovery_url = (
        layout.url(provider.endpoint_base(ex.issuer), "discovery")
        if layout.has("discovery")
        else None
    )
    root = str(ex.request.scope.get("root_path") or "")  # a tenant's /t/{name}, a stage
    return html_response(pages.home_page(provider.scenario, ex.issuer, discovery_url, root=root))


async def registration(provider: Provider, ex: Exchange) -> Response:
    """RFC 7591 3: client metadata as JSON in, 201 with the client's credentials out."""
    body = await _json_object(ex.incoming)
    bearer = bearer_token(ex.request.headers.get("authorization"))
    registered = provider.register_client(body, bearer=bearer, issuer=ex.issuer)
    ex.params = {"client_id": str(registered["client_id"])}  # the request log names it
    return json_response(ex.back_channel_urls(provider, registered), status=201)


async def registration_client(provider: Provider, ex: Exchange) -> Response:
    """RFC 7592 2: read (GET), replace (PUT) or delete a registration, with its token."""
    if not provider.layout.has("registration"):  # registration switched off: all of it
        raise NotFound(f"no endpoint at {ex.request.url.path}; see the discovery document")
    client_id = ex.request.path_params.get("client_id", "")
    ex.params = {"client_id": client_id}
    bearer = bearer_token(ex.request.headers.get("authorization"))
    method = ex.request.method
    if method == "DELETE":
        provider.delete_registered_client(client_id, bearer=bearer)
        return Response(status_code=204, headers=NO_STORE)
    if method == "PUT":
        body = await _json_object(ex.incoming)
        updated = provider.update_registered_client(
            client_id, body, bearer=bearer, issuer=ex.issuer
        )
        return json_response(ex.back_channel_urls(provider, updated))
    registered = provider.registered_client(client_id, bearer=bearer, issuer=ex.issuer)
    return json_response(ex.back_channel_urls(provider, registered))


async def _json_object(incoming: Incoming) -> JSONObject:
    """A JSON object body (RFC 7591 3.1), or invalid_request saying what is wrong."""
    if not is_json(incoming.request):
        raise InvalidRequest("send the client metadata as application/json")
    body = await incoming.body()
    try:
        data = json.loads(body.decode("utf-8"), parse_constant=_no_constant)
        json.dumps(data, ensure_ascii=False).encode("utf-8")  # no lone surrogates (\ud800)
    except (UnicodeError, ValueError, RecursionError):
        raise InvalidRequest("the body is not valid UTF-8 JSON") from None
    if not isinstance(data, dict):
        raise InvalidRequest("the body must be a JSON object of client metadata")
    return data


def _no_constant(name: str) -> object:
    raise ValueError(f"{name} is not JSON")


async def _browser_params(incoming: Incoming, *, keep_repeated: bool = False) -> Params:
    """A browser's parameters: the query of a GET, the form of a POST. Unreadable ones
    are a page the user sees (no client to trust yet), as repeated ones are unless
    ``keep_repeated`` (then :class:`RepeatedParameters` is raised for the caller)."""
    try:
        if incoming.request.method == "POST":
            return await form_params(incoming)
        return query_params(incoming)
    except InvalidRequest as exc:
        if keep_repeated and isinstance(exc, RepeatedParameters):
            raise
        raise PageError("invalid_request", exc.description) from None


def _render(provider: Provider, ex: Exchange, result: AuthorizeResult) -> Response:
    base = provider.endpoint_base(ex.issuer)
    response: Response
    ex.started_session = result.session_id if not isinstance(result, LoginPage) else None
    if isinstance(result, LoginPage | ConsentPage):
        ex.handed_out = {"interaction": result.interaction}
    else:
        ex.handed_out = links.picked(result.params)
    if isinstance(result, LoginPage):
        return html_response(pages.login_page(result, provider.layout.url(base, "login")))
    if isinstance(result, ConsentPage):
        response = html_response(pages.consent_page(result, provider.layout.url(base, "consent")))
    else:
        ex.error = result.params.get("error")
        ex.error_description = result.params.get("error_description")
        response = _authorization_response(result)
    if result.session_id is not None:
        state = None
        if provider.layout.has(session_management.ENDPOINT):  # what the iframe compares
            state = session_management.browser_state(result.session_id)
        lifetime = provider.scenario.lifetimes.session
        cookies.set_session(response, ex, result.session_id, max_age=lifetime, browser_state=state)
    return response


def _authorization_response(result: AuthorizationResponse) -> Response:
    if result.mode == "form_post":
        nonce = csp.nonce()
        policy = csp.policy(script_nonce=nonce, styles=True)
        return html_response(
            pages.form_post_page(result.redirect_uri, result.params, nonce), csp=policy
        )
    if result.mode == "fragment":
        location = add_fragment(result.redirect_uri, result.params)
    else:
        location = add_query(result.redirect_uri, result.params)
    return RedirectResponse(location, status_code=302, headers=NO_STORE)


ENDPOINTS: dict[str, Endpoint] = {
    "discovery": Endpoint(discovery, frozenset({"GET"})),
    "oauth_metadata": Endpoint(discovery, frozenset({"GET"})),
    "jwks": Endpoint(jwks, frozenset({"GET"})),
    "authorization": Endpoint(authorization, frozenset({"GET", "POST"}), cors=False),
    "authorization_tenant": Endpoint(authorization, frozenset({"GET", "POST"}), cors=False),
    "login": Endpoint(login, frozenset({"POST"}), cors=False),
    "consent": Endpoint(consent, frozenset({"POST"}), cors=False),
    "token": Endpoint(token, frozenset({"POST"})),
    "pushed_authorization_request": Endpoint(pushed_authorization_request, frozenset({"POST"})),
    "userinfo": Endpoint(userinfo, frozenset({"GET", "POST"})),
    "introspection": Endpoint(introspection, frozenset({"POST"})),
    "revocation": Endpoint(revocation, frozenset({"POST"})),
    "end_session": Endpoint(end_session, frozenset({"GET", "POST"}), cors=False),
    # A preset's second logout path, not in discovery (Auth0's /v2/logout).
    "end_session_legacy": Endpoint(end_session, frozenset({"GET", "POST"}), cors=False),
    "check_session": Endpoint(check_session, frozenset({"GET"}), cors=False),
    "device_authorization": Endpoint(device_authorization, frozenset({"POST"})),
    "device": Endpoint(device, frozenset({"GET", "POST"}), cors=False),
    "home": Endpoint(home, frozenset({"GET"}), cors=False),
    "registration": Endpoint(registration, frozenset({"POST"})),
    "registration_client": Endpoint(registration_client, frozenset({"GET", "PUT", "DELETE"})),
}
