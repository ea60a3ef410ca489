"""gpc-assure explore: a bounded, seeded, stateful exploration of a provider.

Hypothesis's rule-based state machine (hypothesis.stateful) chooses sequences of operations a
consumer may send: search a window, book 1 to 3 slots chosen to keep or break each multi-slot rule
(or including one this run already holds, in any position), book for a second patient, read,
retrieve a range, amend or cancel with a fresh or stale ETag, touching allowed or forbidden fields.
Each sequence starts from a fresh model of the run (harness/judge/run_model.py) fed by the Oracle
(harness/judge/oracle.py), which judges every exchange with the rule registry; harness/explore/expectations.py says
what the model holds the provider must answer next. Any difference is a violation naming its
requirement; the sequence that showed it is shrunk by Hypothesis to the shortest that still does.

Bounded: at most `budget` operations (one request and what the model checks of it), stopped at the
run deadline (GPC_RUN_TIMEOUT_S); writes only when GPC_ALLOW_WRITES is true. Every booking goes
through the ledger and is cancelled at the end of its sequence, and at the end of the run, also after
Ctrl-C or SIGTERM; a killed run's bookings are cancelled by the next run or `gpc-assure cleanup`.

Reproducible: a failure prints the seed and the shortest sequence as a list of steps, and writes it
to explore/sequence-<n>.json; `--replay FILE` runs that sequence again, `--replay SEED` the whole
exploration. The command, and the results it writes to <reports>/explore/, are
harness/cli/explore.py.
"""

from __future__ import annotations

import time
from dataclasses import asdict, dataclass, field
from datetime import datetime, timedelta
from typing import Any

from harness import clock
from harness.checks.violations import Violation, violation
from harness.consumer import appointments as appts
from harness.consumer import discovery
from harness.consumer import slot_search as ss
from harness.consumer.cleanup import clean_up
from harness.consumer.ledger import Ledger, ledger_path, state_dir
from harness.errors import HarnessError, MissingTestData, Nonconformance
from harness.explore import expectations
from harness.judge import rules
from harness.judge import search_relations as relations
from harness.judge.oracle import Oracle
from harness.judge.run_model import REQUIREMENT
from harness.settings import Settings, reports_dir
from harness.spec import interactions as ix
from harness.spec.constants import UK
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
BOOK_KINDS = ("one slot", "two adjacent", "three adjacent", "gap", "schedule", "channel", "slot type",
              "one already booked")
BREAKS = {"gap": expectations.GAP, "schedule": expectations.SCHEDULE, "channel": expectations.CHANNEL,
          "slot type": expectations.SLOT_TYPE}
# The includes a search sends: every one mostly, sometimes one left out or all but the schedule's (which the
# exploration needs to know each slot's schedule).
SEARCH_INCLUDES = {"every include": ss.EVERY_INCLUDE,
                   "the schedule include only": (ss.INCLUDE_SCHEDULE,),
                   "no practitioner include": (ss.INCLUDE_SCHEDULE, ss.INCLUDE_LOCATION, ss.INCLUDE_ORGANIZATION),
                   "no location include": (ss.INCLUDE_SCHEDULE, ss.INCLUDE_PRACTITIONER),
                   "no organisation include": (ss.INCLUDE_SCHEDULE, ss.INCLUDE_PRACTITIONER, ss.INCLUDE_LOCATION)}
INCLUDE_WEIGHTS = ("every include",) * 4 + tuple(k for k in SEARCH_INCLUDES if k != "every include")
# A search covers whole days mostly, sometimes from and to a time inside a session (a slot may only overlap it).
# A search that ends before it starts must be refused (SLOT-PARAM-02).
# Two more a provider must answer: exactly 14 days (the longest window), and a date start with a date-time end
# (each format the spec allows); their slots are judged but not booked, so that sequences keep meeting.
HOURS_WEIGHTS = ("whole days",) * 8 + ("09:05 to 16:55", "12:00 back to 09:00", "exactly 14 days",
                                      "from a date to a date-time")
BACKWARDS = "12:00 back to 09:00"
PROBES = ("exactly 14 days", "from a date to a date-time")


class _MixedWindow(ss.Window):
    """A window whose start is a date and whose end a date-time."""

    def params(self) -> list[tuple[str, str]]:
        return [("start", "ge" + self.start.date().isoformat()), ("end", "le" + self.end.isoformat(timespec="seconds"))]

    def describe(self) -> str:
        return f"{self.start.date().isoformat()} to {self.end.isoformat(timespec='seconds')}"
