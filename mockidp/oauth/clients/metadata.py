"""Client metadata of dynamic registration checked and turned into a client document.

RFC 7591 2 (the members and their defaults), 2.1 (grant and response types agree) and
OpenID Connect Dynamic Client Registration 1.0 section 2 (``application_type`` and the
redirect URIs each kind may use, signing algorithms, subject types). What the provider
offers comes from its own discovery document, so a registration never asks for
something discovery does not list. Members nobody understands are ignored and not
stored (RFC 7591 2: "MUST ignore any client metadata ... that it does not understand").
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any
from urllib.parse import urlsplit

from msgspec import Struct

from mockidp.errors import OAuthError
from mockidp.keys.verify import TokenVerificationError, client_key_set
from mockidp.model.response_types import canonical, grant_types_for
from mockidp.model.scenario import GRANT_TYPES, JWT_BEARER_GRANT, Scenario
from mockidp.types import JSONObject


class InvalidRedirectUri(OAuthError):
    """RFC 7591 3.2.2: the value of one or more redirection URIs is invalid."""

    error = "invalid_redirect_uri"


class InvalidClientMetadata(OAuthError):
    """RFC 7591 3.2.2: a client metadata field is invalid (or asks for what is unsupported)."""

    error = "invalid_client_metadata"


_URI_MEMBERS = (
    "client_uri",
    "logo_uri",
    "tos_uri",
    "policy_uri",
    "jwks_uri",
    "sector_identifier_uri",
    "initiate_login_uri",
    "frontchannel_logout_uri",
    "backchannel_logout_uri",
)
_STRING_MEMBERS = (
    "client_name",
    "software_id",
    "software_version",
    "request_object_signing_alg",
)
_LIST_MEMBERS = ("contacts", "request_uris", "default_acr_values")
_BOOL_MEMBERS = (
    "require_auth_time",
    "frontchannel_logout_session_required",
    "backchannel_logout_session_required",
    "require_pushed_authorization_requests",
    "dpop_bound_access_tokens",
)
_LOCALIZABLE = frozenset({"client_name", "client_uri", "logo_uri", "tos_uri", "policy_uri"})
_ENCRYPTION = (
    "id_token_encrypted_response_alg",
    "id_token_encrypted_response_enc",
    "userinfo_encrypted_response_alg",
    "userinfo_encrypted_response_enc",
    "request_object_encryption_alg",
    "request_object_encryption_enc",
    "authorization_encrypted_response_alg",
    "authorization_encrypted_response_enc",
)
_SECRET_METHODS = frozenset({"client_secret_basic", "client_secret_post", "client_secret_jwt"})
_LOOPBACK = frozenset({"localhost", "127.0.0.1", "::1"})
_UNSAFE_SCHEMES = frozenset({"javascript", "data", "vbscript", "file", "about", "blob"})
# Passed through to the client document (scenario format) when the model knows them.
_CLIENT_DOC_PASSTHROUGH = (
    "frontchannel_logout_uri",
    "frontchannel_logout_session_required",
    "backchannel_logout_uri",
    "backchannel_logout_session_required",
    "require_pushed_authorization_requests",
    "dpop_bound_access_tokens",
    "userinfo_signed_response_alg",
    "jwks",
)


class Offer(Struct, frozen=True):
    """What the provider supports, from its discovery document (and scenario)."""

    auth_methods: tuple[str, ...]
    grant_types: tuple[str, ...]
    response_types: tuple[str, ...]
    scopes: tuple[str, ...]
    id_token_algs: tuple[str, ...]
    userinfo_algs: tuple[str, ...]
    auth_signing_algs: tuple[str, ...]
    subject_types: tuple[str, ...]
    pushed_requests: bool = True
    """Whether the PAR endpoint is served (``require_pushed_authorization_requests``)."""
    trusted_issuers: bool = False
    """Whether the scenario trusts issuers' JWTs (the JWT bearer grant without ``jwks``)."""

    @classmethod
    def from_metadata(cls, doc: JSONObject, scenario: Scenario) -> Offer:
        def listed(name: str) -> tuple[str, ...]:
            value = doc.get(name)
            return tuple(str(v) for v in value) if isinstance(value, list) else ()

        return cls(
            auth_methods=listed("token_endpoint_auth_methods_supported")
            or ("client_secret_basic",),  # RFC 8414 2: the default when absent
            grant_types=tuple(
                g
                for g in listed("grant_types_supported") or ("authorization_code", "implicit")
                if g in GRANT_TYPES
            ),
            response_types=listed("response_types_supported"),
            scopes=scenario.scopes,
            id_token_algs=listed("id_token_signing_alg_values_supported"),
            userinfo_algs=listed("userinfo_signing_alg_values_supported"),
            auth_signing_algs=listed("token_endpoint_auth_signing_alg_values_supported"),
            subject_types=listed("subject_types_supported"),
            pushed_requests="pushed_authorization_request_endpoint" in doc,
            trusted_issuers=bool(scenario.trusted_issuers),
        )


