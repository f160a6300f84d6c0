"""AWS Lambda entry point: ``mockidp.lambda_handler.handler``.

The app is built once per container, at import, from the environment (the same
:class:`~mockidp.hosting.settings.Settings` the CLI reads):

- ``MOCKIDP_SCENARIO_FILE``: the scenario file ``mockidp package`` put in the package,
  relative to its root (template.yaml sets it); or ``MOCKIDP_SCENARIO``: a scenario file
  path, or the scenario itself (YAML or JSON). Neither: the embedded default.
- ``MOCKIDP_ISSUER``: the issuer URL; unset, derived from each request's Host (and the
  API Gateway stage, see below).
- ``MOCKIDP_TABLE``: the DynamoDB table holding state shared by every container (the
  region comes from ``AWS_REGION``, set by Lambda); unset, each container keeps its own
  memory (fine for one warm container, wrong for more). ``MOCKIDP_STORE`` takes a
  full store URL instead (``dynamodb://TABLE?tenant=NAME``).
- ``MOCKIDP_ADMIN_TOKEN``: the bearer token the test-control API requires. Required:
  a deployed provider is a public URL, and without it anyone could rewrite the scenario
  and mint tokens, so the container refuses to start (:func:`require_admin_token`).
  ``MOCKIDP_ALLOW_NO_ADMIN_TOKEN=1`` opts out, for a local emulator nobody else reaches.

Mangum runs with ``lifespan="off"`` (it would otherwise enter the lifespan on every
call); the DynamoDB client is built on the first request that needs state, so the
cold import stays small (``bench/cold_import.py``).

API Gateway stages: a REST API (payload 1.0) reached at ``/Prod/...`` and an HTTP API
stage other than ``$default`` put the stage in front of every path; the handler makes
it the ASGI ``root_path``, so routes match and the derived issuer includes it.
"""

from __future__ import annotations

import asyncio
import os
import warnings
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from mockidp.asgi import MockIdPApp
from mockidp.hosting.settings import Settings
from mockidp.hosting.wiring import app_from_settings

if TYPE_CHECKING:
    from starlette.types import Receive, Scope, Send

try:
    from mangum import Mangum
except ImportError as exc:  # pragma: no cover - the aws extra installs it
    raise ImportError("the Lambda handler needs mangum: pip install 'mockidp-oidc[aws]'") from exc

__all__ = ["app", "handler", "require_admin_token", "settings"]


def gateway_prefix(scope: Scope) -> str:
    """The path prefix API Gateway added in front of the app's paths ("" for none)."""
    event: dict[str, Any] = scope.get("aws.event") or {}
    context: dict[str, Any] = event.get("requestContext") or {}
    if "resource" in event and "httpMethod" in event:  # REST API, payload 1.0
        full = str(context.get("path") or "")
        path = str(event.get("path") or "")
        if path and full != path and full.endswith(path):
            return full[: -len(path)].rstrip("/")
        return ""
    stage = str(context.get("stage") or "")
    path = str(scope.get("path") or "")
    if stage and stage != "$default" and (path == f"/{stage}" or path.startswith(f"/{stage}/")):
        return f"/{stage}"
    return ""


class GatewayStage:
    """ASGI middleware: an API Gateway stage prefix becomes the ``root_path``."""

    def __init__(self, app: MockIdPApp) -> None:
        self.app = app

    @property
    def provider(self) -> Any:
        return self.app.provider

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http":
            prefix = gateway_prefix(scope)
            if prefix:
                path = str(scope["path"])
                if not path.startswith(prefix + "/") and path != prefix:
                    path = prefix + path  # ASGI: path includes root_path
                scope = {**scope, "root_path": prefix, "path": path}
        await self.app(scope, receive, send)


def ensure_event_loop() -> asyncio.AbstractEventLoop:
    """The thread's current event loop, set up if there is none.

    Mangum runs every event on ``asyncio.get_event_loop()``; with no loop set, Python
    3.12 and 3.13 warn before creating one and 3.14 refuses, so the container sets one
    once, at import.
    """
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)
        try:
            return asyncio.get_event_loop()
        except RuntimeError:
            loop = asyncio.new_event_loop()
            asyncio.set_event_loop(loop)
            return loop


NO_ADMIN_TOKEN_OPT_OUT = "MOCKIDP_ALLOW_NO_ADMIN_TOKEN"


def require_admin_token(settings: Settings, env: Mapping[str, str]) -> None:
    """Refuse to start without an admin token, unless the opt-out says this is local."""
    if settings.admin_token is not None:
        return
    if env.get(NO_ADMIN_TOKEN_OPT_OUT, "").strip().lower() in ("1", "true", "yes"):
        return
    raise RuntimeError(
        "mockidp on AWS Lambda needs MOCKIDP_ADMIN_TOKEN: without it anyone who finds the "
        "URL can change the scenario and mint tokens through /_mockidp/. Set it (the "
        f"AdminToken parameter of template.yaml), or set {NO_ADMIN_TOKEN_OPT_OUT}=1 for a "
        "local run nobody else can reach."
    )


settings = Settings.from_env()
require_admin_token(settings, os.environ)
app = app_from_settings(settings)
ensure_event_loop()
handler = Mangum(GatewayStage(app), lifespan="off")
