"""The pieces of a flow that tests write again and again, whatever their transport.

Scenarios built from the packaged default, an authorization request's parameters, and
the code read back from the redirect: plain data in, plain data out, so an async client,
a sync one, the in-process app and a live server all use the same few lines.
"""

from __future__ import annotations

from typing import Any

import httpx

from tests.support.e2e import callback_params, default_scenario_mapping

PKCE_VERIFIER = "dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk"
"""RFC 7636 appendix B's code_verifier..."""
PKCE_CHALLENGE = "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM"
"""... and its S256 code_challenge."""


# -- scenarios ----------------------------------------------------------------------------


def with_clients(*clients: dict[str, Any], **sections: Any) -> dict[str, Any]:
    """The packaged default scenario, ``sections`` replaced, ``clients`` added to its own."""
    data = default_scenario_mapping(**sections)
    data["clients"] = [*data["clients"], *clients]
    return data


def only_clients(*clients: dict[str, Any], **sections: Any) -> dict[str, Any]:
    """The packaged default scenario (its users and settings), with only ``clients``."""
    return default_scenario_mapping(clients=list(clients), **sections)


def minimal(*clients: dict[str, Any], **sections: Any) -> dict[str, Any]:
    """The least a scenario needs: ``clients`` and alice, signed in by default."""
    return {
        "default_user": "alice",
        "users": [{"sub": "alice", "password": "alice"}],
        "clients": list(clients),
        **sections,
    }


# -- the authorization request ------------------------------------------------------------


def code_request(
    client_id: str,
    redirect_uri: str,
    /,
    *,
    scope: str = "openid",
    state: str = "s",
    challenge: str | None = PKCE_CHALLENGE,
    **extra: str,
) -> dict[str, str]:
    """An authorization request's parameters for a code (RFC 6749 4.1.1), with PKCE S256
    (RFC 7636 4.3) unless ``challenge`` is None; ``extra`` adds or replaces any (the
    client_id and redirect_uri too)."""
    params = {
        "response_type": "code",
        "client_id": client_id,
        "redirect_uri": redirect_uri,
        "scope": scope,
        "state": state,
    }
    if challenge is not None:
        params |= {"code_challenge": challenge, "code_challenge_method": "S256"}
    return params | extra


def redirected(response: httpx.Response) -> dict[str, str]:
    """The authorization response's parameters, from a redirect that must be one."""
    assert response.status_code in (302, 303), response.text
    return callback_params(response.headers["location"])


def code_of(response: httpx.Response) -> str:
    """The code an authorization response redirected with."""
    found = redirected(response)
    assert "code" in found, found
    return found["code"]
