"""The requirement catalogue and the @req tags that point into it."""

import importlib.util
import re

import pytest

from harness.settings import PROJECT_ROOT
from harness.spec import interactions, requirements
from harness.spec.requirements import catalogue

USE_CASES = {"search_for_free_slots", "book_an_appointment", "retrieve_a_patients_appointments",
             "read_an_appointment", "amend_an_appointment", "cancel_an_appointment"}


def tagged() -> dict[str, set[str]]:
    """Requirement id -> feature files whose scenarios carry its tag."""
    found: dict[str, set[str]] = {}
    for feature in (PROJECT_ROOT / "features").glob("*.feature"):
        for req in re.findall(r"@req:([A-Z0-9-]+)", feature.read_text()):
            found.setdefault(req, set()).add(feature.name)
    return found


def test_every_tag_names_a_catalogued_requirement():
    assert set(tagged()) - set(catalogue()) == set()


def test_every_shall_of_the_six_use_cases_has_a_scenario_or_a_reason():
    missing = [r.id for r in catalogue().values()
               if r.use_case in USE_CASES and r.level == "SHALL" and r.id not in tagged() and not r.not_tested_reason]
    assert missing == []


def test_every_requirement_has_a_scenario_or_a_reason_but_not_both():
    rows = catalogue().values()
    assert [r.id for r in rows if r.id not in tagged() and not r.not_tested_reason] == []
    assert [r.id for r in rows if r.id in tagged() and r.not_tested_reason] == []


def test_catalogue_rows_are_well_formed():
    for r in catalogue().values():
        assert re.fullmatch(r"[A-Z]+(-[A-Z0-9]+)+", r.id), r.id
        assert r.level in ("SHALL", "SHOULD", "SHOULD NOT", "MAY", "NHS expectation"), r.id
        assert r.use_case in USE_CASES | {"foundations"}, r.id
        assert r.spec_page.startswith("pages/") and r.spec_page.endswith(".md"), r.id
        assert r.change in ("", "1.2.7"), r.id
        assert r.text and "\n" not in r.text


def test_every_spec_page_exists_in_the_spec_copy():
    spec = PROJECT_ROOT.parent / "shared" / "reference" / "gpconnect-1.2.7" / "spec-1.2.7"
    if not spec.exists():
        pytest.skip("not assured: the shared spec copy is not beside this checkout")
    missing = {r.spec_page for r in catalogue().values() if not (spec / r.spec_page).exists()}
    assert missing == set()


def test_the_1_2_7_changes_are_all_catalogued():
    changes = {r.id for r in catalogue().values() if r.change}
    for wanted in ("SLOT-TYPE-01", "SLOT-SCHEDTYPE-01", "BOOK-TYPE-01", "BOOK-SCHEDTYPE-01", "BOOK-MULTI-TYPE-01",
                   "RETR-TYPE-01", "READ-TYPE-01", "AMEND-01", "CANCEL-01", "FND-CAP-01"):
        assert wanted in changes


