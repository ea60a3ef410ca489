"""Reading a run's JUnit XML: per-scenario outcomes and the summary line (verdicts.decide gives the
overall verdict and exit code).

The split between a verdict on the provider and a run that could not reach one is decided while
the run is going, by the root conftest's `pytest_runtest_makereport` hook, from the exception a
check raised; it lands in the JUnit XML as test-case properties, which this module reads back:

  req        a requirement the scenario is tagged with (@req:...), one property each
  verdict    on a failure: "nonconformant" (the provider broke a rule) or "broken" (environment or
             harness: unreachable, timed out, bad set-up; no verdict on the provider)
  violated   a requirement the failure broke, one property each (only with verdict nonconformant)
  scenario   the scenario's title;  feature   the feature file's stem
  example    a Scenario Outline's title with its example's values
  violation  a requirement a failed check broke and its message, one property each (harness/outcome/findings.py)
  completed  "true" when every step of a failed scenario ran (its other requirements' checks all ran)
  stopped    why a failed scenario stopped before its last step;  stop_kind  failed step, skipped or broken
"""

from __future__ import annotations

import xml.etree.ElementTree as ET
from collections import Counter
from dataclasses import dataclass
from pathlib import Path
from typing import Mapping

from harness.errors import BROKEN, NONCONFORMANT
from harness.outcome.findings import parse_violation

# Requirement levels (spec/requirements.csv). Only a binding level makes a run non-conformant; the
# advisory ones (SHOULD, SHOULD NOT, MAY, and an NHS assurance expectation: a status or code NHS's
# suite expects where the spec names none) do so only under NHS strictness (GPC_NHS_STRICT=true).
# A violated requirement of unknown level counts as a SHALL: an unknown rule never softens a verdict.
BINDING_LEVEL = "SHALL"
BINDING_LEVELS = frozenset({"SHALL", "SHALL NOT"})
NHS_EXPECTATION = "NHS expectation"
ADVISORY_LEVELS = ("SHOULD", "SHOULD NOT", "MAY", NHS_EXPECTATION)


# How a scenario that failed, then passed when run again at the end of the run (--rerun-failures), is marked:
# its message starts so, and it stays failed in every verdict.
FLAKY = "flaky: failed, then passed when run again at the end of the run"


@dataclass(frozen=True)
class Outcome:
    name: str
    outcome: str  # passed | failed | error | skipped
    message: str
    requirements: tuple[str, ...] = ()
    verdict: str = ""  # on failed or error: nonconformant | broken
    violated: tuple[str, ...] = ()
    scenario: str = ""
    feature: str = ""
    nodeid: str = ""
    violations: tuple[tuple[str, str], ...] = ()  # (requirement, message) of each failed check
    completed: bool = False  # a failed scenario ran every step
    stopped: str = ""
    stop_kind: str = ""

    example: str = ""  # a Scenario Outline's title with its example's values

    @property
    def title(self) -> str:
        """The scenario's title (an outline's with its example's values), or the test name when the run
        did not record one."""
        return self.example or self.scenario or self.name.removeprefix("test_").replace("_", " ")

    @property
    def nonconformant(self) -> bool:
        return self.outcome in ("failed", "error") and self.verdict == NONCONFORMANT

    @property
    def broken(self) -> bool:
        """No verdict on the provider (environment or harness), or one reached before the run broke."""
        return self.outcome in ("failed", "error") and (self.verdict != NONCONFORMANT or self.stop_kind == BROKEN)

    @property
    def ran_every_step(self) -> bool:
        """Every check of the scenario ran: it passed, or it failed after running every step (so a
        requirement it is tagged with and did not violate was judged, and held)."""
        return self.outcome == "passed" or (self.nonconformant and self.completed)

    def message_for(self, requirement: str) -> str:
        """The message of the first check of this requirement that failed here, else the scenario's."""
        return next((m for r, m in self.violations if r == requirement), "") or self.message


def _first_line(message: str) -> str:
    """The verdict line: pytest cuts a long message attribute and adds a line pointing to the element
    text ("[truncated; full report in element text]"), which is not part of the verdict."""
    lines = message.strip().splitlines()
    if len(lines) > 1 and lines[-1].startswith("[") and lines[-1].endswith("full report in element text]"):
        lines = lines[:-1]
    return "\n".join(lines).strip()


def outcomes(path: Path) -> list[Outcome]:
    root = ET.parse(path).getroot()
    result = []
    for case in root.iter("testcase"):
        outcome, message = "passed", ""
        for tag in ("failure", "error", "skipped"):
            node = case.find(tag)
            if node is not None:
                outcome = "failed" if tag == "failure" else ("error" if tag == "error" else "skipped")
                message = _first_line(node.get("message") or "")
                break
        props: dict[str, list[str]] = {}
        for prop in case.iter("property"):
            props.setdefault(prop.get("name", ""), []).append(prop.get("value", ""))
        classname = case.get("classname", "")
        nodeid = f"{classname.replace('.', '/')}.py::{case.get('name', '')}" if classname else case.get("name", "")
        result.append(Outcome(
            name=case.get("name", ""), outcome=outcome, message=message,
            requirements=tuple(dict.fromkeys(props.get("req", []))),
            verdict=(props.get("verdict") or [""])[-1] if outcome in ("failed", "error") else "",
            violated=tuple(dict.fromkeys(props.get("violated", []))),
            scenario=(props.get("scenario") or [""])[0], feature=(props.get("feature") or [""])[0],
            nodeid=nodeid,
            violations=tuple(dict.fromkeys(parse_violation(v) for v in props.get("violation", []))),
            completed=(props.get("completed") or ["false"])[-1] == "true",
            stopped=(props.get("stopped") or [""])[-1], stop_kind=(props.get("stop_kind") or [""])[-1],
            example=(props.get("example") or [""])[0],
        ))
    return result


def is_binding(level: str, nhs_strict: bool = False) -> bool:
    """Whether a failure of a requirement of this level makes the run non-conformant."""
    return nhs_strict or level not in ADVISORY_LEVELS


def binding(outcome: Outcome, levels: Mapping[str, str] | None = None, nhs_strict: bool = False) -> bool:
    """A non-conformance that breaks a SHALL (any non-conformance when levels are not given, or
    under NHS strictness)."""
    if not outcome.nonconformant:
        return False
    if levels is None or nhs_strict:
        return True
    return any(is_binding(levels.get(r, BINDING_LEVEL)) for r in outcome.violated or outcome.requirements)


def advisory(outcome: Outcome, levels: Mapping[str, str]) -> bool:
    """A non-conformance that breaks only advisory requirements (SHOULD, SHOULD NOT, MAY, NHS expectation)."""
    return outcome.nonconformant and not binding(outcome, levels)


def summary_line(items: list[Outcome], levels: Mapping[str, str] | None = None, nhs_strict: bool = False) -> str:
    counts = Counter(o.outcome for o in items)
    nonconformant = sum(binding(o, levels, nhs_strict) for o in items)
    findings = sum(o.nonconformant for o in items) - nonconformant
    broken = sum(o.broken for o in items)
    advisory_part = f"{findings} failed on advisory requirements only (SHOULD, MAY, NHS expectation), " \
        if findings else ""
    return (f"{counts['passed']} passed, {nonconformant} failed (provider non-conformant), {advisory_part}"
            f"{broken} could not reach a verdict (environment or harness), {counts['skipped']} not assured (skipped)")
