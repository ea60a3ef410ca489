"""The exploration's operations: dispatched by name from one table, every one the state machine draws
known to it, the slots a booking kind chooses, and shrinking a failure to the steps it needs."""

import inspect
from datetime import datetime, timedelta
from types import SimpleNamespace

from harness.checks.violations import violation
from harness.consumer.discovery import SlotInfo
from harness.explore import bookings, expectations, exploration
from harness.explore.operations import OPERATIONS
from harness.explore.session import Failure, Step
from harness.spec.constants import UK

NINE = datetime(2026, 12, 2, 9, 0, tzinfo=UK)


def _slot(sid: str, minutes: int, schedule: str = "s1", length: int = 10, channel: str = "In-person",
          slot_type: str = "GP") -> SlotInfo:
    start = NINE + timedelta(minutes=minutes)
    return SlotInfo(sid, schedule, start, start + timedelta(minutes=length), channel, slot_type, {}, None)


def _explorer(free: list[SlotInfo]) -> SimpleNamespace:
    return SimpleNamespace(free={s.id: s for s in free}, live={}, model=SimpleNamespace(appointments={}))


def test_every_operation_the_state_machine_draws_is_in_the_table():
    drawn = set()
    for line in inspect.getsource(exploration.machine).splitlines():
        if "self.explorer.run(" in line:
            drawn.add(line.split("self.explorer.run(", 1)[1].split('"')[1])
    assert drawn == set(OPERATIONS)


def test_a_booking_kind_that_breaks_one_rule_chooses_slots_breaking_that_rule_alone():
    free = [_slot("a", 0), _slot("b", 10), _slot("c", 20, schedule="s2"), _slot("d", 30, schedule="s2"),
            _slot("e", 40, schedule="s2", channel="Telephone"), _slot("f", 60, schedule="s2", channel="Telephone")]
    explorer = _explorer(free)
    assert [[s.id for s in c] for c in bookings.candidates(explorer, "two adjacent")] == [["a", "b"], ["c", "d"]]
    for kind, rule, pair in (("schedule", expectations.SCHEDULE, ["b", "c"]),
                             ("channel", expectations.CHANNEL, ["d", "e"])):
        chosen = bookings.candidates(explorer, kind)
        assert all(expectations.multi_slot_breaks(c) == [rule] for c in chosen)
        assert pair in [[s.id for s in c] for c in chosen]
    gap = bookings.candidates(explorer, "gap")
    assert gap and all(expectations.multi_slot_breaks(c) == [expectations.GAP] for c in gap)
    assert ["e", "f"] in [[s.id for s in c] for c in gap]


def test_a_failure_is_shrunk_to_the_steps_it_needs(monkeypatch):
    """minimise drops the steps that sent nothing, then each step the failure still shows without."""
    needed = {"book", "amend 2"}
    lost = violation("AMEND-01", "Appointment 1", "", "", "", "lost")
    replays = []

    def replay(session, steps, record=True):
        replays.append([s["rule"] for s in steps])
        names = [s["rule"] for s in steps]
        if needed <= set(names):
            shown = [Step(s["rule"], s["args"], "") for s in steps]
            return Failure(shown, [("", lost)])
        return None

    monkeypatch.setattr(exploration, "replay", replay)
    steps = [Step("search", {}, "search: HTTP 200"), Step("read", {}, "read: nothing booked yet; nothing sent"),
             Step("book", {}, "book: HTTP 201"), Step("read", {}, "read Appointment 1: HTTP 200"),
             Step("amend 2", {}, "amend: HTTP 200")]
    session = SimpleNamespace(operations=0, limit=0, until=frozenset(),
                              failures={("AMEND-01",): Failure(steps, [("", lost)], 7)})
    exploration.minimise(session, [("AMEND-01",)])
    best = session.failures[("AMEND-01",)]
    assert [s.rule for s in best.steps] == ["book", "amend 2"]
    assert best.found_at == 7
    assert replays[0] == ["search", "book", "read", "amend 2"], "the step that sent nothing goes first"
