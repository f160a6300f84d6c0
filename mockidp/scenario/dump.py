"""A :class:`Scenario` back into a scenario document: the inverse of build.py.

The control API reads and edits the scenario in force as a document, however it was
loaded (a file, a mapping, a Scenario built in Python). ``build_scenario(dump(s))``
equals ``s``; defaults are left out so the document stays short.
"""

from __future__ import annotations

from typing import Any

from msgspec.structs import asdict

from mockidp.model.quirks import Quirks
from mockidp.model.scenario import (
    STANDARD_SCOPES,
    BrokenToken,
    CallSelector,
    Client,
    DeviceFlow,
    Fault,
    KeySpec,
    Lifetimes,
    RequestMatch,
    Scenario,
    User,
)
from mockidp.presets import DEFAULT_PRESET, PRESETS
from mockidp.types import JSONObject

_DEFAULTS = Scenario()
_SIMPLE = (
    "issuer",
    "signing_alg",
    "login",
    "consent",
    "default_user",
    "refresh_tokens",
    "refresh_rotation",
    "refresh_id_token",
    "refresh_reuse_detection",
    "sessions",
    "require_pushed_authorization_requests",
    "remember_consent",
    "subject_type",
    "pairwise_salt",
    "access_token_format",
    "access_token_template",
    "refresh_token_template",
    "signing_key",
)
# Every Scenario field is either a simple value above or handled by dump_scenario:
# tests compare this with Scenario's fields so a new field cannot be missed.
HANDLED_FIELDS = frozenset(
    {
        *_SIMPLE,
        "scopes",
        "lifetimes",
        "clients",
        "users",
        "prompt_none_login",
        "prompt_none_consent",
        "consent_rules",
        "endpoints",
        "clock",
        "keys",
        "key_rotation",
        "faults",
        "broken_tokens",
        "resources",
        "dpop",
        "registration",
        "client_metadata_documents",
        "role_permissions",
        "trusted_issuers",
        "preset",
        "quirks",
        "device",
        "path_params",
        "base_paths",
        "source",
    }
)


def dump_scenario(scenario: Scenario) -> JSONObject:
    """The scenario as a document that loads back into an equal Scenario.

    A preset's data sits beneath the document's own keys when it loads: where the
    preset sets a key, defaults are written out too, so the preset's values do not
    come back where the scenario had a default.
    """
    preset = PRESETS.get(scenario.preset)
    beneath = set(preset.scenario) if preset is not None else set()  # what the preset sets
    doc: JSONObject = {}
    if scenario.base_paths is not None or scenario.preset != DEFAULT_PRESET:
        doc["preset"] = scenario.preset
    if scenario.path_params:
        doc["path_params"] = dict(scenario.path_params)
    for name in _SIMPLE:
        value = getattr(scenario, name)
        if value is not None and (name in beneath or value != getattr(_DEFAULTS, name)):
            doc[name] = value
    device = _device(scenario.device, "device" in beneath)
    if device:
        doc["device"] = device
    quirks = _quirks(scenario.quirks, "quirks" in beneath)
    if quirks:
        doc["quirks"] = quirks
    extra = [s for s in scenario.scopes if s not in STANDARD_SCOPES]
    if extra:
        doc["scopes"] = extra
    lifetimes = dump_lifetimes(scenario.lifetimes, full="lifetimes" in beneath)
    if lifetimes:
        doc["lifetimes"] = lifetimes
    full = "prompt_none" in beneath
    prompt_none = {}
    if full or scenario.prompt_none_login != _DEFAULTS.prompt_none_login:
        prompt_none["login"] = scenario.prompt_none_login
    if full or scenario.prompt_none_consent != _DEFAULTS.prompt_none_consent:
        prompt_none["consent"] = scenario.prompt_none_consent
    if prompt_none:
        doc["prompt_none"] = prompt_none
    if scenario.consent_rules:
        doc["consent_rules"] = [
            _compact(
                {
                    "decision": r.decision,
                    "client_id": r.client_id,
                    "user": r.user,
                    "scopes": list(r.scopes),
                }
            )
            for r in scenario.consent_rules
        ]
    if scenario.endpoints:
        doc["endpoints"] = dict(scenario.endpoints)
    if scenario.clock is not None:
        doc["clock"] = _compact({"at": scenario.clock.at, "frozen": scenario.clock.frozen or None})
    if scenario.keys:
        doc["keys"] = [_key(k) for k in scenario.keys]
    if scenario.key_rotation:
        doc["key_rotation"] = [{"after": s.after, s.action: s.kid} for s in scenario.key_rotation]
    if scenario.faults:
        doc["faults"] = [dump_fault(f) for f in scenario.faults]
    if scenario.broken_tokens:
        doc["broken_tokens"] = [_broken(b) for b in scenario.broken_tokens]
    if scenario.resources is not None:
        doc["resources"] = list(scenario.resources)
    if scenario.dpop != _DEFAULTS.dpop:
        doc["dpop"] = asdict(scenario.dpop)
    if scenario.client_metadata_documents != _DEFAULTS.client_metadata_documents:
        doc["client_metadata_documents"] = _compact(asdict(scenario.client_metadata_documents))
    if scenario.registration != _DEFAULTS.registration:
        doc["registration"] = _compact(asdict(scenario.registration))
    if scenario.role_permissions:
        doc["role_permissions"] = {k: list(v) for k, v in scenario.role_permissions.items()}
    if scenario.trusted_issuers:
        doc["trusted_issuers"] = [asdict(t) for t in scenario.trusted_issuers]
    doc["clients"] = [dump_client(c) for c in scenario.clients]
    doc["users"] = [dump_user(u) for u in scenario.users]
    return doc


