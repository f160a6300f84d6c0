"""Where each endpoint lives. Presets re-map these paths; the HTTP layer routes by them."""

from __future__ import annotations

import re
from collections.abc import Mapping
from functools import cached_property
from types import MappingProxyType

from msgspec import Struct, field

CONTROL_PREFIX = "/_mockidp/"
"""The test-control API's prefix (:mod:`mockidp.control.api`): no endpoint may live under it."""
TENANT_PREFIX = "/t/"
"""Tenant ``name``'s app lives under ``/t/{name}/`` (:mod:`mockidp.control.tenants`)."""
DEFAULT_MAX_TENANTS = 100
"""How many tenants an app makes on first use, unless told otherwise."""


def is_control_path(path: str) -> bool:
    """Whether ``path`` (without the root path) belongs to the test-control API."""
    return path == CONTROL_PREFIX.rstrip("/") or path.startswith(CONTROL_PREFIX)


_SEGMENT = re.compile(r"<([A-Za-z_][A-Za-z0-9_]*)>")

GENERIC_PATHS: Mapping[str, str] = MappingProxyType(
    {
        "discovery": "/.well-known/openid-configuration",
        "oauth_metadata": "/.well-known/oauth-authorization-server",
        "jwks": "/.well-known/jwks.json",
        "authorization": "/authorize",
        "token": "/token",
        "pushed_authorization_request": "/par",
        "userinfo": "/userinfo",
        "introspection": "/introspect",
        "revocation": "/revoke",
        "end_session": "/end_session",
        # Session Management 1.0: the iframe, and session_state in every authorization
        # response; endpoints: {check_session: null} switches both off.
        "check_session": "/check_session",
        "registration": "/register",  # RFC 7591
        "registration_client": "/register/<client_id>",  # RFC 7592 client configuration
        "device_authorization": "/device_authorization",
        "device": "/device",
        "login": "/interaction/login",
        "consent": "/interaction/consent",
        "home": "/",
    }
)


class Layout(Struct, frozen=True, dict=True):
    """Endpoint name -> path. An endpoint missing from ``paths`` is switched off."""

    paths: Mapping[str, str] = field(default_factory=lambda: GENERIC_PATHS)

    def __post_init__(self) -> None:
        seen: dict[str, str] = {}
        for name, path in self.paths.items():
            if not path.startswith("/"):
                raise ValueError(f"path of endpoint {name!r} must start with '/': {path!r}")
            if is_control_path(path):
                raise ValueError(
                    f"path of endpoint {name!r} is under {CONTROL_PREFIX}, the test-control API's"
                )
            if path in seen:
                raise ValueError(f"endpoints {seen[path]!r} and {name!r} share the path {path!r}")
            seen[path] = name

    def overlaid(self, changes: Mapping[str, str | None]) -> Layout:
        """This layout with endpoints moved (a path) or switched off (None); ``self`` if none."""
        if not changes:
            return self
        paths = dict(self.paths)
        for name, path in changes.items():
            if path is None:
                paths.pop(name, None)
            else:
                paths[name] = path
        return Layout(MappingProxyType(paths))

    def has(self, name: str) -> bool:
        return name in self.paths

    def url(self, base: str, name: str) -> str:
        """The absolute URL of endpoint ``name`` under ``base`` (an issuer, no trailing slash)."""
        return base + self.paths[name]

    def by_path(self) -> dict[str, str]:
        return {path: name for name, path in self.paths.items()}

    @cached_property
    def _patterns(self) -> tuple[tuple[re.Pattern[str], str], ...]:
        return tuple(
            (re.compile(_SEGMENT.sub(r"(?P<\1>[^/]+)", re.escape(path))), name)
            for name, path in self.paths.items()
            if "<" in path
        )

    def match(self, path: str) -> tuple[str, dict[str, str]] | None:
        """The endpoint whose path has ``<name>`` segments matching ``path``, and their values.

        Exact paths are looked up with :meth:`by_path`; this is the fallback for paths
        such as ``/<ctx>/api/v1/User/currentPrincipal``.
        """
        for pattern, name in self._patterns:
            found = pattern.fullmatch(path)
            if found is not None:
                return name, found.groupdict()
        return None

    def match_ignoring_case(self, path: str) -> tuple[str, dict[str, str]] | None:
        """The endpoint at ``path`` compared without case (a vendor on a case-insensitive
        web server, quirk ``case_insensitive_paths``); ``<name>`` values keep their case."""
        folded = path.casefold()
        for name, template in self.paths.items():
            if "<" not in template and template.casefold() == folded:
                return name, {}
        for pattern, name in self._patterns:
            found = re.fullmatch(pattern.pattern, path, re.IGNORECASE)
            if found is not None:
                return name, found.groupdict()
        return None


GENERIC_LAYOUT = Layout()
"""The generic layout, checked once: every provider without a preset starts from it."""

WELL_KNOWN_NAMES = ("oauth-authorization-server", "openid-configuration")


def path_inserted(path: str) -> str | None:
    """Where the metadata of an issuer with a path lives when asked for at RFC 8414 3.1's
    path-insertion URL: ``/.well-known/{name}/t/x`` is ``/t/x/.well-known/{name}`` (the
    same for OpenID Connect's name, as RFC 8414 5 allows); None for any other path."""
    if not path.startswith("/.well-known/"):  # every request asks: most are not
        return None
    for name in WELL_KNOWN_NAMES:
        prefix = f"/.well-known/{name}"
        rest = path.removeprefix(prefix)
        if rest != path and rest.startswith("/") and rest.strip("/"):
            return rest.rstrip("/") + prefix
    return None
