"""Requirement verdicts mean what they say; the overall verdict; the printable page."""

from harness.outcome import verdicts as v
from harness.outcome.outcomes import Outcome
from harness.report import requirements_page as view
from harness.spec.requirements import Requirement, catalogue


def req(rid, level="SHALL", reason="", use_case="search_for_free_slots", change=""):
    return Requirement(rid, use_case, level, f"rule {rid}", "pages/x.md", reason, change)


CAT = {r.id: r for r in (req("A-1", change="1.2.7"), req("B-1"), req("C-1", "SHOULD"), req("D-1"),
                         req("E-1", reason="Cannot be observed from outside"), req("F-1"), req("G-1"))}
SUITE = {"A-1": {("f", "one"), ("f", "two")}, "B-1": {("f", "one")}, "C-1": {("f", "three")},
         "D-1": {("f", "four")}, "F-1": {("f", "five"), ("f", "six")}, "G-1": {("f", "seven")}}


def out(title, outcome="passed", reqs=(), verdict="", violated=(), message="", **more):
    return Outcome(f"test_{title}", outcome, message, tuple(reqs), verdict, tuple(violated), title, "f",
                   f"steps/test_f.py::test_{title}", **more)


def by_id(outcomes, suite=SUITE):
    return {x.requirement.id: x for x in v.verdicts(CAT, outcomes, suite)}


def test_only_the_violated_requirement_fails_not_every_tag_of_the_scenario():
    got = by_id([out("one", "failed", ("A-1", "B-1"), "nonconformant", ("B-1",), "B broken: Slot 1"),
                 out("two", reqs=("A-1",))])
    assert got["B-1"].verdict == v.FAILED and got["B-1"].why == "B broken: Slot 1"
    assert got["A-1"].verdict == v.NOT_ASSURED
    assert got["A-1"].why == ("held in 1 of 2; 1 stopped before its checks ran (one: at a failure of another "
                              "requirement)")
    assert got["A-1"].causes == (v.STOPPED_EARLY,)


def test_a_scenario_that_ran_every_step_judged_each_of_its_requirements_on_its_own():
    got = by_id([out("one", "failed", ("A-1", "B-1"), "nonconformant", ("B-1",), "2 checks failed",
                     violations=(("B-1", "B broken: Slot 1"),), completed=True),
                 out("two", reqs=("A-1",))])
    assert got["B-1"].verdict == v.FAILED and got["B-1"].why == "B broken: Slot 1"
    assert (got["A-1"].verdict, got["A-1"].why) == (
        v.ASSURED, "held in 2 scenarios that ran every step (1 of them failed on other requirements)")


def test_a_violation_found_where_no_scenario_of_it_looked_still_fails_the_requirement():
    got = by_id([out("one", "failed", ("A-1",), "nonconformant", ("B-1",), "B broken", completed=True),
                 out("two", reqs=("A-1",))], suite={"A-1": {("f", "one"), ("f", "two")}})
    assert got["B-1"].verdict == v.FAILED and got["A-1"].verdict == v.ASSURED


def test_a_scenario_stopped_after_a_finding_leaves_its_other_requirements_not_assured_with_why():
    got = by_id([out("one", "failed", ("A-1", "B-1"), "nonconformant", ("B-1",), "B broken",
                     stopped="stopped at 'Given a free slot': test data missing: no free slot", stop_kind="skipped"),
                 out("two", reqs=("A-1",))])
    assert got["B-1"].verdict == v.FAILED
    assert got["A-1"].why == ("held in 1 of 2; 1 stopped before its checks ran (one: stopped at 'Given a free slot': "
                              "test data missing: no free slot)")
    assert got["A-1"].causes == (v.TEST_DATA,)


def test_an_unreachable_provider_fails_no_requirement():
    got = by_id([out("one", "failed", ("A-1", "B-1"), "broken", message="cannot connect"),
                 out("two", "error", ("A-1",), "broken", message="timed out")])
    assert got["A-1"].verdict == got["B-1"].verdict == v.NOT_ASSURED
    assert got["A-1"].why == "2 of 2 could not reach a verdict (one: cannot connect)"


def test_skipped_scenarios_leave_a_requirement_not_assured_with_the_reason():
    got = by_id([out("four", "skipped", ("D-1",), message="not assured: writes are not allowed")])
    assert (got["D-1"].verdict, got["D-1"].why) == (v.NOT_ASSURED, "1 of 1 not run: writes are not allowed")


def test_a_selection_that_left_scenarios_out_is_not_assessed():
    got = by_id([out("five", reqs=("F-1",))])
    assert (got["F-1"].verdict, got["F-1"].why) == (v.NOT_ASSESSED,
                                                    "1 scenario passed; the selection left out 1 of its 2")
    assert (got["G-1"].verdict, got["G-1"].why) == (v.NOT_ASSESSED, "no scenario of it in this run's selection")


