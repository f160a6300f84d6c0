"""Pushed authorization requests (RFC 9126).

A client pushes its authorization request parameters to the PAR endpoint (authenticated
as at the token endpoint) and gets back a ``request_uri``
``urn:ietf:params:oauth:request_uri:<random>``. The parameters are validated when
pushed, so errors come back as JSON to the client rather than to the browser. The
authorization endpoint then takes ``client_id`` plus that ``request_uri``: single use,
short-lived (``lifetimes.request_uri``), bound to the client that pushed it; the
parameters sent with it are ignored, the pushed ones count (RFC 9126 4).

A ``request_uri`` that is not such a URN is OpenID Connect's request object by
reference, which mockidp does not fetch (``request_uri_parameter_supported: false``).
"""

from __future__ import annotations

from mockidp.errors import InvalidRequest, PageError
from mockidp.model.scenario import Client
from mockidp.oauth import records
from mockidp.oauth.deps import Deps
from mockidp.oauth.records import Pushed, random_token, token_handle
from mockidp.oauth.signin.authorize import resolve_target, validate_request
from mockidp.types import JSONObject, Params

URN_PREFIX = "urn:ietf:params:oauth:request_uri:"
CLIENT_AUTH_PARAMS = frozenset({"client_secret", "client_assertion", "client_assertion_type"})


def push(deps: Deps, client: Client, params: Params) -> JSONObject:
    """RFC 9126 2.1 and 2.2: store the validated request, answer its request_uri."""
    if "request_uri" in params:
        raise InvalidRequest("request_uri must not be sent to the PAR endpoint (RFC 9126 2.1)")
    if params.get("client_id", client.client_id) != client.client_id:
        raise InvalidRequest("client_id differs from the authenticated client")
    pushed = {k: v for k, v in params.items() if k not in CLIENT_AUTH_PARAMS}
    pushed["client_id"] = client.client_id
    try:
        target = resolve_target(deps, pushed)
    except PageError as exc:  # a bad redirect_uri: the client hears of it directly
        raise InvalidRequest(exc.description) from None
    validate_request(deps.scenario, target, pushed, pushed=True)  # OAuthError -> JSON 400
    value = random_token(32)
    ttl = deps.scenario.lifetimes.request_uri
    record = Pushed(client_id=client.client_id, params=pushed)
    records.put(deps.state, token_handle(value), record, ttl=ttl)
    return {"request_uri": URN_PREFIX + value, "expires_in": ttl}


def pushed_params(deps: Deps, params: Params) -> Params | None:
    """The pushed parameters an authorization request refers to, used up; None when it
    refers to none. Raises PageError (``invalid_request_uri``): with a pushed request
    unknown, where to redirect is unknown too."""
    request_uri = params.get("request_uri")
    if request_uri is None or not request_uri.startswith(URN_PREFIX):
        return None
    client_id = params.get("client_id")
    if not client_id:
        raise PageError("invalid_request", "client_id is missing (RFC 9126 4)")
    handle = token_handle(request_uri[len(URN_PREFIX) :])
    record = records.get(deps.state, Pushed, handle)
    if record is not None and record.client_id != client_id:
        raise PageError("invalid_request_uri", "request_uri was pushed by another client")
    record = records.take(deps.state, Pushed, handle) if record is not None else None
    if record is None:
        raise PageError(
            "invalid_request_uri",
            "request_uri is unknown, expired or already used; push the request again",
        )
    return dict(record.params)
