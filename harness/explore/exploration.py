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

from harness.explore.bookings import (
    BOOK_WEIGHTS,
    OTHER_VARIANTS,
    PATIENT_WEIGHTS,
    VARIANT_KINDS,
    VARIANT_WEIGHTS,
)
from harness.explore.changes import (
    AMEND_WEIGHTS,
    CANCEL_WEIGHTS,
    READ_WEIGHTS,
    RETRIEVE_WEIGHTS,
    STALE_WEIGHTS,
)
from harness.explore.operations import Explorer
from harness.explore.searches import HOURS_WEIGHTS, INCLUDE_WEIGHTS, SEARCH_SPAN
from harness.explore.session import (
    MINIMISE_ALLOWANCE,
    NOTHING_SENT,
    STEPS_PER_SEQUENCE,
    Failure,
    Session,
    Step,
    StepFailed,
    Stop,
)


def machine(session: Session):
    """The rule-based state machine over this session: each rule one operation of Explorer."""
    from hypothesis import strategies as st
    from hypothesis.stateful import (
        RuleBasedStateMachine,
        initialize,
        precondition,
        rule,
    )

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
                first = str(exc).splitlines()[0] if str(exc) else ""
                session.broken = session.broken or f"{type(exc).__name__}: {first}"
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
