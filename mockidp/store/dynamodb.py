"""The DynamoDB Store: state shared by every Lambda container (or local process).

The only module that imports boto3, and only on first use: importing this module costs
nothing, and the client is built by the first operation (a cold Lambda container pays
for boto3 once it needs state, not at import).

Single-table design. The table's key schema is :data:`KEY_SCHEMA` here, and nowhere
else: ``template.yaml`` and ``mockidp create-table`` are checked against it
(``tests/store/test_dynamodb_table.py``). Each item is one record:

============  ====  ==============================================================
attribute     type  meaning
============  ====  ==============================================================
``pk``        S     the tenant (``DynamoDBStore(tenant=...)``): tenants never meet
``sk``        S     the record's key (``State`` prefixes it with its namespace)
``rec``       S     the record as JSON (exact floats, nesting and Unicode)
``n``         N     a counter's value (``increment``), instead of ``rec``
``exp``       N     the record's expiry on the provider's clock; judged on every read
``ttl``       N     DynamoDB TTL (epoch seconds): garbage collection only
============  ====  ==============================================================

``ttl`` is never earlier than :data:`TTL_FLOOR_SECONDS` after the wall-clock time of
the write, because the provider's clock may be frozen in the past or moved by tests;
DynamoDB deletes expired items late anyway, so correctness rests on ``exp`` alone.

Atomicity comes from conditional writes, so racing containers agree: ``add`` is a
conditional put, ``take`` a delete returning the old item (of two racing deletes only
one gets it), ``increment`` an update conditioned on a live counter, else a
conditional create. Each operation writes one item, so a failure never leaves a
record half written.

Failures: botocore retries throttling and transient errors itself (standard mode,
:data:`MAX_ATTEMPTS`, short timeouts); what still fails (throttled, timed out,
unreachable, no such table, no credentials) raises
:class:`~mockidp.errors.TemporarilyUnavailable`, which the HTTP layer answers with a
503 and ``Retry-After``, never a 500 with a traceback.
"""

from __future__ import annotations

import importlib.util
import json
import logging
import math
import os
import threading
import time
from collections.abc import Callable, Iterator, Mapping
from decimal import Decimal
from typing import TYPE_CHECKING, Any, Final, TypeVar

from mockidp.errors import TemporarilyUnavailable
from mockidp.types import JSONObject

if TYPE_CHECKING:
    from mypy_boto3_dynamodb.client import DynamoDBClient
    from mypy_boto3_dynamodb.type_defs import AttributeValueTypeDef

__all__ = [
    "ATTRIBUTE_DEFINITIONS",
    "BILLING_MODE",
    "KEY_SCHEMA",
    "TTL_ATTRIBUTE",
    "DynamoDBStore",
    "create_table",
    "table_definition",
]

log = logging.getLogger("mockidp")

#: The one definition of the table's keys; template.yaml and create_table agree with it.
KEY_SCHEMA: Final = (
    {"AttributeName": "pk", "KeyType": "HASH"},
    {"AttributeName": "sk", "KeyType": "RANGE"},
)
ATTRIBUTE_DEFINITIONS: Final = (
    {"AttributeName": "pk", "AttributeType": "S"},
    {"AttributeName": "sk", "AttributeType": "S"},
)
TTL_ATTRIBUTE: Final = "ttl"
BILLING_MODE: Final = "PAY_PER_REQUEST"

TTL_FLOOR_SECONDS: Final = 86_400
MAX_ATTEMPTS: Final = 3
CONNECT_TIMEOUT: Final = 2.0
READ_TIMEOUT: Final = 5.0
_INCREMENT_TRIES: Final = 20
_CONDITION_FAILED: Final = "ConditionalCheckFailedException"
_INSTALL_HINT: Final = "the DynamoDB store needs boto3: pip install 'mockidp-oidc[aws]'"

_T = TypeVar("_T")


class _ConditionFailed(Exception):
    """A conditional write's condition was false (the caller decides what that means)."""