def test_assured_only_when_every_scenario_ran_and_passed():
    got = by_id([out("five", reqs=("F-1",)), out("six", reqs=("F-1",))])
    assert (got["F-1"].verdict, got["F-1"].why) == (v.ASSURED, "2 scenarios passed")


def test_an_untestable_requirement_is_not_assured_and_needs_manual_evidence():
    got = by_id([])
    assert got["E-1"].verdict == v.NOT_ASSURED and got["E-1"].why == "not tested: Cannot be observed from outside"
    assert got["E-1"].needs_manual_evidence and not got["A-1"].needs_manual_evidence


def test_overall_verdict():
    levels = {r.id: r.level for r in CAT.values()}
    shall = out("one", "failed", ("B-1",), "nonconformant", ("B-1",))
    should = out("three", "failed", ("C-1",), "nonconformant", ("C-1",))
    broken = out("four", "failed", ("D-1",), "broken")
    passed, skipped = out("five", reqs=("F-1",)), out("six", "skipped", ("F-1",))
    assert v.overall([shall, broken, passed], levels) == v.NON_CONFORMANT
    assert v.overall([should, broken, passed], levels) == v.INCOMPLETE
    assert v.overall([should, passed, skipped], levels) == v.CONFORMANT
    assert v.overall([skipped], levels) == v.NO_VERDICT
    assert v.overall([], levels) == v.NO_VERDICT
    # NHS strictness: an advisory failure counts as a SHALL's would.
    assert v.overall([should, passed, skipped], levels, nhs_strict=True) == v.NON_CONFORMANT
    assert v.advisory_findings([shall, should, broken, passed], levels) == [should]


def test_an_advisory_failure_is_its_own_verdict_named_by_its_level():
    cat = {r.id: r for r in (req("N-1", "NHS expectation"), req("M-1", "MAY"), req("S-1", "SHOULD NOT"))}
    failed = [out(t, "failed", (r,), "nonconformant", (r,), f"{r} broken") for t, r in
              (("one", "N-1"), ("two", "M-1"), ("three", "S-1"))]
    got = {x.requirement.id: x.verdict for x in v.verdicts(cat, failed, {})}
    assert got == {"N-1": v.NHS_NOT_MET, "M-1": v.NOT_MET, "S-1": v.NOT_MET}


def test_the_verdict_line_names_advisory_findings_and_strictness():
    levels = {r.id: r.level for r in CAT.values()}
    should = out("three", "failed", ("C-1",), "nonconformant", ("C-1",))
    passed = [out(t, reqs=(r,)) for t, r in (("one", "A-1"), ("two", "A-1"), ("one", "B-1"), ("four", "D-1"),
                                             ("five", "F-1"), ("six", "F-1"), ("seven", "G-1"))]
    outcomes = [should, *passed]
    decision = v.decide(outcomes, v.verdicts(CAT, outcomes, SUITE), levels)
    assert decision.line() == (
        "CONFORMANT: every SHALL requirement this run set out to judge was assured (5 of 5 SHALL requirements "
        "assured) and none failed; 1 more need manual evidence; 1 scenario failed on advisory requirements only "
        "(SHOULD, MAY or NHS expectation not met), allowed")
    strict = v.decide(outcomes, v.verdicts(CAT, outcomes, SUITE), levels, nhs_strict=True)
    assert strict.verdict == v.NON_CONFORMANT and strict.exit_code == 1
    assert strict.line().endswith(
        "counted under NHS strictness [NHS strictness (GPC_NHS_STRICT=true): a failure of any level counts, "
        "NHS expectations included]")


def test_no_shall_failed_is_not_conformant_and_says_how_many_were_assured_and_why():
    levels = {r.id: r.level for r in CAT.values()}
    outcomes = [out("one", reqs=("A-1", "B-1")), out("two", reqs=("A-1",)),
                out("four", "skipped", ("D-1",),
                    message="not assured: writes are not allowed (GPC_ALLOW_WRITES=false)"),
                out("five", "skipped", ("F-1",), message="not assured: no second test patient"),
                out("six", reqs=("F-1",)), out("seven", reqs=("G-1",))]
    items = v.verdicts(CAT, outcomes, SUITE)
    nightly = v.decide(outcomes, items, levels)
    assert (nightly.verdict, nightly.exit_code) == (v.NO_SHALL_FAILED, 0)
    assert nightly.line() == ("NO SHALL FAILED: no SHALL requirement failed, but only 3 of 5 SHALL requirements "
                              "assured; 2 not assured: writes off (1), test data missing (1); 1 more need manual "
                              "evidence")
    sign_off = v.decide(outcomes, items, levels, sign_off=True)
    assert sign_off.exit_code == v.EXIT_NOT_ALL_ASSURED == 6
    assert sign_off.line().endswith("[sign-off run: exit 6, not every SHALL requirement was assured]")
    # A stopped run is incomplete whatever was assured; a SHALL failure outranks both.
    assert v.decide(outcomes, items, levels, stopped=True).verdict == v.INCOMPLETE
    broke = [out("one", "failed", ("A-1", "B-1"), "nonconformant", ("B-1",)), *outcomes[1:]]
    assert v.decide(broke, v.verdicts(CAT, broke, SUITE), levels, sign_off=True).exit_code == 1


