"""oauth.urls.form_encode writes exactly what urllib.parse.urlencode writes."""

from __future__ import annotations

from urllib.parse import urlencode

import pytest

from mockidp.oauth.urls import add_fragment, add_query, form_encode

PARAMS = [
    {"code": "Xy_3-abc.DEF~0", "state": "af0ifjsldkj"},
    {"iss": "https://idp.example/t/acme", "state": "a b+c/d?e&f=g", "session_state": "x.y"},
    {"error_description": "the user said no: «non»", "empty": "", "pct": "100%"},
    {"expires_in": 3600, "token_type": "Bearer"},  # a number, as urlencode takes it
    {"name with space": "v", "ünï": "ç"},
]


@pytest.mark.parametrize("params", PARAMS)
def test_same_as_urlencode(params: dict[str, str]) -> None:
    assert form_encode(params) == urlencode(params)
    assert form_encode(params) == form_encode(params)  # the cached quoting changes nothing


def test_query_and_fragment() -> None:
    params = {"code": "c", "iss": "https://idp.example"}
    assert add_query("https://app/cb?x=1", params) == "https://app/cb?x=1&" + urlencode(params)
    assert add_fragment("https://app/cb", params) == "https://app/cb#" + urlencode(params)
