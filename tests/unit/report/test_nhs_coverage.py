"""Keeps spec/nhs-suite-coverage.csv true: one row per NHS test case, valid statuses, every scenario it
names exists in our features, every gap explained, and the table of docs/nhs-coverage.md rendered from it."""

from __future__ import annotations

import re

import pytest

from harness.report import nhs_coverage as nc

# NHS's release/1.2.7 Appointment Management features: test cases (each Scenario, each Examples row of a
# Scenario Outline) and scenarios, in file order.
NHS_CASES = {
    "SearchForFreeSlots.feature": 85,
    "AppointmentBook.feature": 61,
    "AppointmentAmend.feature": 28,
    "AppointmentCancel.feature": 44,
    "AppointmentRead.feature": 21,
    "AppointmentRetrieve.feature": 47,
}
NHS_SCENARIOS = {
    "SearchForFreeSlots.feature": 29,
    "AppointmentBook.feature": 43,
    "AppointmentAmend.feature": 21,
    "AppointmentCancel.feature": 27,
    "AppointmentRead.feature": 12,
    "AppointmentRetrieve.feature": 21,
}


@pytest.fixture(scope="module")
def rows():
    return nc.read_rows()


def test_header_is_exact():
    assert nc.read_header() == nc.HEADER


def test_one_row_per_nhs_case_in_feature_order(rows):
    per_feature = {}
    for row in rows:
        per_feature[row["nhs_feature"]] = per_feature.get(row["nhs_feature"], 0) + 1
    assert per_feature == NHS_CASES
    assert list(per_feature) == list(NHS_CASES)
    assert len(rows) == sum(NHS_CASES.values()) == 286


def test_every_nhs_scenario_is_there(rows):
    scenarios = {}
    for feature, title in {(r["nhs_feature"], r["nhs_scenario"]) for r in rows}:
        scenarios[feature] = scenarios.get(feature, 0) + 1
    assert scenarios == NHS_SCENARIOS
    assert sum(scenarios.values()) == 153


def test_no_case_is_listed_twice(rows):
    keys = [(r["nhs_feature"], r["nhs_scenario"], r["nhs_example"]) for r in rows]
    duplicates = sorted({k for k in keys if keys.count(k) > 1})
    assert not duplicates


def test_every_status_is_one_of_three(rows):
    bad = [(r["nhs_scenario"], r["status"]) for r in rows if r["status"] not in nc.STATUSES]
    assert not bad


def test_covered_rows_name_an_existing_scenario(rows):
    missing = []
    for r in rows:
        if r["status"] == nc.COVERED and not (r["our_feature"] and r["our_scenario"]):
            missing.append(f"{r['nhs_scenario']} [{r['nhs_example']}]: covered but names no scenario")
    assert not missing


def test_every_named_scenario_exists_in_our_features(rows):
    """Also the nearest scenario a not-covered row names: a renamed scenario must be renamed here too."""
    titles = {path.name: nc.scenario_titles(path) for path in nc.FEATURES_DIR.glob("*.feature")}
    unknown = []
    for r in rows:
        if not r["our_feature"] and not r["our_scenario"]:
            continue
        if r["our_feature"] not in titles:
            unknown.append(f"{r['nhs_scenario']}: no feature file {r['our_feature']!r}")
        elif r["our_scenario"] not in titles[r["our_feature"]]:
            unknown.append(f"{r['nhs_scenario']}: {r['our_feature']} has no scenario {r['our_scenario']!r}")
    assert not unknown, "\n".join(unknown)


def test_not_covered_and_not_applicable_rows_say_why(rows):
    silent = [f"{r['nhs_scenario']} [{r['nhs_example']}]" for r in rows
              if r["status"] != nc.COVERED and not r["note"].strip()]
    assert not silent


def test_not_applicable_rows_name_the_should_they_rest_on(rows):
    """Not applicable only where the case tests no provider SHALL: each note names the SHOULD."""
    unexplained = [r["nhs_scenario"] for r in rows
                   if r["status"] == nc.NOT_APPLICABLE and not r["note"].startswith("SHOULD: ")]
    assert not unexplained


def test_scenario_titles_reads_scenarios_and_outlines(tmp_path):
    feature = tmp_path / "x.feature"
    feature.write_text("Feature: x\n  Scenario: One thing\n    Given a\n\n  # Scenario: commented out\n"
                       "  Scenario Outline: A <thing> is refused\n    Examples:\n      | thing |\n      | a |\n",
                       encoding="utf-8")
    assert nc.scenario_titles(feature) == {"One thing", "A <thing> is refused"}


def test_counts_per_feature_and_total():
    rows = [{"nhs_feature": "A.feature", "status": s} for s in ("covered", "covered", "not-covered", "not-applicable")]
    rows += [{"nhs_feature": "B.feature", "status": "not-applicable"}]
    a, b, total = nc.counts(rows)
    assert ((a.feature, a.covered, a.not_covered, a.not_applicable, a.cases, a.share())
            == ("A.feature", 2, 1, 1, 4, "67%"))
    assert (b.cases, b.share()) == (1, "-")
    assert (total.feature, total.covered, total.not_covered, total.not_applicable) == ("all", 2, 1, 2)


def test_counts_of_the_map_add_up(rows):
    *per_feature, total = nc.counts(rows)
    assert [c.feature for c in per_feature] == list(NHS_CASES)
    assert [c.cases for c in per_feature] == list(NHS_CASES.values())
    assert total.cases == 286
    assert total.covered == sum(r["status"] == nc.COVERED for r in rows)


def test_markdown_table_shape():
    table = nc.markdown_table(nc.counts([{"nhs_feature": "A.feature", "status": "covered"}]))
    assert table.splitlines() == [
        "| NHS feature | cases | covered | not covered | not applicable | covered of applicable |",
        "|---|---:|---:|---:|---:|---:|",
        "| `A.feature` | 1 | 1 | 0 | 0 | 100% |",
        "| **all** | 1 | 1 | 0 | 0 | 100% |",
    ]


def test_the_coverage_page_shows_exactly_the_table_the_map_renders(rows):
    page = nc.DOC_PATH.read_text(encoding="utf-8")
    section = re.search(r"^# NHS provider suite coverage\n(.*?)(?=^#{1,2} |\Z)", page, re.M | re.S)
    assert section, f"{nc.DOC_PATH.relative_to(nc.ROOT)} has no '# NHS provider suite coverage' section"
    table_lines = [line for line in section.group(1).splitlines() if line.startswith("|")]
    assert table_lines == nc.markdown_table(nc.counts(rows)).splitlines()


def test_gaps_list_every_not_covered_case_and_nothing_else(rows):
    """spec/nhs-suite-gaps.md counts the not-covered cases and lists only NHS scenarios that have some."""
    gaps = (nc.ROOT / "spec" / "nhs-suite-gaps.md").read_text(encoding="utf-8")
    total = re.search(r"^\| \*\*all\*\* \| (\d+) \|$", gaps, re.M)
    assert total and int(total.group(1)) == sum(r["status"] == nc.NOT_COVERED for r in rows)
    with_gaps = {(r["nhs_feature"].removesuffix(".feature"), r["nhs_scenario"]) for r in rows
                 if r["status"] == nc.NOT_COVERED}
    listed = {(m.group(1), re.sub(r" \(\d+ rows\)$", "", m.group(2)))
              for m in re.finditer(r"^- (\w+): (.+)$", gaps, re.M)}
    assert listed == with_gaps
