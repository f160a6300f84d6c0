"""One settings object, read from MOCKIDP_* environment variables and CLI flags.

Shared by the CLI (and later the pytest plugin and the Lambda handler), so every edge
agrees on what a setting means.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from msgspec import Struct
from msgspec.structs import replace

from mockidp.http.split_urls import check_browser_url
from mockidp.model.layout import DEFAULT_MAX_TENANTS
from mockidp.presets import PRESETS


class Settings(Struct, frozen=True):
    """How to run a provider. ``scenario`` None means the embedded default.

    ``store`` names the state backend: ``memory`` (the default) or ``dynamodb://TABLE``
    (see :mod:`mockidp.store.urls`); ``MOCKIDP_STORE`` sets it, or ``MOCKIDP_TABLE``
    as a shorthand for ``dynamodb://TABLE``.

    ``admin_token`` (``MOCKIDP_ADMIN_TOKEN``, ``--admin-token``): when set, every call
    of the test-control API under ``/_mockidp/`` must send it as a bearer token. Always
    set one when the provider is reachable by others (deployed).

    ``max_tenants`` (``MOCKIDP_MAX_TENANTS``, ``--max-tenants``): tenants under
    ``/t/{name}/`` are made on first use while fewer exist (0: only through the control
    API); see :mod:`mockidp.control.tenants`.

    ``preset`` (``MOCKIDP_PRESET``, ``--preset``): the provider to emulate when the
    scenario names none (one of :data:`mockidp.presets.PRESETS`).

    ``browser_url`` (``MOCKIDP_BROWSER_URL``, ``--browser-url``): where browsers reach the
    provider when the app's backend uses another address (docker compose: the browser at
    ``http://localhost:8000``, the backend at ``http://idp:8000``). The issuer and the
    browser endpoints are there; token, JWKS, userinfo and the other back-channel
    endpoints answer at the address each request used (:mod:`mockidp.http.split_urls`).

    ``MOCKIDP_SCENARIO_FILE`` names a scenario file like ``MOCKIDP_SCENARIO`` does, but
    is always a path, and a relative one is relative to the folder mockidp is installed
    in: the root of a Lambda package (``mockidp package`` puts the scenario there), so
    the scenario is not limited by Lambda's 4 KB for all environment variables.
    """

    scenario: str | None = None
    issuer: str | None = None
    host: str = "127.0.0.1"
    port: int = 8000
    store: str = "memory"
    admin_token: str | None = None
    max_tenants: int = DEFAULT_MAX_TENANTS
    preset: str | None = None
    browser_url: str | None = None

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None) -> Settings:
        env = os.environ if env is None else env
        port = env.get("MOCKIDP_PORT", "8000")
        if not port.isdigit() or not 0 <= int(port) <= 65535:
            raise ValueError(f"MOCKIDP_PORT must be a port number, not {port!r}")
        return cls(
            scenario=_scenario_from_env(env),
            issuer=env.get("MOCKIDP_ISSUER") or None,
            host=env.get("MOCKIDP_HOST", "127.0.0.1"),
            port=int(port),
            store=_store_from_env(env),
            admin_token=env.get("MOCKIDP_ADMIN_TOKEN") or None,
            max_tenants=_max_tenants(env.get("MOCKIDP_MAX_TENANTS")),
            preset=_preset(env.get("MOCKIDP_PRESET")),
            browser_url=_browser_url(env.get("MOCKIDP_BROWSER_URL")),
        )

    def override(self, **values: Any) -> Settings:
        """These settings with every non-None value of ``values`` replacing its own."""
        return replace(self, **{k: v for k, v in values.items() if v is not None})


#: The folder holding the ``mockidp`` package: a Lambda package's root (``/var/task``).
INSTALL_ROOT = Path(__file__).resolve().parents[2]


def _scenario_from_env(env: Mapping[str, str]) -> str | None:
    scenario = env.get("MOCKIDP_SCENARIO") or None
    scenario_file = env.get("MOCKIDP_SCENARIO_FILE") or None
    if scenario and scenario_file:
        raise ValueError("set MOCKIDP_SCENARIO or MOCKIDP_SCENARIO_FILE, not both")
    if scenario_file:
        return str(INSTALL_ROOT / scenario_file)  # an absolute path stays as it is
    return scenario


def _max_tenants(value: str | None) -> int:
    if value is None or not value.strip():
        return DEFAULT_MAX_TENANTS
    if not value.strip().isdigit():
        raise ValueError(f"MOCKIDP_MAX_TENANTS must be a whole number, not {value!r}")
    return int(value)


def _preset(value: str | None) -> str | None:
    if value is None or not value.strip():
        return None
    if value.strip() not in PRESETS:
        raise ValueError(f"MOCKIDP_PRESET must be one of {', '.join(PRESETS)}, not {value!r}")
    return value.strip()


def _browser_url(value: str | None) -> str | None:
    if value is None or not value.strip():
        return None
    try:
        return check_browser_url(value)
    except ValueError as exc:
        raise ValueError(f"MOCKIDP_BROWSER_URL: {exc}") from None


def _store_from_env(env: Mapping[str, str]) -> str:
    store = env.get("MOCKIDP_STORE") or ""
    table = env.get("MOCKIDP_TABLE") or ""
    if store and table:
        raise ValueError("set MOCKIDP_STORE or MOCKIDP_TABLE, not both")
    if table:
        return f"dynamodb://{table}"
    return store or "memory"
