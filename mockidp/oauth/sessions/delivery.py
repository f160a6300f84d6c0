"""Back-channel logout delivery: the Logout Tokens of a logout POSTed to the relying
parties (OpenID Connect Back-Channel Logout 1.0 2.5), behind a small port.

:class:`LogoutDelivery` is the port the Provider delivers through
(``Provider(logout_delivery=...)``); :class:`HttpLogoutDelivery`, its default, POSTs with
httpx, all at once, before the logout is answered (so a Lambda has sent them before it freezes). A failed delivery
(refused, timed out, non-2xx) is a :class:`RequestRecord` for the request log and never
fails the logout.
"""

from __future__ import annotations

import logging
import time
from typing import TYPE_CHECKING, Protocol

import anyio
from msgspec.structs import replace

from mockidp.oauth.sessions.end_session import EndSessionResult
from mockidp.oauth.sessions.logout import BACK_CHANNEL_ENDPOINT, BackChannelCall
from mockidp.requestlog import RequestRecord, mask_params

if TYPE_CHECKING:
    import httpx

DELIVERY_TIMEOUT = 5.0
"""Seconds one back-channel POST may take before it counts as failed."""

log = logging.getLogger("mockidp")


class LogoutDelivery(Protocol):
    """Delivers Logout Tokens: one POST per call, all done when it returns, one record of
    each (its status, or the error that stopped it); it never raises for a failed POST."""

    async def __call__(self, calls: tuple[BackChannelCall, ...]) -> list[RequestRecord]: ...


class HttpLogoutDelivery:
    """The default :class:`LogoutDelivery`: httpx over the network, ``timeout`` seconds a POST."""

    def __init__(self, *, timeout: float = DELIVERY_TIMEOUT) -> None:
        self.timeout = timeout

    async def __call__(self, calls: tuple[BackChannelCall, ...]) -> list[RequestRecord]:
        return await deliver(calls, timeout=self.timeout)


async def notify(result: EndSessionResult, delivery: LogoutDelivery | None) -> EndSessionResult:
    """``result`` once its Logout Tokens are delivered, with a record of each delivery."""
    calls = result.logout.back_channel
    if not calls:
        return result
    records = await (delivery or HttpLogoutDelivery())(calls)
    return replace(result, deliveries=tuple(records))


async def deliver(
    calls: tuple[BackChannelCall, ...], *, timeout: float = DELIVERY_TIMEOUT
) -> list[RequestRecord]:
    """POST each Logout Token (Back-Channel Logout 2.5), all at once; one record per call."""
    if not calls:
        return []
    import httpx  # only a logout with back-channel clients needs it

    records: list[RequestRecord] = []
    async with httpx.AsyncClient(timeout=timeout, follow_redirects=False) as client:

        async def post(call: BackChannelCall) -> None:
            records.append(await _post(client, call))

        async with anyio.create_task_group() as group:
            for call in calls:
                group.start_soon(post, call)
    return records


async def _post(client: httpx.AsyncClient, call: BackChannelCall) -> RequestRecord:
    import httpx

    started = time.perf_counter()
    status, error, detail = 0, None, ""
    try:
        response = await client.post(call.uri, data={"logout_token": call.logout_token})
        status = response.status_code
        if not 200 <= status < 300:  # 2.8: the RP answers 200 (or 204) when it logged out
            error, detail = "logout_rejected", f"HTTP {status}"
    except Exception as exc:  # refused, unresolvable, reset, timed out: never fails logout
        # By name too: a transport may raise httpcore's own errors (httpx maps them
        # only to the httpcore classes it loaded first).
        timeout = isinstance(exc, httpx.TimeoutException) or "Timeout" in type(exc).__name__
        error, detail = ("logout_timeout" if timeout else "logout_unreachable"), repr(exc)
    if error is not None:  # the request log has the record; the server log says why
        log.warning("back-channel logout to %s failed (%s): %s", call.uri, error, detail)
    return RequestRecord(
        method="POST",
        path=call.uri,
        endpoint=BACK_CHANNEL_ENDPOINT,
        status=status,
        duration_ms=(time.perf_counter() - started) * 1000,
        client_id=call.client_id,
        error=error,
        params=mask_params({"logout_token": call.logout_token}),
    )
