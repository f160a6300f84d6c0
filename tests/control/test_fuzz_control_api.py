"""The test-control API fuzzed against its own OpenAPI document (schemathesis).

The document the app serves at ``/_mockidp/openapi.json`` is loaded from the app
itself, and every operation it lists is called with generated data (schema-valid and
not), with the admin token. Checks: never a 5xx, the status codes, content types,
headers and bodies the document declares. Each case gets a fresh app (cheap: ~1 ms), so
one case's changes (a scenario, a fault, a reset) do not steer the next. Bounded and
derandomized for CI.
"""

from __future__ import annotations

import os
from typing import Any

from hypothesis import HealthCheck, settings

from mockidp import MockIdPApp, create_app
from tests.support.optional import missing

try:
    import schemathesis
    from schemathesis import checks
except ImportError as exc:  # the interop extra
    missing(exc)

ADMIN = "fuzz-admin-token"
EXAMPLES = int(os.environ.get("MOCKIDP_FUZZ_EXAMPLES", "15"))


class FreshApp:
    """An ASGI app that is a new mockidp app for each case (``renew``)."""

    def __init__(self) -> None:
        self.app: MockIdPApp = create_app(admin_token=ADMIN)

    def renew(self) -> None:
        self.app = create_app(admin_token=ADMIN)

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        await self.app(scope, receive, send)


APP = FreshApp()
schema = schemathesis.openapi.from_asgi(
    "/_mockidp/openapi.json", APP, headers={"Authorization": f"Bearer {ADMIN}"}
)

# The coverage phase walks every boundary of the (large) scenario schema: minutes, not
# seconds. The examples and fuzzing phases stay; fuzzing is bounded by EXAMPLES.
schema.config.phases.coverage.enabled = False

CHECKS = [
    checks.not_a_server_error,
    checks.status_code_conformance,
    checks.content_type_conformance,
    checks.response_schema_conformance,
    checks.response_headers_conformance,
]


@schema.parametrize()
@settings(
    max_examples=EXAMPLES,
    deadline=None,
    derandomize=True,
    database=None,
    suppress_health_check=list(HealthCheck),
)
def test_control_api_conforms_to_its_openapi_document(case: Any) -> None:
    APP.renew()
    case.call_and_validate(headers={"Authorization": f"Bearer {ADMIN}"}, checks=CHECKS)


def test_every_operation_is_fuzzed() -> None:
    """The document lists operations (else the parametrized test above tests nothing)."""
    operations = list(schema.get_all_operations())
    assert len(operations) >= 10
    assert all(type(op).__name__ == "Ok" for op in operations)  # each one parsed
