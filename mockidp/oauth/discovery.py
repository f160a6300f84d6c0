"""The discovery documents (OpenID Connect Discovery 1.0 section 3, RFC 8414 section 2).

Built from what the provider really does: an endpoint that is switched off is absent,
and every value listed works.
"""

from __future__ import annotations

from collections.abc import Sequence

from mockidp.keys.verify import (
    CLIENT_ASSERTION_ALGORITHMS,
    CLIENT_SECRET_JWT_ALGORITHMS,
    DPOP_ALGORITHMS,
)
from mockidp.model.layout import Layout
from mockidp.model.response_types import RESPONSE_MODES, RESPONSE_TYPES
from mockidp.model.scenario import AUTH_METHODS, DEVICE_CODE_GRANT, Scenario
from mockidp.oauth.grants import GRANTS
from mockidp.oauth.grants.password_realm import PASSWORD_REALM
from mockidp.oauth.signin.authorize import PROMPTS
from mockidp.oauth.signin.pkce import METHODS as PKCE_METHODS
from mockidp.oauth.tokens.claims import STANDARD_CLAIMS
from mockidp.types import JSONObject

_ENDPOINT_KEYS = {
    "authorization": "authorization_endpoint",
    "token": "token_endpoint",
    "pushed_authorization_request": "pushed_authorization_request_endpoint",
    "userinfo": "userinfo_endpoint",
    "jwks": "jwks_uri",
    "introspection": "introspection_endpoint",
    "revocation": "revocation_endpoint",
    "end_session": "end_session_endpoint",
    "registration": "registration_endpoint",
    "check_session": "check_session_iframe",  # OpenID Connect Session Management 1.0 3.3
    "device_authorization": "device_authorization_endpoint",  # RFC 8628 4
}


def _claims(scenario: Scenario) -> list[str]:
    names = dict.fromkeys(STANDARD_CLAIMS)
    for user in scenario.users:
        names.update(dict.fromkeys(user.claims))
    registered = ("iss", "aud", "exp", "iat", "auth_time", "nonce", "at_hash", "c_hash", "sid")
    return [*names, *registered]


def provider_metadata(
    scenario: Scenario,
    layout: Layout,
    issuer: str,
    signing_algs: Sequence[str],
    *,
    base: str | None = None,
) -> JSONObject:
    """The OpenID Provider / authorization server metadata for ``issuer``.

    ``signing_algs``: every algorithm ID tokens are signed with (over a key rotation).
    ``base``: where endpoint paths start (default: the issuer). A preset's quirks
    ``metadata_values`` and ``metadata_members`` then shape it like the vendor's.
    """
    doc = _metadata(scenario, layout, issuer, signing_algs, base or issuer.rstrip("/"))
    if scenario.client_metadata_documents.accepted(
        scenario.preset
    ):  # the Client ID Metadata Document draft
        doc["client_id_metadata_document_supported"] = True
    quirks = scenario.quirks
    if quirks.metadata_values:
        doc.update(quirks.metadata_values)
    if quirks.metadata_members is not None:
        doc = {name: doc[name] for name in quirks.metadata_members if name in doc}
    return doc


def _metadata(
    scenario: Scenario, layout: Layout, issuer: str, signing_algs: Sequence[str], base: str
) -> JSONObject:
    doc: JSONObject = {"issuer": issuer}
    for name, key in _ENDPOINT_KEYS.items():
        if layout.has(name):
            doc[key] = layout.url(base, name)
    if not scenario.sessions:  # no session: the check_session iframe has nothing to watch
        doc.pop("check_session_iframe", None)
    auth_methods = list(AUTH_METHODS)
    endpoint_auth_algs = [*CLIENT_ASSERTION_ALGORITHMS, *CLIENT_SECRET_JWT_ALGORITHMS]
    doc.update(
        {
            "scopes_supported": list(scenario.scopes),
            "response_types_supported": list(RESPONSE_TYPES),
            "response_modes_supported": list(RESPONSE_MODES),
            "grant_types_supported": [*_grants(scenario), "implicit"],  # implicit: response types
            "subject_types_supported": [scenario.subject_type],
            "id_token_signing_alg_values_supported": list(signing_algs),
            "token_endpoint_auth_methods_supported": auth_methods,
            "token_endpoint_auth_signing_alg_values_supported": endpoint_auth_algs,
            "code_challenge_methods_supported": list(PKCE_METHODS),
            "dpop_signing_alg_values_supported": list(DPOP_ALGORITHMS),  # RFC 9449 5.1
            "claims_supported": _claims(scenario),
            "claim_types_supported": ["normal"],
            "claims_parameter_supported": True,
            "request_parameter_supported": False,
            "request_uri_parameter_supported": False,
            "prompt_values_supported": list(PROMPTS),
            "authorization_response_iss_parameter_supported": True,
        }
    )
    if layout.has("pushed_authorization_request"):  # RFC 9126 5
        doc["require_pushed_authorization_requests"] = (
            scenario.require_pushed_authorization_requests
        )
    if layout.has("userinfo"):  # clients' userinfo_signed_response_alg (Core 5.3.2)
        doc["userinfo_signing_alg_values_supported"] = list(signing_algs)
    if layout.has("end_session") and scenario.sessions:  # logout.py: both channels, with sid
        for channel in ("frontchannel", "backchannel"):
            doc[f"{channel}_logout_supported"] = True
            doc[f"{channel}_logout_session_supported"] = True
    if layout.has("introspection"):
        doc["introspection_signing_alg_values_supported"] = list(signing_algs)  # RFC 9701
        doc["introspection_endpoint_auth_methods_supported"] = [
            m for m in auth_methods if m != "none"
        ]
        doc["introspection_endpoint_auth_signing_alg_values_supported"] = endpoint_auth_algs
    if layout.has("revocation"):
        doc["revocation_endpoint_auth_methods_supported"] = auth_methods
        doc["revocation_endpoint_auth_signing_alg_values_supported"] = endpoint_auth_algs
    if not layout.has("device_authorization"):  # the device grant needs its endpoint
        doc["grant_types_supported"] = [
            g for g in doc["grant_types_supported"] if g != DEVICE_CODE_GRANT
        ]
    return doc


def _grants(scenario: Scenario) -> list[str]:
    """The grant types offered: Auth0's password-realm only with realms to check."""
    return [g for g in GRANTS if g != PASSWORD_REALM or scenario.quirks.password_realms]
