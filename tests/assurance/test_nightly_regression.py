"""Nightly regression: the bundled provider run clean, then with a fault, then clean again in one reports
folder. The second run names the fault's requirement newly failed and nothing else; the third names it
fixed; reports/changes.json, the terminal and the requirement page say the same."""

import json
import sys


def _assure(run_suite, tmp_path, **settings):
    run = run_suite(command=(sys.executable, "-m", "harness", "assure", "--req", "SLOT-TYPE-01", "-q"),
                    GPC_STATE_DIR=str(tmp_path / "state"), **settings)
    return run, json.loads((run.reports / "changes.json").read_text())


def test_a_fault_is_newly_failed_then_fixed_and_nothing_else_changes(run_suite, tmp_path):
    first, change = _assure(run_suite, tmp_path)
    assert first.returncode == 0 and change["since"] is None, first.explain()

    broken, change = _assure(run_suite, tmp_path, GPC_REFERENCE_FAULTS="slot_missing_type")
    assert broken.returncode == 1, broken.explain()
    assert change["newly_failed"] == ["SLOT-TYPE-01"], change
    assert change["fixed"] == [] and change["newly_not_assured"] == [] and change["newly_assessed"] == []
    assert "  newly failed: SLOT-TYPE-01" in broken.stdout
    assert "Newly failed</th><td>SLOT-TYPE-01" in (broken.reports / "html" / "requirements.html").read_text()
    junit = (broken.reports / "junit.xml").read_text()
    assert '<property name="gpc.changes.newly_failed" value="SLOT-TYPE-01"' in junit

    fixed, change = _assure(run_suite, tmp_path)
    assert fixed.returncode == 0, fixed.explain()
    assert change["fixed"] == ["SLOT-TYPE-01"] and change["newly_failed"] == [], change
    assert change["overall"] == {"before": "NON-CONFORMANT", "now": "CONFORMANT"}

    again, change = _assure(run_suite, tmp_path)
    unchanged = ("newly_failed", "fixed", "newly_not_assured", "newly_assessed", "flaky", "flaky_over_runs",
                 "flaky_scenarios")
    assert all(change[key] == [] for key in unchanged), change
    # Whether an interaction is flagged slower depends on the machine's load in that moment (the rule's
    # thresholds are unit-tested on fixed figures): the terminal says "no change." unless it is.
    assert ("no change." in again.stdout) == (change["slower"] == []), again.stdout
    kept = list((again.reports / "history").glob("*.jsonl"))
    assert len(kept) == 1 and len(kept[0].read_text().splitlines()) == 4


def test_a_provider_slower_than_its_last_runs_is_flagged_per_interaction_with_a_chart(run_suite, tmp_path):
    for _ in range(5):
        # Whether a quick run is flagged depends on the machine's load in that moment: not asserted here (the
        # rule's thresholds are unit-tested on fixed figures in tests/unit/outcome/test_history.py).
        quick, change = _assure(run_suite, tmp_path)
        assert quick.returncode == 0, quick.explain()
    slow, change = _assure(run_suite, tmp_path, GPC_REFERENCE_LATENCY_MS="200")
    assert slow.returncode == 0, slow.explain()
    flagged = {s["interaction"] for s in change["slower"]}
    assert flagged and flagged == set(change["trend"]), change
    assert all(s["p95_ms"] >= 200 and s["runs"] == 5 for s in change["slower"])
    assert "  slower: " in slow.stdout
    page = (slow.reports / "html" / "requirements.html").read_text()
    assert "<svg class='trend'" in page and "Slower</th>" in page


def test_a_provider_that_fails_every_other_run_is_shown_flaky_not_as_a_regression(run_suite, tmp_path):
    verdicts = []
    for _ in range(3):
        run, change = _assure(run_suite, tmp_path, GPC_REFERENCE_FAULTS="slot_type_alternates")
        verdicts.append(run.returncode)
    assert verdicts == [1, 0, 1]
    assert change["flaky"] == [{"requirement": "SLOT-TYPE-01", "strip": "FPF"}], change
    assert {"scenario": "test_every_free_slot_carries_its_slot_type", "strip": "FPF"} in change["flaky_over_runs"]
    assert change["newly_failed"] == [] and change["fixed"] == []
    assert "  flaky: SLOT-TYPE-01 (FPF, oldest first)" in run.stdout
    assert "Flaky</th><td>SLOT-TYPE-01 (FPF, oldest first)" in (run.reports / "html" / "requirements.html").read_text()


def test_rerun_failures_reports_a_scenario_that_failed_then_passed_as_flaky_never_as_passed(run_suite, tmp_path):
    run = run_suite(command=(sys.executable, "-m", "harness", "assure", "--req", "SLOT-TYPE-01", "-q",
                             "--rerun-failures"),
                    GPC_STATE_DIR=str(tmp_path / "state"), GPC_REFERENCE_FAULTS="slot_type_alternates")
    change = json.loads((run.reports / "changes.json").read_text())
    assert run.returncode == 1, run.explain()
    assert "failed then passed (flaky, still counted as failed)" in run.stdout
    assert "test_every_free_slot_carries_its_slot_type" in change["flaky_scenarios"], change
    assert "failed, then passed when run again (flaky)" in run.stdout
