"""A validated scenario document (plain JSON data) into the frozen :class:`Scenario`."""

from __future__ import annotations

from datetime import datetime
from typing import Any, cast

from mockidp.model.quirks import build_quirks
from mockidp.model.response_types import canonical_all
from mockidp.model.scenario import (
    STANDARD_SCOPES,
    BrokenToken,
    CallSelector,
    Client,
    ClientMetadataDocuments,
    ClockSpec,
    ConsentRule,
    DeviceFlow,
    DPoPSettings,
    Fault,
    KeySpec,
    Lifetimes,
    RegistrationSettings,
    RequestMatch,
    RotationStep,
    Scenario,
    TrustedIssuer,
    User,
)
from mockidp.presets import DEFAULT_PRESET, fill, resolve
from mockidp.types import JSONObject


def build_scenario(data: JSONObject, source: str) -> Scenario:
    extra_scopes = [s for s in data.get("scopes", []) if s not in STANDARD_SCOPES]
    prompt_none = data.get("prompt_none", {})
    preset = resolve(data)
    quirks = {**data.get("quirks", {}), "issuer_path": preset.issuer_path}
    if quirks.get("access_token_audience"):  # api://{auth_server}: a path parameter's value
        quirks["access_token_audience"] = fill(
            quirks["access_token_audience"], data.get("path_params", {})
        )
    return Scenario(
        issuer=preset.issuer,
        signing_alg=data.get("signing_alg", "RS256"),
        login=data.get("login", "auto"),
        consent=data.get("consent", "auto"),
        default_user=data.get("default_user"),
        refresh_tokens=data.get("refresh_tokens", "offline_access"),
        refresh_rotation=data.get("refresh_rotation", True),
        refresh_id_token=data.get("refresh_id_token", True),
        refresh_reuse_detection=data.get("refresh_reuse_detection", True),
        scopes=(*STANDARD_SCOPES, *extra_scopes),
        lifetimes=Lifetimes(**data.get("lifetimes", {})),
        clients=tuple(_client(c) for c in data.get("clients", [])),
        users=tuple(_user(u) for u in data.get("users", [])),
        sessions=data.get("sessions", True),
        require_pushed_authorization_requests=data.get(
            "require_pushed_authorization_requests", False
        ),
        prompt_none_login=prompt_none.get("login", "login_required"),
        prompt_none_consent=prompt_none.get("consent", "consent_required"),
        remember_consent=data.get("remember_consent", True),
        consent_rules=tuple(
            ConsentRule(
                decision=r["decision"],
                client_id=r.get("client_id"),
                user=r.get("user"),
                scopes=tuple(r.get("scopes", ())),
            )
            for r in data.get("consent_rules", [])
        ),
        subject_type=data.get("subject_type", "public"),
        pairwise_salt=data.get("pairwise_salt", "mockidp"),
        access_token_format=data.get("access_token_format", "jwt"),
        access_token_template=data.get("access_token_template", "{random:alnum:43}"),
        refresh_token_template=data.get("refresh_token_template", "{random:base64url:64}"),
        endpoints=dict(data.get("endpoints", {})),
        clock=_clock(data["clock"]) if "clock" in data else None,
        keys=tuple(
            KeySpec(
                kid=k.get("kid"),
                alg=k.get("alg"),
                packaged=k.get("packaged"),
                jwk=k.get("jwk"),
            )
            for k in data.get("keys", [])
        ),
        signing_key=data.get("signing_key"),
        key_rotation=tuple(_rotation(step) for step in data.get("key_rotation", [])),
        faults=tuple(_fault(i, f) for i, f in enumerate(data.get("faults", []))),
        broken_tokens=tuple(
            BrokenToken(
                token=b["token"],
                defect=b["defect"],
                match=_match(b.get("match", {})),
                when=_when(b.get("when", {})),
            )
            for b in data.get("broken_tokens", [])
        ),
        resources=tuple(data["resources"]) if "resources" in data else None,
        dpop=DPoPSettings(**data.get("dpop", {})),
        registration=RegistrationSettings(**data.get("registration", {})),
        client_metadata_documents=_documents(data),
        role_permissions={k: tuple(v) for k, v in data.get("role_permissions", {}).items()},
        trusted_issuers=tuple(
            TrustedIssuer(issuer=t["issuer"], jwks=t["jwks"])
            for t in data.get("trusted_issuers", [])
        ),
        preset=data.get("preset", DEFAULT_PRESET),
        quirks=build_quirks(quirks),
        device=DeviceFlow(**data.get("device", {})),
        path_params=dict(data.get("path_params", {})),
        base_paths=preset.paths,
        source=source,
    )


def build_client(c: JSONObject) -> Client:
    """A validated client document into a Client (the scenario's, or a registered one)."""
    return _client(c)


