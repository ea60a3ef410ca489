"""What lasts for a whole exploration (Session: the client, the ledger, the budget, what was found), and what
one sequence is made of (Step, Failure, Live)."""

from __future__ import annotations

import time
from dataclasses import asdict, dataclass, field
from typing import Any

from harness.checks.violations import Violation
from harness.consumer import appointments as appts
from harness.consumer import discovery
from harness.consumer.cleanup import clean_up
from harness.consumer.ledger import Ledger, ledger_dir, ledger_path
from harness.judge import rules
from harness.judge.known import REQUIREMENT
from harness.settings import Settings
from harness.spec import interactions as ix
from harness.transport.client import GpConnectClient

DEFAULT_BUDGET = 1500  # a few minutes against the bundled provider
DEFAULT_MINUTES = 5.0  # wall time for exploring and shrinking alike (--minutes)
STEPS_PER_SEQUENCE = 20
# Hypothesis's shrinking of a failure may spend this many more operations than the budget; then the shortest
# sequence found loses its steps that sent nothing, and each other step it can do without (replayed to make
# sure), within MINIMISE_ALLOWANCE more.
SHRINK_ALLOWANCE = 150
MINIMISE_ALLOWANCE = 150
NOTHING_SENT = "nothing sent"


class Stop(BaseException):
    """Ends the exploration at once (budget, deadline, a broken environment); not a failure to shrink."""


class StepFailed(AssertionError):
    """A step whose answer broke the model's expectations; Hypothesis shrinks the sequence that led to it."""

    def __init__(self, message: str, failure: "Failure"):
        super().__init__(message)
        self.failure = failure


@dataclass
class Step:
    rule: str
    args: dict[str, Any]
    line: str = ""

    def replayable(self) -> dict:
        return {"rule": self.rule, "args": self.args}


@dataclass
class Failure:
    steps: list[Step]
    violations: list[tuple[str, Violation]]  # (request, violation)
    found_at: int = 0  # the operations the exploration had spent when it first showed this failure

    @property
    def requirements(self) -> tuple[str, ...]:
        return tuple(dict.fromkeys(r for _, v in self.violations for r in v.requirements))

    def readable(self) -> str:
        lines = [f"  {i}. {s.line or s.rule}" for i, s in enumerate(self.steps, 1)]
        lines += [f"     -> {v.message} ({where})" for where, v in self.violations[:5]]
        if len(self.violations) > 5:
            lines.append(f"     -> and {len(self.violations) - 5} more")
        return "\n".join(lines)


@dataclass
class Live:
    """An appointment this sequence booked, as the consumer last saw it."""

    id: str
    marker: str
    patient: str
    slots: list[discovery.SlotInfo]
    body: dict
    etag: str
    older: list[str] = field(default_factory=list)
    sent: dict = field(default_factory=dict)  # the booking as sent
    other_organisation: bool = False  # booked with the JWT of another organisation