class Checked(Struct, frozen=True):
    """Registered metadata (what the response echoes) and the scenario-format client document."""

    metadata: JSONObject
    client: JSONObject
    needs_secret: bool


def check(raw: JSONObject, offer: Offer) -> Checked:
    """The registered metadata for ``raw`` (defaults filled in), or the RFC 7591 error."""
    meta: JSONObject = {}
    for name in _ENCRYPTION:
        if name in raw:
            raise InvalidClientMetadata(f"{name}: mockidp does not encrypt responses")
    for name in _URI_MEMBERS:
        if name in raw:
            meta[name] = _absolute_uri(raw[name], name)
    for name in ("sector_identifier_uri", "initiate_login_uri"):  # Registration 2: https
        if name in meta and not meta[name].lower().startswith("https:"):
            raise InvalidClientMetadata(f"{name} must use https (Registration 2)")
    for name in _STRING_MEMBERS:
        if name in raw:
            meta[name] = _string(raw[name], name)
    for name in _LIST_MEMBERS:
        if name in raw:
            meta[name] = _strings(raw[name], name, InvalidClientMetadata)
    for name in _BOOL_MEMBERS:
        if name in raw:
            if not isinstance(raw[name], bool):
                raise InvalidClientMetadata(f"{name} must be true or false")
            meta[name] = raw[name]
    for name, value in raw.items():  # RFC 7591 2.2: client_name#ja-Jpan-JP and the like
        base, sep, tag = name.partition("#")
        if sep and base in _LOCALIZABLE and tag:
            meta[name] = (
                _absolute_uri(value, name) if base != "client_name" else _string(value, name)
            )
    if "default_max_age" in raw:
        age = raw["default_max_age"]
        if isinstance(age, bool) or not isinstance(age, int) or age < 0:
            raise InvalidClientMetadata("default_max_age must be a whole number of seconds")
        meta["default_max_age"] = age
    _application_type(raw, meta)
    _types(raw, meta, offer)
    _auth_method(raw, meta, offer)
    _keys(raw, meta)
    _algorithms(raw, meta, offer)
    _scope(raw, meta, offer)
    _redirects(raw, meta)
    client = _client_document(meta)
    _as_the_loader_would(client, offer)
    return Checked(meta, client, meta["token_endpoint_auth_method"] in _SECRET_METHODS)


def _as_the_loader_would(client: JSONObject, offer: Offer) -> None:
    """What the scenario loader refuses in a client, registration refuses too."""
    # here, not at the top: only a registration request needs the scenario checks
    from mockidp.scenario.checks import logout_uri_problems

    for name, message in logout_uri_problems(client):  # Front-/Back-Channel Logout 2
        raise InvalidClientMetadata(f"{name} {message}")
    if client.get("require_pushed_authorization_requests") and not offer.pushed_requests:
        raise InvalidClientMetadata(
            "require_pushed_authorization_requests needs the pushed authorization request "
            "endpoint, which this provider does not serve (RFC 9126 6)"
        )
    grants = client["grant_types"]
    if JWT_BEARER_GRANT in grants and "jwks" not in client and not offer.trusted_issuers:
        raise InvalidClientMetadata(
            f"grant_type {JWT_BEARER_GRANT} needs the client's jwks to verify its assertions with "
            "(RFC 7523 3)"
        )


# -- members ------------------------------------------------------------------------------


def _application_type(raw: JSONObject, meta: JSONObject) -> None:
    app = raw.get("application_type", "web")  # Registration 2: web is the default
    if app not in ("web", "native"):
        raise InvalidClientMetadata("application_type must be web or native")
    meta["application_type"] = app


