"""A tiny relying party for the audit's own tests, validated with joserfc.

The OIDC code flow, or (``response_type``) implicit or hybrid with ``response_mode=
form_post``; token refresh (``/refresh``), RP-initiated logout (``/logout``, back at
``/logged-out``) and back-channel logout. It validates as OpenID Connect Core 3.1.3.7,
3.2.2 / 3.3.2 (at_hash, c_hash), 5.3.2 (UserInfo, signed or not) and 12.2 (a refreshed ID
token) ask, unless one deliberate flaw is switched on (:data:`FLAWS`): the audit must flag
exactly that flaw's cases and nothing else.
"""

from __future__ import annotations

import base64
import hashlib
import json
import secrets
import time
from typing import Any
from urllib.parse import parse_qs

import httpx
from joserfc import jwt
from joserfc.errors import JoseError
from joserfc.jwk import KeySet
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, PlainTextResponse, RedirectResponse, Response
from starlette.routing import Route

FLAWS = (
    "signature",
    "audience",
    "nonce",
    "alg_none",
    "jwks_cache",
    "logout_signature",
    "userinfo_sub",
    "userinfo_json",
    "refresh_sub",
    "logout_state",
    "at_hash",
    "c_hash",
)
"""signature: no ID token signature is verified; audience: aud is not checked; nonce:
nonce is not checked; alg_none: an unsigned ID token is taken as is; jwks_cache: the JWKS
is fetched once and never again; logout_signature: a Logout Token's signature is not
verified; userinfo_sub: UserInfo's sub is not compared with the ID token's; userinfo_json:
UserInfo is read as JSON only (a signed answer breaks the sign-in); refresh_sub: a
refreshed ID token's sub is not compared with the first one's; logout_state: the page
after RP-initiated logout fails (500) on a state it did not send; at_hash / c_hash: the
authorization response's ID token's at_hash / c_hash is not checked (implicit, hybrid)."""

FRONT_CHANNEL_FLAWS = ("at_hash", "c_hash")
"""Flaws only an implicit or hybrid app can show."""

LOGOUT_EVENT = "http://schemas.openid.net/event/backchannel-logout"

ALGORITHMS = ["RS256", "ES256"]
LEEWAY = 60


class Rejected(Exception):
    """The ID token failed validation."""


