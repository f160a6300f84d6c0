"""Interop with panva's openid-client (Node, v6): its strict validation against mockidp.

``tests/interop/flows.mjs`` runs each flow with the library and prints one JSON result a
line; these tests start it once per scenario against the live loopback server and
assert every flow succeeded. Install it with ``npm ci --prefix tests/interop``.
"""

from __future__ import annotations

import json
import subprocess
from collections.abc import Iterator
from typing import Any

import pytest
from joserfc.jwk import OKPKey, RSAKey

from mockidp.scenario.loader import default_scenario
from tests.conftest import LiveServer
from tests.support.e2e import default_scenario_mapping
from tests.support.node import INTEROP, NODE, require_interop


@pytest.fixture(autouse=True, scope="module")
def _openid_client() -> None:
    require_interop("openid-client")


REDIRECT_URI = "http://127.0.0.1:8080/callback"
SECRET_JWT = "a-long-shared-secret-for-the-hs256-client-assertions"
OKP_KEY = OKPKey.generate_key("Ed25519")  # signs with alg Ed25519 (RFC 9864)
ALL_FLOWS = [
    "discovery",
    "code",
    "id_token",
    "max_age",
    "jwt_access_token",
    "refresh",
    "userinfo",
    "client_credentials",
    "rfc8414_discovery",
    "userinfo_jwt",
    "introspection_jwt",
    "resource_indicator",
    "registration",
    "token_exchange",
    "introspection",
    "revocation",
    "device",
    "par",
    "dpop",
    "hybrid",
    "implicit",
    "auth_client_secret_basic",
    "auth_client_secret_post",
    "auth_client_secret_jwt",
    "auth_private_key_jwt",
    "auth_private_key_jwt_ed25519",
    "auth_none",
    "form_post",
    "authorization_error",
    "token_error",
    "userinfo_error",
    "end_session",
]
PRESETS = [
    "generic",
    "superoffice",
    "loginradius",
    "loginradius-hub",
    "permiso",
    "auth0",
    "okta",
    "okta-org",
    "keycloak",
    "entra",
    "cognito",
    "google",
]
# Discovery that cannot match the issuer by the real provider's own design (documented
# in docs/presets.md): the client reads the document's URL as is and trusts its issuer.
ISSUER_QUIRK = {"superoffice"}
# Flows a preset cannot pass by the real provider's documented design (docs/presets.md).
# RFC 9068 access tokens: SuperOffice's and LoginRadius's are opaque; Auth0's, Keycloak's
# and Entra's are typ JWT; Cognito's have no aud; Okta's have cid, not client_id.
NOT_RFC9068 = {
    "superoffice",
    "loginradius",
    "auth0",
    "keycloak",
    "entra",
    "cognito",
    "okta",
    "okta-org",
}
NOT_FOR = {
    # ID tokens without auth_time, even when max_age asks for it (SuperOffice's)
    "max_age": {"superoffice"},
    "jwt_access_token": NOT_RFC9068,
    "resource_indicator": NOT_RFC9068,
    "token_exchange": NOT_RFC9068,
}
# The other documented quirks a client must be told about, per preset.
RELAX: dict[str, dict[str, Any]] = {
    # token_type "access_token" (both documented LoginRadius responses say so)
    # and UserInfo answers its signed (RS256) JWT as a JSON string
    "loginradius": {
        "token_type": {"access_token": "bearer"},
        "json_string_jwt": True,
        "client_metadata": {"userinfo_signed_response_alg": "RS256"},
    },
    # /login/logout takes redirect_uri, not post_logout_redirect_uri
    "superoffice": {"end_session_redirect_param": "redirect_uri"},
}
# A JWT access token's aud where it is not the client id: a custom Okta server's API.
ACCESS_TOKEN_AUDIENCE = {"okta": "api://default"}


def _clients(key: RSAKey) -> list[dict[str, Any]]:
    """The default clients plus one per remaining token endpoint auth method."""
    base: dict[str, Any] = {
        "grant_types": ["authorization_code", "refresh_token", "client_credentials"],
        "redirect_uris": [REDIRECT_URI],
        "post_logout_redirect_uris": ["http://127.0.0.1:8080/"],
    }
    return [
        *default_scenario_mapping()["clients"],
        {**base, "client_id": "post-client", "client_secret": "post-secret",
         "token_endpoint_auth_method": "client_secret_post"},
        {**base, "client_id": "hmac-client", "client_secret": SECRET_JWT,
         "token_endpoint_auth_method": "client_secret_jwt"},
        {**base, "client_id": "key-client", "token_endpoint_auth_method": "private_key_jwt",
         "jwks": {"keys": [key.as_dict(private=False)]}},
        {**base, "client_id": "okp-client", "token_endpoint_auth_method": "private_key_jwt",
         "jwks": {"keys": [{**OKP_KEY.as_dict(private=False), "kid": "okp-1"}]}},
        {"client_id": "exchange-client", "client_secret": "exchange-secret",
         "grant_types": ["urn:ietf:params:oauth:grant-type:token-exchange"]},
        {**base, "client_id": "signed-client", "client_secret": "signed-secret",
         "userinfo_signed_response_alg": "RS256"},
    ]  # fmt: skip


