"""Scripted faults for tests: the ``fail_next`` family of :class:`MockIdP`, each adding an
entry to the scenario in force (its ``faults``), counted from then on."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from msgspec.structs import replace

from mockidp.model.scenario import Fault
from mockidp.oauth.provider import Provider
from mockidp.types import JSONObject


class FaultHelpers:
    """The fault helpers; the class that mixes them in has a ``provider``."""

    @property
    def provider(self) -> Provider:
        raise NotImplementedError

    def add_fault(self, spec: Mapping[str, Any]) -> Fault:
        """Add a scripted fault (an entry of a scenario's ``faults``) to the scenario in force.

        Its ``when`` counts matching calls from now on.
        """
        scenario = self.provider.scenario
        spec = dict(spec)
        spec.setdefault("name", f"fault {len(scenario.faults) + 1}")
        match = dict(spec.get("match") or {})
        client_ids, users = _listed(match.pop("client_id", None)), _listed(match.pop("user", None))
        for client_id in client_ids:
            if scenario.client(client_id) is None:
                raise ValueError(f"fault {spec['name']!r}: no client {client_id!r} in the scenario")
        for login in users:
            if scenario.user(login) is None:
                raise ValueError(f"fault {spec['name']!r}: no user {login!r} in the scenario")
        from mockidp.scenario.loader import load_scenario

        fault = load_scenario({"faults": [{**spec, "match": match}]}).faults[0]
        fault = replace(fault, match=replace(fault.match, client_ids=client_ids, users=users))
        # An edit of the scenario in force: the clock, keys and their timeline stay.
        self.provider.use_scenario(
            replace(scenario, faults=(*scenario.faults, fault)), keep_time=True
        )
        return fault

    def _queue(
        self, kind: str, endpoint: str, respond: JSONObject, times: int | None, match: Any
    ) -> Fault:
        spec: dict[str, Any] = {
            "name": f"{kind} {endpoint}",
            "match": {"endpoint": endpoint, **match},
            "respond": respond,
        }
        if times is not None:
            spec["when"] = {"first": times}
        return self.add_fault(spec)

    def fail_next(
        self,
        endpoint: str,
        error: str = "server_error",
        *,
        description: str | None = None,
        status: int | None = None,
        times: int | None = 1,
        **match: Any,
    ) -> Fault:
        """The next ``times`` calls to ``endpoint`` (all, if None) answer an OAuth error.

        ``match`` narrows the calls: ``grant_type``, ``client_id``, ``user``, ``scope``,
        ``params`` (as in a fault's ``match``).
        """
        spec: dict[str, Any] = {"error": error}
        if description is not None:
            spec["description"] = description
        if status is not None:
            spec["status"] = status
        return self._queue("fail_next", endpoint, {"oauth_error": spec}, times, match)

    def respond_next(
        self,
        endpoint: str,
        status: int,
        *,
        body: str = "",
        content_type: str | None = None,
        headers: Mapping[str, str] | None = None,
        times: int | None = 1,
        **match: Any,
    ) -> Fault:
        """The next ``times`` calls to ``endpoint`` get exactly this bare HTTP answer."""
        spec: dict[str, Any] = {"status": status, "body": body}
        if content_type is not None:
            spec["content_type"] = content_type
        if headers is not None:
            spec["headers"] = dict(headers)
        return self._queue("respond_next", endpoint, {"http_status": spec}, times, match)

    def drop_next(self, endpoint: str, *, times: int | None = 1, **match: Any) -> Fault:
        """The next ``times`` calls to ``endpoint`` lose their connection, unanswered."""
        return self._queue("drop_next", endpoint, {"drop_connection": True}, times, match)

    def delay_next(self, endpoint: str, ms: int, *, times: int | None = 1, **match: Any) -> Fault:
        """The next ``times`` calls to ``endpoint`` are answered ``ms`` milliseconds late."""
        return self._queue("delay_next", endpoint, {"latency_ms": ms}, times, match)

    def corrupt_next(self, endpoint: str, *, times: int | None = 1, **match: Any) -> Fault:
        """The next ``times`` calls to ``endpoint`` answer a body that is not valid JSON."""
        return self._queue("corrupt_next", endpoint, {"malformed_body": True}, times, match)


def _listed(value: Any) -> tuple[str, ...]:
    if value is None:
        return ()
    return tuple(value) if isinstance(value, list | tuple) else (str(value),)
