"""What one scenario found, step by step: judge and go on.

A check that finds a violation does not end its scenario. The violation is recorded here against
the step that showed it, and the scenario goes on; at its end it fails once, listing every
violation it collected (`Findings.failure`). A scenario stops early only when it cannot go on:
a Given or When step failed (the answer later steps need is unusable), test data is missing, or
the run broke. Then what was found so far still fails it, and `stopped` says where and why, so
that only the requirements whose checks did not run are called not assured.

The JUnit XML carries it as test-case properties (harness/outcome/outcomes.py): `violation` (a requirement id
and the message that broke it), `completed` (every step ran) and `stopped` (why not).
"""

from __future__ import annotations

from dataclasses import dataclass, field

from harness.errors import Nonconformance

# How a scenario that stopped early is counted: a Given or When step failed (FAILED_STEP), test data was
# missing (errors.SKIPPED), or the run broke (errors.BROKEN: the run cannot be called complete).
FAILED_STEP = "failed step"
MAX_MESSAGE_CHARS = 400
MAX_RECORDED = 40  # violations recorded as properties per scenario: the first of each requirement, then more


@dataclass(frozen=True)
class Finding:
    """A failed check: the step that showed it and its failure (requirements and message)."""

    step: str
    failure: Nonconformance

    @property
    def requirements(self) -> tuple[str, ...]:
        return self.failure.requirements

    @property
    def message(self) -> str:
        return str(self.failure)


@dataclass
class Findings:
    """One scenario's failed checks, in the order found, and where it stopped if it did."""

    tags: tuple[str, ...] = ()
    found: list[Finding] = field(default_factory=list)
    stopped: str = ""
    stop_kind: str = ""
    completed: bool = False

    def add(self, step: str, failure: Nonconformance) -> None:
        """Record a failure; one that names no requirement stands for the scenario's own tags."""
        if not failure.requirements:
            failure.requirements = tuple(self.tags)
        self.found.append(Finding(step, failure))

    def stop(self, step: str, kind: str, why: str) -> None:
        """The scenario could not go on past `step` (FAILED_STEP, SKIPPED or BROKEN): the steps after it
        did not run."""
        if not self.stopped:
            self.stopped, self.stop_kind = f"stopped at '{step}': {why}", kind

    @property
    def requirements(self) -> tuple[str, ...]:
        return tuple(dict.fromkeys(r for f in self.found for r in f.requirements))

    def violations(self) -> list[tuple[str, str]]:
        """(requirement, message) of each failed check: a violation's own message with the request that
        showed it, or a failure's whole message where it lists no violations."""
        found = []
        for f in self.found:
            where = f.failure.where
            listed = [v for v in f.failure.violations if v.requirements]
            if not listed:
                found += [(req, f.message) for req in f.requirements]
                continue
            for v in listed:
                found += [(req, f"{v.message} ({where})" if where else v.message) for req in v.requirements]
        return found

    def failure(self) -> Nonconformance | None:
        """The scenario's one failure listing every check that failed, each with its step; None if none did."""
        if not self.found:
            return None
        if len(self.found) == 1:
            message = self.found[0].message
        else:
            parts = [f"[{i}] {f.step}: {f.message}" for i, f in enumerate(self.found, 1)]
            message = f"{len(self.found)} checks failed, of {', '.join(self.requirements)}: " + "; ".join(parts)
        if self.stopped:
            message += f"; then {self.stopped}"
        return Nonconformance(message, requirements=self.requirements)

    def properties(self) -> list[tuple[str, str]]:
        """JUnit test-case properties: each violated requirement with the message of its first failure,
        then whether every step ran, or where the scenario stopped."""
        props: list[tuple[str, str]] = []
        seen: set[str] = set()
        for req, message in self.violations():
            if req not in seen or len(props) < MAX_RECORDED:
                seen.add(req)
                props.append(("violation", f"{req} {_one_line(message)}"))
        props.append(("completed", "true" if self.completed and not self.stopped else "false"))
        if self.stopped:
            props += [("stopped", _one_line(self.stopped)), ("stop_kind", self.stop_kind)]
        return props


def _one_line(text: str) -> str:
    line = " ".join(text.split())
    return line if len(line) <= MAX_MESSAGE_CHARS else line[:MAX_MESSAGE_CHARS - 1] + "…"


def parse_violation(value: str) -> tuple[str, str]:
    """A `violation` property's requirement id and message."""
    req, _, message = value.partition(" ")
    return req, message