def dump_lifetimes(lifetimes: Lifetimes, *, full: bool = False) -> JSONObject:
    return _fields_set(lifetimes, Lifetimes(), full)


def _fields_set(value: Any, default: Any, full: bool) -> JSONObject:
    """A record's fields that hold a value: every one (``full``), or those that differ
    from ``default``'s."""
    return {
        name: field_value
        for name in value.__struct_fields__
        if (field_value := getattr(value, name)) is not None
        and (full or field_value != getattr(default, name))
    }


def _quirks(quirks: Quirks, full: bool) -> JSONObject:
    default = Quirks()
    out: JSONObject = {}
    for name in Quirks.__struct_fields__:
        value = getattr(quirks, name)
        if value is None or (not full and value == getattr(default, name)):
            continue
        out[name] = list(value) if isinstance(value, tuple) else value
    return out


def _device(device: DeviceFlow, full: bool) -> JSONObject:
    return _fields_set(device, DeviceFlow(), full)


def dump_user(user: User) -> JSONObject:
    return _compact(
        {
            "sub": user.sub,
            "username": user.username if user.username != user.sub else None,
            "password": user.password,
            "claims": dict(user.claims),
            "consent": user.consent,
            "login": user.login,
            "lifetimes": dict(user.lifetimes),
            "roles": list(user.roles),
            "groups": list(user.groups),
            "client_roles": {k: list(v) for k, v in user.client_roles.items()},
        }
    )


def dump_client(client: Client) -> JSONObject:
    default_method = "client_secret_basic" if client.client_secret is not None else "none"
    method = client.token_endpoint_auth_method
    doc = _compact(
        {
            "client_id": client.client_id,
            "client_secret": client.client_secret,
            "name": client.name if client.name != client.client_id else None,
            "redirect_uris": list(client.redirect_uris),
            "post_logout_redirect_uris": list(client.post_logout_redirect_uris),
            "grant_types": list(client.grant_types)
            if client.grant_types != Client("x").grant_types
            else None,
            "token_endpoint_auth_method": method if method != default_method else None,
            "loopback_redirects": client.loopback_redirects or None,
            "require_pkce": (client.require_pkce and method != "none") or None,
            "jwks": client.jwks,
            "access_token_audience": client.access_token_audience,
            "consent": client.consent,
            "lifetimes": dict(client.lifetimes),
            "response_types": list(client.response_types)
            if client.response_types != Client("x").response_types
            else None,
            "require_pushed_authorization_requests": client.require_pushed_authorization_requests
            or None,
            "userinfo_signed_response_alg": client.userinfo_signed_response_alg,
            "frontchannel_logout_uri": client.frontchannel_logout_uri,
            "frontchannel_logout_session_required": client.frontchannel_logout_session_required
            or None,
            "backchannel_logout_uri": client.backchannel_logout_uri,
            "backchannel_logout_session_required": client.backchannel_logout_session_required
            or None,
            "device": dict(client.device),
            "dpop_bound_access_tokens": client.dpop_bound_access_tokens or None,
            "roles": list(client.roles),
            "loopback_ports": client.loopback_ports or None,
        }
    )
    if client.scopes is not None:  # an empty list is meaningful: no scope at all
        doc["scopes"] = list(client.scopes)
    if client.resources is not None:  # likewise: no resource at all
        doc["resources"] = list(client.resources)
    return doc


def dump_fault(fault: Fault) -> JSONObject:
    respond = _compact(
        {
            "oauth_error": fault.oauth_error,
            "http_status": fault.http_status,
            "latency_ms": fault.latency_ms or None,
            "malformed_body": fault.malformed_body or None,
            "truncate_body": fault.truncate_body,
            "content_type": fault.content_type,
            "drop_connection": fault.drop_connection or None,
            "redirect_state": fault.redirect_state,
        }
    )
    return _compact(
        {
            "name": fault.name,
            "match": _match(fault.match),
            "when": _when(fault.when),
            "respond": respond,
        }
    )


def _broken(rule: BrokenToken) -> JSONObject:
    return _compact(
        {
            "token": rule.token,
            "defect": rule.defect,
            "match": _match(rule.match),
            "when": _when(rule.when),
        }
    )


def _match(match: RequestMatch) -> JSONObject:
    def many(values: tuple[str, ...]) -> Any:
        return list(values) if values else None

    return _compact(
        {
            "endpoint": many(match.endpoints),
            "grant_type": many(match.grant_types),
            "client_id": many(match.client_ids),
            "user": many(match.users),
            "scope": many(match.scopes),
            "params": dict(match.params),
        }
    )


def _when(when: CallSelector) -> JSONObject:
    out = asdict(when)
    out["from"] = out.pop("from_")
    return _compact(out)


def _key(key: KeySpec) -> JSONObject:
    return _compact(asdict(key))


def _compact(values: dict[str, Any]) -> JSONObject:
    """``values`` without the None and empty ones."""
    return {k: v for k, v in values.items() if v is not None and v != {} and v != []}
