"""IndexedHeaders answers every look-up as Starlette's Headers does (issue 29)."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st
from starlette.datastructures import Headers
from starlette.requests import Request

from mockidp.http.request import IndexedHeaders, MockIdPRequest

NAMES = ["host", "content-type", "authorization", "cookie", "Cookie", "x-a", "dpop", ""]
VALUES = ["", "a", "Basic eA==", "b=1; c=2", "caf\xe9"]
raw_headers = st.lists(
    st.tuples(st.sampled_from(NAMES), st.sampled_from(VALUES)).map(
        lambda nv: (nv[0].encode("latin-1"), nv[1].encode("latin-1"))
    ),
    max_size=8,
)
keys = st.sampled_from([*NAMES, "HOST", "Content-Type", "AUTHORIZATION", "missing"])


@settings(max_examples=300, deadline=None)
@given(raw_headers, st.lists(keys, max_size=6))
def test_look_ups_as_starlette(raw: list[tuple[bytes, bytes]], asked: list[str]) -> None:
    theirs, ours = Headers(raw=list(raw)), IndexedHeaders(raw=list(raw))
    for key in asked:
        assert ours.get(key) == theirs.get(key)
        assert ours.get(key, "default") == theirs.get(key, "default")
        assert (key in ours) == (key in theirs)
        assert ours.getlist(key) == theirs.getlist(key)
        try:
            expected: str | None = theirs[key]
        except KeyError:
            expected = None
        if expected is None:
            try:
                ours[key]
            except KeyError:
                continue
            raise AssertionError(f"{key!r} found in ours only")
        assert ours[key] == expected
    assert ours == theirs
    assert ours.items() == theirs.items()


def test_the_request_reads_its_headers_once_indexed() -> None:
    scope = {"type": "http", "method": "GET", "headers": [(b"cookie", b"s=1"), (b"host", b"h")]}
    request = MockIdPRequest(scope)
    assert isinstance(request.headers, IndexedHeaders)
    assert request.headers is request.headers
    assert request.headers["Host"] == "h"
    assert request.cookies == Request(scope).cookies == {"s": "1"}