SEARCH_SPAN = 2  # days a search covers at most: narrow windows make operations meet on the same slots
EXPLORED_DAYS = 3  # searches fall in the first days of the search window, so sequences meet on the same slots
# How often each choice is drawn: the valid ones more than the refusals, so that lifecycles get long.
BOOK_WEIGHTS = ("one slot", "one slot", "two adjacent", "three adjacent", "gap", "schedule", "channel", "slot type",
                "one already booked", "one slot twice at once")
# The second patient (GPC_SECOND_PATIENT_NHS_NUMBER) is booked for one time in four; the test patient where none is set.
PATIENT_WEIGHTS = ("the test patient",) * 3 + ("the second patient",)
AMEND_WEIGHTS = ("description", "comment", "description and comment", "description", "comment", "slot type",
                 "schedule type", "start", "description, leaving out the types")
CANCEL_WEIGHTS = ("reason", "reason", "reason", "reason", "no reason", "description", "comment", "slot type",
                  "reason, leaving out the types")
STALE_WEIGHTS = (False, False, False, True)
# Bookings as they are mostly; each other variant of the request has a rule of its own (book_variant), so that
# the variants do not thin out the plain bookings that make lifecycles, nor each other.
VARIANT_WEIGHTS = ("as is",) * 6 + ("with the consumer's own types",)
OTHER_VARIANTS = tuple(v for v in expectations.BOOK_VARIANTS if v != "as is")
VARIANT_KINDS = ("one slot", "one slot", "two adjacent")
READ_WEIGHTS = ("one of this run's",) * 7 + ("an unknown id", "a malformed id", "an empty id")
# What a read of an id no appointment has sends, and the requirement that refuses it with 404.
BAD_READS = {"an unknown id": ("999999999", "READ-404-01", "which does not exist"),
             "a malformed id": ("Invalid4321", "READ-404-01", "which no appointment has"),
             "an empty id": ("", "READ-404-02", "an empty id")}
NO_SUCH_SLOT = "Slot/hello"
NO_SUCH_PATH = "appointmentqq/!"
RETRIEVE_WEIGHTS = ("from today",) * 5 + ("from yesterday", "of an unknown patient")
UNKNOWN_ID = "999999999"


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
        self.deadline_reason = deadline_reason or f"run deadline reached (GPC_RUN_TIMEOUT_S={settings.run_timeout_s:g} s)"
        self.client = GpConnectClient(settings, base_url)
        self.requests = 0
        self.client.add_counter(self._count)
        directory = reports_dir() / "ledger" if settings.uses_reference_provider else state_dir()
        self.ledger = Ledger(ledger_path(base_url, directory), base_url)
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


