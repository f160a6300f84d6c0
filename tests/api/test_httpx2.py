"""httpx2 works wherever httpx does: transports for both (sync and async), and a transport
given to the other library's client says which attribute it needed."""

from __future__ import annotations

from collections.abc import Iterator

import httpx
import httpx2
import pytest

from mockidp.testing import MockIdP

DISCOVERY = "/.well-known/openid-configuration"


@pytest.fixture
def idp() -> Iterator[MockIdP]:
    provider = MockIdP.in_process()
    yield provider
    provider.close()


def test_an_httpx2_client_signs_in_through_its_sync_transport(idp: MockIdP) -> None:
    with httpx2.Client(transport=idp.httpx2_sync_transport, base_url=idp.url) as client:
        assert client.get(DISCOVERY).json()["issuer"] == idp.url
        code = idp.authorize()
        token = client.post(
            "/token",
            data={
                "grant_type": "authorization_code",
                "code": code.code,
                "redirect_uri": code.redirect_uri,
                "code_verifier": code.code_verifier,
                "client_id": "mockidp-client",
                "client_secret": "mockidp-secret",
            },
        )
    assert token.status_code == 200, token.text
    assert "id_token" in token.json()
    idp.requests.assert_called("token", grant_type="authorization_code", status=200)


@pytest.mark.anyio
async def test_an_httpx2_async_client_uses_its_async_transport(idp: MockIdP) -> None:
    async with httpx2.AsyncClient(transport=idp.httpx2_transport, base_url=idp.url) as client:
        assert (await client.get(DISCOVERY)).json()["issuer"] == idp.url


@pytest.mark.anyio
async def test_httpx_clients_are_unchanged(idp: MockIdP) -> None:
    assert isinstance(idp.client, httpx.Client)
    assert isinstance(idp.async_client, httpx.AsyncClient)
    assert idp.client.get(DISCOVERY).status_code == 200
    assert (await idp.async_client.get(DISCOVERY)).status_code == 200


@pytest.mark.anyio
@pytest.mark.parametrize(
    ("library", "given", "right"),
    [
        (httpx2, "transport", "httpx2_transport"),
        (httpx, "httpx2_transport", "transport"),
    ],
)
async def test_an_async_transport_in_the_wrong_library_names_the_right_one(
    idp: MockIdP, library: object, given: str, right: str
) -> None:
    client_class = library.AsyncClient  # type: ignore[attr-defined]
    async with client_class(transport=getattr(idp, given), base_url=idp.url) as client:
        with pytest.raises(TypeError, match=f"mockidp.{given} is a .* use mockidp.{right} "):
            await client.get(DISCOVERY)
    assert len(idp.requests) == 0


@pytest.mark.parametrize(
    ("library", "given", "right"),
    [
        (httpx2, "sync_transport", "httpx2_sync_transport"),
        (httpx, "httpx2_sync_transport", "sync_transport"),
    ],
)
def test_a_sync_transport_in_the_wrong_library_names_the_right_one(
    idp: MockIdP, library: object, given: str, right: str
) -> None:
    client = library.Client(transport=getattr(idp, given), base_url=idp.url)  # type: ignore[attr-defined]
    with client, pytest.raises(TypeError, match=f"mockidp.{given} is a .* use mockidp.{right} "):
        client.get(DISCOVERY)
