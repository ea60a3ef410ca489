"""Test-data discovery from a searchset Bundle's raw JSON, and what is missing named for the skip."""

import subprocess
import sys
from datetime import datetime, timedelta

import pytest

from harness import discovery
from harness.errors import MissingTestData
from harness.gpconnect import DELIVERY_CHANNEL_URL, UK
from harness.settings import PROJECT_ROOT

T0 = datetime(2026, 12, 1, 9, 0, tzinfo=UK)


def slot(sid, minutes, schedule="s-1", channel="In-person", slot_type="GP", status="free", length=10):
    start = T0 + timedelta(minutes=minutes)
    return {"resourceType": "Slot", "id": sid, "status": status, "schedule": {"reference": f"Schedule/{schedule}"},
            "serviceType": [{"text": slot_type}], "start": start.isoformat(),
            "end": (start + timedelta(minutes=length)).isoformat(),
            "extension": [{"url": DELIVERY_CHANNEL_URL, "valueCode": channel}]}


def bundle(*slots):
    schedules = [{"resourceType": "Schedule", "id": s, "actor": [{"reference": "Location/loc-1"}]}
                 for s in ("s-1", "s-2")]
    return {"resourceType": "Bundle", "type": "searchset", "entry": [{"resource": r} for r in (*schedules, *slots)]}


def ids(found):
    return [[s.id for s in group] for group in found]


def test_free_slots_are_read_sorted_with_their_channel_type_and_schedule():
    slots = discovery.free_slots(bundle(slot("b", 10), slot("a", 0, schedule="s-2", channel="Video"),
                                        slot("busy", 20, status="busy"), {"resourceType": "Slot", "id": "x"}))
    assert [s.id for s in slots] == ["a", "b"]
    assert (slots[0].schedule, slots[0].channel, slots[0].slot_type) == ("s-2", "Video", "GP")
    assert slots[0].actor("Location") == "Location/loc-1" and slots[0].actor("Practitioner") is None


def test_runs_share_schedule_channel_and_type_and_touch():
    slots = discovery.free_slots(bundle(slot("1", 0), slot("2", 10), slot("3", 20), slot("4", 30, slot_type="Nurse"),
                                        slot("5", 50)))
    assert ids(discovery.runs(slots, 3)) == [["1", "2", "3"]]
    assert ids(discovery.runs(slots, 2)) == [["1", "2"], ["2", "3"]]


def test_pairs_that_differ_in_one_rule_are_preferred():
    slots = discovery.free_slots(bundle(slot("1", 0), slot("2", 10, slot_type="Nurse"), slot("3", 10, schedule="s-2"),
                                        slot("4", 10, channel="Video", slot_type="Nurse")))
    assert [s.id for s in discovery.pair_differing_in(slots, "slot type")] == ["1", "2"]
    assert [s.id for s in discovery.pair_differing_in(slots, "schedule")] == ["1", "3"]
    assert discovery.pair_differing_in(discovery.free_slots(bundle(slot("1", 0), slot("2", 10))), "channel") is None


def test_a_gap_pair_is_one_schedule_on_one_day():
    slots = discovery.free_slots(bundle(slot("1", 0), slot("2", 10), slot("3", 40)))
    assert [s.id for s in discovery.pair_with_gap(slots)] == ["2", "3"]
    assert discovery.pair_with_gap(slots[:2]) is None


def test_workers_take_whole_days():
    slots = discovery.free_slots(bundle(slot("1", 0), slot("2", 10), slot("3", 24 * 60)))
    shares = [[s.id for s in discovery.for_worker(slots, w, 2)] for w in range(2)]
    assert sorted(shares) == [["1", "2"], ["3"]]


def test_what_is_missing_is_named():
    with pytest.raises(MissingTestData, match=r"^no two adjacent free slots with different channel offered "
                                              r"2026-12-01 to 2026-12-14$"):
        discovery.require(None, "two adjacent free slots with different channel", "2026-12-01 to 2026-12-14")
    untyped = discovery.free_slots(bundle(slot("1", 0, slot_type="")))
    with pytest.raises(MissingTestData, match=r"^no free slot with a slot type offered 2026-12-01$"):
        discovery.single(untyped, "2026-12-01")


def test_missing_test_data_in_a_scenario_is_a_skip_saying_not_assured(tmp_path):
    (tmp_path / "test_missing.py").write_text(
        "from harness.errors import MissingTestData\n\n"
        "def test_needs_data():\n    raise MissingTestData('no free slots offered 2026-12-01 to 2026-12-14')\n")
    run = subprocess.run([sys.executable, "-m", "pytest", str(tmp_path), "-q", "-rs", "-p", "no:cacheprovider",
                          "-p", "steps.common.appointment_steps", "--rootdir", str(tmp_path)],
                         cwd=tmp_path, env={"PYTHONPATH": str(PROJECT_ROOT), "PATH": ""}, capture_output=True,
                         text=True, timeout=120)
    assert "1 skipped" in run.stdout, run.stdout + run.stderr
    assert "not assured: no free slots offered 2026-12-01 to 2026-12-14" in run.stdout


def test_a_workers_days_are_its_share_of_the_window():
    first = datetime(2026, 12, 1).date()
    last = first + timedelta(days=6)
    every = discovery.worker_days(first, last, 0, 1)
    assert every == [first + timedelta(days=i) for i in range(7)]
    shares = [discovery.worker_days(first, last, w, 4) for w in range(4)]
    assert sorted(d for share in shares for d in share) == every
    assert all(d.toordinal() % 4 == w for w, share in enumerate(shares) for d in share)


def test_each_kind_of_choice_is_searched_for_from_the_day_it_was_last_found_on():
    days = [datetime(2026, 12, d).date() for d in (1, 2, 3, 4)]
    order = discovery.DayOrder()
    assert order.order("single", days) == days
    order.found("single", days[2])
    assert order.order("single", days) == [days[2], days[3], days[0], days[1]]
    assert order.order("run of 2", days) == days
    assert order.order("single", days[:2]) == days[:2]  # a day outside the window: from its start


def test_several_slots_are_different_and_a_run_is_named_when_missing():
    slots = discovery.free_slots(bundle(slot("1", 0), slot("2", 10), slot("3", 30)))
    chosen = discovery.several(slots, "w", 3)
    assert len({s.id for s in chosen}) == 3
    with pytest.raises(MissingTestData, match="no 4 adjacent free slots sharing schedule"):
        discovery.run_of(slots, 4, "w")