def _pick(items: list, index: int):
    return items[index % len(items)] if items else None


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
        try:
            found = getattr(self, "_" + rule.replace(" ", "_"))(step, **args)
        except Stop:
            raise
        except (HarnessError, MissingTestData) as exc:
            self.session.broken = f"{step.line or rule}: {exc}"
            raise Stop() from None
        except Nonconformance as exc:
            found = [("", v) for v in _as_violations(exc)]
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

    def _send(self, expected: expectations.Expected | None, interaction) -> None:
        """Count one operation, and what it exercises."""
        self.session.spend()
        self.session.exercised.update(r.requirements[0] for r in rules.RULES
                                      if not r.interactions or interaction.name in r.interactions)
        self.session.exercised.update(REQUIREMENT.get(interaction.name, {}).values())
        if expected is not None:
            self.session.exercised.update((expected.requirement, *expected.refusals))

    def _patient(self, who: str) -> str:
        return self.session.patients[who]

    def _label(self, who: str) -> str:
        return who

    # ------------------------------------------------------------------ the operations

    def _search(self, step: Step, first: int, days: int, includes: str = "every include",
                hours: str = "whole days") -> list:
        tomorrow = clock.today() + timedelta(days=1)
        span = max(self.settings.search_days, 1)
        start = tomorrow + timedelta(days=first % min(span, EXPLORED_DAYS))
        end = min(start + timedelta(days=(days - 1) % SEARCH_SPAN), tomorrow + timedelta(days=span - 1))
        window = ss.Window.days(start, end)
        if hours == "exactly 14 days":
            window = ss.Window.times(datetime.combine(start, datetime.min.time(), UK),
                                     datetime.combine(start + timedelta(days=14), datetime.min.time(), UK))
        elif hours == "from a date to a date-time":
            window = _MixedWindow.times(datetime.combine(start, datetime.min.time(), UK),
                                        datetime.combine(end, datetime.strptime("17:00", "%H:%M").time(), UK))
        elif hours != "whole days":
            since, until = (datetime.strptime(t, "%H:%M").time() for t in hours.replace(" back", "").split(" to "))
            window = ss.Window.times(datetime.combine(start, since, UK),
                                     datetime.combine(start if hours == BACKWARDS else end, until, UK))
        expected = expectations.Expected(f"searching {window.describe()}", 200, ix.SEARCH_SLOTS.requirement,
                                         ("SLOT-PARAM-02",) if hours == BACKWARDS else ())
        self._send(expected, ix.SEARCH_SLOTS)
        ex = ss.search(self.client, self.settings, window, SEARCH_INCLUDES[includes]).exchange
        found = [(ex.short_request(), v) for v in expected.judge(ex)]
        if ex.status == 200 and expected.valid:
            found += [(ex.short_request(), v) for v in ss.searchset_violations(ex)]
        if ex.status is not None and 400 <= ex.status < 500 and len(SEARCH_INCLUDES[includes]) > 1 and expected.valid:
            found.append((ex.short_request(), violation(
                "SLOT-INCLUDE-01", "response", "HTTP status", "200", str(ex.status),
                f"a search with {', '.join(v for _, v in SEARCH_INCLUDES[includes])} must be answered, got HTTP "
                f"{ex.status}")))
        offered = discovery.free_slots(ex.json()) if ex.status == 200 else []
        step.line = (f"search {window.describe()}" + ("" if includes == "every include" else f" with {includes}")
                     + f": HTTP {ex.status}, {len(offered)} free slots")
        if not expected.valid:
            step.line = f"search {window.describe()}, which ends before it starts: {expected.describe()}; HTTP {ex.status}"
            return found
        if hours in PROBES:
            return found + [(ex.short_request(), v)
                            for v in expectations.offered_while_held(offered, expectations.held(self.model))]
        days_searched = {start + timedelta(days=i) for i in range((end - start).days + 1)}
        self.free = {k: s for k, s in self.free.items() if s.start.astimezone(UK).date() not in days_searched}
        holding = expectations.held(self.model)
        self.free.update({s.id: s for s in offered if s.id not in holding and discovery._bookable(s)})
        return found + [(ex.short_request(), v) for v in expectations.offered_while_held(offered, holding)]

    def _nested_search(self, step: Step, first: int, days: int, position: int) -> list:
        """A day searched, then a window of `days` days holding it (the day at `position` in it), then the day
        again: the wider search offers every slot both searches of the day offer (SLOT-COMPLETE-01)."""
        tomorrow = clock.today() + timedelta(days=1)
        last = tomorrow + timedelta(days=max(self.settings.search_days, 1) - 1)
        start = tomorrow + timedelta(days=first % max(min(self.settings.search_days, EXPLORED_DAYS), 1))
        end = min(start + timedelta(days=days - 1), last)
        day = start + timedelta(days=position % ((end - start).days + 1))
        narrow, wide = ss.Window.days(day, day), ss.Window.days(start, end)
        answers = []
        for window in (narrow, wide, narrow):
            expected = expectations.Expected(f"searching {window.describe()}", 200, ix.SEARCH_SLOTS.requirement)
            self._send(expected, ix.SEARCH_SLOTS)
            self.session.exercised.add(relations.RULE)
            ex = ss.search(self.client, self.settings, window).exchange
            if ex.status != 200:
                step.line = f"search {day}, then {wide.describe()}: HTTP {ex.status} {window.describe()}"
                return [(ex.short_request(), v) for v in expected.judge(ex)]
            answers.append((ex, discovery.free_slots(ex.json())))
        (_, before), (wider, offered), (_, after) = answers
        step.line = (f"search {day} ({len(before)} free slots), then {wide.describe()} ({len(offered)}), "
                     f"then {day} again ({len(after)})")
        return [(wider.short_request(), v)
                for v in relations.missing_from(offered, wide, before, after, f"the search of {day}")]

    def _candidates(self, kind: str) -> list[list[discovery.SlotInfo]]:
        free = sorted(self.free.values(), key=lambda s: (s.start, s.schedule, s.id))
        if kind == "one slot":
            return [[s] for s in free]
        if kind == "one already booked":
            return self._with_held(free)
        chains = _gapped(free) if kind == "gap" else _adjacent(free)
        if kind in ("two adjacent", "three adjacent"):
            size = 2 if kind == "two adjacent" else 3
            return [c for c in chains if len(c) == size and not expectations.multi_slot_breaks(c)]
        rule = BREAKS[kind]
        broken = [(c, expectations.multi_slot_breaks(c)) for c in chains]
        alone = [c for c, b in broken if b == [rule]]
        return alone or [c for c, b in broken if rule in b]

    def _with_held(self, free: list[discovery.SlotInfo]) -> list[list[discovery.SlotInfo]]:
        """Bookings that include a slot this run holds, at each position, with compatible free neighbours."""
        chains = []
        for live in sorted((x for x in self.live.values() if self.model.appointments.get(x.id)
                            and self.model.appointments[x.id].status != "cancelled"), key=lambda x: x.id):
            slot = live.slots[0]
            chains.append([slot])
            before = [s for s in free if s.end == slot.start and _compatible(s, slot)]
            after = [s for s in free if s.start == live.slots[-1].end and _compatible(live.slots[-1], s)]
            chains += [[b, slot] for b in before[:1]] + [[slot, a] for a in after[:1]]
            chains += [[b, slot, a] for b in before[:1] for a in after[:1] if len(live.slots) == 1]
        return chains

    def _book(self, step: Step, kind: str, pick: int, who: str = "the test patient", variant: str = "as is") -> list:
        if who not in self.session.patients:
            who = "the test patient"
        if kind == "one slot twice at once":
            return self._book_twice_at_once(step, pick)
        chosen = _pick(self._candidates(kind), pick)
        if chosen is None:
            step.line = f"book {kind} for {who}: no such slots among those searched; nothing sent"
            return []
        patient = self._patient(who)
        expected = expectations.booking(chosen, expectations.held(self.model), patient, variant)
        self._send(expected, ix.BOOK_APPOINTMENT)
        if variant == "to a path that is no endpoint":
            with self.client.unobserved():  # no interaction's rules judge an answer from no endpoint
                booking = appts.book(self.client, self.session.ledger, self.settings, chosen, patient,
                                     path=NO_SUCH_PATH)
        else:
            other = variant == "with the JWT of another organisation"
            claims = {"claims": appts.claims_of_organisation(self.client, ix.BOOK_APPOINTMENT,
                                                             self.settings.other_org_ods_code)} if other else None
            booking = appts.book(self.client, self.session.ledger, self.settings, chosen, patient, _EDITS[variant],
                                 claims)
        ex = booking.exchange
        step.line = (f"book {kind} ({', '.join(s.describe() for s in chosen)}) for {who}"
                     f"{'' if variant == 'as is' else ' ' + variant}: {expected.describe()}; HTTP {ex.status}")
        found = [(ex.short_request(), v) for v in expected.judge(ex)]
        if variant == "to a path that is no endpoint":
            found += [(ex.short_request(), v) for v in appts.unknown_path_violations(ex)]
        if ex.status == 201:
            body = ex.json()
            self.live[str(body.get("id"))] = Live(str(body.get("id")), booking.marker, patient, chosen, body,
                                                 appts.etag_of(ex), sent=booking.request_body,
                                                 other_organisation=variant == "with the JWT of another organisation")
            # The booking organisation as sent (the model judges the rest of what was sent).
            found += [(ex.short_request(), v) for v in appts.as_sent_violations(body, booking.request_body)
                      if "BOOK-ORG-01" in v.requirements]
            found += [(ex.short_request(), v) for v in appts.etag_violations(ex, body, "FND-ETAG-01")]
            for s in chosen:
                self.free.pop(s.id, None)
            step.line += f", Appointment {body.get('id')}"
        elif ex.status is not None and 400 <= ex.status < 500:
            found += self._nothing_booked(booking, chosen)
        return found

    def _nothing_booked(self, booking: appts.Booking, chosen: list[discovery.SlotInfo]) -> list:
        """After a refused booking: its free slots are still offered and no appointment was made."""
        days = sorted({s.start.astimezone(UK).date() for s in chosen})
        search = ss.search(self.client, self.settings, ss.Window.days(days[0], days[-1])).exchange
        retrieved = appts.retrieve(self.client, booking.patient_id, days[0], days[-1])
        if search.status != 200 or retrieved.status != 200:
            return []  # the oracle and the next steps judge those answers
        offered = {s.id for s in discovery.free_slots(search.json())}
        found = appts.retrieved_appointments(retrieved)
        return [(booking.exchange.short_request(), v) for v in
                expectations.refused_booking_left(chosen, expectations.held(self.model), offered, found, booking.marker)]

    def _book_for_second_patient(self, step: Step, kind: str, pick: int) -> list:
        return self._book(step, kind, pick, "the second patient")

    def _book_twice_at_once(self, step: Step, pick: int) -> list:
        """Two simultaneous bookings of one free slot: exactly one succeeds, the other is refused (BOOK-RACE-01)."""
        from concurrent.futures import ThreadPoolExecutor

        chosen = _pick(self._candidates("one slot"), pick)
        if chosen is None:
            step.line = "book one slot twice at once: no free slot among those searched; nothing sent"
            return []
        patient = self._patient("the test patient")
        self._send(expectations.Expected("two simultaneous bookings", 201, "BOOK-RACE-01"), ix.BOOK_APPOINTMENT)
        with ThreadPoolExecutor(2) as pool:
            race = list(pool.map(lambda _: appts.book(self.client, self.session.ledger, self.settings, chosen,
                                                      patient), range(2)))
        statuses = [b.exchange.status for b in race]
        step.line = f"book {chosen[0].describe()} twice at once: exactly one must succeed; HTTP {statuses[0]} and {statuses[1]}"
        for booking in race:
            if booking.exchange.status == 201:
                body = booking.exchange.json()
                self.live[str(body.get("id"))] = Live(str(body.get("id")), booking.marker, patient, chosen, body,
                                                     appts.etag_of(booking.exchange))
        self.free.pop(chosen[0].id, None)
        return [(race[0].exchange.short_request(), v) for v in appts.race_violations(race)]

    def _choose(self, which: int) -> Live | None:
        return _pick(sorted(self.live.values(), key=lambda x: (len(x.id), x.id)), which)

    def _read(self, step: Step, which: int, what: str = "one of this run's") -> list:
        if what in BAD_READS:
            sent, requirement, which_is = BAD_READS[what]
            expected = expectations.Expected(f"reading Appointment/{sent}, {which_is}", 200,
                                             ix.READ_APPOINTMENT.requirement, (requirement,))
            self._send(expected, ix.READ_APPOINTMENT)
            ex = appts.read(self.client, sent)
            step.line = f"read Appointment/{sent}, {which_is}: {expected.describe()}; HTTP {ex.status}"
            return [(ex.short_request(), v) for v in expected.judge(ex)]
        live = self._choose(which)
        if live is None:
            step.line = "read: nothing booked yet; nothing sent"
            return []
        expected = expectations.Expected(f"reading Appointment {live.id}", 200, ix.READ_APPOINTMENT.requirement)
        self._send(expected, ix.READ_APPOINTMENT)
        ex = appts.read(self.client, live.id)
        step.line = f"read Appointment {live.id}: HTTP {ex.status}"
        found = [(ex.short_request(), v) for v in expected.judge(ex)]
        if ex.status == 200:
            self._saw(live, ex)
            if live.other_organisation:
                found += [(ex.short_request(), v) for v in appts.booking_organisation_read_violations(ex, live.sent)]
        return found

    def _saw(self, live: Live, ex) -> None:
        body = ex.json()
        etag = appts.etag_of(ex)
        if etag and etag != live.etag:
            live.older.append(live.etag)
        live.body, live.etag = body, etag or live.etag

    def _retrieve(self, step: Step, who: str, first: int, days: int, what: str = "from today") -> list:
        if who not in self.session.patients:
            who = "the test patient"
        today = clock.today()
        start = today + timedelta(days=first % 14)
        end = min(start + timedelta(days=days % 14), today + timedelta(days=14))
        patient, refusal = self._patient(who), ()
        if what == "from yesterday":
            start, refusal = today - timedelta(days=1), ("RETR-PARAM-01",)
        if what == "of an unknown patient":
            patient, who, refusal = UNKNOWN_ID, f"Patient/{UNKNOWN_ID}, who does not exist,", ("RETR-404-01",)
        # Where this run knows no appointment of the patient in the dates, the answer may hold none: it is still a
        # 200 searchset (RETR-EMPTY-01).
        known = any(a.patient == patient and start <= a.day <= end for a in self.model.appointments.values())
        expected = expectations.Expected(f"retrieving {who}'s appointments {start} to {end}", 200,
                                         ix.RETRIEVE_APPOINTMENTS.requirement if known else "RETR-EMPTY-01", refusal)
        self._send(expected, ix.RETRIEVE_APPOINTMENTS)
        ex = appts.retrieve(self.client, patient, start, end)
        count = ""
        if ex.status == 200 and expected.valid:
            count = f", {sum(1 for e in ex.json().get('entry') or [] if (e.get('resource') or {}).get('resourceType') == 'Appointment')} appointments"
        step.line = f"retrieve {who}'s appointments {start} to {end}: {expected.describe()}; HTTP {ex.status}{count}"
        return [(ex.short_request(), v) for v in expected.judge(ex)]

    def _etag(self, live: Live, stale: bool) -> tuple[str, bool]:
        """The ETag to send: when asked for a stale one, an older one this run saw, else the version before."""
        if stale and live.older:
            return live.older[-1], True
        version = str((live.body.get("meta") or {}).get("versionId") or "")
        if stale and version.isdigit():
            return f'W/"{int(version) - 1}"', True
        return live.etag, False

    def _amend(self, step: Step, which: int, stale: bool, change: str) -> list:
        live = self._choose(which)
        known = self.model.appointments.get(live.id) if live else None
        if live is None or known is None:
            step.line = f"amend the {change}: nothing booked yet; nothing sent"
            return []
        etag, stale = self._etag(live, stale)
        expected = expectations.amendment(known, stale, change)
        n = len(known.history)
        fields: dict[str, Any] = {}
        if "description" in change:
            fields["description"] = f"{live.marker} assurance booking, amended ({n})"
        if "comment" in change:
            fields["comment"] = f"Amended by the assurance exploration ({n})"
        if change == "slot type":
            fields["serviceType"] = [{"text": "Changed by the consumer"}]
        if change == "schedule type":
            fields["serviceCategory"] = {"text": "Changed by the consumer"}
        if change == "start":
            fields["start"] = (datetime.fromisoformat(live.body["start"]) + timedelta(minutes=5)).isoformat()
        if change == "description, leaving out the types":
            fields.update(serviceType=None, serviceCategory=None)
        self._send(expected, ix.AMEND_APPOINTMENT)
        ex = appts.amend(self.client, live.body, etag, **fields)
        return self._changed(step, live, ex, expected, f"amend the {change} of Appointment {live.id}", stale)

    def _cancel(self, step: Step, which: int, stale: bool, change: str) -> list:
        live = self._choose(which)
        known = self.model.appointments.get(live.id) if live else None
        if live is None or known is None:
            step.line = "cancel: nothing booked yet; nothing sent"
            return []
        etag, stale = self._etag(live, stale)
        expected = expectations.cancellation(known, stale, change)

        def edit(body: dict) -> None:
            if change == "description":
                body["description"] = f"{live.marker} assurance booking, changed on cancel"
            if change == "comment":
                body["comment"] = "Changed on cancel by the assurance exploration"
            if change == "slot type":
                body["serviceType"] = [{"text": "Changed by the consumer"}]
            if change == "reason, leaving out the types":
                body.pop("serviceType", None)
                body.pop("serviceCategory", None)

        self._send(expected, ix.CANCEL_APPOINTMENT)
        reason = None if change == "no reason" else "Cancelled by the assurance exploration"
        ex = appts.cancel(self.client, live.body, etag, reason, edit)
        what = f"cancel Appointment {live.id}" + ("" if change == "reason" else f" ({change})")
        return self._changed(step, live, ex, expected, what, stale)

    def _changed(self, step: Step, live: Live, ex, expected: expectations.Expected, what: str, stale: bool) -> list:
        step.line = (f"{what} with {'a stale' if stale else 'the current'} ETag: {expected.describe()}; "
                     f"HTTP {ex.status}")
        found = [(ex.short_request(), v) for v in expected.judge(ex)]
        if ex.status == 200:
            found += [(ex.short_request(), v) for v in appts.etag_violations(ex, ex.json(), "FND-ETAG-01")]
            self._saw(live, ex)
        elif ex.status is not None and 400 <= ex.status < 500 and not expected.valid:
            # A refusal changes nothing: read it back, unobserved, and judge the difference by the refusal's rules.
            with self.client.unobserved():
                after = appts.read(self.client, live.id)
            if after.status == 200:
                found += [(after.short_request(), v)
                          for v in expectations.unchanged_by_refusal(live.body, after.json(), expected.refusals)]
        return found