class SampleApp:
    """The relying party: ``/login`` starts a sign-in, ``/callback`` ends it, ``/me`` is
    200 only when signed in."""

    def __init__(
        self,
        issuer: str,
        *,
        flaw: str | None = None,
        client_id: str = "mockidp-client",
        client_secret: str = "mockidp-secret",
        http: httpx.Client | None = None,
        userinfo_first: bool = False,
        response_type: str = "code",
    ) -> None:
        assert flaw is None or flaw in FLAWS, flaw
        self.issuer, self.flaw = issuer.rstrip("/"), flaw
        self.client_id, self.client_secret = client_id, client_secret
        self.http = http or httpx.Client(timeout=10)
        self.userinfo_first = userinfo_first
        """Call UserInfo with the access token before validating the ID token (a habit the
        audit reports: the token reached an endpoint before it was checked)."""
        self.response_type = response_type
        self.jwks: dict[str, Any] | None = None
        self.pending: dict[str, tuple[str, str]] = {}  # browser -> (state, nonce)
        self.signed_in: dict[str, dict[str, Any]] = {}  # browser -> its ID token's claims
        self.tokens: dict[str, dict[str, str]] = {}  # browser -> its token response
        self.logouts: dict[str, str] = {}  # RP-initiated logout's state -> browser
        self.asgi = Starlette(
            routes=[
                Route("/login", self.login),
                Route("/callback", self.callback, methods=["GET", "POST"]),
                Route("/me", self.me),
                Route("/refresh", self.refresh),
                Route("/logout", self.logout),
                Route("/logged-out", self.logged_out),
                Route("/backchannel_logout", self.backchannel_logout, methods=["POST"]),
            ]
        )

    def _get(self, path: str) -> Any:
        return self.http.get(self.issuer + path).json()

    def redirect_uri(self, request: Request) -> str:
        return str(request.url_for("callback"))

    async def login(self, request: Request) -> Response:
        browser = secrets.token_urlsafe(16)
        state, nonce = secrets.token_urlsafe(16), secrets.token_urlsafe(16)
        self.pending[browser] = (state, nonce)
        params = {
            "response_type": self.response_type,
            "client_id": self.client_id,
            "redirect_uri": self.redirect_uri(request),
            "scope": "openid offline_access",
            "state": state,
            "nonce": nonce,
        }
        if self.response_type != "code":  # the tokens reach the server, not a fragment
            params["response_mode"] = "form_post"
        query = httpx.QueryParams(params)
        response = RedirectResponse(f"{self.issuer}/authorize?{query}", 302)
        response.set_cookie("browser", browser)
        return response

    async def callback(self, request: Request) -> Response:
        browser = request.cookies.get("browser", "")
        state, nonce = self.pending.pop(browser, ("", ""))
        params = dict(request.query_params)
        if request.method == "POST":  # response_mode=form_post
            params = {k: v[0] for k, v in parse_qs((await request.body()).decode()).items()}
        if not state or params.get("state") != state:
            return PlainTextResponse("bad state", 400)
        try:
            claims, tokens = self.tokens_of(request, params, nonce)
            claims = self.check_userinfo(tokens.get("access_token", ""), claims)
        except (Rejected, JoseError, ValueError) as exc:
            return PlainTextResponse(f"rejected: {exc}", 401)
        self.signed_in[browser] = claims
        self.tokens[browser] = tokens
        return RedirectResponse("/me", 302)

    def tokens_of(
        self, request: Request, params: dict[str, str], nonce: str
    ) -> tuple[dict[str, Any], dict[str, str]]:
        """The sign-in's ID token claims and tokens: from the authorization response, the
        token endpoint, or both (hybrid: both ID tokens name one user)."""
        claims: dict[str, Any] | None = None
        tokens = {k: v for k, v in params.items() if k in ("access_token", "id_token")}
        if "id_token" in params:  # implicit / hybrid: Core 3.2.2.11, 3.3.2.12
            claims = self.validate(params["id_token"], nonce)
            self.check_hashes(claims, params, alg=str(_part(params["id_token"], 0).get("alg")))
        if "code" in params:
            answer = self.http.post(
                f"{self.issuer}/token",
                data={
                    "grant_type": "authorization_code",
                    "code": params["code"],
                    "redirect_uri": self.redirect_uri(request),
                },
                auth=(self.client_id, self.client_secret),
            )
            if answer.status_code != 200:
                raise Rejected("token request failed")
            tokens.update({k: str(v) for k, v in answer.json().items() if isinstance(v, str)})
            if self.userinfo_first:
                bearer = {"Authorization": f"Bearer {tokens.get('access_token', '')}"}
                self.http.get(f"{self.issuer}/userinfo", headers=bearer)
            from_token = self.validate(tokens.get("id_token", ""), nonce)
            if claims is not None and from_token["sub"] != claims["sub"]:  # Core 3.3.3.6
                raise Rejected("the two ID tokens name different users")
            claims = claims or from_token
        if claims is None:
            raise Rejected("no ID token")
        return claims, tokens

    def check_hashes(self, claims: dict[str, Any], params: dict[str, str], *, alg: str) -> None:
        """Core 3.3.2.11 / 3.2.2.10: the authorization response's ID token carries c_hash
        beside a code and at_hash beside an access token, each the value's half hash."""
        for claim, value, flaw in (
            ("c_hash", params.get("code"), "c_hash"),
            ("at_hash", params.get("access_token"), "at_hash"),
        ):
            if value is None or self.flaw == flaw:
                continue
            if claims.get(claim) != _half_hash(value, alg):
                raise Rejected(f"{claim} missing or wrong")

    def check_userinfo(self, access_token: str, claims: dict[str, Any]) -> dict[str, Any]:
        """Core 5.3.2: UserInfo (JSON, or a JWT for a client registered for a signed one)
        is about the ID token's sub, or it is not used."""
        info = self.http.get(
            f"{self.issuer}/userinfo", headers={"Authorization": f"Bearer {access_token}"}
        )
        signed = info.headers.get("content-type", "").startswith("application/jwt")
        if signed and self.flaw != "userinfo_json":
            answer = self.verified(info.text, _part(info.text, 0))
            if answer.get("iss") != self.issuer or answer.get("aud") not in (
                self.client_id,
                [self.client_id],
            ):
                raise Rejected("signed UserInfo from another issuer or for another client")
        else:
            answer = info.json()  # a JWT read as JSON: ValueError, rejected
        if self.flaw != "userinfo_sub" and answer.get("sub") != claims["sub"]:
            raise Rejected("userinfo sub differs")
        return claims

    async def me(self, request: Request) -> Response:
        if request.cookies.get("browser") in self.signed_in:
            return JSONResponse({"signed_in": True})
        return PlainTextResponse("not signed in", 401)

    async def refresh(self, request: Request) -> Response:
        """Refresh the signed-in user's tokens: 200 when the new ones were taken."""
        browser = request.cookies.get("browser", "")
        first, tokens = self.signed_in.get(browser), self.tokens.get(browser, {})
        if first is None or "refresh_token" not in tokens:
            return PlainTextResponse("nothing to refresh", 401)
        answer = self.http.post(
            f"{self.issuer}/token",
            data={"grant_type": "refresh_token", "refresh_token": tokens["refresh_token"]},
            auth=(self.client_id, self.client_secret),
        )
        if answer.status_code != 200:
            return PlainTextResponse("refresh failed", 502)
        fresh = {k: str(v) for k, v in answer.json().items() if isinstance(v, str)}
        if "id_token" in fresh:
            try:
                self.check_refreshed(fresh["id_token"], first)
            except (Rejected, JoseError, ValueError) as exc:
                return PlainTextResponse(f"rejected: {exc}", 401)
        self.tokens[browser] = {**tokens, **fresh}
        return JSONResponse({"refreshed": True})

    def check_refreshed(self, token: str, first: dict[str, Any]) -> None:
        """Core 12.2: a refreshed ID token is valid, and names the first one's iss, sub, aud."""
        claims = self.validate(token, None)
        names = ("iss", "aud") if self.flaw == "refresh_sub" else ("iss", "sub", "aud")
        for name in names:
            if claims.get(name) != first.get(name):
                raise Rejected(f"the refreshed ID token's {name} differs")

    async def logout(self, request: Request) -> Response:
        """RP-initiated logout: sign out here, then at the provider, back at /logged-out."""
        browser = request.cookies.get("browser", "")
        self.signed_in.pop(browser, None)
        state = secrets.token_urlsafe(16)
        self.logouts[state] = browser
        query = httpx.QueryParams(
            id_token_hint=self.tokens.pop(browser, {}).get("id_token", ""),
            post_logout_redirect_uri=str(request.url_for("logged_out")),
            state=state,
        )
        end_session = self._get("/.well-known/openid-configuration")["end_session_endpoint"]
        return RedirectResponse(f"{end_session}?{query}", 302)

    async def logged_out(self, request: Request) -> Response:
        state = request.query_params.get("state", "")
        if self.flaw == "logout_state" and state not in self.logouts:
            return PlainTextResponse("Internal Server Error", 500)  # a KeyError, unhandled
        if self.logouts.pop(state, None) != request.cookies.get("browser", ""):
            return PlainTextResponse("this logout was not started here", 400)
        return PlainTextResponse("signed out", 200)

    async def backchannel_logout(self, request: Request) -> Response:
        """Back-Channel Logout 2.6: validate the Logout Token, end the sessions it names."""
        form = parse_qs((await request.body()).decode("utf-8"))  # no python-multipart here
        try:
            claims = self.validate_logout(form.get("logout_token", [""])[0])
        except (Rejected, JoseError, ValueError) as exc:
            return PlainTextResponse(f"rejected: {exc}", 400)
        for browser, signed in list(self.signed_in.items()):
            if (
                claims.get("sid", signed.get("sid")) == signed.get("sid")
                and claims.get("sub", signed["sub"]) == signed["sub"]
            ):
                del self.signed_in[browser]
        return Response(status_code=200, headers={"Cache-Control": "no-store"})

    def validate_logout(self, token: str) -> dict[str, Any]:
        header = _part(token, 0)
        if self.flaw == "logout_signature":
            claims = _part(token, 1)
        else:
            claims = self.verified(token, header)
        if claims.get("iss") != self.issuer:
            raise Rejected("wrong iss")
        aud = claims.get("aud")
        if self.client_id not in (aud if isinstance(aud, list) else [aud]):
            raise Rejected("wrong aud")
        if "iat" not in claims or not ("sub" in claims or "sid" in claims):
            raise Rejected("no iat, or neither sub nor sid")
        events = claims.get("events")
        if not isinstance(events, dict) or LOGOUT_EVENT not in events:
            raise Rejected("no back-channel logout event")
        if "nonce" in claims:
            raise Rejected("a Logout Token has no nonce")
        return claims

    # -- validation (Core 3.1.3.7) ----------------------------------------------------

    def validate(self, token: str, nonce: str | None) -> dict[str, Any]:
        """The ID token's claims; ``nonce`` None: a refreshed token (no nonce to match)."""
        header = _part(token, 0)
        if self.flaw == "signature" or (self.flaw == "alg_none" and header.get("alg") == "none"):
            claims = _part(token, 1)
        else:
            claims = self.verified(token, header)
        self.check_claims(claims, nonce)
        return claims

    def verified(self, token: str, header: dict[str, Any]) -> dict[str, Any]:
        if header.get("alg") not in ALGORITHMS:  # RFC 8725 3.1: only what we expect
            raise Rejected(f"alg {header.get('alg')!r} is not allowed")
        key = self.key_for(header.get("kid"))
        decoded = jwt.decode(token, key, algorithms=ALGORITHMS)
        return dict(decoded.claims)

    def key_for(self, kid: str | None) -> Any:
        """The JWKS's key by kid, fetching the JWKS again once when the kid is unknown;
        no kid: the JWKS's only key. jwk / jku / x5u headers are never trusted."""
        for attempt in range(2):
            if self.jwks is None or (attempt and self.flaw != "jwks_cache"):
                self.jwks = self._get("/.well-known/jwks.json")
            keys = self.jwks["keys"]
            found = [k for k in keys if kid is None or k.get("kid") == kid]
            if kid is None and len(keys) > 1:
                raise Rejected("no kid, and the JWKS has several keys")
            if found:
                return KeySet.import_key_set({"keys": found[:1]}).keys[0]
        raise Rejected(f"no key {kid!r} in the JWKS")

    def check_claims(self, claims: dict[str, Any], nonce: str | None) -> None:
        now = time.time()
        if claims.get("iss") != self.issuer:
            raise Rejected("wrong iss")
        if self.flaw != "audience":
            aud = claims.get("aud")
            auds = aud if isinstance(aud, list) else [aud]
            if self.client_id not in auds or len(auds) != 1:
                raise Rejected("aud is not (only) this client")
        for name in ("sub", "iat", "exp"):
            if name not in claims:
                raise Rejected(f"no {name}")
        if float(claims["exp"]) < now - LEEWAY:
            raise Rejected("expired")
        if "nbf" in claims and float(claims["nbf"]) > now + LEEWAY:
            raise Rejected("not yet valid")
        if nonce is not None and self.flaw != "nonce" and claims.get("nonce") != nonce:
            raise Rejected("wrong nonce")


def _half_hash(value: str, alg: str) -> str:
    """Core 3.1.3.6: the left half of the hash (the alg's SHA-2) of the value, base64url."""
    sha = {"384": hashlib.sha384, "512": hashlib.sha512}.get(alg[-3:], hashlib.sha256)
    digest = sha(value.encode("ascii")).digest()
    return base64.urlsafe_b64encode(digest[: len(digest) // 2]).rstrip(b"=").decode("ascii")


def _part(token: str, index: int) -> dict[str, Any]:
    parts = token.split(".")
    if len(parts) != 3:
        raise Rejected("not a JWS")
    text = parts[index] + "=" * (-len(parts[index]) % 4)
    value = json.loads(base64.urlsafe_b64decode(text))
    if not isinstance(value, dict):
        raise Rejected("not a JSON object")
    return value
