"""The browser side of sign-in: authorization requests, sessions, login and consent.

An authorization request either finishes at once (a session exists, or the scenario
signs a user in automatically) or parks as an *interaction* while the user answers the
login or consent page; every path ends in an authorization response to the client.

The scenario scripts each step. Login: ``login`` (``auto``: a login_hint naming a user,
or else the session's or the default user, signs in at once; ``page``: always ask;
``hint_only``: only a login_hint naming a user signs in at once), where a hinted user's
own ``login`` overrides the scenario's; ``prompt=login`` / ``select_account`` always
ask. ``sessions: false`` ignores and never sets the session cookie, so every
authorization signs in anew. Consent: :mod:`mockidp.oauth.signin.consent`. What prompt=none answers
when it would need the user: ``prompt_none.login`` / ``prompt_none.consent``.
"""

from __future__ import annotations

from msgspec import Struct
from msgspec.structs import replace

from mockidp.errors import (
    AccessDenied,
    ConsentRequired,
    InteractionRequired,
    InvalidRequest,
    LoginRequired,
    OAuthError,
    PageError,
)
from mockidp.model.scenario import Client, User
from mockidp.model.token_formats import compiled, render
from mockidp.oauth import records
from mockidp.oauth.deps import Deps
from mockidp.oauth.records import Code, Interaction, Session, random_token, token_handle
from mockidp.oauth.signin import session as browser_session
from mockidp.oauth.signin.authorize import (
    AuthorizationRequest,
    Target,
    error_params,
    resolve_target,
    validate_request,
)
from mockidp.oauth.signin.consent import ConsentStep, consent_step, remember
from mockidp.oauth.signin.front_channel import authorization_tokens
from mockidp.oauth.signin.offline import refresh_for_offline
from mockidp.oauth.signin.par import pushed_params
from mockidp.oauth.signin.users import find_user
from mockidp.types import Params

PROMPT_NONE_ERRORS: dict[str, type[OAuthError]] = {
    "login_required": LoginRequired,
    "consent_required": ConsentRequired,
    "interaction_required": InteractionRequired,
}


class AuthorizationResponse(Struct, frozen=True):
    """Send the user back to the client (RFC 6749 4.1.2) in ``mode``."""

    redirect_uri: str
    params: dict[str, str]
    mode: str
    session_id: str | None = None
    client_id: str | None = None
    """The client answered; None: ``session_state`` is not added (Session Management 3)."""
    browser_session: str | None = None
    """The session the browser holds once this response is delivered, if any."""


class LoginPage(Struct, frozen=True):
    """Ask the user who they are."""

    interaction: str
    client: Client
    users: tuple[User, ...]
    login_hint: str | None = None
    notice: str | None = None


class ConsentPage(Struct, frozen=True):
    """Ask the user to approve the client's scopes."""

    interaction: str
    client: Client
    user: User
    scopes: tuple[str, ...]
    session_id: str | None = None


AuthorizeResult = AuthorizationResponse | LoginPage | ConsentPage


