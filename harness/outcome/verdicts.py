"""Per-requirement verdicts and the run's overall verdict: the page an assurance reviewer signs off.

A requirement is judged by its own checks, whatever else its scenarios found:
  failed        where a check of that requirement found a violation, in any scenario (recorded as
                violated, harness/outcome/outcomes.py), not merely because a scenario tagged with it failed
  NHS expectation not met / advisory: not met
                the same for a requirement of an advisory level: an NHS assurance expectation
                (a status or code NHS's suite expects where the spec names none), or a SHOULD,
                SHOULD NOT or MAY; these make the run non-conformant only under NHS strictness
  not assured   where it has no scenario (not tested: needs manual evidence, with the reason), or
                one of its scenarios did not run its checks: skipped (writes off, test data
                missing), could not reach a verdict (environment or harness), or stopped early
                at a failed Given or When step
  not assessed  where this run's selection (--req, --feature, -k) left some of its scenarios out
  assured       every one of its scenarios ran every step and none of its checks found a
                violation (a scenario that failed on another requirement still judged this one)

The run's overall verdict and exit code come from one place, `decide` (README "Exit codes").
Under NHS strictness (GPC_NHS_STRICT=true) a failure of any level counts as a SHALL's would.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Iterable, Mapping

from harness.errors import SKIPPED
from harness.outcome.outcomes import (
    ADVISORY_LEVELS,
    BINDING_LEVELS,
    NHS_EXPECTATION,
    Outcome,
    advisory,
    binding,
)
from harness.settings import PROJECT_ROOT
from harness.spec.requirements import Requirement

ASSURED, FAILED, NOT_ASSURED, NOT_ASSESSED = "assured", "failed", "not assured", "not assessed"
NHS_NOT_MET, NOT_MET = "NHS expectation not met", "advisory: not met"
ORDER = (FAILED, NHS_NOT_MET, NOT_MET, NOT_ASSURED, NOT_ASSESSED, ASSURED)  # failures first
LEVELS = ("SHALL", "SHALL NOT", "SHOULD", "SHOULD NOT", "MAY", NHS_EXPECTATION)
CONFORMANT, NON_CONFORMANT, INCOMPLETE, NO_VERDICT = "CONFORMANT", "NON-CONFORMANT", "INCOMPLETE", "NO VERDICT"
NO_SHALL_FAILED = "NO SHALL FAILED"
MEANING = {
    CONFORMANT: "every SHALL requirement this run set out to judge was assured and none failed",
    NO_SHALL_FAILED: "no SHALL requirement failed, but not every one this run set out to judge was assured",
    NON_CONFORMANT: "the provider broke at least one SHALL requirement",
    INCOMPLETE: "no SHALL requirement failed, but the run did not finish what it selected: some scenarios "
                "could not reach a verdict (environment unreachable or harness error), or the run was stopped",
    NO_VERDICT: "no scenario reached a verdict (none ran, or every one was skipped)",
}

Scenario = tuple[str, str]  # (feature file stem, scenario title)


@dataclass(frozen=True)
class Verdict:
    requirement: Requirement
    verdict: str
    why: str
    scenarios: tuple[Outcome, ...]
    causes: tuple[str, ...] = ()  # not assured: why its scenarios did not judge it (cause())

    @property
    def needs_manual_evidence(self) -> bool:
        return bool(self.requirement.not_tested_reason)


@lru_cache(maxsize=1)
def suite_scenarios(features_dir: Path = PROJECT_ROOT / "features") -> dict[str, frozenset[Scenario]]:
    """Requirement id -> every scenario of the whole suite tagged with it (feature, rule and
    scenario tags, as pytest-bdd applies them), whatever a run selected."""
    from pytest_bdd.feature import get_features

    found: dict[str, set[Scenario]] = {}
    for feature in get_features([str(features_dir)]):
        stem = Path(feature.filename).stem
        for scenario in feature.scenarios.values():
            rule_tags = scenario.rule.tags if scenario.rule is not None else set()
            for tag in scenario.tags | feature.tags | rule_tags:
                if tag.startswith("req:"):
                    found.setdefault(tag[4:], set()).add((stem, scenario.name))
    return {k: frozenset(v) for k, v in found.items()}


def _first_line(text: str) -> str:
    return text.strip().splitlines()[0] if text.strip() else ""


def _plural(n: int, noun: str) -> str:
    return f"{n} {noun}{'' if n == 1 else 's'}"


def verdicts(catalogue: Mapping[str, Requirement], outcomes: list[Outcome],
             suite: Mapping[str, Iterable[Scenario]] | None = None) -> list[Verdict]:
    """One Verdict per catalogued requirement, in catalogue order. `suite` maps each requirement to
    all of its scenarios (default: read from features/); without it, nothing is 'not assessed'.

    A requirement is judged by its own checks: failed where one of them found a violation (in any
    scenario, tagged with it or not), held in a scenario tagged with it that ran every step (even if
    that scenario failed on another requirement), not run where that scenario stopped early or was
    skipped."""
    suite = suite_scenarios() if suite is None else suite
    result = []
    for req in catalogue.values():
        mine = tuple(o for o in outcomes if req.id in o.requirements)
        expected = set(suite.get(req.id, ()))
        ran = {(o.feature, o.scenario) for o in mine}
        violations = [o for o in outcomes if o.nonconformant and _violates(o, req.id)]
        held = [o for o in mine if o not in violations and o.ran_every_step]
        not_run = [o for o in mine if o not in violations and not o.ran_every_step]
        shown = tuple(dict.fromkeys((*violations, *mine)))
        if violations:
            why = _first_line(violations[0].message_for(req.id)).removeprefix("harness.errors.Nonconformance: ")
            verdict = Verdict(req, failed_verdict(req.level), why or violations[0].title, shown)
        elif req.not_tested_reason and not mine:
            verdict = Verdict(req, NOT_ASSURED, f"not tested: {req.not_tested_reason}", mine)
        elif not mine:
            verdict = Verdict(req, NOT_ASSESSED, "no scenario of it in this run's selection", mine)
        elif not_run:
            verdict = Verdict(req, NOT_ASSURED, _unfinished(not_run, len(mine), len(held)), mine,
                              tuple(dict.fromkeys(cause(o) for o in not_run)))
        elif expected - ran:
            left_out = len(expected - ran)
            verdict = Verdict(req, NOT_ASSESSED, f"{_held(held)}; the selection left out "
                              f"{left_out} of its {len(expected)}", mine)
        else:
            verdict = Verdict(req, ASSURED, _held(held), mine)
        result.append(verdict)
    return result


def _violates(outcome: Outcome, requirement: str) -> bool:
    """A failed check of the requirement in this scenario (a failure naming none stands for its tags)."""
    return requirement in (outcome.violated or outcome.requirements)


def _held(held: list[Outcome]) -> str:
    """How many scenarios judged a requirement and found it kept."""
    passed = sum(o.outcome == "passed" for o in held)
    if passed == len(held):
        return f"{_plural(len(held), 'scenario')} passed"
    return (f"held in {_plural(len(held), 'scenario')} that ran every step ({len(held) - passed} of them "
            "failed on other requirements)")


WRITES_OFF, TEST_DATA, NO_VERDICT_REACHED, STOPPED_EARLY = (
    "writes off", "test data missing", "could not reach a verdict", "stopped at a failed step")


def cause(outcome: Outcome) -> str:
    """Why a scenario did not judge its requirements, in a few words (for the overall verdict)."""
    if outcome.outcome == SKIPPED or outcome.stop_kind == SKIPPED:
        text = outcome.message if outcome.outcome == "skipped" else outcome.stopped
        return WRITES_OFF if "writes are not allowed" in text or "GPC_ALLOW_WRITES" in text else TEST_DATA
    if outcome.broken:
        return NO_VERDICT_REACHED
    return STOPPED_EARLY


def failed_verdict(level: str) -> str:
    """What a failure of a requirement of this level is called: failed, or an advisory finding."""
    if level == NHS_EXPECTATION:
        return NHS_NOT_MET
    return NOT_MET if level in ADVISORY_LEVELS else FAILED


def _unfinished(not_run: list[Outcome], total: int, held: int) -> str:
    """How many of a requirement's scenarios judged it, and why the others did not, from the first of each kind."""
    skipped = [o for o in not_run if o.outcome == "skipped"]
    broken = [o for o in not_run if o.broken]
    stopped = [o for o in not_run if o not in skipped and o not in broken]

    def of(part: list) -> str:
        return f"{len(part)}" if held else f"{len(part)} of {total}"

    parts = [f"held in {held} of {total}"] if held else []
    if broken:
        parts.append(f"{of(broken)} could not reach a verdict ({broken[0].title}: "
                     f"{_first_line(broken[0].stopped or broken[0].message)})")
    if stopped:
        first = stopped[0]
        parts.append(f"{of(stopped)} stopped before its checks ran ({first.title}: "
                     f"{_first_line(first.stopped) or 'at a failure of another requirement'})")
    if skipped:
        parts.append(f"{of(skipped)} not run: {_first_line(skipped[0].message).removeprefix('not assured: ')}")
    return "; ".join(parts)


