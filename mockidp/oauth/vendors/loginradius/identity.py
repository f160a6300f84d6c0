"""LoginRadius's identity API, the token part, as its SDKs call it (loginradius-v2 11.7.0,
``LoginRadius/api/authentication/authentication_api.py`` and ``account/account_api.py``).

After the OpenID sign-in (reference 003) an app hands the access token to LoginRadius's
own API: ``GET identity/v2/auth/access_token/validate``, ``.../invalidate``,
``identity/v2/auth/access_token`` (token info), ``identity/v2/auth/account`` (the
profile), and with its API secret ``identity/v2/manage/account/access_token/refresh``
and ``.../refresh/revoke``. The API key is a client's ``client_id`` (LoginRadius's OIDC
``client_id`` *is* the API key), the secret that client's ``client_secret``: by default
``mockidp-client`` / ``mockidp-secret``. Query parameter names are matched whatever
their case (the SDKs send ``apiKey``, ``refresh_Token``; its documents ``apikey``); the
access token comes as ``Authorization: Bearer`` (what the SDKs send for ``/auth``
paths) or as ``access_token``; the secret as ``X-LoginRadius-ApiSecret`` (what they
send for ``/manage`` paths) or ``apisecret``.

The tokens are the OpenID flow's own records, so they are one family: revoking one
(here or at the OIDC revocation endpoint) is seen by the other. Errors are
:class:`VendorApiError`: LoginRadius's envelope with the numeric ``ErrorCode`` its
documents give (the SSO API codes page; 906 from its SDKs' own error table).
"""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Callable, Mapping
from datetime import UTC, datetime

from msgspec import Struct

from mockidp.errors import OAuthError, VendorApiError
from mockidp.model.scenario import Client
from mockidp.oauth import records
from mockidp.oauth.context import TokenRequest
from mockidp.oauth.deps import Deps
from mockidp.oauth.grants.standard import refresh_token
from mockidp.oauth.records import Access, Refresh, token_handle
from mockidp.oauth.tokens.issuance import live_record, revoke_grant
from mockidp.types import JSONObject

# (ErrorCode, Message, Description, HTTP status): LoginRadius's documented codes.
API_KEY_MISSING = (922, "API key is missing", "The request is missing the API key, please use "
                   "the valid API key parameter in order to process this request.", 400)  # fmt: skip
API_KEY_INVALID = (920, "API key is invalid", "The provided LoginRadius API key is invalid, "
                   "please use a valid API key of your LoginRadius account.", 400)  # fmt: skip
API_SECRET_MISSING = (923, "API secret is missing", "The request is missing the API secret, "
                      "please use the valid API secret parameter in order to process this "
                      "request.", 400)  # fmt: skip
API_SECRET_INVALID = (921, "API secret is invalid", "The provided LoginRadius API secret is "
                      "invalid, please use a valid API secret of your LoginRadius account.",
                      400)  # fmt: skip
TOKEN_MISSING = (1060, "Access token is missing", "This request is missing the access token, "
                 "please use the valid access token parameter in order to process this "
                 "request.", 400)  # fmt: skip
TOKEN_INVALID = (906, "The access token is not valid", "The LoginRadius access token is "
                 "invalid, please use the correct or valid access token in order to process "
                 "this request.", 401)  # fmt: skip
REFRESH_MISSING = (2008, "invalid_request", "The refresh_token is a required parameter", 400)
REFRESH_INVALID = (2010, "invalid_grant", "The refresh_token is not valid", 400)
BAD_PARAMETER = (908, "A parameter is not formatted correctly in the request, please check "
                 "all the parameters in the API call.", "A parameter is not formatted "
                 "correctly", 400)  # fmt: skip
# The SSO API codes of the OIDC errors a refresh may meet (providers.md).
_GRANT_CODES = {"invalid_grant": 2010, "unauthorized_client": 2011, "invalid_scope": 2013}


class IdentityCall(Struct, frozen=True):
    """One identity API request: its query parameters (names lower-cased), the
    ``X-LoginRadius-ApiSecret`` header and the ``Authorization: Bearer`` token."""

    params: Mapping[str, str]
    api_secret: str | None = None
    bearer: str | None = None


def refuse(what: tuple[int, str, str, int]) -> VendorApiError:
    code, message, description, status = what
    headers = None
    if status == 401:  # RFC 6750 3: a bad bearer token is challenged
        headers = {"WWW-Authenticate": 'Bearer realm="mockidp", error="invalid_token"'}
    error = "invalid_token" if status == 401 else "invalid_request"
    return VendorApiError(
        description, code=code, message=message, status=status, error=error, headers=headers
    )


def validate(deps: Deps, call: IdentityCall, *, issuer: str) -> JSONObject:
    """``GET identity/v2/auth/access_token/validate``: the token and when it expires."""
    token, record = _access(deps, call)
    return {"access_token": token, "expires_in": _when(record.claims["exp"])}


def invalidate(deps: Deps, call: IdentityCall, *, issuer: str) -> JSONObject:
    """``GET identity/v2/auth/access_token/invalidate``: the token is dead; with
    ``preventRefresh=true`` its refresh token (its whole grant) too."""
    token, record = _access(deps, call)
    if call.params.get("preventrefresh", "").lower() == "true":
        revoke_grant(deps, record.gid)
    records.delete(deps.state, Access, token_handle(token))
    return {"IsPosted": True}


