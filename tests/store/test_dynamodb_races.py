"""Racing containers: two independent apps (as two Lambda containers) share one table.

Many threads redeem the same code at once, half through each app: exactly one gets
tokens, every other gets invalid_grant. The same for rotating a refresh token. And
storage failures answer 503 temporarily_unavailable with Retry-After, never a 500.
"""

from __future__ import annotations

import threading
import uuid
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import AbstractContextManager, contextmanager
from functools import partial
from typing import Any
from urllib.parse import parse_qsl, urlsplit

import httpx
import pytest

from mockidp import MockIdPApp, create_app
from mockidp.errors import TemporarilyUnavailable
from mockidp.store.dynamodb import DynamoDBStore
from tests.conftest import request_in_process
from tests.support.dynamodb import (
    REGION,
    TABLE,
    aws_environment,
    mock_aws_table,
    moto_server_url,
    needs_moto,
)
from tests.support.flows import code_of, code_request

pytestmark = needs_moto

REDIRECT_URI = "http://localhost:8080/callback"
CLIENT = ("mockidp-client", "mockidp-secret")
WORKERS = 12

Containers = Callable[[int], list[MockIdPApp]]


@contextmanager
def _server_containers() -> Iterator[Containers]:
    url = moto_server_url()
    tenant = uuid.uuid4().hex
    with aws_environment():
        yield lambda n: [
            create_app(store=DynamoDBStore(TABLE, tenant=tenant, endpoint_url=url))
            for _ in range(n)
        ]


@contextmanager
def _mock_aws_containers() -> Iterator[Containers]:
    tenant = uuid.uuid4().hex
    with mock_aws_table():
        yield lambda n: [
            create_app(store=DynamoDBStore(TABLE, tenant=tenant, region=REGION)) for _ in range(n)
        ]


@pytest.fixture(
    params=[
        pytest.param(_server_containers, id="moto_server"),
        pytest.param(_mock_aws_containers, id="mock_aws"),
    ]
)
def containers(request: pytest.FixtureRequest) -> Iterator[Containers]:
    """``containers(n)``: n independent apps, each with its own client, on one shared tenant."""
    factory: Callable[[], AbstractContextManager[Containers]] = request.param
    with factory() as make:
        yield make


def _code(app: MockIdPApp) -> str:
    response = request_in_process(
        app,
        "GET",
        "/authorize",
        params=code_request(CLIENT[0], REDIRECT_URI, scope="openid offline_access", challenge=None),
    )
    return code_of(response)


def _token(app: MockIdPApp, /, **form: str) -> httpx.Response:
    return request_in_process(app, "POST", "/token", data=form, auth=CLIENT)


def _race(apps: list[MockIdPApp], task: Callable[[MockIdPApp], httpx.Response]) -> list[Any]:
    """``task`` on WORKERS threads released at once, alternating between ``apps``."""
    barrier = threading.Barrier(WORKERS)

    def run(i: int) -> httpx.Response:
        barrier.wait()
        return task(apps[i % len(apps)])

    with ThreadPoolExecutor(max_workers=WORKERS) as pool:
        return list(pool.map(run, range(WORKERS)))


def _outcomes(responses: list[httpx.Response]) -> list[str]:
    return [
        "ok" if r.status_code == 200 else f"{r.status_code} {r.json().get('error')}"
        for r in responses
    ]


def test_a_code_redeemed_at_once_in_two_containers_succeeds_exactly_once(
    containers: Containers,
) -> None:
    one, two = containers(2)
    for _ in range(3):
        code = _code(one)
        form = {"grant_type": "authorization_code", "code": code, "redirect_uri": REDIRECT_URI}
        results = _race([one, two], partial(_token, **form))
        outcomes = _outcomes(results)
        assert outcomes.count("ok") == 1, outcomes
        assert outcomes.count("400 invalid_grant") == WORKERS - 1, outcomes


def test_a_refresh_token_rotated_at_once_in_two_containers_succeeds_exactly_once(
    containers: Containers,
) -> None:
    one, two = containers(2)
    for _ in range(3):
        tokens = _token(
            two, grant_type="authorization_code", code=_code(one), redirect_uri=REDIRECT_URI
        )
        assert tokens.status_code == 200, tokens.text
        refresh = tokens.json()["refresh_token"]
        form = {"grant_type": "refresh_token", "refresh_token": refresh}
        results = _race([one, two], partial(_token, **form))
        outcomes = _outcomes(results)
        assert outcomes.count("ok") == 1, outcomes
        assert outcomes.count("400 invalid_grant") == WORKERS - 1, outcomes