def overall(outcomes: list[Outcome], levels: Mapping[str, str], nhs_strict: bool = False) -> str:
    """What the scenarios alone say: CONFORMANT, NON-CONFORMANT, INCOMPLETE or NO VERDICT (`decide` then
    weighs the requirements)."""
    if any(binding(o, levels, nhs_strict) for o in outcomes):
        return NON_CONFORMANT
    if any(o.broken for o in outcomes):
        return INCOMPLETE
    if not any(o.outcome == "passed" or o.nonconformant for o in outcomes):
        return NO_VERDICT
    return CONFORMANT


# Exit codes of a run (README, "Exit codes"); a stopped run's own code (130, 2, 3) is decided by cli.stop_code.
EXIT_OK, EXIT_NONCONFORMANT, EXIT_INCOMPLETE, EXIT_NOT_ALL_ASSURED = 0, 1, 2, 6


@dataclass(frozen=True)
class Decision:
    """The run's overall verdict, its exit code, and how much of the spec's SHALLs it rests on."""

    verdict: str
    exit_code: int
    assured: int = 0  # SHALL requirements assured
    assessable: int = 0  # SHALL requirements this run set out to judge (not manual evidence, not left out)
    causes: tuple[tuple[str, int], ...] = ()  # why the others were not assured, and how many each
    manual: int = 0  # SHALL requirements that need manual evidence
    findings: int = 0  # scenarios that failed on advisory requirements only
    nhs_strict: bool = False
    sign_off: bool = False

    def meaning(self) -> str:
        """What the verdict says, with the SHALLs it rests on."""
        counted = f"{self.assured} of {self.assessable} SHALL requirements assured"
        missing = ", ".join(f"{why} ({n})" for why, n in self.causes)
        rest = self.assessable - self.assured
        if self.verdict == CONFORMANT:
            text = f"every SHALL requirement this run set out to judge was assured ({counted}) and none failed"
        elif self.verdict == NO_SHALL_FAILED:
            text = f"no SHALL requirement failed, but only {counted}; {rest} not assured: {missing}"
        else:
            text = MEANING[self.verdict] + (f" ({counted}" + (f"; not assured: {missing}" if missing else "") + ")"
                                            if self.assessable else "")
        if self.manual:
            text += f"; {self.manual} more need manual evidence"
        return text

    def line(self) -> str:
        """The overall verdict with its meaning, the advisory findings, strictness and sign-off."""
        line = f"{self.verdict}: {self.meaning()}"
        if self.findings:
            line += (f"; {_plural(self.findings, 'scenario')} failed on advisory requirements only (SHOULD, MAY or "
                     f"NHS expectation not met){', counted under NHS strictness' if self.nhs_strict else ', allowed'}")
        if self.nhs_strict:
            line += " [NHS strictness (GPC_NHS_STRICT=true): a failure of any level counts, NHS expectations included]"
        if self.sign_off and self.exit_code == EXIT_NOT_ALL_ASSURED:
            line += f" [sign-off run: exit {EXIT_NOT_ALL_ASSURED}, not every SHALL requirement was assured]"
        return line


