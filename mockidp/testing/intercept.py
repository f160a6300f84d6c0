"""In-process interception: requests this process makes to the provider's origins are
answered by its ASGI app, with no socket and no change to the code under test.

:class:`Interception` is what :meth:`MockIdP.intercept` returns: a context manager and a
decorator. While one is active, small patches of each HTTP library's transport layer
(:mod:`mockidp.testing.patches`) ask :mod:`mockidp.testing.routes` whether a URL belongs
to an active interception; if so the request goes to that provider's app (the request
log, faults and hooks see it as a served one), else to the library's own code, untouched.

Why patches and not respx / responses / aioresponses: each of those covers one library
(none covers urllib or httpx2), each would be one more dependency to install, and each
would still need a bridge to the ASGI app; the transport layers patched here are the
same few methods those libraries patch.
"""

from __future__ import annotations

import functools
import inspect
from collections.abc import Callable, Iterable
from types import TracebackType
from typing import TYPE_CHECKING, Any, TypeVar

from mockidp.testing import patches, routes
from mockidp.testing.routes import Origin, Route

if TYPE_CHECKING:
    from mockidp.asgi import MockIdPApp
    from mockidp.testing.serving import SyncASGITransport

F = TypeVar("F", bound=Callable[..., Any])


def _activate(route: Route) -> None:
    with routes.LOCK:
        if routes.add(route):
            patches.install()


def _deactivate(route: Route) -> None:
    with routes.LOCK:
        if routes.remove(route):
            patches.uninstall()


class Interception:
    """Answers requests to ``origins`` from ``app`` while entered (``with``), or while a
    decorated function runs (sync or async). Entered twice, it is active until both exit."""

    def __init__(
        self, app: MockIdPApp, origins: Iterable[str], sync: Callable[[], SyncASGITransport]
    ) -> None:
        self.origins = tuple(Origin(o) for o in dict.fromkeys(origins))
        self._app = app
        self._sync = sync
        self._active: list[Route] = []

    def __repr__(self) -> str:
        state = "active" if self._active else "inactive"
        return f"<Interception {state} {', '.join(o.text for o in self.origins)}>"

    def __enter__(self) -> Interception:
        route = Route(self._app, self.origins, self._sync)
        _activate(route)
        self._active.append(route)
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        _deactivate(self._active.pop())

    def __call__(self, fn: F) -> F:
        if inspect.iscoroutinefunction(fn):

            @functools.wraps(fn)
            async def run_async(*args: Any, **kwargs: Any) -> Any:
                with self:
                    return await fn(*args, **kwargs)

            return run_async  # type: ignore[return-value]

        @functools.wraps(fn)
        def run(*args: Any, **kwargs: Any) -> Any:
            with self:
                return fn(*args, **kwargs)

        return run  # type: ignore[return-value]