def _with_consumer_types(body: dict) -> None:
    body["serviceType"] = [{"text": "Consumer's own slot type"}]
    body["serviceCategory"] = {"text": "Consumer's own schedule type"}


def _with_reason(body: dict) -> None:
    body["reason"] = [{"text": "Consumer's own reason"}]


def _with_other_end(body: dict) -> None:
    body["end"] = (datetime.fromisoformat(body["end"]) + timedelta(minutes=5)).isoformat()


def _with_longest_text(body: dict) -> None:
    """The longest description (100) and comment (500) a provider must keep whole (BOOK-TEXT-01)."""
    body["description"] = (body["description"] + ", with the longest description a provider must keep" + "." * 100)[:100]
    body["comment"] = ("A comment as long as a provider must keep it, from the assurance exploration. " * 10)[:500]


_EDITS = {"as is": None, "with the consumer's own types": _with_consumer_types, "with a reason": _with_reason,
          "with start and end not its slots'": _with_other_end,
          "with an identifier without a value": appts.BOOKING_DEFECTS["with an identifier without a value"],
          "without status": appts.BOOKING_DEFECTS["without status"],
          "with a slot reference that is no slot": appts.slot_reference(NO_SUCH_SLOT),
          "without the Location participant": appts.BOOKING_VARIANTS["without the Location participant"],
          "without the practitioner participant": appts.BOOKING_VARIANTS["without the practitioner participant"],
          "without a comment": appts.BOOKING_VARIANTS["without a comment"],
          "with the longest description and comment": _with_longest_text,
          "with the JWT of another organisation": None, "to a path that is no endpoint": None}
