"""The token endpoint's grant types (RFC 6749 4 and the extensions): one function each.

``GRANTS`` maps a ``grant_type`` to its function; the RFC 6749 grants are in
:mod:`~mockidp.oauth.grants.standard`, the device code grant (RFC 8628 3.4) in
:mod:`mockidp.oauth.signin.device`, token exchange (RFC 8693) and JWT bearer (RFC 7523 2.1)
in their own modules; Auth0's password-realm grant wraps the password grant. Device
code, token exchange and JWT bearer are imported on a client's first request of their
grant type, not at start (issue 15): the table names them all, so the discovery document
lists every grant type without loading their code.
"""

from __future__ import annotations

from collections.abc import Callable

from mockidp.model.scenario import DEVICE_CODE_GRANT, JWT_BEARER_GRANT, TOKEN_EXCHANGE_GRANT, Client
from mockidp.oauth.context import TokenRequest
from mockidp.oauth.deps import Deps
from mockidp.oauth.grants.password_realm import PASSWORD_REALM, realm_checked
from mockidp.oauth.grants.standard import (
    authorization_code,
    client_credentials,
    password,
    refresh_token,
)
from mockidp.types import JSONObject

Grant = Callable[[Deps, Client, TokenRequest, str], JSONObject]
"""(deps, authenticated client, the token request, issuer) -> token response."""


def _device_code(deps: Deps, client: Client, request: TokenRequest, issuer: str) -> JSONObject:
    from mockidp.oauth.signin.device import poll

    return poll(deps, client, request, issuer)


def _token_exchange(deps: Deps, client: Client, request: TokenRequest, issuer: str) -> JSONObject:
    from mockidp.oauth.grants.token_exchange import token_exchange

    return token_exchange(deps, client, request, issuer)


def _jwt_bearer(deps: Deps, client: Client, request: TokenRequest, issuer: str) -> JSONObject:
    from mockidp.oauth.grants.jwt_bearer import jwt_bearer

    return jwt_bearer(deps, client, request, issuer)


GRANTS: dict[str, Grant] = {
    "authorization_code": authorization_code,
    "refresh_token": refresh_token,
    "client_credentials": client_credentials,
    "password": password,
    DEVICE_CODE_GRANT: _device_code,  # RFC 8628 3.4
    TOKEN_EXCHANGE_GRANT: _token_exchange,  # RFC 8693
    JWT_BEARER_GRANT: _jwt_bearer,  # RFC 7523 2.1
    PASSWORD_REALM: realm_checked(password),  # Auth0's, with quirks.password_realms
}

__all__ = ["GRANTS", "Grant"]
