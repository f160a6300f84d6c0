"""The session cookies' Set-Cookie lines are byte for byte what Starlette writes."""

from __future__ import annotations

import itertools
from typing import Literal

import pytest
from starlette.responses import Response

from mockidp.http.cookies import set_cookie

VALUES = ["Xy_3-abcDEF0123456789", "with.dot", "a+b/c=", 'q"uote', "sp ace", ""]
PATHS = ["/", "/t/acme", "/t/a.b~c", "/stage path", "/é"]


@pytest.mark.parametrize(
    ("value", "path", "secure", "httponly", "samesite"),
    list(itertools.product(VALUES, PATHS, (False, True), (False, True), ("lax", "none"))),
)
def test_same_line_as_starlette(
    value: str, path: str, secure: bool, httponly: bool, samesite: Literal["lax", "none"]
) -> None:
    ours, theirs = Response(), Response()
    options = {"path": path, "max_age": 86400, "secure": secure, "httponly": httponly}
    set_cookie(ours, "mockidp_session", value, samesite=samesite, **options)  # type: ignore[arg-type]
    theirs.set_cookie("mockidp_session", value, samesite=samesite, **options)  # type: ignore[arg-type]
    assert ours.raw_headers == theirs.raw_headers