def test_a_container_sees_what_another_wrote(containers: Containers) -> None:
    one, two = containers(2)
    tokens = _token(
        two, grant_type="authorization_code", code=_code(one), redirect_uri=REDIRECT_URI
    )
    assert tokens.status_code == 200, tokens.text
    access = tokens.json()["access_token"]
    userinfo = request_in_process(
        one, "GET", "/userinfo", headers={"Authorization": f"Bearer {access}"}
    )
    assert userinfo.status_code == 200, userinfo.text
    assert userinfo.json()["sub"] == "alice"


# -- failures: a clear 503 with Retry-After -------------------------------------------------


def test_an_unreachable_endpoint_answers_503_with_retry_after() -> None:
    with aws_environment():
        # a closed loopback port: connection refused at once (botocore retries, then gives up)
        store = DynamoDBStore(TABLE, endpoint_url="http://127.0.0.1:9", region=REGION)
        app = create_app(store=store)
        token = _token(app, grant_type="authorization_code", code="x", redirect_uri=REDIRECT_URI)
    assert token.status_code == 503, token.text
    assert token.json()["error"] == "temporarily_unavailable"
    assert token.headers["retry-after"].isdigit()
    assert "Traceback" not in token.text


def test_a_missing_table_answers_503() -> None:
    url = moto_server_url()
    with aws_environment():
        app = create_app(store=DynamoDBStore("no-such-table", endpoint_url=url))
        token = _token(app, grant_type="authorization_code", code="x", redirect_uri=REDIRECT_URI)
    assert token.status_code == 503, token.text
    assert token.json()["error"] == "temporarily_unavailable"
    assert "ResourceNotFoundException" in token.json()["error_description"]


@pytest.mark.parametrize(
    "code",
    [
        "ProvisionedThroughputExceededException",
        "ThrottlingException",
        "RequestLimitExceeded",
        "ResourceNotFoundException",
        "InternalServerError",
    ],
)
def test_client_errors_become_temporarily_unavailable(code: str) -> None:
    from botocore.exceptions import ClientError

    class Failing:
        def __getattr__(self, name: str) -> Callable[..., Any]:
            def fail(**_kwargs: Any) -> Any:
                raise ClientError({"Error": {"Code": code, "Message": "no"}}, name)

            return fail

    store = DynamoDBStore(TABLE, client=Failing())
    for call in (
        lambda: store.get("k", now=0),
        lambda: store.put("k", {}, expires_at=1),
        lambda: store.add("k", {}, expires_at=1, now=0),
        lambda: store.take("k", now=0),
        lambda: store.increment("k", expires_at=1, now=0),
        lambda: store.delete("k"),
        lambda: store.clear("p"),
    ):
        with pytest.raises(TemporarilyUnavailable, match=code):
            call()


@pytest.mark.parametrize(
    "error", ["EndpointConnectionError", "ReadTimeoutError", "NoCredentialsError"]
)
def test_transport_errors_become_temporarily_unavailable(error: str) -> None:
    import botocore.exceptions as exceptions

    cls = getattr(exceptions, error)
    exc = cls(endpoint_url="http://x", error="boom") if error != "NoCredentialsError" else cls()

    class Failing:
        def get_item(self, **_kwargs: Any) -> Any:
            raise exc

    with pytest.raises(TemporarilyUnavailable, match=error):
        DynamoDBStore(TABLE, client=Failing()).get("k", now=0)


def test_an_authorization_request_redirects_temporarily_unavailable() -> None:
    """RFC 6749 4.1.2.1: the error goes back to the client, not to a 500 page."""
    from botocore.exceptions import ClientError

    class Throttled:
        def __getattr__(self, name: str) -> Callable[..., Any]:
            def fail(**_kwargs: Any) -> Any:
                raise ClientError({"Error": {"Code": "ThrottlingException", "Message": ""}}, name)

            return fail

    app = create_app(store=DynamoDBStore(TABLE, client=Throttled()))
    response = request_in_process(
        app,
        "GET",
        "/authorize",
        params={
            "response_type": "code",
            "client_id": CLIENT[0],
            "redirect_uri": REDIRECT_URI,
            "scope": "openid",
            "state": "s",
        },
    )
    assert response.status_code in (302, 303), response.text
    callback = dict(parse_qsl(urlsplit(response.headers["location"]).query))
    assert callback["error"] == "temporarily_unavailable"
    assert callback["state"] == "s"