def _client_config(key: RSAKey) -> dict[str, Any]:
    return {
        "basic": {"client_id": "mockidp-client", "client_secret": "mockidp-secret"},
        "post": {"client_id": "post-client", "client_secret": "post-secret"},
        "secret_jwt": {"client_id": "hmac-client", "client_secret": SECRET_JWT},
        "private_key_jwt": {"client_id": "key-client", "jwk": key.as_dict(private=True)},
        "private_key_jwt_ed25519": {
            "client_id": "okp-client",
            "jwk": {**OKP_KEY.as_dict(private=True), "kid": "okp-1"},
        },
        "public": {"client_id": "mockidp-public"},
        "exchange": {"client_id": "exchange-client", "client_secret": "exchange-secret"},
        "signed": {
            "client_id": "signed-client",
            "client_secret": "signed-secret",
            "metadata": {"userinfo_signed_response_alg": "RS256"},
        },
    }


def run_flows(config: dict[str, Any]) -> dict[str, dict[str, Any]]:
    """One Node process running ``config["flows"]``: each flow's JSON result by name."""
    assert NODE is not None
    done = subprocess.run(
        [NODE, str(INTEROP / "flows.mjs"), json.dumps(config)],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    results = [json.loads(line) for line in done.stdout.splitlines() if line.startswith("{")]
    return {result["flow"]: result for result in results}


@pytest.fixture(scope="module")
def client_key() -> RSAKey:
    return RSAKey.generate_key(2048, parameters={"kid": "interop-1", "alg": "RS256"})


@pytest.fixture(scope="module")
def on_live(live_server: LiveServer) -> Iterator[LiveServer]:
    """The session's live server for this module; its default scenario restored after."""
    yield live_server
    live_server.provider.use_scenario(default_scenario())
    live_server.provider.reset()


# Polled once in vain, then approved; openid-client needs a positive interval (a
# zero one is refused: oauth4webapi checks "interval" is a positive number).
DEVICE = {"decision": "approve", "after_polls": 1, "interval": 1}


@pytest.fixture(scope="module")
def default_results(on_live: LiveServer, client_key: RSAKey) -> dict[str, dict[str, Any]]:
    """Every flow against the default scenario (plus clients and a scripted device)."""
    scenario = default_scenario_mapping(clients=_clients(client_key), device=DEVICE)
    on_live.provider.use_scenario(scenario)
    return run_flows(
        {
            "issuer": on_live.url,
            "oauth_metadata": on_live.provider.layout.has("oauth_metadata"),
            "redirect_uri": REDIRECT_URI,
            "clients": _client_config(client_key),
            "flows": ALL_FLOWS,
        }
    )


@pytest.mark.parametrize("flow", ALL_FLOWS)
def test_default_scenario_flow(default_results: dict[str, dict[str, Any]], flow: str) -> None:
    result = default_results[flow]
    assert result["ok"], result
    assert "skipped" not in result, result


def test_default_scenario_results_say_what_was_checked(
    default_results: dict[str, dict[str, Any]],
) -> None:
    """The flows saw what they claim: tokens for alice, DPoP binding, revoked inactive."""
    assert default_results["code"]["sub"] == "alice"
    assert default_results["code"]["has_refresh_token"] is True
    assert default_results["userinfo"]["sub"] == "alice"
    assert default_results["dpop"]["token_type"] == "dpop"
    assert default_results["dpop"]["refreshed_token_type"] == "dpop"
    assert default_results["revocation"]["active_after"] is False
    assert default_results["device"]["sub"] == "alice"
    assert default_results["authorization_error"]["error"] == "invalid_scope"
    assert default_results["token_error"] == {
        "flow": "token_error", "ok": True, "error": "invalid_grant", "status": 400
    }  # fmt: skip
    assert default_results["userinfo_error"]["status"] == 401
    assert default_results["userinfo_error"]["scheme"] == "bearer"
    assert default_results["userinfo_error"]["error"] == "invalid_token"
    assert "code" in default_results["form_post"]["fields"]


def _oauth_metadata(live: LiveServer, issuer_path: str) -> bool | str:
    """RFC 8414 metadata: True where the well-known suffix precedes the issuer's path
    (RFC 8414 3.1), or the URL of a vendor's document appended to it (Okta's, the
    LoginRadius hub's; docs/presets.md), which the client reads as is."""
    layout = live.provider.layout
    if not layout.has("oauth_metadata"):
        return False
    path = layout.paths["oauth_metadata"]
    if path == "/.well-known/oauth-authorization-server" + issuer_path:
        return True
    return live.url + path


@pytest.mark.parametrize("preset", PRESETS)
def test_preset_flows(on_live: LiveServer, client_key: RSAKey, preset: str) -> None:
    """Every flow the preset's discovery offers (a flow whose endpoint is absent from
    discovery reports itself skipped), with the preset's documented quirks relaxed."""
    default = default_scenario_mapping()
    scenario = {
        "preset": preset,
        "clients": _clients(client_key),
        "device": DEVICE,
        **{key: default[key] for key in ("users", "default_user", "login", "consent")},
    }
    flows = [flow for flow in ALL_FLOWS if preset not in NOT_FOR.get(flow, set())]
    on_live.provider.use_scenario(scenario)
    discovery = on_live.provider.layout.paths["discovery"]
    suffix = "/.well-known/openid-configuration"
    assert discovery.endswith(suffix)
    config: dict[str, Any] = {
        "redirect_uri": REDIRECT_URI,
        "clients": _client_config(client_key),
        "flows": flows,
        "oauth_metadata": _oauth_metadata(on_live, discovery.removesuffix(suffix)),
        "relax": RELAX.get(preset, {}),
    }
    if preset in ACCESS_TOKEN_AUDIENCE:
        config["access_token_audience"] = ACCESS_TOKEN_AUDIENCE[preset]
    if preset in ISSUER_QUIRK:
        config["discovery_url"] = on_live.url + discovery
    else:
        config["issuer"] = on_live.url + discovery.removesuffix(suffix)
    results = run_flows(config)
    failed = {flow: r for flow, r in results.items() if not r["ok"]}
    assert not failed, json.dumps(failed, indent=1)
    assert set(results) == set(flows)
    for flow in ("discovery", "code", "id_token"):  # never skipped
        assert "skipped" not in results[flow], results[flow]
    assert results["code"]["sub"]  # alice's (SuperOffice: her email; Entra: pairwise)


VARIANTS: dict[str, tuple[dict[str, Any], list[str]]] = {
    # RFC 9449 8: every proof first answered use_dpop_nonce, retried with the nonce
    "dpop_nonce": ({"dpop": {"require_nonce": True}}, ["dpop"]),
    "es256": ({"signing_alg": "ES256"}, ["code", "id_token", "hybrid", "implicit", "userinfo"]),
    "eddsa": ({"signing_alg": "EdDSA"}, ["code", "id_token", "hybrid", "implicit", "userinfo"]),
    "par_required": ({"require_pushed_authorization_requests": True}, ["par", "dpop"]),
    "opaque_tokens": (
        {"access_token_format": "opaque"},
        ["code", "refresh", "userinfo", "introspection", "introspection_jwt", "revocation"],
    ),
    "pairwise": ({"subject_type": "pairwise"}, ["code", "id_token", "userinfo", "device"]),
    # DPoP proofs signed alg Ed25519 (RFC 9864) and with an RSA key in the header
    "dpop_eddsa_key": ({}, ["dpop"]),
    "dpop_ps256_key": ({}, ["dpop"]),
}
# What the client does differently in a variant.
CLIENT_SIDE: dict[str, dict[str, Any]] = {
    "dpop_eddsa_key": {"dpop_alg": "EdDSA"},
    "dpop_ps256_key": {"dpop_alg": "PS256"},
}


@pytest.mark.parametrize("variant", sorted(VARIANTS))
def test_default_scenario_variants(on_live: LiveServer, client_key: RSAKey, variant: str) -> None:
    """Scenario switches a client must cope with: nonces, algorithms, PAR only, opaque
    tokens, pairwise subjects."""
    changes, flows = VARIANTS[variant]
    scenario = default_scenario_mapping(clients=_clients(client_key), device=DEVICE, **changes)
    on_live.provider.use_scenario(scenario)
    config = {"issuer": on_live.url, "clients": _client_config(client_key), "flows": flows}
    results = run_flows({**config, **CLIENT_SIDE.get(variant, {})})
    failed = {flow: r for flow, r in results.items() if not r["ok"] or "skipped" in r}
    assert not failed, json.dumps(failed, indent=1)
    assert set(results) == set(flows)
