"""One record per request the provider answers: for the CLI's log line and for tests."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class RequestRecord:
    """What happened to one request; ``status`` is 0 when none was sent (a dropped connection)."""

    method: str
    path: str
    endpoint: str | None
    status: int
    duration_ms: float
    client_id: str | None = None
    grant_type: str | None = None
    error: str | None = None
    fault: str | None = None
    """The name of the scripted fault applied to the request, if any."""

    def line(self) -> str:
        """One readable log line: method, path, client, grant or endpoint, status, error."""
        what = self.grant_type or self.endpoint or "-"
        parts = [
            f"{self.method} {self.path}",
            f"client={self.client_id or '-'}",
            what,
            str(self.status),
        ]
        if self.error:
            parts.append(f"error={self.error}")
        if self.fault:
            parts.append(f"fault={self.fault}")
        parts.append(f"{self.duration_ms:.1f}ms")
        return "  ".join(parts)
