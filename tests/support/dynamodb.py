"""DynamoDB for the tests: moto in-process (mock_aws) and moto's server over real HTTP.

moto's server (``tests/support/moto_server.py``) runs in a process of its own on a random
loopback port, started on first use and stopped when the test process ends; each store gets a tenant of its own in one shared table, so it
starts empty and nothing needs cleaning between tests.

moto evaluates a conditional write's condition and then writes, without a lock; real
DynamoDB serialises writes to an item, so a condition and its write are one atomic
step. Both fakes here serialise moto's request handling with one lock (the server
still accepts connections concurrently): that restores DynamoDB's guarantee, so the
race tests exercise mockidp's conditional writes rather than moto's missing lock.
"""

from __future__ import annotations

import atexit
import os
import subprocess
import sys
import threading
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any
from unittest import mock

import pytest

from mockidp.store.dynamodb import DynamoDBStore, create_table

try:
    import boto3  # noqa: F401
    import moto  # noqa: F401
    from moto.server import ThreadedMotoServer  # noqa: F401  (needs moto[server])
except ImportError:  # pragma: no cover - the test extra installs them
    HAVE_MOTO = False
else:
    HAVE_MOTO = True

needs_moto = pytest.mark.skipif(not HAVE_MOTO, reason="needs boto3 and moto[server]")

REGION = "us-east-1"
TABLE = "mockidp-test"
FAKE_CREDENTIALS = {
    "AWS_ACCESS_KEY_ID": "testing",
    "AWS_SECRET_ACCESS_KEY": "testing",
    "AWS_SESSION_TOKEN": "testing",
    "AWS_DEFAULT_REGION": REGION,
}

_moto_lock = threading.Lock()


def serialised(handler: Callable[..., Any]) -> Callable[..., Any]:
    """``handler`` called under one lock (see the module docstring)."""

    def locked(*args: Any, **kwargs: Any) -> Any:
        with _moto_lock:
            return handler(*args, **kwargs)

    return locked


class _Server:
    """``python -m tests.support.moto_server`` in a process of its own (moto's backends are
    process-global: ``mock_aws`` resets them, so the server must not share them)."""

    def __init__(self) -> None:
        root = Path(__file__).resolve().parents[2]
        env = {**os.environ, **FAKE_CREDENTIALS, "PYTHONPATH": str(root)}
        self.process = subprocess.Popen(
            [sys.executable, "-m", "tests.support.moto_server"],
            cwd=root,
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.DEVNULL,
            text=True,
        )
        assert self.process.stdout is not None
        line = self.process.stdout.readline().strip()  # the server prints its URL when ready
        if not line.startswith("http://127.0.0.1:"):
            self.stop()
            raise RuntimeError(f"moto's server did not start: {line!r}")
        self.url = line
        with mock.patch.dict(os.environ, FAKE_CREDENTIALS):
            create_table(TABLE, region=REGION, endpoint_url=self.url)

    def stop(self) -> None:
        self.process.terminate()
        try:
            self.process.wait(timeout=5)
        except subprocess.TimeoutExpired:  # pragma: no cover
            self.process.kill()
            self.process.wait()
        if self.process.stdout is not None:
            self.process.stdout.close()


_server: _Server | None = None
_server_lock = threading.Lock()


def moto_server_url() -> str:
    """The moto server's URL (started on first use, with the test table created)."""
    global _server
    with _server_lock:
        if _server is None:
            _server = _Server()
            atexit.register(_server.stop)
        return _server.url


@contextmanager
def aws_environment(**extra: str) -> Iterator[None]:
    """Fake credentials and region (and ``extra``) in os.environ, as boto3 reads them."""
    with mock.patch.dict(os.environ, {**FAKE_CREDENTIALS, **extra}):
        yield


@contextmanager
def moto_server_store(tenant: str | None = None) -> Iterator[DynamoDBStore]:
    """A DynamoDBStore talking HTTP to moto's server, under a fresh tenant."""
    url = moto_server_url()
    with aws_environment():
        yield DynamoDBStore(TABLE, tenant=tenant or uuid.uuid4().hex, endpoint_url=url)


@contextmanager
def mock_aws_table() -> Iterator[None]:
    """moto's in-process mock with the test table, requests serialised (see above)."""
    from moto import mock_aws
    from moto.core.botocore_stubber import BotocoreStubber

    with (
        aws_environment(),
        mock.patch.object(BotocoreStubber, "__call__", serialised(BotocoreStubber.__call__)),
        mock_aws(),
    ):
        create_table(TABLE, region=REGION)
        yield


@contextmanager
def mock_aws_store() -> Iterator[DynamoDBStore]:
    """A DynamoDBStore on moto's in-process mock (mock_aws)."""
    with mock_aws_table():
        yield DynamoDBStore(TABLE, tenant=uuid.uuid4().hex)
