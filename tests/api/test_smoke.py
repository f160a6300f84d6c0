from __future__ import annotations

import httpx
import pytest

from tests.conftest import IdP

pytestmark = pytest.mark.anyio


async def test_discovery_issuer_matches_the_url_it_is_served_from(
    idp: IdP, http: httpx.AsyncClient
) -> None:
    response = await http.get("/.well-known/openid-configuration")
    assert response.status_code == 200
    assert response.json()["issuer"] == idp.base_url
