"""One record per request the provider answers: for the CLI's log line and for tests."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class RequestRecord:
    """What happened to one request."""

    method: str
    path: str
    endpoint: str | None
    status: int
    duration_ms: float
    client_id: str | None = None
    grant_type: str | None = None
    error: str | None = None

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
        parts.append(f"{self.duration_ms:.1f}ms")
        return "  ".join(parts)