def token_info(deps: Deps, call: IdentityCall, *, issuer: str) -> JSONObject:
    """``GET identity/v2/auth/access_token``: the token's provider and remember-me flag."""
    token, record = _access(deps, call)
    user = deps.scenario.user_or_adhoc(record.user_sub)
    provider = user.claims.get("Provider")
    return {
        "access_token": token,
        "isrememberme": False,
        "provider": provider if isinstance(provider, str) else "Email",
    }


def account(deps: Deps, call: IdentityCall, *, issuer: str) -> JSONObject:
    """``GET identity/v2/auth/account``: the user's profile in LoginRadius's member names
    (``Uid``, ``ID``, ``Email`` as ``[{Type, Value}]``, ``FirstName``, ``LastName``, ...),
    then the user's own claims; ``fields`` keeps only the members it names."""
    _, record = _access(deps, call)
    user = deps.scenario.user_or_adhoc(record.user_sub)
    claims = user.claims
    uid = record.sub
    email = claims.get("email")
    profile: JSONObject = {
        "Uid": uid,
        "ID": claims.get("ID") or hashlib.sha256(uid.encode()).hexdigest()[:32],
        "Provider": "Email",
        "UserName": claims.get("preferred_username", user.username),
        "FirstName": claims.get("given_name"),
        "LastName": claims.get("family_name"),
        "FullName": claims.get("name"),
        "Email": [{"Type": "Primary", "Value": email}] if isinstance(email, str) else None,
        "EmailVerified": bool(claims.get("email_verified", False)),
        "IsActive": True,
        "IsDeleted": False,
    }
    for name, value in claims.items():  # the scenario's claims, LoginRadius names winning
        profile.setdefault(name, value)
    wanted = {f.strip() for f in call.params.get("fields", "").split(",") if f.strip()}
    if wanted:
        profile = {k: v for k, v in profile.items() if k in wanted}
    return profile


def refresh(deps: Deps, call: IdentityCall, *, issuer: str) -> JSONObject:
    """``GET identity/v2/manage/account/access_token/refresh``: the OIDC refresh grant
    run for the API key's client, answered as LoginRadius's token data."""
    client = _client(deps, call, with_secret=True)
    value = call.params.get("refresh_token")
    if not value:
        raise refuse(REFRESH_MISSING)
    if live_record(deps, Refresh, value) is None:
        raise refuse(REFRESH_INVALID)
    try:
        tokens = refresh_token(deps, client, TokenRequest({"refresh_token": value}), issuer)
    except OAuthError as exc:  # another client's token, a spent one, a narrower client
        code = _GRANT_CODES.get(exc.error, REFRESH_INVALID[0])
        raise refuse((code, exc.error, REFRESH_INVALID[2], 400)) from None
    expires = int(deps.state.now()) + int(tokens.get("expires_in", 0))
    return {
        "access_token": tokens["access_token"],
        "expires_in": _when(expires),
        "refresh_token": tokens.get("refresh_token", value),  # not rotated: the same one
    }


def revoke_refresh(deps: Deps, call: IdentityCall, *, issuer: str) -> JSONObject:
    """``GET identity/v2/manage/account/access_token/refresh/revoke``: the refresh
    token and its grant (every token of the family, the OIDC flow's included)."""
    client = _client(deps, call, with_secret=True)
    value = call.params.get("refresh_token")
    if not value:
        raise refuse(REFRESH_MISSING)
    record = live_record(deps, Refresh, value)
    if record is None or record.client_id != client.client_id:
        raise refuse(REFRESH_INVALID)
    revoke_grant(deps, record.gid)
    records.delete(deps.state, Refresh, token_handle(value))
    return {"IsDeleted": True}


OPERATIONS: dict[str, Callable[..., JSONObject]] = {
    "identity_validate": validate,
    "identity_invalidate": invalidate,
    "identity_token_info": token_info,
    "identity_account": account,
    "identity_refresh": refresh,
    "identity_revoke_refresh": revoke_refresh,
}
"""The layout's endpoint names (presets/loginradius*.py) and what answers each."""


def _client(deps: Deps, call: IdentityCall, *, with_secret: bool) -> Client:
    """The client whose ``client_id`` is the API key (and whose secret is the API secret)."""
    api_key = call.params.get("apikey")
    if not api_key:
        raise refuse(API_KEY_MISSING)
    client = deps.client(api_key)
    if client is None:
        raise refuse(API_KEY_INVALID)
    if with_secret:
        secret = call.api_secret or call.params.get("apisecret")
        if not secret:
            raise refuse(API_SECRET_MISSING)
        known = client.client_secret
        if known is None or not hmac.compare_digest(known.encode(), secret.encode()):
            raise refuse(API_SECRET_INVALID)
    return client


def _access(deps: Deps, call: IdentityCall) -> tuple[str, Access]:
    """The access token and its live record, issued to the API key's client."""
    client = _client(deps, call, with_secret=False)
    token = call.bearer or call.params.get("access_token")
    if not token:
        raise refuse(TOKEN_MISSING)
    record = live_record(deps, Access, token)
    if record is None or record.client_id != client.client_id:
        raise refuse(TOKEN_INVALID)
    return token, record


def _when(timestamp: float) -> str:
    """An expiry as LoginRadius writes it: ISO 8601 UTC with milliseconds and ``Z``."""
    when = datetime.fromtimestamp(timestamp, UTC).isoformat(timespec="milliseconds")
    return when.replace("+00:00", "Z")
