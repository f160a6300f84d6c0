"""Auth0's password-realm grant (``http://auth0.com/oauth/grant-type/password-realm``).

Auth0's Authentication API, "Resource Owner Password" with a realm: the resource
owner password grant (RFC 6749 4.3) plus ``realm``, the connection (user store) that
checks the password. A preset lists its realms in ``quirks.password_realms``; without
any the grant is not offered.
"""

from __future__ import annotations

from collections.abc import Callable

from mockidp.errors import InvalidRequest, UnsupportedGrantType
from mockidp.model.scenario import Client
from mockidp.oauth.context import TokenRequest
from mockidp.oauth.deps import Deps
from mockidp.types import JSONObject

PASSWORD_REALM = "http://auth0.com/oauth/grant-type/password-realm"

Grant = Callable[[Deps, Client, TokenRequest, str], JSONObject]


def realm_checked(password: Grant) -> Grant:
    """The password grant, for a user of one of the preset's realms."""

    def password_realm(
        deps: Deps, client: Client, request: TokenRequest, issuer: str
    ) -> JSONObject:
        realms = deps.scenario.quirks.password_realms
        if not realms:
            raise UnsupportedGrantType(f"grant_type {PASSWORD_REALM!r} is not supported here")
        realm = request.params.get("realm")
        if not realm:
            raise InvalidRequest("realm is missing: the connection that checks the password")
        if realm not in realms:
            enabled = ", ".join(realms)
            raise InvalidRequest(f"connection {realm!r} is not enabled (enabled: {enabled})")
        return password(deps, client, request, issuer)

    return password_realm
