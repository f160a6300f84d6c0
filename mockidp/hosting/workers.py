"""Several server processes on one listening socket (``mockidp serve --workers N``).

The parent has bound the socket and built the app; each worker is a fork of it that
serves the socket on its own event loop, and the kernel hands each new connection to
one of them. Python runs one thread of Python at a time, so this is how one server uses
more than one core. Workers share state only through the store (SQLite or DynamoDB),
as Lambda containers share one table; each keeps its own request log.

The parent only waits. Ctrl-C or SIGTERM stops every worker; a worker that ends on
its own stops the others too, and the parent then exits 1.
"""

from __future__ import annotations

import contextlib
import os
import signal
import sys
import traceback
from collections.abc import Callable
from types import FrameType

_STOP_SIGNALS = (signal.SIGINT, signal.SIGTERM)


def run_workers(serve: Callable[[], None], count: int) -> int:
    """Fork ``count`` processes that each call ``serve()``; wait for all of them."""
    children: set[int] = set()
    for _ in range(count):
        pid = os.fork()
        if pid == 0:  # the worker: serve until told to stop, never return into the CLI
            code = 0
            try:
                serve()
            except BaseException:
                traceback.print_exc()
                code = 1
            finally:
                sys.stdout.flush()
                sys.stderr.flush()
                os._exit(code)
        children.add(pid)

    stopping = False

    def stop(signum: int, frame: FrameType | None = None) -> None:
        nonlocal stopping
        stopping = True
        for child in children:
            with contextlib.suppress(ProcessLookupError):
                os.kill(child, signal.SIGTERM)

    previous = {sig: signal.signal(sig, stop) for sig in _STOP_SIGNALS}
    failed = False
    try:
        while children:
            try:
                pid, status = os.waitpid(-1, 0)
            except ChildProcessError:
                break
            children.discard(pid)
            if not stopping:  # nobody asked it to end: the port is short of a worker
                code = os.waitstatus_to_exitcode(status)
                print(f"mockidp: worker {pid} ended (exit {code}); stopping", file=sys.stderr)
                failed = True
                stop(signal.SIGTERM)
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)
    return 1 if failed else 0