assert set(_EDITS) == set(expectations.BOOK_VARIANTS)


def _compatible(a: discovery.SlotInfo, b: discovery.SlotInfo) -> bool:
    return a.schedule == b.schedule and a.channel == b.channel and a.slot_type == b.slot_type


def _adjacent(free: list[discovery.SlotInfo]) -> list[list[discovery.SlotInfo]]:
    """Every chain of 2 or 3 slots where each starts as the one before ends, whatever their schedules."""
    by_start: dict[datetime, list[discovery.SlotInfo]] = {}
    for s in free:
        by_start.setdefault(s.start, []).append(s)
    chains = []
    for a in free:
        for b in by_start.get(a.end, []):
            chains.append([a, b])
            chains += [[a, b, c] for c in by_start.get(b.end, [])]
    return chains


def _gapped(free: list[discovery.SlotInfo]) -> list[list[discovery.SlotInfo]]:
    """Runs of 2 or 3 consecutive free slots of one schedule on one day with a gap somewhere."""
    by_schedule: dict[str, list[discovery.SlotInfo]] = {}
    for s in free:
        by_schedule.setdefault(s.schedule, []).append(s)
    chains = []
    for mine in by_schedule.values():
        mine.sort(key=lambda s: s.start)
        for size in (2, 3):
            for i in range(len(mine) - size + 1):
                chain = mine[i:i + size]
                same_day = chain[0].start.astimezone(UK).date() == chain[-1].start.astimezone(UK).date()
                if same_day and any(b.start > a.end for a, b in zip(chain, chain[1:])):
                    chains.append(chain)
    return chains


