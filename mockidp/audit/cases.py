"""The audit's cases: one misbehaviour of the provider each, and what a relying party must do.

Each case names the OpenID Foundation's client test module (``oidcc-client-test-*``) and
the older ``rp-*`` test id where one exists (empty: beyond the plans), the verdict it
expects, and the scenario rule that produces it (:meth:`Case.rule`), so one case can be
replayed by hand with ``broken_tokens``. docs/audit.md explains each.
"""

from __future__ import annotations

import fnmatch
from typing import Literal

from msgspec import Struct

from mockidp.types import JSONObject

Expected = Literal["reject", "accept", "either"]
Journey = Literal["sign_in", "refresh", "rp_logout"]
"""What the audit drives for a case: a sign-in; a sign-in, then the app's refresh URL; a
sign-in, then the app's logout URL (RP-initiated logout)."""

SIGNATURE = "signature"
"""The group of cases a relying party that verifies no signature fails."""


class Case(Struct, frozen=True):
    """One audit case: the provider misbehaves in exactly one way."""

    name: str
    expected: Expected
    checks: str
    """What the relying party must notice, in a phrase."""
    spec: str
    oidf: str = ""
    """The OpenID Foundation client test module; empty beyond the plans."""
    rp: str = ""
    """The older ``rp-*`` test id, where one exists."""
    defect: str | None = None
    """The ``broken_tokens`` defect of the ID token (None: a good sign-in)."""
    group: str = ""
    """The flaw a failure of this case points at (cases of one group fail together)."""
    sign_ins: int = 1
    """How many sign-ins the case takes; the defect is on the last one."""
    keys: tuple[str, ...] = ()
    """Packaged keys the JWKS publishes instead of the scenario's (the first signs)."""
    signing_alg: str | None = None
    """The scenario's ``signing_alg`` for this case (say ES256)."""
    lenient_over_tls: bool = False
    """Accepting is "lenient", not failed, when the ID token came straight from the token
    endpoint over TLS (Core 3.1.3.7 (6))."""
    fault: JSONObject | None = None
    """A ``faults`` rule instead of a broken token (UserInfo's answer, say)."""
    token: str = "id_token"
    """The token the defect breaks: an ID token, or a Logout Token POSTed to the app's
    ``backchannel_logout_uri`` after a sign-in (accepted: the app signed the user out)."""
    match: JSONObject | None = None
    """The rule's ``match``: which issuances it breaks (a refresh, the authorization
    endpoint's ID token)."""
    clients: JSONObject | None = None
    """Metadata every client of the scenario registers for the case (signed UserInfo)."""
    journey: Journey = "sign_in"
    """What the audit drives (:data:`Journey`); back-channel logout cases go by ``token``."""
    front_channel: str | None = None
    """The case applies only when the authorization response carries the ID token and
    this (``token``: at_hash; ``code``: c_hash): an implicit or hybrid flow. Other flows
    report it "not applicable", never failed."""
    userinfo: bool = False
    """The case applies only to an app that calls UserInfo (else "not applicable")."""

    @property
    def logout(self) -> bool:
        """A back-channel logout case (a Logout Token POSTed to the app)."""
        return self.token == "logout_token"

    @property
    def needs(self) -> str:
        """The app's URL the case needs beyond start and check: ``backchannel``,
        ``refresh``, ``rp_logout``; empty for none."""
        if self.logout:
            return "backchannel"
        return "" if self.journey == "sign_in" else self.journey

    @property
    def section(self) -> str:
        """The scenario section :meth:`rule` belongs in."""
        return "faults" if self.fault is not None else "broken_tokens"

    def rule(self) -> JSONObject | None:
        """The ``broken_tokens`` (or ``faults``) rule of this case, as a scenario holds it."""
        if self.fault is not None:
            return self.fault
        if self.defect is None:
            return None
        rule: JSONObject = {"token": self.token, "defect": self.defect}
        if self.match is not None:
            rule["match"] = self.match
        if self.sign_ins > 1:
            rule["when"] = {"nth": self.sign_ins}
        return rule

    def scenario_patch(self) -> JSONObject:
        """The top-level scenario keys this case sets (a rule, keys, an algorithm); a
        None value removes the key (as a control API PATCH does)."""
        patch: JSONObject = {}
        rule = self.rule()
        if rule is not None:
            patch[self.section] = [rule]
        if self.keys:
            patch["keys"] = [{"packaged": name} for name in self.keys]
        if self.signing_alg is not None:
            patch["signing_alg"] = self.signing_alg
            patch["keys"] = None  # the packaged key of that algorithm
        return patch


