"""`make assure WORKERS=4` gives the same verdicts as a serial run; workers share the ledger safely."""

import sys

from harness import discovery
from harness.gpconnect import UK


def _verdicts(run):
    return {o.name: o.outcome for o in run.outcomes}


def test_four_workers_reach_the_same_verdicts_as_one(run_suite, tmp_path):
    serial = run_suite(command=(sys.executable, "-m", "harness", "assure", "-q", "-p", "no:randomly"))
    parallel = run_suite(command=(sys.executable, "-m", "harness", "assure", "-q", "-p", "no:randomly", "-n", "4"))
    assert serial.returncode == 0 and parallel.returncode == 0, parallel.explain()
    assert _verdicts(parallel) == _verdicts(serial)
    assert set(_verdicts(serial).values()) == {"passed"}


def test_a_run_with_a_fault_fails_the_same_scenarios_in_parallel(run_suite):
    args = (sys.executable, "-m", "harness", "assure", "-q", "-p", "no:randomly", "-k", "book_an_appointment or slot")
    serial = run_suite(command=args, GPC_REFERENCE_FAULTS="book_accepts_mixed_types")
    parallel = run_suite(command=args + ("-n", "4"), GPC_REFERENCE_FAULTS="book_accepts_mixed_types")
    assert serial.returncode == parallel.returncode == 1
    assert _verdicts(parallel) == _verdicts(serial)


def test_workers_take_disjoint_whole_days():
    from datetime import datetime, timedelta

    base = datetime(2026, 12, 1, 9, 0, tzinfo=UK)
    slots = [discovery.SlotInfo(str(i), "s", base + timedelta(days=i // 3, minutes=10 * (i % 3)),
                         base + timedelta(days=i // 3, minutes=10 * (i % 3) + 10), "In-person", "GP", {}, None)
             for i in range(21)]
    shares = [discovery.for_worker(slots, w, 4) for w in range(4)]
    assert sum(len(s) for s in shares) == len(slots)
    assert all(shares)
    days = [{s.start.date() for s in share} for share in shares]
    assert all(not (a & b) for i, a in enumerate(days) for b in days[i + 1:])
