"""``GET /signins`` and ``GET /signins/{number}``: the request log read as sign-ins
(:mod:`mockidp.signins`), as JSON with each one's Mermaid text."""

from __future__ import annotations

from starlette.responses import Response

from mockidp.control.base import ControlCall, ControlError, ok
from mockidp.signins import SignIn, mermaid, sign_ins


def _json(sign_in: SignIn) -> dict[str, object]:
    return {**sign_in.to_json(), "mermaid": mermaid(sign_in)}


async def list_sign_ins(call: ControlCall) -> Response:
    found = sign_ins(call.control.requests.records)
    return ok({"signins": [_json(s) for s in reversed(found)]})


async def get_sign_in(call: ControlCall) -> Response:
    raw = call.params["number"]
    found = sign_ins(call.control.requests.records)
    if not raw.isdigit() or not 1 <= int(raw) <= len(found):
        raise ControlError(
            404,
            "not_found",
            f"no sign-in {raw!r}: the log holds {len(found)}, numbered from 1 (the oldest)",
        )
    return ok(_json(found[int(raw) - 1]))
