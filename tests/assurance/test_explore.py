"""gpc-assure explore: clean against the bundled provider, a lifecycle fault found and shrunk to a few steps
that replay, and every booking cancelled (each ledger attempt closed)."""

import json
import subprocess
import sys

from harness.settings import PROJECT_ROOT


def _explore(tmp_path, *args, **env):
    reports = tmp_path / "reports"
    environment = {"PATH": "/usr/bin:/bin", "GPC_ENV": "reference", "GPC_REPORTS_DIR": str(reports), **env}
    proc = subprocess.run([sys.executable, "-m", "harness", "explore", *args], cwd=PROJECT_ROOT, env=environment,
                          capture_output=True, text=True, timeout=600, stdin=subprocess.DEVNULL)
    results = json.loads((reports / "explore" / "explore.json").read_text())
    return proc, results, reports


def _every_booking_closed(reports):
    lines = [json.loads(line) for path in (reports / "ledger").glob("ledger-*.jsonl")
             for line in path.read_text().splitlines()]
    attempts = {r["marker"] for r in lines if r["event"] == "attempt"}
    booked = {r["marker"] for r in lines if r["event"] == "booked"}
    closed = {r["marker"] for r in lines if r["event"] == "closed"}
    return booked, booked <= closed and attempts


def test_a_clean_exploration_passes_and_cancels_every_booking(tmp_path):
    proc, results, reports = _explore(tmp_path, "--budget", "60", "--seed", "3")
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-2000:]
    assert results["operations"] == 60 and results["failures"] == []
    booked, closed = _every_booking_closed(reports)
    assert booked, "the exploration booked nothing, so its clean-up proves nothing"
    assert closed, "a booking of the exploration was left open"
    assert "CONFORMANT" in (reports / "explore" / "requirements.html").read_text()


def test_an_exploration_without_write_permission_is_not_called_conformant(tmp_path):
    proc, results, reports = _explore(tmp_path, "--budget", "20", "--seed", "3", GPC_ALLOW_WRITES="false")
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-2000:]
    assert "Overall verdict: NO SHALL FAILED: no SHALL requirement failed, but only " in proc.stdout
    assert "not assured: writes off (" in proc.stdout
    lines = [line for path in (reports / "ledger").glob("ledger-*.jsonl") for line in path.read_text().splitlines()]
    assert not [line for line in lines if '"attempt"' in line], "an exploration without write permission booked"


def test_an_exploration_ends_at_its_time_limit_whatever_its_budget(tmp_path):
    proc, results, reports = _explore(tmp_path, "--budget", "1000000", "--minutes", "0.05", "--seed", "3")
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-2000:]
    assert "stopped: time limit reached (--minutes 0.05); what was found so far is reported" in proc.stdout
    assert 0 < results["operations"] < 1000000
    booked, closed = _every_booking_closed(reports)
    assert closed, "a booking of the exploration was left open"
    refused = subprocess.run([sys.executable, "-m", "harness", "explore", "--minutes", "0"], cwd=PROJECT_ROOT,
                             capture_output=True, text=True, timeout=60)
    assert refused.returncode == 4 and "--minutes must be a number of minutes above 0, got '0'" in refused.stderr


def test_a_lifecycle_fault_is_found_shrunk_and_replayed(tmp_path):
    proc, results, reports = _explore(tmp_path, "--budget", "150", "--seed", "6",
                                      GPC_REFERENCE_FAULTS="amend_twice_drops_schedule_type")
    assert proc.returncode == 1, proc.stdout[-3000:] + proc.stderr[-2000:]
    failure = next(f for f in results["failures"] if "AMEND-01" in f["requirements"])
    assert len(failure["steps"]) <= 6, failure["readable"]
    assert "Violation of AMEND-01" in proc.stdout and "seed 6" in proc.stdout
    assert [s["rule"] for s in failure["steps"]].count("amend") >= 2, failure["readable"]
    assert _every_booking_closed(reports)[1]
    page = (reports / "explore" / "requirements.html").read_text()
    assert "NON-CONFORMANT" in page and "Sequence 1: AMEND-01" in page

    sequence = reports / "explore" / "sequence-1.json"
    saved = tmp_path / "sequence.json"
    saved.write_text(sequence.read_text())
    again, replayed, _ = _explore(tmp_path, "--replay", str(saved),
                                  GPC_REFERENCE_FAULTS="amend_twice_drops_schedule_type")
    assert again.returncode == 1 and any("AMEND-01" in f["requirements"] for f in replayed["failures"])


def test_a_wider_search_missing_what_a_day_inside_it_offers_is_found(tmp_path):
    proc, results, _ = _explore(tmp_path, "--budget", "150", "--seed", "1",
                                GPC_REFERENCE_FAULTS="search_drops_last_day")
    assert proc.returncode == 1, proc.stdout[-3000:] + proc.stderr[-2000:]
    failure = next(f for f in results["failures"] if "SLOT-COMPLETE-01" in f["requirements"])
    assert [s["rule"] for s in failure["steps"]] == ["nested search"], failure["readable"]
