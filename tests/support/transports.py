"""The ASGI transport a client class takes: Authlib's clients are httpx2 clients once
httpx2 is installed (it is, in the test extra), plain httpx clients take httpx's."""

from __future__ import annotations

from typing import Any

import httpx
import httpx2


def asgi_transport_for(client_class: type[Any], app: Any) -> Any:
    """An ASGI transport into ``app`` from the library ``client_class`` belongs to."""
    if issubclass(client_class, httpx.AsyncClient):
        return httpx.ASGITransport(app=app)
    if issubclass(client_class, httpx2.AsyncClient):
        return httpx2.ASGITransport(app=app)
    raise TypeError(f"{client_class.__name__} is neither an httpx nor an httpx2 AsyncClient")
