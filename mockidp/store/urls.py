"""Store URLs: how settings name a backend (``memory``, ``sqlite://PATH``, ``dynamodb://table``).

``sqlite://PATH`` is a local SQLite file (created when missing): everything after
``sqlite://`` is the path, so ``sqlite://state.db`` is relative to the working directory
and ``sqlite:///tmp/state.db`` absolute.

``dynamodb://TABLE`` takes optional query parameters ``region``, ``endpoint_url`` and
``tenant``; without them boto3's own settings apply (``AWS_REGION`` /
``AWS_DEFAULT_REGION``, ``AWS_ENDPOINT_URL_DYNAMODB``) and the tenant is ``default``.
Parsing never imports boto3; opening a DynamoDB store raises a helpful ImportError
when the ``aws`` extra is missing.
"""

from __future__ import annotations

from typing import TYPE_CHECKING
from urllib.parse import parse_qsl, urlsplit

from msgspec import Struct

from mockidp.store.memory import MemoryStore

if TYPE_CHECKING:
    from mockidp.store.dynamodb import DynamoDBStore
    from mockidp.store.sqlite import SQLiteStore

__all__ = ["StoreURL", "open_store", "parse_store_url"]

_DYNAMODB_OPTIONS = frozenset({"region", "endpoint_url", "tenant"})


class StoreURL(Struct, frozen=True):
    """A parsed store URL: ``kind`` is ``memory``, ``sqlite`` (``path``) or ``dynamodb``."""

    kind: str
    table: str = ""
    region: str | None = None
    endpoint_url: str | None = None
    tenant: str = "default"
    path: str = ""


def parse_store_url(url: str) -> StoreURL:
    """``memory`` | ``memory://`` | ``sqlite://PATH`` |
    ``dynamodb://TABLE[?region=&endpoint_url=&tenant=]``.

    Raises ValueError naming what is wrong.
    """
    text = url.strip()
    if text in ("", "memory", "memory://"):
        return StoreURL("memory")
    if text.startswith("sqlite://"):
        path = text[len("sqlite://") :]
        if not path or path == ":memory:":
            raise ValueError(f"store {url!r} names no file: use sqlite://PATH")
        return StoreURL("sqlite", path=path)
    parts = urlsplit(text)
    if parts.scheme != "dynamodb":
        raise ValueError(
            f"store must be 'memory', 'sqlite://PATH' or 'dynamodb://TABLE', not {url!r}"
        )
    table = parts.netloc + parts.path.rstrip("/")
    if not table or "/" in table:
        raise ValueError(f"store {url!r} names no table: use dynamodb://TABLE")
    options: dict[str, str] = {}
    for name, value in parse_qsl(parts.query, keep_blank_values=True, strict_parsing=False):
        if name not in _DYNAMODB_OPTIONS:
            known = ", ".join(sorted(_DYNAMODB_OPTIONS))
            raise ValueError(f"store {url!r}: unknown option {name!r} (known: {known})")
        if name in options:
            raise ValueError(f"store {url!r}: option {name!r} is repeated")
        options[name] = value
    tenant = options.get("tenant", "default")
    if not tenant:
        raise ValueError(f"store {url!r}: tenant must not be empty")
    return StoreURL(
        "dynamodb",
        table=table,
        region=options.get("region") or None,
        endpoint_url=options.get("endpoint_url") or None,
        tenant=tenant,
    )


def open_store(url: str) -> MemoryStore | SQLiteStore | DynamoDBStore:
    """A ready store for ``url`` (see :func:`parse_store_url`)."""
    spec = parse_store_url(url)
    if spec.kind == "memory":
        return MemoryStore()
    if spec.kind == "sqlite":
        from mockidp.store.sqlite import SQLiteStore  # sqlite3 only when asked for

        return SQLiteStore(spec.path)
    from mockidp.store.dynamodb import DynamoDBStore  # boto3 only when asked for

    return DynamoDBStore(
        spec.table, tenant=spec.tenant, region=spec.region, endpoint_url=spec.endpoint_url
    )