def table_definition(table: str) -> dict[str, Any]:
    """``CreateTable`` arguments for ``table`` (on-demand billing, the keys above)."""
    return {
        "TableName": table,
        "KeySchema": [dict(k) for k in KEY_SCHEMA],
        "AttributeDefinitions": [dict(a) for a in ATTRIBUTE_DEFINITIONS],
        "BillingMode": BILLING_MODE,
    }


def _require_boto3() -> None:
    if importlib.util.find_spec("boto3") is None:
        raise ImportError(_INSTALL_HINT)


def _new_client(region: str | None, endpoint_url: str | None, pool: int) -> DynamoDBClient:
    try:
        import boto3
        from botocore.config import Config
    except ImportError as exc:  # pragma: no cover - checked by _require_boto3 already
        raise ImportError(_INSTALL_HINT) from exc
    config = Config(
        retries={"mode": "standard", "max_attempts": MAX_ATTEMPTS},
        connect_timeout=CONNECT_TIMEOUT,
        read_timeout=READ_TIMEOUT,
        max_pool_connections=pool,
    )
    # botocore reads AWS_DEFAULT_REGION and AWS_ENDPOINT_URL_DYNAMODB itself; AWS_REGION
    # (what Lambda and most tools set) only for some services, so it is passed here.
    region = region or os.environ.get("AWS_DEFAULT_REGION") or os.environ.get("AWS_REGION")
    session = boto3.session.Session()  # a session of its own: the default one is not thread-safe
    return session.client(
        "dynamodb", region_name=region, endpoint_url=endpoint_url or None, config=config
    )


def create_table(
    table: str,
    *,
    region: str | None = None,
    endpoint_url: str | None = None,
    wait: bool = True,
) -> bool:
    """Create ``table`` as :func:`table_definition` says, with TTL on; False if it exists.

    For local use (DynamoDB Local, moto, LocalStack); deployed stacks get their table
    from template.yaml.
    """
    _require_boto3()
    client = _new_client(region, endpoint_url, 2)
    from botocore.exceptions import ClientError

    try:
        client.create_table(**table_definition(table))
    except ClientError as exc:
        if exc.response.get("Error", {}).get("Code") == "ResourceInUseException":
            return False
        raise
    if wait:
        client.get_waiter("table_exists").wait(
            TableName=table, WaiterConfig={"Delay": 1, "MaxAttempts": 60}
        )
    client.update_time_to_live(
        TableName=table,
        TimeToLiveSpecification={"Enabled": True, "AttributeName": TTL_ATTRIBUTE},
    )
    return True


def _number(value: float) -> str:
    """A DynamoDB number for ``value``: plain decimal notation, exact for any float."""
    if not math.isfinite(value):
        raise ValueError(f"expiry must be a finite number, not {value!r}")
    return format(Decimal(repr(float(value))), "f")


