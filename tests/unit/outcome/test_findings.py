"""Judge and go on: a scenario's failed checks, kept step by step, fail it once at its end."""

from harness.checks.violations import failure, violation
from harness.errors import BROKEN, Nonconformance
from harness.outcome.findings import FAILED_STEP, Findings, parse_violation


def slot_type(slot: str):
    return violation("SLOT-TYPE-01", f"Slot {slot}", "Slot.serviceType[*].text", "a slot type", "none",
                     f"Slot {slot} has no slot type")


def test_one_failed_check_is_the_scenarios_failure_as_it_was():
    found = Findings(tags=("SLOT-TYPE-01",))
    found.add("When the consumer searches", failure([slot_type("1")], "GET .../Slot"))
    failed = found.failure()
    assert str(failed) == "1 violation of SLOT-TYPE-01: Slot 1 has no slot type (GET .../Slot)"
    assert failed.requirements == ("SLOT-TYPE-01",)


def test_every_failed_check_is_listed_with_its_step_and_each_requirement_with_its_own_message():
    found = Findings(tags=("SLOT-TYPE-01", "SLOT-SCHEDTYPE-01"))
    found.add("When the consumer searches", failure([slot_type("1"), slot_type("2")], "GET .../Slot"))
    found.add("Then every Schedule has its schedule type",
              failure([violation("SLOT-SCHEDTYPE-01", "Schedule 7", "Schedule.serviceCategory.text", "a text",
                                 "none", "Schedule 7 has no schedule type")], "GET .../Slot"))
    found.add("Then the answer is cached as the spec says", Nonconformance("Cache-Control is no-cache"))
    found.completed = True
    failed = found.failure()
    assert failed.requirements == ("SLOT-TYPE-01", "SLOT-SCHEDTYPE-01")
    assert str(failed).startswith("3 checks failed, of SLOT-TYPE-01, SLOT-SCHEDTYPE-01: [1] When the consumer "
                                  "searches: 2 violations of SLOT-TYPE-01: Slot 1 has no slot type; Slot 2 ")
    assert "[3] Then the answer is cached as the spec says: Cache-Control is no-cache" in str(failed)
    props = found.properties()
    violations = [parse_violation(v) for k, v in props if k == "violation"]
    assert violations[0] == ("SLOT-TYPE-01", "Slot 1 has no slot type (GET .../Slot)")
    assert ("SLOT-SCHEDTYPE-01", "Schedule 7 has no schedule type (GET .../Slot)") in violations
    # A failure naming no requirement stands for the scenario's tags.
    assert ("SLOT-SCHEDTYPE-01", "Cache-Control is no-cache") in violations
    assert ("completed", "true") in props and not any(k == "stopped" for k, _ in props)


def test_a_scenario_that_stopped_says_where_why_and_how_it_counts():
    found = Findings(tags=("BOOK-01",))
    found.add("When the consumer books", failure([slot_type("1")], "GET .../Slot"))
    found.stop("Given a second test patient", BROKEN, "could not reach a verdict: timed out")
    found.stop("Then nothing", FAILED_STEP, "not this one: the first stop stands")
    assert str(found.failure()).endswith(
        "; then stopped at 'Given a second test patient': could not reach a verdict: timed out")
    props = dict(found.properties())
    assert props["completed"] == "false" and props["stop_kind"] == BROKEN


def test_nothing_found_is_no_failure():
    assert Findings().failure() is None and Findings().properties() == [("completed", "false")]