def _root_conftest():
    spec = importlib.util.spec_from_file_location("root_conftest_under_test", PROJECT_ROOT / "conftest.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_an_unknown_requirement_tag_fails_collection():
    def scenario():
        pass

    with pytest.raises(pytest.UsageError, match=r"@req:NOPE-99 on scenario is not in spec/requirements.csv"):
        _root_conftest().pytest_bdd_apply_tag("req:NOPE-99", scenario)


def test_a_known_tag_becomes_a_req_marker():
    def scenario():
        pass

    assert _root_conftest().pytest_bdd_apply_tag("req:SLOT-TYPE-01", scenario) is True
    assert [m.args for m in scenario.pytestmark if m.name == "req"] == [("SLOT-TYPE-01",)]


# ---------------------------------------------------------------- the relations the catalogue states

# What the catalogue's kind, interaction and expectation_of columns say, as the harness held it before they did.
STATUS_CODE_OF = {
    "SLOT-PARAM-01": "SLOT-PARAM-01-CODE", "SLOT-PARAM-04": "SLOT-PARAM-04-CODE",
    "SLOT-PARAM-03": "SLOT-PARAM-03-CODE", "BOOK-NOREASON-01": "BOOK-NOREASON-01-CODE",
    "BOOK-VALID-01": "BOOK-VALID-01-CODE", "CANCEL-OTHER-01": "CANCEL-OTHER-01-CODE",
    "CANCEL-REASON-01": "CANCEL-REASON-01-CODE",
}
SPINE_CODE_OF = {"CANCEL-ETAG-01": "CANCEL-ETAG-01-CODE"}
REFUSALS = {
    "SLOT-PARAM-01", "SLOT-PARAM-02", "SLOT-PARAM-03", "SLOT-PARAM-04", "SLOT-PARAM-05", "SLOT-PARAM-06",
    "SLOT-PARAM-07",
    "BOOK-MULTI-ADJ-01", "BOOK-MULTI-SCHED-01", "BOOK-MULTI-CHANNEL-01", "BOOK-MULTI-TYPE-01",
    "BOOK-STARTEND-01", "BOOK-DUP-01", "BOOK-NOREASON-01", "BOOK-VALID-01", "BOOK-SLOTREF-01", "BOOK-LOCATION-01",
    "BOOK-URL-01",
    "RETR-PARAM-01", "RETR-404-01", "READ-404-01", "READ-404-02",
    "AMEND-TYPES-01", "AMEND-ETAG-01", "AMEND-CANCELLED-01", "AMEND-OTHER-01",
    "CANCEL-REASON-01", "CANCEL-OTHER-01", "CANCEL-ETAG-01",
    "FND-HDR-01", "FND-HDR-02", "FND-HDR-03", "FND-JWT-01", "FND-JWT-02", "FND-JWT-03", "FND-JWT-04", "FND-JWT-05",
    "FND-FMT-02",
}
SUCCESSES = {"FND-PARAM-01", "FND-FMT-03", "FND-JWT-06"}
TYPES_KEPT = {
    interactions.BOOK_APPOINTMENT.name: ("BOOK-TYPE-01", "BOOK-SCHEDTYPE-01"),
    interactions.READ_APPOINTMENT.name: ("READ-TYPE-01", "READ-TYPE-01"),
    interactions.AMEND_APPOINTMENT.name: ("AMEND-01", "AMEND-01"),
    interactions.CANCEL_APPOINTMENT.name: ("CANCEL-01", "CANCEL-01"),
    interactions.RETRIEVE_APPOINTMENTS.name: ("RETR-TYPE-01", "RETR-TYPE-01"),
}


def test_the_relation_columns_name_catalogued_requirements_and_known_interactions():
    rows = catalogue().values()
    assert [(r.id, sorted(r.kinds)) for r in rows if not r.kinds <= set(requirements.KINDS)] == []
    assert [(r.id, x) for r in rows for x in r.expectation_of if x not in catalogue()] == []
    code_kinds = {requirements.STATUS_CODE, requirements.SPINE_CODE}
    assert [r.id for r in rows if bool(r.expectation_of) != bool(r.kinds & code_kinds)] == []
    assert [r.id for r in rows if len(r.kinds & code_kinds) > 1] == []
    assert [(r.id, r.interaction) for r in rows if r.interaction and r.interaction not in interactions.BY_NAME] == []
    type_kinds = {requirements.SLOT_TYPE, requirements.SCHEDULE_TYPE}
    assert [r.id for r in rows if bool(r.interaction) != bool(r.kinds & type_kinds)] == []


def test_each_appointment_interaction_has_one_slot_type_and_one_schedule_type_requirement():
    assert set(requirements.typed_interactions()) == set(TYPES_KEPT)
    for interaction in requirements.typed_interactions():
        for kind in (requirements.SLOT_TYPE, requirements.SCHEDULE_TYPE):
            assert len([r for r in catalogue().values() if kind in r.kinds and r.interaction == interaction]) == 1
    with pytest.raises(KeyError, match="no slot-type requirement of 'search for free slots'"):
        requirements.type_requirements(interactions.SEARCH_SLOTS.name)


def test_a_requirement_has_at_most_one_code_expectation_of_each_kind():
    for kind in (requirements.STATUS_CODE, requirements.SPINE_CODE):
        named = [x for r in requirements.requirements_of_kind(kind) for x in catalogue()[r].expectation_of]
        assert len(named) == len(set(named)), kind


def test_the_relations_are_those_the_harness_judged_by():
    for rid in catalogue():
        assert requirements.code_expectation(rid) == STATUS_CODE_OF.get(rid), rid
        assert requirements.code_expectation(rid, spine=True) == {**STATUS_CODE_OF, **SPINE_CODE_OF}.get(rid), rid
    assert requirements.requirements_of_kind(requirements.REFUSAL) == REFUSALS
    assert requirements.requirements_of_kind(requirements.SUCCESS) == SUCCESSES
    assert requirements.requirements_of_kind(requirements.STATUS_CODE) == set(STATUS_CODE_OF.values())
    assert requirements.requirements_of_kind(requirements.SPINE_CODE) == set(SPINE_CODE_OF.values())
    assert {i: tuple(requirements.type_requirements(i)) for i in TYPES_KEPT} == TYPES_KEPT
    assert requirements.requirements_of_kind(requirements.SLOT_TYPE) == {slot for slot, _ in TYPES_KEPT.values()}