class Session:
    """What lasts for the whole exploration: the client, the ledger, the budget and what was found."""

    def __init__(self, settings: Settings, base_url: str, budget: int, deadline: float, seed: int,
                 deadline_reason: str = ""):
        self.settings, self.base_url, self.budget, self.deadline, self.seed = settings, base_url, budget, deadline, seed
        self.deadline_reason = (deadline_reason
                                or f"run deadline reached (GPC_RUN_TIMEOUT_S={settings.run_timeout_s:g} s)")
        self.client = GpConnectClient(settings, base_url)
        self.requests = 0
        self.client.add_counter(self._count)
        self.ledger = Ledger(ledger_path(base_url, ledger_dir(settings)), base_url)
        self.operations = 0
        self.limit = budget
        self.sequences = 0
        self.first_failure_at: int | None = None
        self.first_only = False  # stop once the first failure is shrunk (quick checks, the fault matrix)
        self.shrink = True  # False: each failure is kept as the sequence that first showed it (the fault matrix)
        self.until: frozenset[str] = frozenset()  # stop once a failure showing one of these is shrunk (the sweep)
        self.wanted = False  # a failure showing one of `until` is being shrunk
        self.reported: set[str] = set()  # requirements whose failures are recorded: the exploration goes on past them
        self.shrinking = False
        self.shrink_spent = 0  # operations spent shrinking and minimising failures, not exploring
        self.failures: dict[tuple[str, ...], Failure] = {}
        self.exercised: set[str] = set()
        self.stopped = ""  # why the exploration ended early
        self.broken = ""  # the environment or harness failure that stopped it
        self.started = time.monotonic()
        self.patients: dict[str, str] = {}  # "test patient" / "second patient" -> logical id

    def _count(self, exchange) -> None:
        self.requests += 1

    @property
    def writes(self) -> bool:
        return self.settings.allow_writes

    def spend(self) -> None:
        """Count one operation, or stop: the budget (plus a shrinking allowance once a failure is found)
        or the run deadline is reached."""
        if self.operations >= self.limit:
            self.stopped = self.stopped or ("shrinking allowance spent" if self.shrinking else "budget spent")
            raise Stop()
        if time.monotonic() > self.deadline:
            self.stopped = self.stopped or self.deadline_reason
            raise Stop()
        self.operations += 1
        self.shrink_spent += self.shrinking

    @property
    def explored(self) -> int:
        """The operations spent exploring, not shrinking failures already found."""
        return self.operations - self.shrink_spent

    def record(self, steps: list[Step], found: list[tuple[str, Violation]]) -> None:
        failure = Failure([Step(s.rule, dict(s.args), s.line) for s in steps], found, self.explored)
        if self.first_failure_at is None:
            self.first_failure_at = self.explored
        if not self.shrinking:
            self.shrinking = True
            self.limit = self.operations + SHRINK_ALLOWANCE
        best = self.failures.get(failure.requirements)
        if best is None or len(failure.steps) < len(best.steps):
            failure.found_at = best.found_at if best else failure.found_at
            self.failures[failure.requirements] = failure
        if self.until:
            if self.until & set(failure.requirements):
                self.wanted = True
            elif not self.wanted:
                raise Stop()  # --until: a failure of other requirements is kept as found, not shrunk

    def find_patients(self) -> None:
        self.patients["the test patient"] = appts.find_patient_id(self.client, self.settings)
        if self.settings.second_patient_nhs_number:
            second = self.settings.__class__(**{**asdict(self.settings),
                                                "patient_nhs_number": self.settings.second_patient_nhs_number})
            self.patients["the second patient"] = appts.find_patient_id(self.client, second)

    def clean(self) -> str:
        if not self.writes:
            return "clean-up: nothing to do (writes not allowed)"
        with self.client.unobserved():
            return clean_up(self.client, self.ledger).line()


# What the exploration holds of a search besides the rule registry: no slot this run holds is offered
# (expectations.offered_while_held), a slot seen again keeps its slot type (the model), a valid search succeeds.
SEARCH_CHECKS = ("SLOT-FREE-01", "SLOT-TYPE-01", "SLOT-INCLUDE-01", "SLOT-PARAM-02", ix.SEARCH_SLOTS.requirement)


def judged(interaction: str) -> set[str]:
    """The requirements the exploration can find broken by the answers of one interaction: the rule registry's
    rules for it, the model's comparisons of what it returns, and what the expectations hold of it."""
    found = {r for rule in rules.RULES if not rule.interactions or interaction in rule.interactions
             for r in rule.requirements}
    found |= set(REQUIREMENT.get(interaction, {}).values())
    if interaction == ix.SEARCH_SLOTS.name:
        found |= set(SEARCH_CHECKS)
    return found



def pick_from(items: list, index: int):
    """The index-th of `items`, counted round; None when there are none."""
    return items[index % len(items)] if items else None
