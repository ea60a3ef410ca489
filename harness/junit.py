"""Reading a run's JUnit XML: per-scenario outcomes for summaries and the harness's own tests."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from collections import Counter
from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True)
class Outcome:
    name: str
    outcome: str  # passed | failed | error | skipped
    message: str
    requirements: tuple[str, ...] = ()


def outcomes(path: Path) -> list[Outcome]:
    root = ET.parse(path).getroot()
    result = []
    for case in root.iter("testcase"):
        outcome, message = "passed", ""
        for tag in ("failure", "error", "skipped"):
            node = case.find(tag)
            if node is not None:
                outcome = "failed" if tag == "failure" else ("error" if tag == "error" else "skipped")
                message = (node.get("message") or "").strip()
                break
        reqs = tuple(p.get("value", "") for p in case.iter("property") if p.get("name") == "req")
        result.append(Outcome(case.get("name", ""), outcome, message, reqs))
    return result


NONCONFORMANCE_PREFIXES = ("harness.errors.Nonconformance", "AssertionError", "assert ")


def is_nonconformance(outcome: Outcome) -> bool:
    """A failure that is a verdict on the provider, not an environment or harness problem."""
    return outcome.outcome == "failed" and outcome.message.startswith(NONCONFORMANCE_PREFIXES)


def exit_code(items: list[Outcome]) -> int:
    """0 all passed (skips allowed); 1 provider non-conformant; 2 only environment or harness errors."""
    if any(is_nonconformance(o) for o in items):
        return 1
    if any(o.outcome in ("failed", "error") for o in items):
        return 2
    return 0


def summary_line(items: list[Outcome]) -> str:
    counts = Counter(o.outcome for o in items)
    nonconformant = sum(is_nonconformance(o) for o in items)
    broken = counts["failed"] + counts["error"] - nonconformant
    return (f"{counts['passed']} passed, {nonconformant} failed (provider non-conformant), "
            f"{broken} could not reach a verdict (environment or harness), {counts['skipped']} not assured (skipped)")
