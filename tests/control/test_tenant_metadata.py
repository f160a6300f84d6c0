"""RFC 8414 3.1: a tenant issuer's metadata at the path-insertion URL (the URL MCP
clients try first), under both RFC 8414's and OpenID Connect's well-known names."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest

from mockidp import create_app

pytestmark = pytest.mark.anyio

BASE = "http://mockidp.test"


async def _client(scenario: Any = None) -> AsyncIterator[httpx.AsyncClient]:
    app = create_app(scenario)
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url=BASE) as c:
        yield c


@pytest.fixture
async def http() -> AsyncIterator[httpx.AsyncClient]:
    async for c in _client():
        yield c


@pytest.mark.parametrize("name", ["oauth-authorization-server", "openid-configuration"])
async def test_a_tenant_issuer_has_metadata_at_the_path_insertion_url(
    http: httpx.AsyncClient, name: str
) -> None:
    inserted = await http.get(f"/.well-known/{name}/t/acme")
    appended = await http.get(f"/t/acme/.well-known/{name}")
    assert inserted.status_code == 200, inserted.text
    assert inserted.json() == appended.json()
    assert inserted.json()["issuer"] == f"{BASE}/t/acme"  # RFC 8414 3.3: the issuer's own


async def test_a_preset_tenant_issuer_keeps_its_whole_path() -> None:
    async for http in _client({"preset": "keycloak"}):
        issuer = f"{BASE}/t/acme/realms/mockidp"
        found = await http.get("/.well-known/openid-configuration/t/acme/realms/mockidp")
        assert found.status_code == 200, found.text
        assert found.json()["issuer"] == issuer
        # the realm's issuer is /t/acme/realms/mockidp: /t/acme alone names no issuer
        assert (await http.get("/.well-known/openid-configuration/t/acme")).status_code == 404


async def test_other_paths_after_the_well_known_name_are_not_found(
    http: httpx.AsyncClient,
) -> None:
    assert (await http.get("/.well-known/oauth-authorization-server/nowhere")).status_code == 404
    root = await http.get("/.well-known/oauth-authorization-server/")
    assert root.status_code == 404
    refused = await http.get("/.well-known/openid-configuration/t/bad%20name")
    assert refused.status_code == 400  # the tenant name is checked as for /t/NAME/...