def _as_violations(exc: Nonconformance) -> list[Violation]:
    from harness.checks.violations import violation

    reqs = tuple(getattr(exc, "requirements", ()) or ()) or ("FND-FMT-01",)
    return [violation(reqs, "response", "", "", "", str(exc))]


# ---------------------------------------------------------------------- the state machine

def machine(session: Session):
    """The rule-based state machine over this session: each rule one operation of Explorer."""
    from hypothesis import strategies as st
    from hypothesis.stateful import RuleBasedStateMachine, initialize, precondition, rule

    writes = session.writes
    index = st.integers(0, 10_000)

    class ProviderExploration(RuleBasedStateMachine):
        def __init__(self):
            super().__init__()
            self.explorer = Explorer(session)

        def teardown(self):
            self.explorer.close()

        @initialize(first=st.integers(0, 13), days=st.integers(1, SEARCH_SPAN))
        def search_first(self, first, days):
            self.explorer.run("search", first=first, days=days)

        @rule(first=st.integers(0, 13), days=st.integers(1, SEARCH_SPAN), includes=st.sampled_from(INCLUDE_WEIGHTS),
              hours=st.sampled_from(HOURS_WEIGHTS))
        def search(self, first, days, includes, hours):
            self.explorer.run("search", first=first, days=days, includes=includes, hours=hours)

        @rule(first=st.integers(0, 13), days=st.integers(2, 4), position=st.integers(0, 3))
        def nested_search(self, first, days, position):
            self.explorer.run("nested search", first=first, days=days, position=position)

        @precondition(lambda self: writes)
        @rule(kind=st.sampled_from(BOOK_WEIGHTS), pick=index, who=st.sampled_from(PATIENT_WEIGHTS),
              variant=st.sampled_from(VARIANT_WEIGHTS))
        def book(self, kind, pick, who, variant):
            self.explorer.run("book", kind=kind, pick=pick, who=who, variant=variant)

        @precondition(lambda self: writes)
        @rule(kind=st.sampled_from(VARIANT_KINDS), pick=index, variant=st.sampled_from(OTHER_VARIANTS))
        def book_variant(self, kind, pick, variant):
            self.explorer.run("book", kind=kind, pick=pick, who="the test patient", variant=variant)

        @rule(which=index, what=st.sampled_from(READ_WEIGHTS))
        def read(self, which, what):
            self.explorer.run("read", which=which, what=what)

        @rule(who=st.sampled_from(("the test patient", "the second patient")), first=st.integers(0, 13),
              days=st.integers(0, 13), what=st.sampled_from(RETRIEVE_WEIGHTS))
        def retrieve(self, who, first, days, what):
            self.explorer.run("retrieve", who=who, first=first, days=days, what=what)

        @precondition(lambda self: writes)
        @rule(which=index, stale=st.sampled_from(STALE_WEIGHTS), change=st.sampled_from(AMEND_WEIGHTS))
        def amend(self, which, stale, change):
            self.explorer.run("amend", which=which, stale=stale, change=change)

        @precondition(lambda self: writes)
        @rule(which=index, stale=st.sampled_from(STALE_WEIGHTS), change=st.sampled_from(CANCEL_WEIGHTS))
        def cancel(self, which, stale, change):
            self.explorer.run("cancel", which=which, stale=stale, change=change)

    return ProviderExploration


