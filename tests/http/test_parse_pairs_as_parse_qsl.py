"""parse_pairs reads form-encoded pairs exactly as urllib's parse_qsl does.

It replaced ``parse_qsl`` on the hot path (issue 29); the oracle here is the earlier
implementation, built on ``parse_qsl``, so any input the two read differently fails.
"""

from __future__ import annotations

from urllib.parse import parse_qsl

from hypothesis import example, given, settings
from hypothesis import strategies as st

from mockidp.errors import InvalidRequest
from mockidp.http.input import MAX_FIELDS, MULTI_VALUED, RepeatedParameters, parse_pairs
from mockidp.types import Params

PIECES = ["a", "b", "resource", "x y", "=", "&", "+", "%", "%20", "%2B", "%26", "%3D", "%C3%A9",
          "%ff", "%e2%82", "%zz", "é", "", "https%3A%2F%2Fa.example%2F"]  # fmt: skip


def reference(raw: str) -> Params | tuple[str, frozenset[str], Params]:
    """What the earlier parse_pairs answered: the dict, or the error and what it kept."""
    try:
        pairs = parse_qsl(
            raw,
            keep_blank_values=True,
            encoding="utf-8",
            errors="strict",
            max_num_fields=MAX_FIELDS,
        )
    except UnicodeDecodeError:
        return ("utf-8", frozenset(), {})
    except ValueError:
        return ("too many", frozenset(), {})
    params: Params = {}
    repeated: dict[str, None] = {}
    for name, value in pairs:
        if value == "":
            continue
        if name in MULTI_VALUED:
            if " " in value:
                return ("spaces", frozenset(), {})
            params[name] = f"{params[name]} {value}" if name in params else value
            continue
        if name in params:
            repeated[name] = None
        params[name] = value
    if repeated:
        return (
            "repeated",
            frozenset(repeated),
            {k: v for k, v in params.items() if k not in repeated},
        )
    return params


def answer(raw: str) -> Params | tuple[str, frozenset[str], Params]:
    try:
        return parse_pairs(raw)
    except RepeatedParameters as exc:
        return ("repeated", exc.names, exc.params)
    except InvalidRequest as exc:
        text = str(exc.description)
        kind = "utf-8" if "UTF-8" in text else "too many" if "too many" in text else "spaces"
        return (kind, frozenset(), {})


@settings(max_examples=600, deadline=None)
@given(st.lists(st.sampled_from(PIECES), max_size=12).map("".join))
@example("a=1&b=&c")
@example("%ff=")
@example("=x&&a==b")
@example("resource=a&resource=b+c")
@example("&".join(["p=1"] * MAX_FIELDS))
@example("&".join(["p=1"] * (MAX_FIELDS + 1)))
@example("&" * MAX_FIELDS)
def test_reads_as_parse_qsl(raw: str) -> None:
    assert answer(raw) == reference(raw)