def _types(raw: JSONObject, meta: JSONObject, offer: Offer) -> None:
    """RFC 7591 2.1: grant_types and response_types, each defaulted, and consistent."""
    grants = _strings(raw["grant_types"], "grant_types") if "grant_types" in raw else None
    rts = _strings(raw["response_types"], "response_types") if "response_types" in raw else None
    if rts is not None:
        known = [canonical(rt) for rt in rts]
        for value, rt in zip(rts, known, strict=True):
            if rt is None or rt not in offer.response_types:
                raise InvalidClientMetadata(
                    f"response_type {value!r} is not supported; use some of "
                    + ", ".join(offer.response_types)
                )
    if grants is None:  # derived from the response types, else authorization_code
        needed = [g for rt in (rts or ["code"]) for g in grant_types_for(str(canonical(rt)))]
        grants = list(dict.fromkeys(needed))
    if rts is None:
        rts = ["code"] if "authorization_code" in grants else []
    for grant in grants:
        if grant not in offer.grant_types:
            raise InvalidClientMetadata(
                f"grant_type {grant!r} is not supported; use some of {', '.join(offer.grant_types)}"
            )
    listed = [str(canonical(rt)) for rt in rts]
    for value, rt in zip(rts, listed, strict=True):
        missing = [g for g in grant_types_for(rt) if g not in grants]
        if missing:
            raise InvalidClientMetadata(
                f"response_type {value!r} needs grant_types {', '.join(missing)} (RFC 7591 2.1)"
            )
    if "authorization_code" in grants and not any("code" in rt.split() for rt in listed):
        raise InvalidClientMetadata("grant_type authorization_code needs a response_type with code")
    if "implicit" in grants and not any(rt != "code" for rt in listed):
        raise InvalidClientMetadata(
            "grant_type implicit needs a response_type with token or id_token"
        )
    meta["grant_types"] = list(dict.fromkeys(grants))
    meta["response_types"] = list(dict.fromkeys(rts))


def _auth_method(raw: JSONObject, meta: JSONObject, offer: Offer) -> None:
    method = raw.get("token_endpoint_auth_method", "client_secret_basic")  # RFC 7591 2
    if method not in offer.auth_methods:
        raise InvalidClientMetadata(
            f"token_endpoint_auth_method {method!r} is not supported; use one of "
            + ", ".join(offer.auth_methods)
        )
    meta["token_endpoint_auth_method"] = method


def _keys(raw: JSONObject, meta: JSONObject) -> None:
    if "jwks" in raw and "jwks_uri" in raw:
        raise InvalidClientMetadata("send jwks or jwks_uri, not both (RFC 7591 2)")
    if "jwks" in raw:
        jwks = raw["jwks"]
        keys = jwks.get("keys") if isinstance(jwks, dict) else None
        if not isinstance(keys, list) or not all(isinstance(k, dict) for k in keys):
            raise InvalidClientMetadata('jwks must be a JWK Set: {"keys": [...]}')
        if any("d" in k or "k" in k for k in keys):
            raise InvalidClientMetadata("jwks must hold public keys only")
        try:
            client_key_set(jwks)
        except TokenVerificationError as exc:
            raise InvalidClientMetadata(f"jwks: {exc}") from None
        meta["jwks"] = jwks
    if meta["token_endpoint_auth_method"] == "private_key_jwt" and "jwks" not in meta:
        raise InvalidClientMetadata(
            "private_key_jwt needs the client's public keys as jwks (mockidp does not fetch jwks_uri)"
        )


def _algorithms(raw: JSONObject, meta: JSONObject, offer: Offer) -> None:
    checks: tuple[tuple[str, Sequence[str]], ...] = (
        ("id_token_signed_response_alg", offer.id_token_algs),
        ("userinfo_signed_response_alg", offer.userinfo_algs),
        ("token_endpoint_auth_signing_alg", offer.auth_signing_algs),
        ("subject_type", offer.subject_types),
    )
    for name, supported in checks:
        if name in raw:
            value = _string(raw[name], name)
            if value not in supported:
                raise InvalidClientMetadata(
                    f"{name} {value!r} is not supported; use "
                    + (", ".join(supported) or "none (this provider offers none)")
                )
            meta[name] = value
    alg = meta.get("token_endpoint_auth_signing_alg")
    method = meta["token_endpoint_auth_method"]
    if alg is not None and method not in ("client_secret_jwt", "private_key_jwt"):
        raise InvalidClientMetadata(
            "token_endpoint_auth_signing_alg goes with client_secret_jwt or private_key_jwt"
        )
    if alg is not None and str(alg).startswith("HS") != (method == "client_secret_jwt"):
        raise InvalidClientMetadata(
            f"token_endpoint_auth_signing_alg {alg!r} does not suit {method}"
        )


def _scope(raw: JSONObject, meta: JSONObject, offer: Offer) -> None:
    if "scope" not in raw:
        return
    scope = _string(raw["scope"], "scope")
    words = scope.split(" ")
    unknown = [w for w in words if w not in offer.scopes]
    if not scope or unknown:
        raise InvalidClientMetadata(
            f"scope holds values this provider does not know: {' '.join(unknown) or repr(scope)}"
        )
    meta["scope"] = " ".join(dict.fromkeys(words))