class DynamoDBStore:
    """A :class:`~mockidp.store.Store` in one DynamoDB table, under one tenant's partition.

    ``table`` must exist (``mockidp create-table``, or template.yaml). ``region`` and
    ``endpoint_url`` default to boto3's own settings (``AWS_REGION`` /
    ``AWS_DEFAULT_REGION``, ``AWS_ENDPOINT_URL_DYNAMODB``). ``tenant`` is the partition
    key value: stores with different tenants share a table and never see each other's
    records; ``clear`` removes only its own tenant's. ``client`` injects a ready boto3
    DynamoDB client (tests); otherwise one is built on first use.
    """

    def __init__(
        self,
        table: str,
        *,
        tenant: str = "default",
        region: str | None = None,
        endpoint_url: str | None = None,
        client: Any = None,
        max_pool_connections: int = 32,
        wall_clock: Callable[[], float] = time.time,
    ) -> None:
        if not table:
            raise ValueError("the DynamoDB store needs a table name")
        if not tenant:
            raise ValueError("the DynamoDB store needs a non-empty tenant")
        if client is None:
            _require_boto3()
        self.table = table
        self.tenant = tenant
        self.region = region
        self.endpoint_url = endpoint_url
        self._client: DynamoDBClient | None = client
        self._built_in: int | None = None
        """The process that built ``_client`` (None: injected, or none yet)."""
        self._pool = max_pool_connections
        self._wall_clock = wall_clock
        self._lock = threading.Lock()

    def __repr__(self) -> str:
        return f"DynamoDBStore({self.table!r}, tenant={self.tenant!r})"

    # -- the client and its errors --------------------------------------------------------

    @property
    def client(self) -> DynamoDBClient:
        """The boto3 client, built on first use (thread-safe), and again in a forked
        process (``serve --workers``): its connections must not be shared."""
        client = self._client
        if client is None or self._built_elsewhere():
            with self._lock:
                if self._client is None or self._built_elsewhere():
                    self._client = _new_client(self.region, self.endpoint_url, self._pool)
                    self._built_in = os.getpid()
                client = self._client
        return client

    def _built_elsewhere(self) -> bool:
        """Whether the client was built here, by the process this one was forked from."""
        return self._built_in is not None and self._built_in != os.getpid()

    def _call(self, operation: Callable[[DynamoDBClient], _T]) -> _T:
        """Run ``operation``; storage failures become TemporarilyUnavailable."""
        from botocore.exceptions import BotoCoreError, ClientError

        try:
            return operation(self.client)
        except ClientError as exc:
            error = exc.response.get("Error", {})
            code = error.get("Code", "")
            if code == _CONDITION_FAILED:
                raise _ConditionFailed from None
            log.warning("DynamoDB table %s: %s: %s", self.table, code, error.get("Message", ""))
            raise TemporarilyUnavailable(
                f"the state store is unavailable ({code or 'DynamoDB error'}); retry shortly"
            ) from None
        except BotoCoreError as exc:
            log.warning("DynamoDB table %s: %s", self.table, exc)
            raise TemporarilyUnavailable(
                f"the state store is unavailable ({type(exc).__name__}); retry shortly"
            ) from None

    def _key(self, key: str) -> dict[str, AttributeValueTypeDef]:
        return {"pk": {"S": self.tenant}, "sk": {"S": key}}

    def _ttl(self, expires_at: float) -> str:
        floor = self._wall_clock() + TTL_FLOOR_SECONDS
        return str(math.ceil(max(expires_at, floor)))

    def _item(
        self, key: str, expires_at: float, *, record: JSONObject | None = None, n: int | None = None
    ) -> dict[str, AttributeValueTypeDef]:
        item = self._key(key)
        item["exp"] = {"N": _number(expires_at)}
        item[TTL_ATTRIBUTE] = {"N": self._ttl(expires_at)}
        if n is not None:
            item["n"] = {"N": str(n)}
        else:
            item["rec"] = {"S": json.dumps(record, ensure_ascii=False, separators=(",", ":"))}
        return item

    @staticmethod
    def _live(item: Mapping[str, Any] | None, now: float) -> JSONObject | None:
        if not item or "exp" not in item or float(item["exp"]["N"]) <= now:
            return None
        if "n" in item:
            return {"n": int(item["n"]["N"])}
        record: JSONObject = json.loads(item["rec"]["S"])
        return record

    # -- the Store protocol -------------------------------------------------------------------

    def put(self, key: str, record: JSONObject, *, expires_at: float) -> None:
        item = self._item(key, expires_at, record=record)
        self._call(lambda c: c.put_item(TableName=self.table, Item=item))

    def add(self, key: str, record: JSONObject, *, expires_at: float, now: float) -> bool:
        return self._put_if_absent(self._item(key, expires_at, record=record), now)

    def get(self, key: str, *, now: float) -> JSONObject | None:
        answer = self._call(
            lambda c: c.get_item(TableName=self.table, Key=self._key(key), ConsistentRead=True)
        )
        return self._live(answer.get("Item"), now)

    def take(self, key: str, *, now: float) -> JSONObject | None:
        answer = self._call(
            lambda c: c.delete_item(
                TableName=self.table, Key=self._key(key), ReturnValues="ALL_OLD"
            )
        )
        return self._live(answer.get("Attributes"), now)

    def increment(self, key: str, *, expires_at: float, now: float) -> int:
        at_now = {":now": {"N": _number(now)}}
        for _ in range(_INCREMENT_TRIES):
            try:  # a live counter: add one, keep its expiry
                answer = self._call(
                    lambda c: c.update_item(
                        TableName=self.table,
                        Key=self._key(key),
                        UpdateExpression="SET #n = #n + :one",
                        ConditionExpression="attribute_exists(#n) AND #exp > :now",
                        ExpressionAttributeNames={"#n": "n", "#exp": "exp"},
                        ExpressionAttributeValues={":one": {"N": "1"}, **at_now},
                        ReturnValues="UPDATED_NEW",
                    )
                )
                return int(answer["Attributes"]["n"]["N"])
            except _ConditionFailed:
                pass
            if self._create_counter(key, expires_at=expires_at, now=now):
                return 1
            # another writer created the counter in between: count on it
        raise TemporarilyUnavailable("the state store is too contended; retry shortly")

    def _create_counter(self, key: str, *, expires_at: float, now: float) -> bool:
        """Create the counter at 1 unless a live record is there (part of ``increment``)."""
        return self._put_if_absent(self._item(key, expires_at, n=1), now)

    def _put_if_absent(self, item: dict[str, AttributeValueTypeDef], now: float) -> bool:
        try:
            self._call(
                lambda c: c.put_item(
                    TableName=self.table,
                    Item=item,
                    ConditionExpression="attribute_not_exists(pk) OR #exp <= :now",
                    ExpressionAttributeNames={"#exp": "exp"},
                    ExpressionAttributeValues={":now": {"N": _number(now)}},
                )
            )
        except _ConditionFailed:
            return False
        return True

    def delete(self, key: str) -> None:
        self._call(lambda c: c.delete_item(TableName=self.table, Key=self._key(key)))

    def clear(self, prefix: str = "", *, keep: tuple[str, ...] = ()) -> None:
        keys = [k for k in self._keys(prefix) if not (keep and k.startswith(keep))]
        for start in range(0, len(keys), 25):
            batch = [{"DeleteRequest": {"Key": self._key(k)}} for k in keys[start : start + 25]]
            self._delete_batch(batch)

    def _delete_batch(self, requests: Any) -> None:
        """BatchWriteItem ``requests``, again for whatever DynamoDB left unprocessed."""
        for attempt in range(10):

            def write(c: DynamoDBClient, requests: Any = requests) -> Any:
                return c.batch_write_item(RequestItems={self.table: requests})

            requests = self._call(write).get("UnprocessedItems", {}).get(self.table)
            if not requests:
                return
            time.sleep(0.05 * (attempt + 1))
        raise TemporarilyUnavailable("the state store did not finish clearing; retry shortly")

    def _keys(self, prefix: str) -> Iterator[str]:
        """Every key of this tenant that starts with ``prefix`` (a consistent Query)."""
        condition = "pk = :pk" + (" AND begins_with(sk, :prefix)" if prefix else "")
        values: dict[str, AttributeValueTypeDef] = {":pk": {"S": self.tenant}}
        if prefix:
            values[":prefix"] = {"S": prefix}
        start: Any = None
        while True:

            def page_of(c: DynamoDBClient, start: Any = start) -> Any:
                return c.query(
                    TableName=self.table,
                    KeyConditionExpression=condition,
                    ExpressionAttributeValues=values,
                    ProjectionExpression="sk",
                    ConsistentRead=True,
                    **({"ExclusiveStartKey": start} if start else {}),
                )

            page = self._call(page_of)
            for item in page.get("Items", []):
                yield item["sk"]["S"]
            start = page.get("LastEvaluatedKey")
            if not start:
                return