def explore(session: Session) -> None:
    """Run Hypothesis over the provider until the budget, the deadline or a failure (shrunk) ends it."""
    from hypothesis import HealthCheck, Phase, Verbosity
    from hypothesis import seed as seeded
    from hypothesis import settings as hsettings
    from hypothesis.stateful import run_state_machine_as_test

    options = hsettings(max_examples=100_000, stateful_step_count=STEPS_PER_SEQUENCE, deadline=None, database=None,
                        phases=(Phase.generate, Phase.shrink) if session.shrink else (Phase.generate,),
                        verbosity=Verbosity.quiet, print_blob=False, report_multiple_bugs=False,
                        suppress_health_check=list(HealthCheck))
    rounds = 0
    while True:
        before = set(session.failures)
        session.shrinking, session.stopped = False, ""
        try:
            run_state_machine_as_test(seeded(session.seed + rounds)(machine(session)), settings=options)
        except Stop:
            pass
        except Exception as exc:
            # The shrunk failure, recorded already; or Hypothesis's complaint that a sequence stopped (by Stop, for
            # the budget or deadline) earlier than it did before, or that the live provider answered differently.
            if set(session.failures) == before and not session.stopped:
                session.broken = session.broken or f"{type(exc).__name__}: {str(exc).splitlines()[0] if str(exc) else ''}"
        new = [k for k in session.failures if k not in before]
        if not new or session.broken:
            break
        # A failure found: shrink it to the steps it needs, then explore on with what it shows reported.
        if session.shrink:
            minimise(session, [k for k in new if not session.until or session.until & set(k)])
        session.reported.update(r for k in new for r in k)
        session.limit = session.budget
        if session.first_only:
            session.stopped = f"the first failure is {'shrunk' if session.shrink else 'found'} (--first)"
            break
        if session.until & session.reported:
            session.stopped = f"a failure of {', '.join(sorted(session.until & session.reported))} is shrunk (--until)"
            break
        rounds += 1
        if time.monotonic() > session.deadline:
            break
    if not session.stopped and not session.broken:
        session.stopped = "Hypothesis ran out of new sequences"