def _redirects(raw: JSONObject, meta: JSONObject) -> None:
    """Registration 2: redirect_uris for redirect flows; what web and native clients may use."""
    redirect_flow = any(g in meta["grant_types"] for g in ("authorization_code", "implicit"))
    uris = _strings(raw.get("redirect_uris", []), "redirect_uris", InvalidRedirectUri)
    if redirect_flow and not uris:
        raise InvalidRedirectUri(
            "redirect_uris is required for the authorization_code and implicit grant types"
        )
    native = meta["application_type"] == "native"
    implicit = "implicit" in meta["grant_types"]
    for uri in uris:
        parts = _parsed(uri, "redirect_uris", InvalidRedirectUri)
        scheme, host = parts.scheme.lower(), (parts.hostname or "").lower()
        web_scheme = scheme in ("http", "https")
        if native and scheme == "http" and host not in _LOOPBACK:
            raise InvalidRedirectUri(
                f"{uri!r}: a native client's http redirect URI must be a loopback one "
                "(localhost, 127.0.0.1 or [::1])"
            )
        if not native and not web_scheme:
            raise InvalidRedirectUri(
                f"{uri!r}: a web client uses http(s) redirect URIs; register custom schemes "
                "with application_type native"
            )
        if not native and implicit and (scheme != "https" or host in _LOOPBACK):
            raise InvalidRedirectUri(
                f"{uri!r}: a web client using the implicit grant must use https and not "
                "localhost (Registration 2)"
            )
    meta["redirect_uris"] = uris
    if "post_logout_redirect_uris" in raw:
        logout = _strings(raw["post_logout_redirect_uris"], "post_logout_redirect_uris")
        for uri in logout:
            _parsed(uri, "post_logout_redirect_uris", InvalidClientMetadata)
        meta["post_logout_redirect_uris"] = logout


# -- the client document ------------------------------------------------------------------


def _client_document(meta: JSONObject) -> JSONObject:
    """The scenario-format document of the client (mockidp.scenario.build reads it)."""
    doc: JSONObject = {
        **({"name": meta["client_name"]} if meta.get("client_name") else {}),  # else the id
        "redirect_uris": meta["redirect_uris"],
        "post_logout_redirect_uris": meta.get("post_logout_redirect_uris", []),
        "grant_types": meta["grant_types"],
        "response_types": meta["response_types"],
        "token_endpoint_auth_method": meta["token_endpoint_auth_method"],
    }
    if meta["application_type"] == "native":  # RFC 8252 7.3: any port, the rest exact
        doc["loopback_ports"] = any(
            (urlsplit(u).hostname or "") in _LOOPBACK and u.startswith("http:")
            for u in meta["redirect_uris"]
        )
    if "scope" in meta:
        doc["scopes"] = meta["scope"].split(" ")
    for name in _CLIENT_DOC_PASSTHROUGH:
        if name in meta:
            doc[name] = meta[name]
    return doc


# -- value checks -------------------------------------------------------------------------


def _string(value: Any, name: str) -> str:
    if not isinstance(value, str):
        raise InvalidClientMetadata(f"{name} must be a string")
    return value


def _strings(
    value: Any, name: str, error: Callable[[str], OAuthError] = InvalidClientMetadata
) -> list[str]:
    if not isinstance(value, list) or not all(isinstance(v, str) and v for v in value):
        raise error(f"{name} must be an array of non-empty strings")
    return list(dict.fromkeys(value))


def _parsed(uri: str, name: str, error: Callable[[str], OAuthError]) -> Any:
    try:
        parts = urlsplit(uri)
        parts.port  # noqa: B018 - raises ValueError on a malformed port
    except ValueError:
        raise error(f"{name}: {uri!r} is not a valid URI") from None
    scheme = parts.scheme.lower()
    if not scheme or "#" in uri:
        raise error(f"{name}: {uri!r} must be an absolute URI without a fragment")
    if scheme in _UNSAFE_SCHEMES:
        raise error(f"{name}: {uri!r} uses the unsafe scheme {scheme}")
    if scheme in ("http", "https") and not parts.hostname:
        raise error(f"{name}: {uri!r} has no host")
    if any(c.isspace() for c in uri):
        raise error(f"{name}: {uri!r} holds whitespace")
    return parts


def _absolute_uri(value: Any, name: str) -> str:
    uri = _string(value, name)
    _parsed(uri, name, InvalidClientMetadata)
    return uri
