"""The run history: what changed since the last comparable run, and a history that stays small."""

import json

from harness.outcome import history
from harness.outcome.outcomes import Outcome
from harness.spec.requirements import catalogue


def record(ended: str, **verdicts: str) -> dict:
    reqs = {k.replace("_", "-"): v for k, v in verdicts.items()}
    return {"ended": ended, "identity": {}, "overall": "CONFORMANT", "requirements": reqs,
            "why": {r: "writes not allowed" for r, v in reqs.items() if v == "not assured"}, "scenarios": {}}


def test_the_first_run_has_nothing_to_compare_with():
    change = history.changes([], record("t1", SLOT_TYPE_01="assured"))
    assert change["since"] is None and change["newly_failed"] == [] and change["newly_assessed"] == []
    assert history.described(change) == [
        "Changes: none to show; this is the first run kept for this environment and provider."]


def test_newly_failed_fixed_not_assured_and_assessed_are_told_apart():
    before = record("t1", A_01="assured", B_01="failed", C_01="assured", D_01="not assessed", E_01="assured")
    now = record("t2", A_01="failed", B_01="assured", C_01="not assured", D_01="assured", E_01="assured")
    change = history.changes([before], now)
    assert change["newly_failed"] == ["A-01"] and change["fixed"] == ["B-01"]
    assert change["newly_not_assured"] == [{"requirement": "C-01", "why": "writes not allowed"}]
    assert change["newly_assessed"] == ["D-01"]
    assert history.described(change) == ["Changes since the run that ended t1:", "  newly failed: A-01",
                                         "  fixed: B-01", "  newly not assured: C-01 (writes not allowed)",
                                         "  newly assessed: D-01"]


def test_no_change_is_said_plainly_and_unselected_requirements_are_no_change():
    before = record("t1", A_01="assured", B_01="not assessed")
    now = record("t2", A_01="assured", B_01="not assessed")
    assert history.described(history.changes([before], now)) == ["Changes since the run that ended t1: no change."]


def test_the_history_keeps_the_last_runs_and_stays_under_a_megabyte_after_a_hundred(tmp_path):
    path = history.history_path(tmp_path, "reference", "the bundled reference provider")
    assert path.parent == tmp_path / "history" and path.name.startswith("reference-")
    ids = list(catalogue())
    names = [f"steps/test_book_an_appointment.py::test_booking_count_adjacent_slots_that_share_schedule_delivery_"
             f"channel_and_slot_type_succeeds[{i}]" for i in range(400)]
    for n in range(100):
        run = record(f"t{n}")
        run["requirements"] = {r: ("failed" if (n + i) % 11 == 0 else "assured") for i, r in enumerate(ids)}
        outcomes = [Outcome(name, "failed" if i % 50 == n % 50 else "passed", "", violations=(("BOOK-01", "x"),))
                    for i, name in enumerate(names)]
        run["scenarios"] = history.run_record("", {}, "", [], outcomes)["scenarios"]
        run["identity"] = {"service_root": "https://provider.example/A11111/STU3/1/gpconnect", "environment": "x"}
        history.append(path, run, keep=30)
    kept = history.runs(path)
    assert [r["ended"] for r in kept] == [f"t{n}" for n in range(70, 100)]
    assert path.stat().st_size < 1_000_000, path.stat().st_size
    assert json.loads(path.read_text().splitlines()[-1])["ended"] == "t99"
    assert not path.with_suffix(".tmp").exists()


def timed(ended: str, p95: float) -> dict:
    return dict(record(ended), latency={"search for free slots": [p95 / 2, p95]})


def test_slower_needs_a_trend_and_a_margin_not_one_noisy_run():
    kept = [timed("t1", 40), timed("t2", 60), timed("t3", 50)]
    assert history.slower(kept[:2], timed("t4", 500)) == [], "fewer runs than MIN_RUNS: no trend yet"
    assert history.slower(kept, timed("t4", 90)) == [], "1.8 times but only 40 ms more"
    assert history.slower(kept, timed("t4", 70)) == []
    found = history.slower(kept, timed("t4", 210))
    assert found == [{"interaction": "search for free slots", "p50_ms": 105, "p95_ms": 210, "median_p95_ms": 50,
                      "runs": 3}]
    change = dict(history.changes(kept, timed("t4", 210)), slower=found)
    assert history.described(change)[-1] == (
        "  slower: search for free slots (p95 210 ms, median of the last 3 runs 50 ms)")


def test_a_requirement_that_fails_every_other_run_is_flaky_not_a_regression():
    runs = [record("t1", A_01="failed"), record("t2", A_01="assured")]
    change = history.changes(runs, record("t3", A_01="failed"))
    assert change["flaky"] == [{"requirement": "A-01", "strip": "FPF"}]
    assert change["newly_failed"] == [] and change["fixed"] == []
    once = history.changes(runs[1:], record("t3", A_01="failed"))
    assert once["flaky"] == [] and once["newly_failed"] == ["A-01"], "one change is a change, not flakiness"
    other = dict(record("t0", A_01="assured"), identity={"harness_commit": "other"})
    assert history.flaky([other] + runs[1:], record("t3", A_01="failed")) == [], "another harness is not compared"
    upgraded = dict(record("t0", A_01="assured"), provider_software="EMIS Web 9.14.1")
    assert history.flaky([upgraded] + runs[1:], record("t3", A_01="failed")) == [], \
        "nor another version of the provider's software"
