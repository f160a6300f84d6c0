"""The core: every endpoint's behaviour as plain Python, independent of HTTP.

Endpoints receive parameters (already parsed and checked for duplicates) and return
plain data or raise :class:`~mockidp.errors.OAuthError`; :mod:`mockidp.http` turns both
into HTTP. One Provider serves uvicorn, httpx.ASGITransport and Mangum alike.
"""

from __future__ import annotations

from types import MappingProxyType
from typing import TYPE_CHECKING, Any

from mockidp.clock import Clock
from mockidp.errors import (
    InvalidRequest,
    OAuthError,
    ScenarioError,
    ScenarioProblem,
    UnsupportedGrantType,
)
from mockidp.keys.ring import KeyRing
from mockidp.model.layout import GENERIC_LAYOUT, Layout
from mockidp.model.scenario import Client, Scenario, User
from mockidp.oauth.clients.auth import ClientCredentials, authenticate, claim_jti
from mockidp.oauth.context import TokenRequest
from mockidp.oauth.deps import Deps
from mockidp.oauth.discovery import provider_metadata
from mockidp.oauth.grants import GRANTS
from mockidp.oauth.hooks import TokenHooks
from mockidp.oauth.records import Access, Refresh
from mockidp.oauth.scripted import defects
from mockidp.oauth.sessions import session_management
from mockidp.oauth.signin.flow import AuthorizationResponse, AuthorizeResult, SignIn
from mockidp.oauth.tokens import userinfo
from mockidp.oauth.tokens.issuance import live_record, mint
from mockidp.oauth.tokens.shapes import origin_of, shape_token_response
from mockidp.oauth.urls import assertion_audiences, endpoint_urls
from mockidp.oauth.vendors.keycloak.logout import end_grant_by_refresh_token
from mockidp.scenario.source import ScenarioSource, scenario_of
from mockidp.store import MemoryStore, Store
from mockidp.store.state import State
from mockidp.types import JSONObject, Params

# Endpoints only some tests call import their modules in the method, on first use, so
# start-up and discovery pay for none of them (issue 15).
if TYPE_CHECKING:
    from mockidp.oauth.clients import registration
    from mockidp.oauth.sessions.delivery import LogoutDelivery
    from mockidp.oauth.sessions.end_session import EndSessionResult
    from mockidp.oauth.signin.device import DevicePage, DeviceVerification
    from mockidp.oauth.tokens.dpop import Presentation
    from mockidp.oauth.vendors.apis import VendorApis