def _sig(name: str, defect: str, checks: str, oidf: str = "", rp: str = "", **kw: str) -> Case:
    return Case(
        name,
        "reject",
        checks,
        "Core 3.1.3.7 (6); RFC 8725 3.1",
        oidf,
        rp,
        defect,
        group=SIGNATURE,
        lenient_over_tls=True,
        signing_alg=kw.get("alg"),
    )


_CORE = "Core 3.1.3.7"
CASES: tuple[Case, ...] = (
    Case("valid", "accept", "a good sign-in", _CORE, "oidcc-client-test", "rp-response_type-code"),
    _sig(
        "sig-rs256-invalid",
        "bad_signature",
        "an RS256 signature that does not verify",
        "oidcc-client-test-invalid-sig-rs256",
        "rp-id_token-bad-sig-rs256",
    ),
    _sig(
        "sig-es256-invalid",
        "bad_signature",
        "an ES256 signature that does not verify",
        "oidcc-client-test-invalid-sig-es256",
        "rp-id_token-bad-sig-es256",
        alg="ES256",
    ),
    _sig(
        "sig-hs256-invalid",
        "bad_signature_hs256",
        "an HS256 MAC (client secret) that does not verify",
        "oidcc-client-test-invalid-sig-hs256",
        "rp-id_token-bad-sig-hs256",
    ),
    _sig("unknown-kid", "unknown_kid", "a key the JWKS does not publish"),
    _sig("key-confusion", "key_confusion", "HS256 keyed with the provider's public key"),
    _sig("jwk-header", "jwk_header", "an attacker's key offered in the jwk header"),
    _sig("jku-header", "jku_header", "an attacker's JWK Set named by the jku header"),
    _sig("x5u-header", "x5u_header", "an attacker's certificate named by the x5u header"),
    Case(
        "sig-none",
        "reject",
        "an unsigned ID token (alg none) for a client registered for RS256",
        "Core 3.1.3.7 (7); RFC 8725 3.1",
        "oidcc-client-test-idtoken-sig-none",
        "rp-id_token-sig-none",
        "alg_none",
        group="alg-none",
    ),
    Case(
        "iss-invalid",
        "reject",
        "an iss that is not the issuer",
        f"{_CORE} (2)",
        "oidcc-client-test-invalid-iss",
        "rp-id_token-issuer-mismatch",
        "wrong_issuer",
        group="issuer",
    ),
    Case("iss-missing", "reject", "no iss", f"{_CORE} (2)", "", "", "missing_issuer", "issuer"),
    Case(
        "aud-invalid",
        "reject",
        "an aud without the client",
        f"{_CORE} (3)",
        "oidcc-client-test-invalid-aud",
        "rp-id_token-aud",
        "wrong_audience",
        group="audience",
    ),
    Case(
        "aud-missing",
        "reject",
        "no aud",
        f"{_CORE} (3)",
        "oidcc-client-test-missing-aud",
        "",
        "missing_audience",
        group="audience",
    ),
    Case(
        "aud-untrusted-extra",
        "reject",
        "an extra, untrusted aud and no azp",
        f"{_CORE} (3), (4)",
        "",
        "",
        "extra_audience",
        group="audience",
    ),
    Case(
        "iat-missing",
        "reject",
        "no iat",
        "Core 2",
        "oidcc-client-test-missing-iat",
        "rp-id_token-iat",
        "missing_iat",
        group="claims",
    ),
    Case(
        "sub-missing",
        "reject",
        "no sub",
        "Core 2",
        "oidcc-client-test-missing-sub",
        "rp-id_token-sub",
        "missing_sub",
        group="claims",
    ),
    Case("expired", "reject", "exp in the past", f"{_CORE} (9)", "", "", "expired", "time"),
    Case("iat-future", "either", "iat in the future", f"{_CORE} (10)", "", "", "issued_in_future"),
    Case("nbf-future", "reject", "nbf in the future", "RFC 7519 4.1.5", "", "", "not_yet_valid"),
    Case(
        "nonce-invalid",
        "reject",
        "a nonce that is not the request's",
        f"{_CORE} (11)",
        "oidcc-client-test-nonce-invalid",
        "rp-nonce-invalid",
        "wrong_nonce",
        group="nonce",
    ),
    Case(
        "nonce-missing",
        "reject",
        "no nonce though the request sent one",
        f"{_CORE} (11)",
        "",
        "",
        "missing_nonce",
        group="nonce",
    ),
    Case(
        "userinfo-invalid-sub",
        "reject",
        "a UserInfo sub that is not the ID token's",
        "Core 5.3.2",
        "oidcc-client-test-userinfo-invalid-sub",
        "rp-userinfo-bad-sub-claim",
        group="userinfo",
        userinfo=True,
        fault={
            "match": {"endpoint": "userinfo"},
            "respond": {
                "http_status": {
                    "status": 200,
                    "body": '{"sub": "mockidp-someone-else"}',
                    "content_type": "application/json",
                }
            },
        },
    ),
    Case(
        "kid-absent-single-jwks",
        "accept",
        "no kid, and the JWKS publishes one key: use it",
        "Core 10.1",
        "oidcc-client-test-kid-absent-single-jwks",
        "rp-id_token-kid-absent-single-jwks",
        "no_kid",
    ),
    Case(
        "kid-absent-multiple-jwks",
        "either",
        "no kid, and the JWKS publishes several keys",
        "Core 10.1",
        "oidcc-client-test-kid-absent-multiple-jwks",
        "rp-id_token-kid-absent-multiple-jwks",
        "no_kid",
        keys=("rsa-1", "rsa-2"),
    ),
    Case(
        "kid-selects-key",
        "accept",
        "signed by the JWKS's second key: pick the key by kid",
        "Core 10.1.1",
        "",
        "",
        "rotating_key",
        group="jwks-refresh",
        keys=("rsa-1", "rsa-2"),
    ),
    Case(
        "key-rotation-before-signing",
        "accept",
        "a key published just before signing: fetch the JWKS again",
        "Core 10.1.1",
        "oidcc-client-test-signing-key-rotation-just-before-signing",
        "rp-key-rotation-op-sign-key-native",
        "fresh_key",
        group="jwks-refresh",
    ),
    Case(
        "key-rotation",
        "accept",
        "the signing key changes after the first sign-in",
        "Core 10.1.1",
        "oidcc-client-test-signing-key-rotation",
        "rp-key-rotation-op-sign-key",
        "fresh_key",
        group="jwks-refresh",
        sign_ins=2,
    ),
)