class SignIn:
    """Authorization endpoint logic plus the login and consent pages' form handlers."""

    def __init__(self, deps: Deps) -> None:
        self.deps = deps

    # -- entry points -----------------------------------------------------------------

    def authorize(
        self,
        params: Params,
        *,
        issuer: str,
        session_id: str | None,
        repeated: frozenset[str] = frozenset(),
    ) -> AuthorizeResult:
        """``repeated`` names parameters the request sent more than once (left out of
        ``params``): an error page when they say where to redirect, else an error redirect.
        """
        untrusted = sorted(repeated & {"client_id", "redirect_uri"})
        if untrusted:
            raise PageError(
                "invalid_request", f"repeated parameters (RFC 6749 3.1): {untrusted[0]!r}"
            )
        pushed = pushed_params(self.deps, params)  # RFC 9126 4: the pushed ones count
        params = pushed if pushed is not None else params
        target = resolve_target(self.deps, params)
        try:
            if repeated:
                listed = ", ".join(repr(n) for n in sorted(repeated))
                raise InvalidRequest(f"repeated parameters (RFC 6749 3.1): {listed}")
            request = validate_request(
                self.deps.scenario, target, params, pushed=pushed is not None
            )
            sid = self._live_session(session_id) if self.deps.scenario.sessions else None
            return self._cookie(self._advance(request, issuer, sid, done=frozenset()))
        except OAuthError as error:
            return self._error(error, target, issuer, browser_session=session_id)

    def submit_login(self, params: Params, *, issuer: str) -> AuthorizeResult:
        iid, record, request, target = self._interaction(params)
        try:
            if params.get("action") == "cancel":
                raise AccessDenied("the user cancelled the sign-in")
            login = (params.get("login") or "").strip()
            if not login:
                return self._login_page(iid, request, "Choose a user or type a subject.")
            user = self._find_user(login) or User(sub=login, username=login)
            sid = self._start_session(user)
            record.sid = sid
            ttl = self.deps.scenario.lifetimes.interaction
            records.put(self.deps.state, iid, record, ttl=ttl)
            result = self._advance(request, issuer, sid, done=frozenset({"login"}), iid=iid)
        except OAuthError as error:  # answered: the page may not answer a second time
            records.delete(self.deps.state, Interaction, iid)
            result = self._error(error, target, issuer)
        return self._cookie(_with_session(result, record.sid))

    def submit_consent(self, params: Params, *, issuer: str) -> AuthorizeResult:
        iid, record, request, target = self._interaction(params)
        try:
            sid = self._live_session(record.sid)
            if sid is None:
                raise PageError("invalid_request", "the sign-in session has ended; start again")
            if params.get("decision") != "approve":
                raise AccessDenied("the user denied consent")
            session = browser_session.find(self.deps, sid)
            if session is None:  # ended since the line above
                raise PageError("invalid_request", "the sign-in session has ended; start again")
            user = self.deps.scenario.user_or_adhoc(session.sub)
            remember(self.deps.state, self.deps.scenario, target.client, user, request.scope)
            result = self._advance(
                request, issuer, sid, done=frozenset({"login", "consent"}), iid=iid
            )
        except OAuthError as error:  # answered: the page may not answer a second time
            records.delete(self.deps.state, Interaction, iid)
            result = self._error(error, target, issuer, browser_session=record.sid)
        return self._cookie(result)

    # -- the decision ------------------------------------------------------------------

    def _advance(
        self,
        request: AuthorizationRequest,
        issuer: str,
        sid: str | None,
        *,
        done: frozenset[str],
        iid: str | None = None,
    ) -> AuthorizeResult:
        """Log in if needed, ask consent if needed, then issue the code."""
        scenario = self.deps.scenario
        created_sid: str | None = None
        if "login" not in done:
            signed_in = self._login_step(request, sid, iid)
            if isinstance(signed_in, LoginPage):
                return signed_in
            if signed_in is not None:
                sid = created_sid = signed_in
        session = browser_session.find(self.deps, sid)
        if session is None or sid is None:
            raise PageError("invalid_request", "the sign-in session has ended; start again")
        user = scenario.user_or_adhoc(session.sub)
        client = self._client(request)
        step: ConsentStep = "approve"
        if "consent" not in done:
            step = consent_step(
                self.deps.state, scenario, client, user, request.scope, request.prompt
            )
        if step == "deny":
            if iid is not None:
                records.delete(self.deps.state, Interaction, iid)
            target = Target(client, request.redirect_uri, request.response_mode, request.state)
            denied = AccessDenied("the scenario denies consent for this request")
            return self._error(denied, target, issuer, session_id=created_sid)
        if step == "page":
            if "none" in request.prompt:
                error = PROMPT_NONE_ERRORS[scenario.prompt_none_consent]
                raise error("consent is needed, and prompt=none forbids asking")
            iid = iid or self._park(request, sid)
            return ConsentPage(iid, client, user, request.scope, session_id=created_sid)
        if iid is not None:
            records.delete(self.deps.state, Interaction, iid)
        out = self._credentials(request, session, sid, user, issuer)
        return self._response(request, out, issuer, created_sid, client, sid)

    def _login_step(
        self, request: AuthorizationRequest, sid: str | None, iid: str | None
    ) -> str | LoginPage | None:
        """The session just started for this request, the login page, or None when the
        browser's session ``sid`` will do."""
        session = browser_session.find(self.deps, sid)
        if not self._needs_login(request, session, int(self.deps.state.now())):
            return None
        if "none" in request.prompt:
            error = PROMPT_NONE_ERRORS[self.deps.scenario.prompt_none_login]
            raise error("no signed-in user, and prompt=none forbids asking")
        user = self._automatic_user(request, session)
        if user is None:
            iid = iid or self._park(request, sid)
            notice = None
            if request.login_hint and self._find_user(request.login_hint) is None:
                notice = f"No user {request.login_hint!r} in this scenario."
            return self._login_page(iid, request, notice)
        return self._start_session(user)

    def _response(
        self,
        request: AuthorizationRequest,
        out: dict[str, str],
        issuer: str,
        created_sid: str | None,
        client: Client,
        sid: str,
    ) -> AuthorizationResponse:
        """The successful authorization response (RFC 6749 4.1.2, RFC 9207 ``iss``)."""
        if request.state is not None:
            out["state"] = request.state
        out["iss"] = issuer
        return AuthorizationResponse(
            request.redirect_uri,
            out,
            request.response_mode,
            created_sid,
            client_id=client.client_id,
            browser_session=sid,
        )

    def _needs_login(
        self, request: AuthorizationRequest, session: Session | None, now: int
    ) -> bool:
        if session is None or "login" in request.prompt or "select_account" in request.prompt:
            return True
        if request.max_age is not None and now - session.auth_time > request.max_age:
            return True
        if request.login_hint:  # a hint naming someone else asks for that user
            hinted = self._find_user(request.login_hint)
            return hinted is not None and hinted.sub != session.sub
        return False

    def _automatic_user(
        self, request: AuthorizationRequest, session: Session | None
    ) -> User | None:
        """Who signs in without a page, or None when the page must be shown.

        A login_hint naming a user signs them in unless their ``login`` (or else the
        scenario's) is ``page``; without a hint only ``login: auto`` signs anyone in.
        """
        scenario = self.deps.scenario
        if "login" in request.prompt or "select_account" in request.prompt:
            return None
        if request.login_hint:
            hinted = self._find_user(request.login_hint)
            if hinted is None or (hinted.login or scenario.login) == "page":
                return None
            return hinted
        if scenario.login != "auto":
            return None
        if session is not None:  # re-authentication (max_age) of the same user
            return scenario.user_or_adhoc(session.sub)
        return scenario.default

    def _find_user(self, login: str) -> User | None:
        return find_user(self.deps.scenario, login)

    # -- records -----------------------------------------------------------------------

    def _live_session(self, sid: str | None) -> str | None:
        return sid if browser_session.find(self.deps, sid) is not None else None

    def _start_session(self, user: User) -> str:
        return browser_session.start(self.deps, user)

    def _cookie(self, result: AuthorizeResult) -> AuthorizeResult:
        """The result as the browser gets it: no session cookie with ``sessions: false``."""
        if self.deps.scenario.sessions or isinstance(result, LoginPage):
            return result
        return replace(result, session_id=None)

    def _park(self, request: AuthorizationRequest, sid: str | None) -> str:
        iid = random_token(24)
        parked = Interaction(request=request.to_record(), sid=sid)
        records.put(self.deps.state, iid, parked, ttl=self.deps.scenario.lifetimes.interaction)
        return iid

    def _interaction(self, params: Params) -> tuple[str, Interaction, AuthorizationRequest, Target]:
        iid = params.get("interaction", "")
        record = records.get(self.deps.state, Interaction, iid) if iid else None
        if record is None:
            raise PageError(
                "invalid_request",
                "this sign-in page has expired or was already used; start again from the application",
            )
        request = AuthorizationRequest.from_record(record.request)
        client = self._client(request)
        return (
            iid,
            record,
            request,
            Target(client, request.redirect_uri, request.response_mode, request.state),
        )

    def _client(self, request: AuthorizationRequest) -> Client:
        client = self.deps.client(request.client_id)
        if client is None:  # the scenario was swapped while the user was on a page
            raise PageError("invalid_client", f"client {request.client_id!r} no longer exists")
        return client

    def _login_page(self, iid: str, request: AuthorizationRequest, notice: str | None) -> LoginPage:
        return LoginPage(
            iid, self._client(request), self.deps.scenario.users, request.login_hint, notice
        )

    def _credentials(
        self, request: AuthorizationRequest, session: Session, sid: str, user: User, issuer: str
    ) -> dict[str, str]:
        """The code and tokens the response type asks for (OpenID Connect Core 3.3.2.5)."""
        code = (
            self._issue_code(request, session, sid)
            if "code" in request.response_type.split()
            else None
        )
        out = {"code": code} if code is not None else {}
        out.update(
            authorization_tokens(
                self.deps,
                client=self._client(request),
                user=user,
                response_type=request.response_type,
                scope=request.scope,
                auth_time=session.auth_time,
                nonce=request.nonce,
                claims_request=request.claims,
                sid=browser_session.public_sid(sid),
                tenant=request.tenant,
                issuer=issuer,
                code=code,
                resources=request.resources,
            )
        )
        return out

    def _issue_code(self, request: AuthorizationRequest, session: Session, sid: str) -> str:
        template = self.deps.scenario.quirks.code_template  # a preset's code shape
        code = render(compiled(template), sub="", client_id="", claims={}) if template else None
        code = code or random_token(32)
        scenario = self.deps.scenario  # the code lives as long as this client and user say
        lifetimes = scenario.lifetimes_for(
            self.deps.client(request.client_id), scenario.user(session.sub)
        )
        offline = request.offline and refresh_for_offline(
            self.deps.state,
            scenario,
            client_id=request.client_id,
            sub=session.sub,
            prompt=request.prompt,
            ttl=lifetimes.refresh_token,
        )
        record = Code(
            client_id=request.client_id,
            redirect_uri=request.redirect_uri,
            redirect_uri_given=request.redirect_uri_given,
            scope=request.scope,
            sub=session.sub,
            auth_time=session.auth_time,
            nonce=request.nonce,
            code_challenge=request.code_challenge,
            code_challenge_method=request.code_challenge_method,
            claims_request=request.claims,
            sid=browser_session.public_sid(sid),
            tenant=request.tenant,
            resources=request.resources,
            dpop_jkt=request.dpop_jkt,
            offline=offline,
        )
        records.put(self.deps.state, token_handle(code), record, ttl=lifetimes.code)
        return code

    def _error(
        self,
        error: OAuthError,
        target: Target,
        issuer: str,
        *,
        session_id: str | None = None,
        browser_session: str | None = None,
    ) -> AuthorizationResponse:
        return AuthorizationResponse(
            target.redirect_uri,
            error_params(error, target, issuer),
            target.response_mode,
            session_id,
            client_id=target.client.client_id,
            browser_session=session_id or self._live_session(browser_session),
        )


def _with_session(result: AuthorizeResult, sid: str | None) -> AuthorizeResult:
    """Make sure the browser receives the session a login page just created."""
    if sid is None:
        return result
    if isinstance(result, AuthorizationResponse) and result.session_id is None:
        return replace(result, session_id=sid, browser_session=result.browser_session or sid)
    if isinstance(result, ConsentPage) and result.session_id is None:
        return ConsentPage(result.interaction, result.client, result.user, result.scopes, sid)
    return result