def replay(session: Session, steps: list[dict], record: bool = True) -> Failure | None:
    """Run one recorded sequence again, step by step, from a fresh model; the failure it shows, if any."""
    explorer = Explorer(session, record)
    try:
        for step in steps:
            explorer.run(step["rule"], **step["args"])
    except StepFailed as exc:
        return exc.failure
    finally:
        explorer.close()
    return None


def minimise(session: Session, keys: list[tuple[str, ...]]) -> None:
    """Each failure's shortest sequence without the steps it does not need: first those that sent nothing (they
    change nothing), then each other step whose removal still shows a violation of the same requirements on a
    replay. Bounded by MINIMISE_ALLOWANCE operations and the deadline."""
    session.limit = session.operations + MINIMISE_ALLOWANCE

    def sent(steps: list[Step]) -> list[Step]:
        return [s for s in steps if not s.line.endswith(NOTHING_SENT)]

    for key in keys:
        failure = session.failures[key]
        wanted = set(failure.requirements)
        must = session.until & wanted  # --until: the shorter sequence must still show the requirement asked for

        def shows(steps: list[Step]) -> Failure | None:
            # A step that fails on something else first (what earlier sequences left at the provider) is left out.
            while True:
                shown = replay(session, [s.replayable() for s in steps], record=False)
                if shown is None:
                    return None
                if (must <= set(shown.requirements)) if must else (wanted & set(shown.requirements)):
                    return Failure(sent(shown.steps), shown.violations, failure.found_at)
                failing = len(shown.steps) - 1
                if failing >= len(steps) - 1:
                    return None
                steps = steps[:failing] + steps[failing + 1:]

        best = failure
        try:
            if len(sent(failure.steps)) < len(failure.steps):
                best = shows(sent(failure.steps)) or best
            i = 0
            while i < len(best.steps) - 1:  # the last step shows the failure; try each step before it
                shorter = shows(best.steps[:i] + best.steps[i + 1:])
                if shorter is not None and len(shorter.steps) < len(best.steps):
                    best = shorter
                else:
                    i += 1
        except Stop:
            pass
        session.failures[key] = best
