"""JSON answers are written by msgspec but read exactly as Starlette's JSONResponse wrote
them: the same bytes, and the json module's way for what msgspec cannot write."""

from __future__ import annotations

import pytest
from starlette.responses import JSONResponse

from mockidp.http.render import JSONAnswer

CONTENTS = [
    {"access_token": "eyJ.x.y", "token_type": "Bearer", "expires_in": 3600},
    {"name": "Zoë Ñandú", "nested": {"list": [1, 2.5, None, True, False]}, "empty": {}},
    {"url": "https://idp.example/a/b?c=d&e=<f>", "quote": '"', "tab": "\t", "ctl": "\x01"},
    "a JSON-quoted JWT",
    [1, "two", {"three": 3}],
]


@pytest.mark.parametrize("content", CONTENTS)
def test_same_bytes_as_starlette(content: object) -> None:
    assert JSONAnswer(content).body == JSONResponse(content).body


def test_headers_are_starlettes() -> None:
    ours = JSONAnswer({"a": 1}, headers={"Cache-Control": "no-store"})
    theirs = JSONResponse({"a": 1}, headers={"Cache-Control": "no-store"})
    assert ours.raw_headers == theirs.raw_headers


def test_what_msgspec_cannot_write_goes_the_json_way() -> None:
    with pytest.raises(TypeError):  # exactly what JSONResponse does with it
        JSONAnswer({"x": object()})
    assert JSONAnswer({"big": 2**70}).body == JSONResponse({"big": 2**70}).body
