"""`make assure WORKERS=4` gives the same verdicts as a serial run; workers share the ledger safely."""

import os
import socket
import subprocess
import sys

from harness.settings import PROJECT_ROOT


def _verdicts(run):
    return {o.name: o.outcome for o in run.outcomes}


def _collected() -> set[str]:
    """The names of every scenario a serial run holds (the clean serial run itself, all passed and none
    skipped, is tests/assurance/test_reference_run.py's)."""
    proc = subprocess.run([sys.executable, "-m", "pytest", "steps", "--collect-only", "-q", "-p", "no:randomly"],
                          cwd=PROJECT_ROOT, capture_output=True, text=True, timeout=120,
                          env={**os.environ, "GPC_ENV": "reference"})
    return {line.split("::", 1)[1] for line in proc.stdout.splitlines() if line.startswith("steps/") and "::" in line}


def test_four_workers_reach_the_same_verdicts_as_one(run_suite, tmp_path):
    parallel = run_suite(command=(sys.executable, "-m", "harness", "assure", "-q", "-p", "no:randomly", "-n", "4"))
    assert parallel.returncode == 0, parallel.explain()
    expected = _collected()
    assert len(expected) >= 100
    assert _verdicts(parallel) == {name: "passed" for name in expected}


def test_a_run_with_a_fault_fails_the_same_scenarios_in_parallel(run_suite):
    # The multi-slot bookings (12 scenarios of several features): the fault fails some, the rest pass.
    args = (sys.executable, "-m", "harness", "assure", "-q", "-p", "no:randomly", "--req",
            "BOOK-MULTI-TYPE-01,BOOK-MULTI-ADJ-01,BOOK-MULTI-SCHED-01,BOOK-MULTI-CHANNEL-01,BOOK-TYPE-01")
    serial = run_suite(command=args, GPC_REFERENCE_FAULTS="book_accepts_mixed_types")
    parallel = run_suite(command=args + ("-n", "4"), GPC_REFERENCE_FAULTS="book_accepts_mixed_types")
    assert serial.returncode == parallel.returncode == 1
    assert serial.by_outcome("failed") and serial.by_outcome("passed"), serial.explain()
    assert _verdicts(parallel) == _verdicts(serial)


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def test_four_workers_sharing_one_slow_provider_reach_the_verdicts_of_one(run_suite, tmp_path):
    """Searches held against each other survive other workers' bookings between them: the workers share one
    provider at 200 ms a request, as they would a supplier's test environment, and a practice with free slots
    on three days only, so that they share days too (harness/consumer/claims.py keeps their choices apart)."""
    port = _free_port()
    provider = subprocess.Popen([sys.executable, "-m", "reference_provider", "--port", str(port), "--latency-ms", "200",
                                 "--practice", "few-days"],
                                cwd=PROJECT_ROOT, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
    try:
        root = provider.stdout.readline().split("service root ", 1)[1].strip()
        args = (sys.executable, "-m", "harness", "assure", "-q", "-p", "no:randomly", "--req",
                "SLOT-FILTER-01,SLOT-FILTER-02,SLOT-COMPLETE-01,BOOK-MULTI-ADJ-01,BOOK-DUP-01")
        shared = {"GPC_BASE_URL": root, "GPC_STATE_DIR": str(tmp_path / "state")}
        serial = run_suite(command=args, **shared)
        parallel = run_suite(command=args + ("-n", "4"), **shared)
    finally:
        provider.terminate()
        provider.wait(timeout=30)
        provider.stdout.close()
    assert serial.returncode == parallel.returncode == 0, serial.explain() + parallel.explain()
    assert len(serial.outcomes) >= 10 and not serial.by_outcome("skipped"), serial.explain()
    assert _verdicts(parallel) == _verdicts(serial)