class Provider:
    """A mock OpenID Provider: a scenario, its keys, and its state.

    ``store`` defaults to a fresh :class:`MemoryStore`, ``clock`` to real time,
    ``keys`` to the scenario's keys (``keys``, ``signing_key``, ``key_rotation``; else
    the packaged test key for its ``signing_alg``), ``layout`` to the generic paths,
    ``logout_delivery`` (how Logout Tokens reach relying parties) to POSTs with httpx.

    Time: ``provider.clock`` is the one clock everything reads (token ``iat``/``exp``,
    expiry of codes, sessions and tokens, the key rotation timeline). Tests move it
    instead of sleeping: ``clock.advance(seconds)``, ``clock.freeze(at=None)``,
    ``clock.set(at, frozen=False)``, ``clock.unfreeze()``, ``clock.reset()``. A
    scenario's ``clock`` section sets it each time the scenario is loaded.
    """

    def __init__(
        self,
        scenario: ScenarioSource = None,
        *,
        store: Store | None = None,
        clock: Clock | None = None,
        keys: KeyRing | None = None,
        layout: Layout | None = None,
        namespace: str = "",
        logout_delivery: LogoutDelivery | None = None,
    ) -> None:
        loaded = scenario_of(scenario)
        self.clock = clock or Clock()
        self._layout_override = layout  # else the scenario's preset gives the base layout
        self._fixed_keys = keys is not None
        self._layout, ring = self._load(loaded)
        state = State(
            store if store is not None else MemoryStore(), self.clock, namespace=namespace
        )
        self.deps = Deps(loaded, state, keys or ring or KeyRing.packaged(loaded.signing_alg))
        self.deps.documents = self._document_client
        self.signin = SignIn(self.deps)
        self.logout_delivery = logout_delivery
        """How Logout Tokens reach relying parties (None: POSTed with httpx)."""
        self._device: DeviceVerification | None = None
        self._metadata: dict[str, JSONObject] = {}

    def _document_client(self, client_id: str) -> Client | None:
        """The client of a Client ID Metadata Document URL, when the scenario takes them."""
        settings = self.scenario.client_metadata_documents
        if not settings.accepted(self.scenario.preset) or not client_id.startswith("https://"):
            return None
        from mockidp.oauth.clients import metadata_documents
        from mockidp.oauth.clients.metadata import Offer

        issuer = self.scenario.issuer or "https://mockidp.invalid"  # only what is offered counts
        offer = Offer.from_metadata(self.metadata(issuer), self.scenario)
        return metadata_documents.find(self.deps.state, settings, client_id, offer)

    @property
    def device(self) -> DeviceVerification:
        """The device flow's verification page (RFC 8628 3.3), made on first use."""
        if self._device is None:
            from mockidp.oauth.signin.device import DeviceVerification

            self._device = DeviceVerification(self.deps)
        return self._device

    # -- configuration -----------------------------------------------------------------

    @property
    def scenario(self) -> Scenario:
        return self.deps.scenario

    @property
    def keys(self) -> KeyRing:
        """The key ring: the key that signs now and the JWKS now (see ``key_rotation``)."""
        return self.deps.keys

    @property
    def state(self) -> State:
        """Sessions, codes, tokens and registrations: the store, under this provider's namespace."""
        return self.deps.state

    @property
    def hooks(self) -> TokenHooks:
        """Test code's token hooks (:mod:`mockidp.oauth.hooks`), run before signing."""
        return self.deps.hooks

    @property
    def vendors(self) -> VendorApis:
        """The vendors' own APIs beside OAuth (their modules load on first use)."""
        from mockidp.oauth.vendors.apis import VendorApis

        return VendorApis(self.deps)

    def client(self, client_id: str) -> Client | None:
        """The scenario's client ``client_id``, else one registered at run time, else None."""
        return self.deps.client(client_id)

    @property
    def layout(self) -> Layout:
        """Where each endpoint is: the base layout with the scenario's ``endpoints`` applied."""
        return self._layout

    @property
    def base_layout(self) -> Layout:
        """The layout the scenario's ``endpoints`` section moves endpoints in or switches off:
        the ``layout`` passed in, else the scenario's preset's."""
        return self._base_for(self.scenario)

    def _base_for(self, scenario: Scenario) -> Layout:
        if self._layout_override is not None:
            return self._layout_override
        paths = scenario.base_paths
        return Layout(MappingProxyType(paths)) if paths is not None else GENERIC_LAYOUT

    def use_scenario(
        self,
        scenario: ScenarioSource,
        *,
        keep_time: bool = False,
    ) -> None:
        """Swap the scenario in place: sessions, codes and tokens are kept.

        Its keys replace the current ones (unless a KeyRing was passed in) and its
        rotation timeline starts now; its ``clock`` section, if any, sets the clock.
        ``keep_time`` is for an edit of the scenario in force (a user added, a fault
        queued): the clock is left alone, and so are the keys and their timeline
        unless the edit changed them.
        """
        loaded = scenario_of(scenario)
        layout, ring = self._load(loaded, keep_time=keep_time)
        if ring is not None:
            self.deps.keys = ring
        self._layout = layout
        self.deps.scenario = loaded
        self._metadata.clear()

    def _load(self, loaded: Scenario, *, keep_time: bool = False) -> tuple[Layout, KeyRing | None]:
        """The layout and key ring for ``loaded``; then its clock is set and its timeline starts."""
        try:
            layout = self._base_for(loaded).overlaid(loaded.endpoints)
        except ValueError as exc:
            raise ScenarioError(
                [ScenarioProblem("endpoints", str(exc))], source=loaded.source
            ) from None
        same_keys = keep_time and _key_config(loaded) == _key_config(self.scenario)
        fixed = self._fixed_keys or same_keys
        ring = None if fixed else KeyRing.for_scenario(loaded, now=self.clock.now)
        spec = None if keep_time else loaded.clock
        if spec is not None and spec.at is not None:
            self.clock.set(spec.at, frozen=spec.frozen)
        elif spec is not None and spec.frozen:
            self.clock.freeze()
        elif spec is not None:
            self.clock.unfreeze()
        if ring is not None:
            ring.restart()
        return layout, ring

    def reset(self) -> None:
        """Forget every session, code and token."""
        self.deps.state.clear()

    def issuer_for(self, origin: str) -> str:
        """The issuer: the scenario's, or else derived from the request's origin."""
        return self.scenario.issuer or origin + self.scenario.quirks.issuer_path

    def endpoint_base(self, issuer: str) -> str:
        """Where endpoint paths start: the issuer without the preset's ``issuer_path``."""
        return origin_of(issuer, self.scenario.quirks.issuer_path)

    # -- documents ---------------------------------------------------------------------

    def metadata(self, issuer: str) -> JSONObject:
        doc = self._metadata.get(issuer)
        if doc is None:
            doc = provider_metadata(
                self.scenario,
                self.layout,
                issuer,
                self.keys.signing_algs,
                base=self.endpoint_base(issuer),
            )
            self._metadata[issuer] = doc
        return doc

    def jwks(self) -> JSONObject:
        return self.keys.jwks()

    # -- authorization (browser) -------------------------------------------------------

    def authorize(
        self,
        params: Params,
        *,
        issuer: str,
        session_id: str | None,
        repeated: frozenset[str] = frozenset(),
    ) -> AuthorizeResult:
        return self._answered(
            self.signin.authorize(params, issuer=issuer, session_id=session_id, repeated=repeated)
        )

    def submit_login(self, params: Params, *, issuer: str) -> AuthorizeResult:
        return self._answered(self.signin.submit_login(params, issuer=issuer))

    def submit_consent(self, params: Params, *, issuer: str) -> AuthorizeResult:
        return self._answered(self.signin.submit_consent(params, issuer=issuer))

    def authorization_error(
        self, params: Params, error: OAuthError, *, issuer: str
    ) -> AuthorizationResponse:
        """``error`` sent back to the client as RFC 6749 4.1.2.1 says (a scripted error at
        the authorization endpoint); a PageError when the redirect URI cannot be trusted."""
        from mockidp.oauth.signin.authorize import error_params, resolve_target

        target = resolve_target(self.deps, params)
        answer = error_params(error, target, issuer)
        return AuthorizationResponse(target.redirect_uri, answer, target.response_mode)

    def _answered(self, result: AuthorizeResult) -> AuthorizeResult:
        """Session bookkeeping of an authorization response: which clients signed in
        (for logout), and ``session_state`` when the check_session iframe is served."""
        if not self.scenario.sessions:  # no session the browser keeps: nothing to watch
            return result
        from mockidp.oauth.sessions import logout

        logout.remember(self.deps, result)
        if self.layout.has(session_management.ENDPOINT):
            return session_management.with_session_state(result)
        return result

    def push_authorization_request(
        self,
        params: Params,
        *,
        authorization: str | None = None,
        credentials: ClientCredentials | None = None,
        issuer: str,
        dpop_proofs: tuple[str, ...] = (),
        request_url: str | None = None,
    ) -> JSONObject:
        """RFC 9126 2: authenticate the client, validate and store its request.

        An assertion's aud may also name the PAR endpoint URL (RFC 9126 2). A DPoP proof
        binds the code to its key, as ``dpop_jkt`` would (RFC 9449 10.1).
        """
        from mockidp.oauth.signin import par
        from mockidp.oauth.tokens import dpop

        par_url = self.layout.url(self.endpoint_base(issuer), "pushed_authorization_request")
        if dpop_proofs:
            urls = self.endpoint_urls("pushed_authorization_request", issuer, request_url)
            jkt = dpop.verify_proof(self.deps, dpop_proofs, method="POST", urls=urls)
            if params.get("dpop_jkt", jkt) != jkt:
                raise InvalidRequest("dpop_jkt differs from the DPoP proof's key (RFC 9449 10.1)")
            params = {**params, "dpop_jkt": jkt}
        client = authenticate(
            self.deps,
            (credentials or ClientCredentials(authorization, params)).read(),
            audiences=(*self._assertion_audiences(issuer), par_url),
            now=self.deps.state.now(),
            claim_jti=self._claim_jti,
        )
        return par.push(self.deps, client, params)

    # -- device authorization grant (RFC 8628) -------------------------------------------

    def device_authorization(
        self,
        params: Params,
        *,
        authorization: str | None = None,
        credentials: ClientCredentials | None = None,
        issuer: str,
    ) -> JSONObject:
        """RFC 8628 3.1: a device code and user code; clients authenticate as at /token."""
        from mockidp.oauth.signin.device import authorize_device

        client = self._authenticate(params, authorization, issuer, credentials)
        base = self.endpoint_base(issuer)
        page = self.layout.url(base, "device") if self.layout.has("device") else base + "/"
        return authorize_device(self.deps, client, params, verification_uri=page)

    def device_page(self, user_code: str | None, *, session_id: str | None) -> DevicePage:
        """RFC 8628 3.3: the verification page for a user code (None: ask for one)."""
        return self.device.show(user_code, session_id=session_id)

    def submit_device(self, params: Params) -> DevicePage:
        """A form of the verification page: sign in, approve or deny."""
        return self.device.submit(params)

    # -- back channel ------------------------------------------------------------------

    def token(
        self,
        params: Params,
        *,
        authorization: str | None = None,
        credentials: ClientCredentials | None = None,
        issuer: str,
        dpop_proofs: tuple[str, ...] = (),
        request_url: str | None = None,
    ) -> JSONObject:
        """RFC 6749 3.2. ``dpop_proofs``: the request's DPoP headers (RFC 9449), checked
        against the token endpoint's URL (or ``request_url``, the one requested)."""
        from mockidp.oauth.tokens import dpop

        grant_type = params.get("grant_type")
        if grant_type is None:
            raise InvalidRequest("grant_type is missing")
        grant = GRANTS.get(grant_type)
        if grant is None:
            raise UnsupportedGrantType(
                f"grant_type {grant_type!r} is not supported; use one of {', '.join(GRANTS)}"
            )
        jkt = None
        if dpop_proofs:  # before client authentication, which may spend an assertion's jti
            urls = self.endpoint_urls("token", issuer, request_url)
            jkt = dpop.verify_proof(self.deps, dpop_proofs, method="POST", urls=urls)
        client = self._authenticate(params, authorization, issuer, credentials)
        dpop.require_proof(client, jkt)
        request = TokenRequest(
            params=params,
            dpop_jkt=jkt,
            audiences=self._assertion_audiences(issuer),
            claim_jti=self._claim_jti,
        )
        return shape_token_response(
            grant(self.deps, client, request, issuer), self.scenario.quirks, grant_type
        )

    def mint(
        self,
        client: Client,
        user: User | None,
        scope: tuple[str, ...],
        *,
        issuer: str,
        nonce: str | None = None,
        grant_type: str,
    ) -> JSONObject:
        """A token response issued with no request behind it (the test double, the control
        API), recorded like any other; without a user the tokens are the client's own."""
        return mint(
            self.deps, client, user, scope, issuer=issuer, nonce=nonce, grant_type=grant_type
        )

    def defect_of(self, token: str) -> str | None:
        """The ``broken_tokens`` defect ``token`` was issued with, if any (for the inspector)."""
        return defects.issued_with(self.deps.state, token)

    def token_is_active(self, token: str, *, refresh: bool = False) -> bool:
        """Whether an access token (``refresh``: a refresh token) is live: issued here,
        unexpired, and neither it, its grant nor its client revoked or deleted."""
        if refresh:
            return live_record(self.deps, Refresh, token) is not None
        return live_record(self.deps, Access, token) is not None

    def userinfo(
        self, access_token: str | None, *, presentation: Presentation | None = None
    ) -> JSONObject:
        """OpenID Connect Core 5.3: the signed-in user's claims for a bearer token.

        ``presentation``: how the token came (RFC 9449 7: a DPoP-bound one needs the
        DPoP scheme and a proof); None: as a Bearer token."""
        return userinfo.look_up(self.deps, access_token, presentation)[0]

    def userinfo_answer(
        self, access_token: str | None, *, issuer: str, presentation: Presentation | None = None
    ) -> JSONObject | str:
        """UserInfo as the token's client registered it: the claims, or a signed JWT
        (a str) for a client with ``userinfo_signed_response_alg`` (Core 5.3.2)."""
        claims, record, client = userinfo.look_up(self.deps, access_token, presentation)
        alg = client.userinfo_signed_response_alg if client else None
        if alg is None:
            return claims
        return userinfo.signed(self.deps, claims, record, issuer=issuer, alg=alg)

    def userinfo_jwt(
        self,
        access_token: str | None,
        *,
        issuer: str,
        alg: str | None = None,
        presentation: Presentation | None = None,
    ) -> str:
        """The UserInfo claims as a signed JWT (Core 5.3.2), for ``userinfo_format:
        jwt_string`` and for clients registered with ``userinfo_signed_response_alg``
        (``alg``, default: the signing key's)."""
        claims, record, _ = userinfo.look_up(self.deps, access_token, presentation)
        return userinfo.signed(self.deps, claims, record, issuer=issuer, alg=alg)

    def introspect(
        self,
        params: Params,
        *,
        authorization: str | None = None,
        credentials: ClientCredentials | None = None,
        issuer: str,
    ) -> JSONObject:
        """RFC 7662: whether a token is active, and what it grants."""
        return self._introspection(params, authorization, issuer, credentials)[1]

    def introspect_jwt(
        self,
        params: Params,
        *,
        authorization: str | None = None,
        credentials: ClientCredentials | None = None,
        issuer: str,
    ) -> str:
        """RFC 9701: the introspection answer as a JWT for the asking client."""
        from mockidp.oauth.tokens import jwt_responses

        client, answer = self._introspection(params, authorization, issuer, credentials)
        now = int(self.deps.state.now())
        return jwt_responses.introspection_jwt(
            self.keys, answer, issuer=issuer, client_id=client.client_id, now=now
        )

    def _introspection(
        self,
        params: Params,
        authorization: str | None,
        issuer: str,
        credentials: ClientCredentials | None,
    ) -> tuple[Client, JSONObject]:
        from mockidp.oauth.tokens import introspection

        client = self._authenticate(params, authorization, issuer, credentials)
        return client, introspection.introspect(self.deps, client, params)

    def revoke(
        self,
        params: Params,
        *,
        authorization: str | None = None,
        credentials: ClientCredentials | None = None,
        issuer: str,
    ) -> None:
        """RFC 7009: revoke a token; revoking a refresh token revokes its whole grant."""
        from mockidp.oauth.tokens import revocation

        client = self._authenticate(params, authorization, issuer, credentials)
        revocation.revoke(self.deps, client, params)

    def logout_refresh_token(
        self, params: Params, *, authorization: str | None, issuer: str
    ) -> None:
        """Keycloak's logout by refresh token (quirk ``logout_refresh_token``): revoke it."""
        end_grant_by_refresh_token(
            self.deps, self._authenticate(params, authorization, issuer, None), params
        )

    def end_session(
        self, params: Params, *, issuer: str, session_id: str | None
    ) -> EndSessionResult:
        """OpenID Connect RP-Initiated Logout 1.0 section 2: the session ended, the
        relying parties to tell planned (:meth:`end_session_and_notify` tells them)."""
        from mockidp.oauth.sessions import end_session

        return end_session.end_session(self.deps, params, issuer=issuer, session_id=session_id)

    async def end_session_and_notify(
        self, params: Params, *, issuer: str, session_id: str | None
    ) -> EndSessionResult:
        """:meth:`end_session`, then each Logout Token delivered through ``logout_delivery``
        before it returns; ``deliveries`` records each POST (a failed one never fails it)."""
        from mockidp.oauth.sessions.delivery import notify

        ended = self.end_session(params, issuer=issuer, session_id=session_id)
        return await notify(ended, self.logout_delivery)

    # -- dynamic client registration (RFC 7591, RFC 7592; see mockidp.oauth.clients.registration) ----

    def register_client(self, body: JSONObject, *, bearer: str | None, issuer: str) -> JSONObject:
        from mockidp.oauth.clients import registration
        from mockidp.oauth.clients.metadata import Offer

        offer = Offer.from_metadata(self.metadata(issuer), self.scenario)
        return registration.register(
            self.deps, body, offer, self._registration_urls(issuer), bearer=bearer
        )

    def registered_client(self, client_id: str, *, bearer: str | None, issuer: str) -> JSONObject:
        from mockidp.oauth.clients import registration

        return registration.read(
            self.deps, client_id, self._registration_urls(issuer), bearer=bearer
        )

    def update_registered_client(
        self, client_id: str, body: JSONObject, *, bearer: str | None, issuer: str
    ) -> JSONObject:
        from mockidp.oauth.clients import registration
        from mockidp.oauth.clients.metadata import Offer

        offer = Offer.from_metadata(self.metadata(issuer), self.scenario)
        urls = self._registration_urls(issuer)
        return registration.update(self.deps, client_id, body, offer, urls, bearer=bearer)

    def delete_registered_client(self, client_id: str, *, bearer: str | None) -> None:
        from mockidp.oauth.clients import registration

        registration.delete(self.deps, client_id, bearer=bearer)

    def _registration_urls(self, issuer: str) -> registration.Urls:
        from mockidp.oauth.clients import registration

        if not self.layout.has("registration_client"):
            return registration.Urls(None)
        url = self.layout.url(self.endpoint_base(issuer), "registration_client")
        return registration.Urls(url.replace("<client_id>", "{client_id}"))

    # -- helpers -----------------------------------------------------------------------

    def _assertion_audiences(self, issuer: str) -> tuple[str, ...]:
        return assertion_audiences(self.layout, self.endpoint_base(issuer), issuer)

    def endpoint_urls(self, name: str, issuer: str, request_url: str | None) -> tuple[str, ...]:
        """The URLs a DPoP proof's htu may name for endpoint ``name`` (see urls)."""
        return endpoint_urls(self.layout, self.endpoint_base(issuer), name, request_url)

    def _authenticate(
        self,
        params: Params,
        authorization: str | None,
        issuer: str,
        credentials: ClientCredentials | None,
    ) -> Client:
        """The client the request authenticates as (RFC 6749 2.3). ``credentials``: the
        request's, when the caller reads them too; else read from the header and params."""
        return authenticate(
            self.deps,
            (credentials or ClientCredentials(authorization, params)).read(),
            audiences=self._assertion_audiences(issuer),
            now=self.deps.state.now(),
            claim_jti=self._claim_jti,
        )

    def _claim_jti(self, client_id: str, jti: str, exp: float) -> bool:
        return claim_jti(self.deps.state, client_id, jti, exp)


def _key_config(scenario: Scenario) -> tuple[Any, ...]:
    """What a scenario's key ring is built from: an edit that keeps it keeps the ring."""
    return (scenario.signing_alg, scenario.keys, scenario.signing_key, scenario.key_rotation)