def _client(c: JSONObject) -> Client:
    method = c.get(
        "token_endpoint_auth_method", "client_secret_basic" if "client_secret" in c else "none"
    )
    scopes = c.get("scopes")
    return Client(
        client_id=c["client_id"],
        client_secret=c.get("client_secret"),
        name=str(c.get("name", c["client_id"])),
        redirect_uris=tuple(c.get("redirect_uris", ())),
        post_logout_redirect_uris=tuple(c.get("post_logout_redirect_uris", ())),
        grant_types=tuple(c.get("grant_types", ("authorization_code", "refresh_token"))),
        token_endpoint_auth_method=method,
        scopes=tuple(scopes) if scopes is not None else None,
        loopback_redirects=c.get("loopback_redirects", False),
        require_pkce=c.get("require_pkce", False) or method == "none",
        jwks=c.get("jwks"),
        access_token_audience=c.get("access_token_audience"),
        consent=c.get("consent"),
        lifetimes=dict(c.get("lifetimes", {})),
        response_types=canonical_all(c.get("response_types", ("code",))),
        require_pushed_authorization_requests=c.get("require_pushed_authorization_requests", False),
        userinfo_signed_response_alg=c.get("userinfo_signed_response_alg"),
        device=dict(c.get("device", {})),
        resources=tuple(c["resources"]) if "resources" in c else None,
        dpop_bound_access_tokens=c.get("dpop_bound_access_tokens", False),
        frontchannel_logout_uri=c.get("frontchannel_logout_uri"),
        frontchannel_logout_session_required=c.get("frontchannel_logout_session_required", False),
        backchannel_logout_uri=c.get("backchannel_logout_uri"),
        backchannel_logout_session_required=c.get("backchannel_logout_session_required", False),
        roles=tuple(c.get("roles", ())),
        loopback_ports=c.get("loopback_ports", False),
    )


def _user(u: JSONObject) -> User:
    return User(
        sub=u["sub"],
        username=str(u.get("username", u["sub"])),
        password=u.get("password"),
        claims=dict(u.get("claims", {})),
        consent=u.get("consent"),
        login=u.get("login"),
        lifetimes=dict(u.get("lifetimes", {})),
        roles=tuple(u.get("roles", ())),
        groups=tuple(u.get("groups", ())),
        client_roles={k: tuple(v) for k, v in u.get("client_roles", {}).items()},
    )


def _tuple(value: Any) -> tuple[str, ...]:
    if value is None:
        return ()
    return tuple(value) if isinstance(value, list) else (value,)


def _match(m: JSONObject) -> RequestMatch:
    return RequestMatch(
        endpoints=_tuple(m.get("endpoint")),
        grant_types=_tuple(m.get("grant_type")),
        client_ids=_tuple(m.get("client_id")),
        users=_tuple(m.get("user")),
        scopes=_tuple(m.get("scope")),
        params=dict(m.get("params", {})),
    )


def _when(w: JSONObject) -> CallSelector:
    return CallSelector(
        nth=w.get("nth"),
        every=w.get("every"),
        from_=w.get("from"),
        first=w.get("first"),
        probability=w.get("probability"),
        seed=w.get("seed"),
    )


def _fault(index: int, f: JSONObject) -> Fault:
    respond: JSONObject = f["respond"]
    return Fault(
        name=f.get("name") or f"faults[{index}]",
        match=_match(f.get("match", {})),
        when=_when(f.get("when", {})),
        oauth_error=respond.get("oauth_error"),
        http_status=respond.get("http_status"),
        latency_ms=respond.get("latency_ms", 0),
        malformed_body=respond.get("malformed_body", False),
        truncate_body=respond.get("truncate_body"),
        content_type=respond.get("content_type"),
        drop_connection=respond.get("drop_connection", False),
        redirect_state=respond.get("redirect_state"),
    )


def _rotation(step: JSONObject) -> RotationStep:
    action = next(a for a in ("publish", "sign_with", "retire") if a in step)
    return RotationStep(after=step["after"], action=cast(Any, action), kid=step[action])


def _clock(c: JSONObject) -> ClockSpec:
    at = c.get("at")
    if isinstance(at, str):
        at = datetime.fromisoformat(at.replace("Z", "+00:00")).timestamp()
    return ClockSpec(at=float(at) if at is not None else None, frozen=c.get("frozen", False))


def _documents(data: JSONObject) -> ClientMetadataDocuments:
    """Client ID Metadata Documents (``enabled`` None: as the preset goes)."""
    given = data.get("client_metadata_documents", {})
    return ClientMetadataDocuments(
        enabled=given.get("enabled"),
        allow_loopback=given.get("allow_loopback", True),
        documents=dict(given.get("documents", {})),
    )
