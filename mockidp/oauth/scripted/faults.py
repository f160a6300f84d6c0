"""Scripted faults: which one, if any, a request meets.

Faults are data (a scenario's ``faults``): a closed set of named behaviours that the
HTTP layer (:mod:`mockidp.http.scripted`) interprets. This module only decides which
fault applies; it never builds a response.

Faults are picked by the rule engine broken tokens share
(:mod:`mockidp.oauth.scripted.rules`): each fault counts, on its own, the calls its
``match`` fits (a call it does not fit is not counted), and ``when`` picks calls by that
count. When several faults pick the same call, the first one listed applies; the others
have still counted it.
"""

from __future__ import annotations

from mockidp.errors import (
    InsufficientScope,
    InvalidClient,
    InvalidToken,
    OAuthError,
    ServerError,
    TemporarilyUnavailable,
)
from mockidp.model.scenario import Fault, Scenario
from mockidp.oauth.scripted.calls import Call as Call
from mockidp.oauth.scripted.calls import CallFacts
from mockidp.oauth.scripted.rules import applying
from mockidp.store.state import State
from mockidp.types import JSONObject

MALFORMED_BODY = b'{"mockidp": "malformed_body fault", this is not JSON'
"""The body a ``malformed_body`` fault answers in place of the real one."""

_ERRORS: dict[str, type[OAuthError]] = {
    cls.error: cls
    for cls in (InvalidClient, InvalidToken, InsufficientScope, ServerError, TemporarilyUnavailable)
}


def pick(scenario: Scenario, state: State, call: Call) -> Fault | None:
    """The fault to apply to ``call``, or None; counts the call for every fault it fits."""
    if not scenario.faults:
        return None
    facts = CallFacts(scenario, state, call)
    picked = applying(state, scenario, "faults", enumerate(scenario.faults), facts)
    return picked[0] if picked else None


def scripted_error(spec: JSONObject) -> OAuthError:
    """The error an ``oauth_error`` fault answers.

    Without ``status``: what mockidp answers for that code anyway (401 invalid_client and
    invalid_token, 403 insufficient_scope, 500 server_error, 503 temporarily_unavailable),
    else 400 (RFC 6749 5.2). The error's class decides the challenge the HTTP layer adds:
    ``Basic`` for a 401 invalid_client, ``Bearer`` for invalid_token and insufficient_scope.
    """
    code = str(spec["error"])
    cls = _ERRORS.get(code, OAuthError)
    status = int(spec.get("status", cls.status))
    if cls is InvalidClient and status != 401:
        cls = OAuthError  # RFC 6749 5.2: the Basic challenge goes with a 401 only
    error = cls(str(spec.get("description", "")), status=status)
    error.error = code
    return error
