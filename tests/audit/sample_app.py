"""A tiny relying party for the audit's own tests: the OIDC code flow, validated with joserfc.

It validates as OpenID Connect Core 3.1.3.7 asks, unless one deliberate flaw is switched
on (:data:`FLAWS`): the audit must flag exactly that flaw's cases and nothing else.
"""

from __future__ import annotations

import base64
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
)
"""signature: no ID token signature is verified; audience: aud is not checked; nonce:
nonce is not checked; alg_none: an unsigned ID token is taken as is; jwks_cache: the JWKS
is fetched once and never again; logout_signature: a Logout Token's signature is not
verified; userinfo_sub: UserInfo's sub is not compared with the ID token's."""

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
    ) -> None:
        assert flaw is None or flaw in FLAWS, flaw
        self.issuer, self.flaw = issuer.rstrip("/"), flaw
        self.client_id, self.client_secret = client_id, client_secret
        self.http = http or httpx.Client(timeout=10)
        self.userinfo_first = userinfo_first
        """Call UserInfo with the access token before validating the ID token (a habit the
        audit reports: the token reached an endpoint before it was checked)."""
        self.base_url = "http://127.0.0.1"
        self.jwks: dict[str, Any] | None = None
        self.pending: dict[str, tuple[str, str]] = {}  # browser -> (state, nonce)
        self.signed_in: dict[str, dict[str, Any]] = {}  # browser -> its ID token's claims
        self.asgi = Starlette(
            routes=[
                Route("/login", self.login),
                Route("/callback", self.callback),
                Route("/me", self.me),
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
        query = httpx.QueryParams(
            response_type="code",
            client_id=self.client_id,
            redirect_uri=self.redirect_uri(request),
            scope="openid",
            state=state,
            nonce=nonce,
        )
        response = RedirectResponse(f"{self.issuer}/authorize?{query}", 302)
        response.set_cookie("browser", browser)
        return response

    async def callback(self, request: Request) -> Response:
        browser = request.cookies.get("browser", "")
        state, nonce = self.pending.pop(browser, ("", ""))
        if not state or request.query_params.get("state") != state:
            return PlainTextResponse("bad state", 400)
        answer = self.http.post(
            f"{self.issuer}/token",
            data={
                "grant_type": "authorization_code",
                "code": request.query_params.get("code", ""),
                "redirect_uri": self.redirect_uri(request),
            },
            auth=(self.client_id, self.client_secret),
        )
        if answer.status_code != 200:
            return PlainTextResponse("token request failed", 502)
        if self.userinfo_first:
            bearer = {"Authorization": f"Bearer {answer.json().get('access_token', '')}"}
            self.http.get(f"{self.issuer}/userinfo", headers=bearer)
        try:
            claims = self.validate(str(answer.json().get("id_token", "")), nonce)
        except (Rejected, JoseError, ValueError) as exc:
            return PlainTextResponse(f"rejected: {exc}", 401)
        access_token = str(answer.json().get("access_token", ""))
        info = self.http.get(
            f"{self.issuer}/userinfo", headers={"Authorization": f"Bearer {access_token}"}
        )
        # Core 5.3.2: UserInfo's sub must be the ID token's, or the answer is not used
        if self.flaw != "userinfo_sub" and info.json().get("sub") != claims["sub"]:
            return PlainTextResponse("rejected: userinfo sub differs", 401)
        self.signed_in[browser] = claims
        return RedirectResponse("/me", 302)

    async def me(self, request: Request) -> Response:
        if request.cookies.get("browser") in self.signed_in:
            return JSONResponse({"signed_in": True})
        return PlainTextResponse("not signed in", 401)

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

    def validate(self, token: str, nonce: str) -> dict[str, Any]:
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

    def check_claims(self, claims: dict[str, Any], nonce: str) -> None:
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
        if self.flaw != "nonce" and claims.get("nonce") != nonce:
            raise Rejected("wrong nonce")


def _part(token: str, index: int) -> dict[str, Any]:
    parts = token.split(".")
    if len(parts) != 3:
        raise Rejected("not a JWS")
    text = parts[index] + "=" * (-len(parts[index]) % 4)
    value = json.loads(base64.urlsafe_b64decode(text))
    if not isinstance(value, dict):
        raise Rejected("not a JSON object")
    return value