_AUTHORIZATION = {"endpoint": "authorization"}
"""The ID token the authorization endpoint hands out (implicit, hybrid), not the token
endpoint's."""


def _hash(name: str, defect: str, checks: str, oidf: str, rp: str) -> Case:
    at = defect.endswith("at_hash")
    return Case(
        name,
        "reject",
        checks,
        "Core 3.2.2.9, 3.3.2.9, 3.3.2.11" if at else "Core 3.3.2.10, 3.3.2.11",
        oidf,
        rp,
        defect,
        group="at_hash" if at else "c_hash",
        match=_AUTHORIZATION,
        front_channel="token" if at else "code",
    )


_REFRESH = {"grant_type": "refresh_token"}
MORE_CASES: tuple[Case, ...] = (
    Case(
        "userinfo-signed",
        "accept",
        "a signed UserInfo answer (application/jwt) for a client registered for one",
        "Core 5.3.2",
        "oidcc-client-test-userinfo-signed",
        "rp-userinfo-sig",
        group="userinfo-jwt",
        clients={"userinfo_signed_response_alg": "RS256"},
        userinfo=True,
    ),
    _hash(
        "at-hash-invalid",
        "wrong_at_hash",
        "an at_hash that is not the access token's (implicit, hybrid)",
        "oidcc-client-test-invalid-athash",
        "rp-id_token-bad-at_hash",
    ),
    _hash(
        "at-hash-missing",
        "missing_at_hash",
        "no at_hash beside an access token (implicit, hybrid)",
        "oidcc-client-test-missing-athash",
        "rp-id_token-missing-at_hash",
    ),
    _hash(
        "c-hash-invalid",
        "wrong_c_hash",
        "a c_hash that is not the code's (hybrid)",
        "oidcc-client-test-invalid-chash",
        "rp-id_token-bad-c_hash",
    ),
    _hash(
        "c-hash-missing",
        "missing_c_hash",
        "no c_hash beside a code (hybrid)",
        "oidcc-client-test-missing-chash",
        "rp-id_token-missing-c_hash",
    ),
    Case(
        "refresh-valid",
        "accept",
        "a good refresh: take the new tokens",
        "Core 12.2",
        "oidcc-client-test-refresh-token",
        journey="refresh",
    ),
    Case(
        "refresh-iss-invalid",
        "reject",
        "a refreshed ID token whose iss is not the first one's",
        "Core 12.2",
        "oidcc-client-test-refresh-token-invalid-issuer",
        "",
        "wrong_issuer",
        group="issuer",
        match=_REFRESH,
        journey="refresh",
    ),
    Case(
        "refresh-sub-invalid",
        "reject",
        "a refreshed ID token about another sub than the first one",
        "Core 12.2",
        "oidcc-client-test-refresh-token-invalid-sub",
        "",
        "wrong_sub",
        group="refresh-sub",
        match=_REFRESH,
        journey="refresh",
    ),
    Case(
        "rp-logout",
        "accept",
        "RP-initiated logout: the provider sends the user back with the app's state",
        "RP-Initiated Logout 2, 3",
        "oidcc-client-test-rp-init-logout",
        "rp-init-logout",
        journey="rp_logout",
    ),
    Case(
        "rp-logout-other-state",
        "either",
        "RP-initiated logout answered with another state: cope (no server error)",
        "RP-Initiated Logout 3",
        "oidcc-client-test-rp-init-logout-other-state",
        "rp-init-logout-other-state",
        group="logout-state",
        journey="rp_logout",
        fault={"match": {"endpoint": "end_session"}, "respond": {"redirect_state": "other"}},
    ),
    Case(
        "rp-logout-no-state",
        "either",
        "RP-initiated logout answered with no state: cope (no server error)",
        "RP-Initiated Logout 3",
        "oidcc-client-test-rp-init-logout-no-state",
        "rp-init-logout-no-state",
        group="logout-state",
        journey="rp_logout",
        fault={"match": {"endpoint": "end_session"}, "respond": {"redirect_state": "absent"}},
    ),
)


