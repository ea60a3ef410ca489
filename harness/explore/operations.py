"""One sequence of operations (Explorer): each operation a function of the explorer, dispatched through
OPERATIONS by the name the state machine and a recorded sequence give it."""

from __future__ import annotations

from harness.checks.violations import Violation, violation
from harness.consumer import discovery
from harness.errors import HarnessError, MissingTestData, Nonconformance
from harness.explore import bookings, changes, expectations, searches
from harness.explore.session import Failure, Live, Session, Step, StepFailed, Stop
from harness.judge import rules
from harness.judge.known import REQUIREMENT
from harness.judge.oracle import Oracle

OPERATIONS = {"search": searches.search, "nested search": searches.nested_search, "book": bookings.book,
              "read": changes.read, "retrieve": changes.retrieve, "amend": changes.amend, "cancel": changes.cancel}


class Explorer:
    """One sequence of operations from a fresh model of the run: what Hypothesis drives and --replay replays."""

    def __init__(self, session: Session, record: bool = True):
        self.session, self.record = session, record
        self.settings = session.settings
        self.client = session.client
        self.oracle = Oracle(self.settings)
        self.model = self.oracle.model
        self.client.add_listener(self.oracle)
        self.free: dict[str, discovery.SlotInfo] = {}  # offered free by this sequence's searches, not booked since
        self.live: dict[str, Live] = {}
        self.steps: list[Step] = []
        session.sequences += 1

    def close(self) -> None:
        self.client.remove_listener(self.oracle)
        if self.live:
            self.session.clean()

    # ------------------------------------------------------------------ running a step

    def run(self, rule: str, **args) -> None:
        step = Step(rule, args)
        self.steps.append(step)
        if rule not in OPERATIONS:  # a recorded sequence (--replay) naming no operation
            self.session.broken = f"no operation {rule!r}; the operations are {', '.join(sorted(OPERATIONS))}"
            raise Stop()
        try:
            found = OPERATIONS[rule](self, step, **args)
        except Stop:
            raise
        except (HarnessError, MissingTestData) as exc:
            self.session.broken = f"{step.line or rule}: {exc}"
            raise Stop() from None
        except Nonconformance as exc:
            found = [("", v) for v in as_violations(exc)]
        except Exception as exc:  # a harness bug: stop rather than shrink it
            self.session.broken = f"{rule} {args}: {type(exc).__name__}: {exc}"
            raise Stop() from None
        found = [*found, *((x.short_request(), v) for x, v in self.oracle.take_violations())]
        if found and all(set(v.requirements) <= self.session.reported for _, v in found):
            return  # shown by an earlier sequence and reported: explore on past it
        if found:
            failure = Failure([Step(s.rule, dict(s.args), s.line) for s in self.steps], found)
            if self.record:
                self.session.record(self.steps, found)
            raise StepFailed(f"{step.line}: {found[0][1].message}", failure)

    def send(self, expected: expectations.Expected | None, interaction) -> None:
        """Count one operation, and what it exercises."""
        self.session.spend()
        self.session.exercised.update(r.requirements[0] for r in rules.RULES
                                      if not r.interactions or interaction.name in r.interactions)
        self.session.exercised.update(REQUIREMENT.get(interaction.name, {}).values())
        if expected is not None:
            self.session.exercised.update((expected.requirement, *expected.refusals))

    def patient(self, who: str) -> str:
        return self.session.patients[who]



def as_violations(exc: Nonconformance) -> list[Violation]:
    reqs = tuple(getattr(exc, "requirements", ()) or ()) or ("FND-FMT-01",)
    return [violation(reqs, "response", "", "", "", str(exc))]

