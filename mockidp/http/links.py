"""What ties one request to the next: the browser session and the credentials handed out.

A sign-in spans requests that share nothing visible in their parameters: the login form
posts the interaction the authorization answer rendered, the token request redeems the
code the redirect carried, a refresh sends the refresh token the token answer held. The
request log records fingerprints (:func:`mockidp.requestlog.fingerprint`) of these, so a
reader (:mod:`mockidp.signins`) can join the requests into sign-ins without ever
holding a secret.
"""

from __future__ import annotations

from collections.abc import Mapping
from types import MappingProxyType
from typing import Any

from mockidp.requestlog import fingerprint

HANDED_OUT = (
    "code",
    "access_token",
    "refresh_token",
    "id_token",
    "device_code",
    "user_code",
    "request_uri",
    "interaction",
)
"""What an answer may hand out that a later request of the same sign-in sends back."""

_NONE: Mapping[str, str] = MappingProxyType({})


def picked(answer: Mapping[str, Any]) -> dict[str, str]:
    """The values of :data:`HANDED_OUT` in an answer (a token response, redirect parameters)."""
    return {k: v for k in HANDED_OUT if isinstance(v := answer.get(k), str) and v}


def issued(handed_out: Mapping[str, str]) -> Mapping[str, str]:
    """Fingerprints of what an answer handed out, by name."""
    if not handed_out:
        return _NONE
    return MappingProxyType({k: fingerprint(v) for k, v in handed_out.items()})


def session(sent: str | None, started: str | None) -> str | None:
    """The fingerprint of the browser session the request sent, else of the one it started."""
    value = sent or started
    return fingerprint(value) if value else None