def decide(outcomes: list[Outcome], items: list[Verdict], levels: Mapping[str, str], nhs_strict: bool = False,
           stopped: bool = False, sign_off: bool = False) -> Decision:
    """The one place outcomes become the overall verdict and its exit code.

    NON-CONFORMANT (1) a SHALL failed (any requirement under NHS strictness); INCOMPLETE (2) none did, but a
    scenario could not reach a verdict or the run was stopped; CONFORMANT (0) every SHALL the run set out to
    judge was assured; NO SHALL FAILED (0, or 6 for a sign-off run) none failed but some were not assured
    (writes off, test data missing, stopped early); NO VERDICT (0, or 6 for a sign-off run) nothing ran."""
    verdict = overall(outcomes, levels, nhs_strict)
    if stopped and verdict != NON_CONFORMANT:
        verdict = INCOMPLETE
    shalls = [v for v in items if v.requirement.level in BINDING_LEVELS]
    judged = [v for v in shalls if not v.needs_manual_evidence and v.verdict != NOT_ASSESSED]
    not_assured = [v for v in judged if v.verdict == NOT_ASSURED]
    if verdict == CONFORMANT and not_assured:
        verdict = NO_SHALL_FAILED
    causes = Counter(v.causes[0] if v.causes else "not run" for v in not_assured)
    code = {NON_CONFORMANT: EXIT_NONCONFORMANT, INCOMPLETE: EXIT_INCOMPLETE}.get(verdict, EXIT_OK)
    if sign_off and verdict in (NO_SHALL_FAILED, NO_VERDICT):
        code = EXIT_NOT_ALL_ASSURED
    return Decision(verdict, code, sum(v.verdict == ASSURED for v in judged), len(judged),
                    tuple(causes.most_common()), sum(v.needs_manual_evidence for v in shalls),
                    len(advisory_findings(outcomes, levels)), nhs_strict, sign_off)


