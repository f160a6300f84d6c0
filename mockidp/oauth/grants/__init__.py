"""The token endpoint's grant types (RFC 6749 4 and the extensions): one function each.

``GRANTS`` maps a ``grant_type`` to its function; the RFC 6749 grants are in
:mod:`~mockidp.oauth.grants.standard`, the device code grant (RFC 8628 3.4) in
:mod:`mockidp.oauth.device`, token exchange (RFC 8693) and JWT bearer (RFC 7523 2.1)
in their own modules, and Auth0's password-realm grant.
"""

from __future__ import annotations

from collections.abc import Callable

from mockidp.model.scenario import DEVICE_CODE_GRANT, Client
from mockidp.oauth import device
from mockidp.oauth.context import TokenRequest
from mockidp.oauth.grants.jwt_bearer import JWT_BEARER, jwt_bearer
from mockidp.oauth.grants.password_realm import PASSWORD_REALM, realm_checked
from mockidp.oauth.grants.standard import (
    authorization_code,
    client_credentials,
    password,
    refresh_token,
)
from mockidp.oauth.grants.token_exchange import TOKEN_EXCHANGE, token_exchange
from mockidp.oauth.issuance import Deps
from mockidp.types import JSONObject

Grant = Callable[[Deps, Client, TokenRequest, str], JSONObject]
"""(deps, authenticated client, the token request, issuer) -> token response."""

GRANTS: dict[str, Grant] = {
    "authorization_code": authorization_code,
    "refresh_token": refresh_token,
    "client_credentials": client_credentials,
    "password": password,
    DEVICE_CODE_GRANT: device.poll,  # RFC 8628 3.4
    TOKEN_EXCHANGE: token_exchange,  # RFC 8693
    JWT_BEARER: jwt_bearer,  # RFC 7523 2.1
    PASSWORD_REALM: realm_checked(password),  # Auth0's, with quirks.password_realms
}

__all__ = ["GRANTS", "Grant"]
