"""Every case's identifiers are ones the OpenID Foundation's conformance suite publishes.

The sets below are read from openid-certification/conformance-suite,
``src/main/java/net/openid/conformance/openid/client/`` (its ``OIDCCClientTest*`` modules):
``PUBLISHED`` is each module's ``@PublishTestModule(testName = ...)``; ``OLD_IDS`` the old
``rp-*`` test each module's summary says it corresponds to, or a test plan's comment names.
A case beyond the plans has neither (an empty string).
"""

from __future__ import annotations

from mockidp.audit.cases import ALL_CASES

PUBLISHED = frozenset(
    {
        "oidcc-client-test",
        "oidcc-client-test-3rd-party-init-login",
        "oidcc-client-test-aggregated-claims",
        "oidcc-client-test-client-secret-basic",
        "oidcc-client-test-discovery-issuer-mismatch",
        "oidcc-client-test-discovery-jwks-uri-keys",
        "oidcc-client-test-discovery-openid-config",
        "oidcc-client-test-discovery-webfinger-acct",
        "oidcc-client-test-discovery-webfinger-url",
        "oidcc-client-test-distributed-claims",
        "oidcc-client-test-dynamic-registration",
        "oidcc-client-test-form-post-error",
        "oidcc-client-test-idtoken-sig-none",
        "oidcc-client-test-idtoken-sig-rs256",
        "oidcc-client-test-invalid-athash",
        "oidcc-client-test-invalid-aud",
        "oidcc-client-test-invalid-chash",
        "oidcc-client-test-invalid-iss",
        "oidcc-client-test-invalid-sig-es256",
        "oidcc-client-test-invalid-sig-hs256",
        "oidcc-client-test-invalid-sig-rs256",
        "oidcc-client-test-kid-absent-multiple-jwks",
        "oidcc-client-test-kid-absent-single-jwks",
        "oidcc-client-test-missing-athash",
        "oidcc-client-test-missing-aud",
        "oidcc-client-test-missing-chash",
        "oidcc-client-test-missing-iat",
        "oidcc-client-test-missing-sub",
        "oidcc-client-test-mtls-endpoint-aliases",
        "oidcc-client-test-nonce-invalid",
        "oidcc-client-test-nonce-unless-code-flow",
        "oidcc-client-test-refresh-token",
        "oidcc-client-test-refresh-token-invalid-issuer",
        "oidcc-client-test-refresh-token-invalid-sub",
        "oidcc-client-test-request-uri-signed-none",
        "oidcc-client-test-request-uri-signed-rs256",
        "oidcc-client-test-rp-backchannel-rpinitlogout",
        "oidcc-client-test-rp-backchannel-rpinitlogout-alg-none",
        "oidcc-client-test-rp-backchannel-rpinitlogout-no-event",
        "oidcc-client-test-rp-backchannel-rpinitlogout-with-nonce",
        "oidcc-client-test-rp-backchannel-rpinitlogout-wrong-alg",
        "oidcc-client-test-rp-backchannel-rpinitlogout-wrong-aud",
        "oidcc-client-test-rp-backchannel-rpinitlogout-wrong-event",
        "oidcc-client-test-rp-backchannel-rpinitlogout-wrong-iss",
        "oidcc-client-test-rp-frontchannel-opinitlogout",
        "oidcc-client-test-rp-frontchannel-rpinitlogout",
        "oidcc-client-test-rp-init-logout",
        "oidcc-client-test-rp-init-logout-no-state",
        "oidcc-client-test-rp-init-logout-other-state",
        "oidcc-client-test-scope-userinfo-claims",
        "oidcc-client-test-session-management",
        "oidcc-client-test-signing-key-rotation",
        "oidcc-client-test-signing-key-rotation-just-before-signing",
        "oidcc-client-test-userinfo-bearer-body",
        "oidcc-client-test-userinfo-bearer-header",
        "oidcc-client-test-userinfo-invalid-sub",
        "oidcc-client-test-userinfo-signed",
    }
)
OLD_IDS = frozenset(
    {
        "rp-backchannel-rpinitlogout",
        "rp-backchannel-rpinitlogout-lt-alg-none",
        "rp-backchannel-rpinitlogout-lt-no-event",
        "rp-backchannel-rpinitlogout-lt-with-nonce",
        "rp-backchannel-rpinitlogout-lt-wrong-alg",
        "rp-backchannel-rpinitlogout-lt-wrong-aud",
        "rp-backchannel-rpinitlogout-lt-wrong-event",
        "rp-backchannel-rpinitlogout-lt-wrong-issuer",
        "rp-discovery-issuer-not-matching-config",
        "rp-discovery-jwks_uri-keys",
        "rp-discovery-openid-configuration",
        "rp-discovery-webfinger-acct",
        "rp-discovery-webfinger-url",
        "rp-frontchannel-rpinitlogout",
        "rp-id_token-aud",
        "rp-id_token-bad-at_hash",
        "rp-id_token-bad-c_hash",
        "rp-id_token-bad-sig-es256",
        "rp-id_token-bad-sig-hs256",
        "rp-id_token-bad-sig-rs256",
        "rp-id_token-iat",
        "rp-id_token-issuer-mismatch",
        "rp-id_token-kid-absent-multiple-jwks",
        "rp-id_token-kid-absent-single-jwks",
        "rp-id_token-missing-at_hash",
        "rp-id_token-missing-c_hash",
        "rp-id_token-sig-none",
        "rp-id_token-sig-rs256",
        "rp-id_token-sub",
        "rp-init-logout",
        "rp-init-logout-no-state",
        "rp-init-logout-other-state",
        "rp-init-logout-session",
        "rp-key-rotation-op-sign-key",
        "rp-key-rotation-op-sign-key-native",
        "rp-nonce-invalid",
        "rp-nonce-unless-code-flow",
        "rp-registration-dynamic",
        "rp-request_uri-sig",
        "rp-request_uri-unsigned",
        "rp-response_mode-form_post-error",
        "rp-response_type-code",
        "rp-response_type-code+id_token",
        "rp-response_type-code+id_token+token",
        "rp-response_type-code+token",
        "rp-response_type-id_token",
        "rp-response_type-id_token+token",
        "rp-scope-userinfo-claims",
        "rp-token_endpoint-client_secret_basic",
        "rp-userinfo-bad-sub-claim",
        "rp-userinfo-bearer-body",
        "rp-userinfo-bearer-header",
        "rp-userinfo-sig",
    }
)


def test_every_oidf_name_is_a_published_module() -> None:
    unknown = {c.name: c.oidf for c in ALL_CASES if c.oidf and c.oidf not in PUBLISHED}
    assert unknown == {}


def test_every_rp_id_is_an_old_test_the_suite_names() -> None:
    unknown = {c.name: c.rp for c in ALL_CASES if c.rp and c.rp not in OLD_IDS}
    assert unknown == {}


def test_an_old_id_goes_with_a_current_name() -> None:
    assert [c.name for c in ALL_CASES if c.rp and not c.oidf] == []


def test_the_back_channel_logout_cases_carry_the_suites_names() -> None:
    by_name = {c.name: (c.oidf, c.rp) for c in ALL_CASES}
    stem = "oidcc-client-test-rp-backchannel-rpinitlogout"
    assert by_name["logout-valid"] == (stem, "rp-backchannel-rpinitlogout")
    assert by_name["logout-wrong-event"] == (
        f"{stem}-wrong-event",
        "rp-backchannel-rpinitlogout-lt-wrong-event",
    )
    assert by_name["logout-wrong-iss"] == (
        f"{stem}-wrong-iss",
        "rp-backchannel-rpinitlogout-lt-wrong-issuer",
    )
