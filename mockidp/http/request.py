"""The request object the endpoints read: Starlette's, with headers looked up by name.

Starlette's :class:`~starlette.datastructures.Headers` lower-cases, encodes and scans
the raw list on every look-up, and ``get`` of a header that is absent raises and catches
a KeyError. An answer looks up a dozen headers (host, content type, authorization,
cookie, origin, DPoP ...), so :class:`IndexedHeaders` indexes them once, on the first
look-up, and answers as Starlette's would: the first of repeated headers, asked for by
a name in any case (ASGI servers send the names lower-cased).
"""

from __future__ import annotations

from typing import Any, overload

from starlette.datastructures import Headers
from starlette.requests import Request


class IndexedHeaders(Headers):
    """A request's headers (read-only), each name's first value found in a dict."""

    _index: dict[str, str] | None = None

    def _indexed(self) -> dict[str, str]:
        index = self._index
        if index is None:
            index = {}
            for name, value in reversed(self._list):  # the first of repeated names wins
                index[name.decode("latin-1")] = value.decode("latin-1")
            self._index = index
        return index

    def __getitem__(self, key: str) -> str:
        found = self._indexed().get(key.lower())
        if found is None:
            raise KeyError(key)
        return found

    @overload
    def get(self, key: str) -> str | None: ...
    @overload
    def get(self, key: str, default: Any) -> Any: ...
    def get(self, key: str, default: Any = None) -> Any:
        found = self._indexed().get(key.lower())
        return default if found is None else found

    def __contains__(self, key: Any) -> bool:
        return key.lower() in self._indexed()


class MockIdPRequest(Request):
    """Starlette's request, its :attr:`headers` an :class:`IndexedHeaders`."""

    @property
    def headers(self) -> Headers:
        headers: IndexedHeaders | None = self.__dict__.get("_indexed_headers")
        if headers is None:
            headers = self.__dict__["_indexed_headers"] = IndexedHeaders(scope=self.scope)
        return headers
