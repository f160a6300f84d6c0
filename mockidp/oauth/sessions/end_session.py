"""RP-initiated logout (OpenID Connect RP-Initiated Logout 1.0 section 2).

The end_session endpoint ends the browser's session and says where the user goes
next: a ``post_logout_redirect_uri`` registered for the client named by ``client_id``
or by the ``id_token_hint`` (a preset may name the parameter differently, or accept
any client's URI), and which relying parties to tell (:mod:`mockidp.oauth.sessions.logout`).
"""

from __future__ import annotations

from msgspec import Struct, field

from mockidp.errors import PageError
from mockidp.keys.verify import TokenVerificationError
from mockidp.model.scenario import Client
from mockidp.oauth.deps import Deps
from mockidp.oauth.sessions import logout
from mockidp.oauth.sessions.logout import LogoutPlan
from mockidp.oauth.signin import session as browser_session
from mockidp.oauth.urls import add_query, uri_allowed
from mockidp.requestlog import RequestRecord
from mockidp.types import Params


class EndSessionResult(Struct, frozen=True):
    """RP-initiated logout done: where to send the user, if anywhere."""

    redirect_to: str | None
    client: Client | None
    logout: LogoutPlan = field(default_factory=LogoutPlan)
    """Relying parties to tell that the session ended (front- and back-channel)."""
    deliveries: tuple[RequestRecord, ...] = ()
    """The back-channel POSTs made (:meth:`Provider.end_session_and_notify`), for the log."""


def end_session(
    deps: Deps, params: Params, *, issuer: str, session_id: str | None
) -> EndSessionResult:
    """OpenID Connect RP-Initiated Logout 1.0 section 2: end the session, plan the rest."""
    client_id = params.get("client_id")
    hint = params.get("id_token_hint")
    if hint:
        client_id = _hinted_client(deps, hint, client_id, issuer)
    client = deps.client(client_id) if client_id else None
    if client_id and client is None:
        raise PageError("invalid_client", f"unknown client_id {client_id!r}")
    redirect_to = None
    quirks = deps.scenario.quirks
    names = (quirks.end_session_redirect_param, *quirks.end_session_redirect_aliases)
    redirect_param = next((n for n in names if n in params), names[0])
    target = params.get(redirect_param)
    if target:
        # A site-wide logout page (LoginRadius) takes any client's registered URI.
        site_wide = quirks.end_session_site_wide
        candidates = [client] if client else list(deps.scenario.clients) if site_wide else []
        if not candidates:
            raise PageError("invalid_request", f"{redirect_param} needs client_id or id_token_hint")
        if not any(
            uri_allowed(
                target,
                c.post_logout_redirect_uris,
                loopback=c.loopback_redirects,
                any_port=c.loopback_ports,
            )
            for c in candidates
        ):
            raise PageError(
                "invalid_request",
                f"{redirect_param} {target!r} is not registered for "
                + ("this client" if client else "any client"),
            )
        redirect_to = add_query(target, {"state": params["state"]} if "state" in params else {})
    notify = logout.plan(deps, session_id, issuer)
    if session_id:
        browser_session.end(deps, session_id)
    return EndSessionResult(redirect_to, client, notify)


def _hinted_client(deps: Deps, hint: str, client_id: str | None, issuer: str) -> str | None:
    try:
        _, claims = deps.keys.verify(hint)  # an expired hint is still a valid hint
    except TokenVerificationError:
        raise PageError(
            "invalid_request", "id_token_hint is not an ID token from this provider"
        ) from None
    if claims.get("iss") != issuer:
        raise PageError("invalid_request", "id_token_hint was issued by another issuer")
    aud = claims.get("aud")
    audiences = aud if isinstance(aud, list) else [aud]
    if client_id is not None and client_id not in audiences:
        raise PageError("invalid_request", "client_id is not an audience of id_token_hint")
    first = audiences[0] if audiences else None
    return client_id or (first if isinstance(first, str) else None)