def _logout(
    name: str, expected: Expected, checks: str, defect: str | None, oidf: str, rp: str
) -> Case:
    group = "logout-signature" if defect in ("alg_none", "bad_signature", "wrong_alg") else ""
    spec = "Back-Channel Logout 2.6"
    return Case(name, expected, checks, spec, oidf, rp, defect, group, token="logout_token")


# The names as the OpenID conformance suite publishes them (the @PublishTestModule
# testName of net.openid.conformance.openid.client.logout.OIDCCClientTestBackChannelLogout*,
# each summary naming its old rp-* test): the current ones drop the old ids' "lt-".
_LT = "rp-backchannel-rpinitlogout"
_OIDF = f"oidcc-client-test-{_LT}"
LOGOUT_CASES: tuple[Case, ...] = (
    _logout("logout-valid", "accept", "a good Logout Token: sign the user out", None, _OIDF, _LT),
    _logout(
        "logout-sig-none",
        "reject",
        "an unsigned Logout Token",
        "alg_none",
        f"{_OIDF}-alg-none",
        f"{_LT}-lt-alg-none",
    ),
    _logout(
        "logout-sig-invalid",
        "reject",
        "a Logout Token whose signature fails",
        "bad_signature",
        "",
        "",
    ),
    _logout(
        "logout-wrong-alg",
        "reject",
        "an HS256 Logout Token (secret-keyed)",
        "wrong_alg",
        f"{_OIDF}-wrong-alg",
        f"{_LT}-lt-wrong-alg",
    ),
    _logout(
        "logout-wrong-aud",
        "reject",
        "aud is not the client",
        "wrong_audience",
        f"{_OIDF}-wrong-aud",
        f"{_LT}-lt-wrong-aud",
    ),
    _logout(
        "logout-wrong-iss",
        "reject",
        "iss is not the issuer",
        "wrong_issuer",
        f"{_OIDF}-wrong-iss",
        f"{_LT}-lt-wrong-issuer",
    ),
    _logout(
        "logout-no-event",
        "reject",
        "no events claim",
        "no_events",
        f"{_OIDF}-no-event",
        f"{_LT}-lt-no-event",
    ),
    _logout(
        "logout-wrong-event",
        "reject",
        "another event than logout",
        "wrong_event",
        f"{_OIDF}-wrong-event",
        f"{_LT}-lt-wrong-event",
    ),
    _logout(
        "logout-with-nonce",
        "reject",
        "a nonce in a Logout Token",
        "with_nonce",
        f"{_OIDF}-with-nonce",
        f"{_LT}-lt-with-nonce",
    ),
)
ALL_CASES = CASES + MORE_CASES + LOGOUT_CASES


def select(
    pattern: str | None,
    *,
    logout: bool = True,
    refresh: bool = True,
    rp_logout: bool = True,
) -> tuple[Case, ...]:
    """The cases whose name matches ``pattern`` (shell-style, comma-separated; None: all);
    ``logout``: with the back-channel logout cases; ``refresh``: the refresh cases;
    ``rp_logout``: the RP-initiated logout cases (each needs a URL of the app's)."""
    wanted = {"": True, "backchannel": logout, "refresh": refresh, "rp_logout": rp_logout}
    pool = tuple(c for c in ALL_CASES if wanted[c.needs])
    if not pattern:
        return pool
    parts = [p.strip() for p in pattern.split(",") if p.strip()]
    return tuple(c for c in pool if any(fnmatch.fnmatchcase(c.name, p) for p in parts))


def by_name(name: str) -> Case:
    for case in ALL_CASES:
        if case.name == name:
            return case
    raise KeyError(name)
