"""Reading JUnit XML: the verdict each failure recorded decides the exit code, not its message."""

import pytest

from harness.outcome import outcomes as junit
from harness.outcome import verdicts

HEAD = '<?xml version="1.0" encoding="utf-8"?><testsuites><testsuite name="pytest">'
TAIL = "</testsuite></testsuites>"


def case(name, body="", **props):
    listed = "".join(f'<property name="{k}" value="{v}" />' for k, values in props.items()
                     for v in (values if isinstance(values, (list, tuple)) else [values]))
    return (f'<testcase classname="steps.test_search_for_free_slots" name="{name}">'
            f"<properties>{listed}</properties>{body}</testcase>")


FAILURE = '<failure message="{}">trace</failure>'


def exit_code(items, levels=None, nhs_strict=False) -> int:
    """The exit code the one decider gives these outcomes (no requirement catalogue: a scenario's own)."""
    return verdicts.decide(items, [], levels or {}, nhs_strict).exit_code


def read(tmp_path, *cases):
    path = tmp_path / "junit.xml"
    path.write_text(HEAD + "".join(cases) + TAIL, encoding="utf-8")
    return junit.outcomes(path)


def test_properties_are_read_back(tmp_path):
    [o] = read(tmp_path, case("test_every_free_slot_carries_its_slot_type", FAILURE.format("Slot 1 has no slot type"),
                              scenario="Every free slot carries its slot type", feature="search_for_free_slots",
                              req=["SLOT-TYPE-01", "SLOT-FREE-01"], verdict="nonconformant", violated="SLOT-TYPE-01"))
    assert o.outcome == "failed" and o.message == "Slot 1 has no slot type"
    assert o.requirements == ("SLOT-TYPE-01", "SLOT-FREE-01") and o.violated == ("SLOT-TYPE-01",)
    assert o.verdict == "nonconformant" and o.nonconformant and not o.broken
    assert o.title == "Every free slot carries its slot type" and o.feature == "search_for_free_slots"
    assert o.nodeid == "steps/test_search_for_free_slots.py::test_every_free_slot_carries_its_slot_type"


def test_a_violation_exits_1(tmp_path):
    items = read(tmp_path, case("test_a", FAILURE.format("x"), req="SLOT-TYPE-01", verdict="nonconformant",
                                violated="SLOT-TYPE-01"),
                 case("test_b", FAILURE.format("cannot connect"), req="SLOT-FREE-01", verdict="broken"),
                 case("test_c", req="SLOT-FREE-01"))
    assert exit_code(items) == 1
    assert junit.summary_line(items) == ("1 passed, 1 failed (provider non-conformant), 1 could not reach a verdict "
                                         "(environment or harness), 0 not assured (skipped)")


def test_only_broken_scenarios_exit_2_whatever_their_message_says(tmp_path):
    items = read(tmp_path, case("test_a", FAILURE.format("AssertionError: looks like a verdict"), verdict="broken"),
                 case("test_b", '<error message="fixture failed">trace</error>'))
    assert exit_code(items) == 2
    assert [o.broken for o in items] == [True, True]


def test_a_failure_without_a_recorded_verdict_is_broken(tmp_path):
    [o] = read(tmp_path, case("test_a", FAILURE.format("harness.errors.Nonconformance: x")))
    assert o.broken and exit_code([o]) == 2


def test_passes_and_skips_exit_0(tmp_path):
    items = read(tmp_path, case("test_a"), case("test_b", '<skipped message="not assured: no free slots" />'))
    assert exit_code(items) == 0
    assert items[1].outcome == "skipped" and items[1].message == "not assured: no free slots"
    assert junit.summary_line(items).endswith("1 not assured (skipped)")


@pytest.mark.parametrize("level,code", [("SHALL", 1), ("SHOULD", 0), ("SHOULD NOT", 0), ("MAY", 0),
                                        ("NHS expectation", 0)])
def test_only_a_shall_violation_makes_the_run_non_conformant(tmp_path, level, code):
    items = read(tmp_path, case("test_a", FAILURE.format("x"), req="R-1", verdict="nonconformant", violated="R-1"))
    assert exit_code(items, {"R-1": level}) == code


@pytest.mark.parametrize("level", ["SHOULD", "SHOULD NOT", "MAY", "NHS expectation"])
def test_under_nhs_strictness_an_advisory_violation_makes_the_run_non_conformant(tmp_path, level):
    items = read(tmp_path, case("test_a", FAILURE.format("x"), req="R-1", verdict="nonconformant", violated="R-1"))
    assert exit_code(items, {"R-1": level}, nhs_strict=True) == 1
    assert junit.summary_line(items, {"R-1": level}).startswith(
        "0 passed, 0 failed (provider non-conformant), 1 failed on advisory requirements only")


def test_a_scenario_breaking_a_shall_and_an_nhs_expectation_is_non_conformant(tmp_path):
    items = read(tmp_path, case("test_a", FAILURE.format("x"), verdict="nonconformant", violated=["R-1", "R-2"]))
    assert items[0].violated == ("R-1", "R-2")
    assert exit_code(items, {"R-1": "NHS expectation", "R-2": "SHALL"}) == 1


def test_a_violation_of_an_unknown_requirement_counts_as_a_shall(tmp_path):
    items = read(tmp_path, case("test_a", FAILURE.format("x"), verdict="nonconformant", violated="R-9"))
    assert exit_code(items, {"R-1": "SHOULD"}) == 1


def test_pytests_note_on_a_cut_message_is_not_part_of_the_verdict(tmp_path):
    cut = "1 violation of SLOT-TYPE-01: " + "x" * 480 + "...&#10;[truncated; full report in element text]"
    [o] = read(tmp_path, case("test_a", FAILURE.format(cut), verdict="nonconformant", violated="SLOT-TYPE-01"))
    assert o.message == "1 violation of SLOT-TYPE-01: " + "x" * 480 + "..."
    [kept] = read(tmp_path, case("test_b", FAILURE.format("first line&#10;second line"), verdict="broken"))
    assert kept.message == "first line\nsecond line"
