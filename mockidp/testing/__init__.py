"""The test double users import: :class:`MockIdP`, what the pytest fixtures hand out.

``double`` holds the class; ``login_flow`` drives a sign-in over any sync client;
``serving`` runs the app behind uvicorn on a loopback port, or in-process for sync
clients. The hooks' types (``on_token``, ``on_response``) are here too, for annotations.
"""

from mockidp.http.hooks import ResponseDraft, ResponseHook, ResponseRequest
from mockidp.oauth.hooks import HookRequest, TokenDraft, TokenHook
from mockidp.scenario.source import ScenarioSource
from mockidp.testing.double import DEFAULT_SCOPES, IN_PROCESS_URL, MockIdP
from mockidp.testing.scenarios import scenario_for_test

__all__ = [
    "DEFAULT_SCOPES",
    "IN_PROCESS_URL",
    "HookRequest",
    "MockIdP",
    "ResponseDraft",
    "ResponseHook",
    "ResponseRequest",
    "ScenarioSource",
    "TokenDraft",
    "TokenHook",
    "scenario_for_test",
]