def test_counts_by_level_keep_advisory_requirements_apart():
    items = v.verdicts(CAT, [out("three", "failed", ("C-1",), "nonconformant", ("C-1",))], SUITE)
    table = v.counts_by_level(items)
    assert list(table) == ["SHALL", "SHOULD"]
    assert table["SHOULD"] == {v.NOT_MET: 1}
    assert table["SHALL"][v.FAILED] == 0 and table["SHALL"][v.NOT_ASSESSED] == 5


def test_the_page_puts_failures_first_with_titles_links_identity_and_manual_evidence():
    items = v.verdicts(CAT, [out("one", "failed", ("A-1", "B-1"), "nonconformant", ("B-1",), "B broken"),
                             out("four", "skipped", ("D-1",), message="not assured: no data"),
                             out("five", reqs=("F-1",)), out("six", reqs=("F-1",))], SUITE)
    html = view.page(items, [("Provider service root", "https://provider.example/A1/STU3/1/gpconnect")],
                     v.Decision(v.NON_CONFORMANT, 1), {"steps/test_f.py::test_one": "index.html#/abc"})
    sections = html.split("<h2>")
    heading = {part.split("<", 1)[0]: part for part in sections}
    failed = heading["Failed requirements (1, of which 0 advisory)"]
    assert "<code>B-1</code>" in failed and "<a href='index.html#/abc'>one</a>" in failed
    # Not assured: what this run could not finish, with why; what no run can test is listed once, at the end.
    not_assured = heading["Not assured (2)"]
    assert not_assured.index("<code>A-1</code>") < not_assured.index("<code>D-1</code>")
    assert "1 of 1 not run: no data" in not_assured and "E-1" not in not_assured
    assert "<code>G-1</code>" in heading["Not assessed (2): the selection left some of their scenarios out"]
    assured = heading["Assured (1)"]
    assert "<code>F-1</code>" in assured and "2 scenarios passed" in assured and "<a " not in assured
    assert html.count("<code>E-1</code>") == 1
    assert "Cannot be observed from outside" in heading["Needs manual evidence (1)"]
    assert "test_one" not in html and "NON-CONFORMANT" in html
    assert "https://provider.example/A1/STU3/1/gpconnect" in html
    assert "@page{size:A4" in html and "overflow-wrap:anywhere" in html


def test_a_requirement_with_many_scenarios_lists_the_telling_ones_and_counts_the_rest():
    many = [out(f"s{i}", reqs=("A-1",)) for i in range(30)] + [
        out("bad", "failed", ("A-1",), "nonconformant", ("A-1",), "A broken")]
    items = v.verdicts(CAT, many, {"A-1": {("f", f"s{i}") for i in range(30)} | {("f", "bad")}})
    html = view.page(items)
    failed = html[html.index("<h2>Failed requirements"):html.index("<h2>Not assured")]
    assert failed.index(">bad <") < failed.index(">s0 <"), "the scenario that broke it comes first"
    assert failed.count("<li>") == view.SCENARIOS_LISTED and "and 26 more (26 passed)" in failed


def test_the_terminal_lists_failures_and_counts_the_rest():
    items = v.verdicts(CAT, [out("one", "failed", ("A-1", "B-1"), "nonconformant", ("B-1",), "B broken")], SUITE)
    text = view.terminal(items, "Environment: reference", v.Decision(v.NON_CONFORMANT, 1))
    lines = text.splitlines()
    assert lines[3].startswith("B-1") and "failed" in lines[3]
    assert "0 assured; 1 need manual evidence (not testable here); 4 not assessed (left out by the selection)" in text
    assert text.endswith("Overall verdict: NON-CONFORMANT: the provider broke at least one SHALL requirement")


def test_the_suite_map_is_read_from_the_feature_files_whatever_was_selected():
    suite = v.suite_scenarios()
    assert ("search_for_free_slots", "Every free slot carries its slot type") in suite["SLOT-TYPE-01"]
    assert set(suite) <= set(catalogue())
    # Feature- and rule-level tags apply to every scenario under them, as pytest-bdd applies them.
    assert sum(len(s) for s in suite.values()) > len(suite)