def advisory_findings(outcomes: list[Outcome], levels: Mapping[str, str]) -> list[Outcome]:
    """Scenarios that failed only on advisory requirements (SHOULD, SHOULD NOT, MAY, NHS expectation)."""
    return [o for o in outcomes if advisory(o, levels)]


def levels_of(catalogue: Mapping[str, Requirement]) -> dict[str, str]:
    return {r.id: r.level for r in catalogue.values()}


def ordered(items: list[Verdict]) -> list[Verdict]:
    """Failures first, then not assured (what this run could not finish before what no run can test),
    not assessed, assured; SHALL before advisory within each."""
    def key(v: Verdict):
        level = LEVELS.index(v.requirement.level) if v.requirement.level in LEVELS else 0
        return ORDER.index(v.verdict), v.needs_manual_evidence, level
    return sorted(items, key=key)


def counts(items: list[Verdict]) -> dict[str, Counter]:
    """Counts of each verdict per use case, plus 'all' and the 1.2.7 changes."""
    table: dict[str, Counter] = {}
    for v in items:
        table.setdefault(v.requirement.use_case, Counter())[v.verdict] += 1
    table["1.2.7 changes"] = Counter(v.verdict for v in items if v.requirement.change)
    table["all"] = Counter(v.verdict for v in items)
    return table


def counts_by_level(items: list[Verdict]) -> dict[str, Counter]:
    table: dict[str, Counter] = {}
    for level in LEVELS:
        mine = [v for v in items if v.requirement.level == level]
        if mine:
            table[level] = Counter(v.verdict for v in mine)
    for v in items:
        if v.requirement.level not in LEVELS:
            table.setdefault(v.requirement.level, Counter())[v.verdict] += 1
    return table


ADVISORY_VERDICTS = (NHS_NOT_MET, NOT_MET)
