"""The last relying-party audit, as the audit left it with this control API.

``mockidp audit`` PUTs its whole report at the end of a run (``PUT /_mockidp/audit``);
the pytest API POSTs each case's row as its test ends (``POST /_mockidp/audit/cases``).
The inspector's audit page (``/_mockidp/inspector/audit``) shows it. Kept in memory by the
process that answered, like the request log the audit reads; a reset keeps it (the audit
resets the provider before every case), the next audit replaces it.

The rows are what the audit says they are: checked for shape and size, never trusted
further (every value is escaped on the page).
"""

from __future__ import annotations

import threading
from typing import Annotated, Any, Literal, TypeVar

import msgspec
from msgspec import Meta, Struct, field

from mockidp.types import JSONObject

_T = TypeVar("_T")

MAX_CASES = 500
"""Rows one audit may hold."""

Text = Annotated[str, Meta(max_length=4000)]
Name = Annotated[str, Meta(min_length=1, max_length=200)]
Verdict = Literal["pass", "fail", "lenient", "error", "n/a"]


class AuditCase(Struct, frozen=True):
    """One case's row: the audit's ``case_json`` (:mod:`mockidp.audit.report`)."""

    case: Name
    expected: Literal["reject", "accept", "either"]
    observed: Literal["accepted", "rejected", "error", "n/a"]
    verdict: Verdict
    evidence: Text = ""
    checks: Text = ""
    spec: Text = ""
    oidf: Annotated[str, Meta(max_length=200)] | None = None
    rp: Annotated[str, Meta(max_length=200)] | None = None
    called_after: Annotated[list[Name], Meta(max_length=20)] = field(default_factory=list)
    rule: JSONObject | None = None
    """The case's scenario rule, to replay it by hand."""
    scenario: JSONObject | None = None
    clients: JSONObject | None = None


class AuditReport(Struct, frozen=True):
    """A whole audit as ``PUT /_mockidp/audit`` takes it (other keys are ignored)."""

    cases: Annotated[list[AuditCase], Meta(max_length=MAX_CASES)]
    source: Annotated[str, Meta(max_length=200)] = "mockidp audit"


class LastAudit(Struct, frozen=True):
    """What the page shows: where the audit came from, when, and its rows."""

    source: str
    received: int
    cases: tuple[AuditCase, ...]

    @property
    def failed(self) -> int:
        return sum(c.verdict in ("fail", "error") for c in self.cases)

    def count(self, verdict: str) -> int:
        return sum(c.verdict == verdict for c in self.cases)

    @property
    def summary(self) -> str:
        text = f"{len(self.cases)} cases, {self.failed} failed"
        if self.count("lenient"):
            text += f", {self.count('lenient')} lenient (allowed by Core 3.1.3.7)"
        if self.count("n/a"):
            text += f", {self.count('n/a')} not applicable"
        return text

    def as_json(self) -> JSONObject:
        return {
            "source": self.source,
            "received": self.received,
            "summary": self.summary,
            "failed": self.failed,
            "cases": [msgspec.to_builtins(c) for c in self.cases],
        }


class InvalidAudit(ValueError):
    """A report or row of the wrong shape or size."""


class AuditShelf:
    """The last audit of one control API (None until one reports)."""

    def __init__(self) -> None:
        self.last: LastAudit | None = None
        self._lock = threading.Lock()

    def replace(self, body: Any, *, now: int) -> LastAudit:
        """A whole report in place of the last one."""
        report = _convert(body, AuditReport)
        if len({c.case for c in report.cases}) != len(report.cases):
            raise InvalidAudit("each case may appear once")
        with self._lock:
            self.last = LastAudit(report.source, now, tuple(report.cases))
            return self.last

    def add(self, body: Any, *, now: int, source: str = "pytest") -> LastAudit:
        """One case's row added to the last audit (in place of a row of the same case)."""
        row = _convert(body, AuditCase)
        with self._lock:
            rows = [c for c in self.last.cases if c.case != row.case] if self.last else []
            if len(rows) >= MAX_CASES:
                raise InvalidAudit(f"an audit holds at most {MAX_CASES} cases")
            kept = self.last.source if self.last else source
            self.last = LastAudit(kept, now, (*rows, row))
            return self.last

    def clear(self) -> None:
        with self._lock:
            self.last = None


def _convert(body: Any, kind: type[_T]) -> _T:
    try:
        return msgspec.convert(body, kind)
    except msgspec.ValidationError as exc:
        raise InvalidAudit(str(exc)) from None
