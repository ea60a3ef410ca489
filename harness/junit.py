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


def summary_line(items: list[Outcome]) -> str:
    counts = Counter(o.outcome for o in items)
    return (f"{counts['passed']} passed, {counts['failed']} failed, {counts['error']} could not run, "
            f"{counts['skipped']} not assured (skipped)")
