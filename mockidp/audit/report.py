"""The audit's report: a table (text, Markdown), JSON, or JUnit XML for CI.

The JSON form is also what the audit leaves with the provider (``PUT /_mockidp/audit``)
for the inspector's audit page.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from xml.sax.saxutils import escape, quoteattr

from mockidp.audit.runner import Outcome
from mockidp.types import JSONObject

_HEAD = ("case", "expected", "observed", "verdict", "evidence")


def _row(outcome: Outcome) -> tuple[str, ...]:
    evidence = outcome.evidence
    if outcome.called_after:
        evidence += f"; then called {', '.join(outcome.called_after)}"
    return (outcome.case.name, outcome.case.expected, outcome.observed, outcome.verdict, evidence)


def summary(outcomes: Sequence[Outcome]) -> str:
    failed = sum(o.failed for o in outcomes)
    lenient = sum(o.verdict == "lenient" for o in outcomes)
    skipped = sum(o.verdict == "n/a" for o in outcomes)
    text = f"{len(outcomes)} cases, {failed} failed"
    if lenient:
        text += f", {lenient} lenient (allowed by Core 3.1.3.7)"
    return text + (f", {skipped} not applicable" if skipped else "")


def text(outcomes: Sequence[Outcome]) -> str:
    rows = [_HEAD, *(_row(o) for o in outcomes)]
    widths = [max(len(r[i]) for r in rows) for i in range(len(_HEAD) - 1)]
    lines = [
        "  ".join([*(c.ljust(w) for c, w in zip(r, widths, strict=False)), r[-1]]) for r in rows
    ]
    return "\n".join([*(line.rstrip() for line in lines), "", summary(outcomes)]) + "\n"


def markdown(outcomes: Sequence[Outcome]) -> str:
    def cells(row: Sequence[str]) -> str:
        return "| " + " | ".join(c.replace("|", "\\|") for c in row) + " |"

    lines = [cells(_HEAD), "|" + "---|" * len(_HEAD), *(cells(_row(o)) for o in outcomes)]
    return "\n".join([*lines, "", summary(outcomes)]) + "\n"


def case_json(o: Outcome) -> JSONObject:
    """One case's row of the JSON report."""
    return {
        "case": o.case.name,
        "checks": o.case.checks,
        "spec": o.case.spec,
        "oidf": o.case.oidf or None,
        "rp": o.case.rp or None,
        "expected": o.case.expected,
        "observed": o.observed,
        "verdict": o.verdict,
        "evidence": o.evidence,
        "called_after": list(o.called_after),
        "rule": o.case.rule(),
        "scenario": o.case.scenario_patch(),
        "clients": o.case.clients,
    }


def as_json(outcomes: Sequence[Outcome]) -> JSONObject:
    return {
        "summary": summary(outcomes),
        "failed": sum(o.failed for o in outcomes),
        "cases": [case_json(o) for o in outcomes],
    }


def junit(outcomes: Sequence[Outcome]) -> str:
    failures = sum(o.failed for o in outcomes)
    skipped = sum(o.verdict == "n/a" for o in outcomes)
    parts = [
        '<?xml version="1.0" encoding="UTF-8"?>',
        f'<testsuite name="mockidp audit" tests="{len(outcomes)}" failures="{failures}" '
        f'skipped="{skipped}">',
    ]
    for o in outcomes:
        parts.append(f'  <testcase classname="mockidp.audit" name={quoteattr(o.case.name)}>')
        if o.failed:
            message = f"expected {o.case.expected}, observed {o.observed}"
            parts.append(
                f"    <failure message={quoteattr(message)}>{escape(_row(o)[-1])}</failure>"
            )
        elif o.verdict == "n/a":
            parts.append(f"    <skipped message={quoteattr(o.evidence)}/>")
        parts.append("  </testcase>")
    parts.append("</testsuite>")
    return "\n".join(parts) + "\n"


def render(outcomes: Sequence[Outcome], fmt: str) -> str:
    if fmt == "json":
        return json.dumps(as_json(outcomes), indent=2) + "\n"
    if fmt == "junit":
        return junit(outcomes)
    if fmt == "markdown":
        return markdown(outcomes)
    return text(outcomes)
