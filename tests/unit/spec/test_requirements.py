"""The requirement catalogue and the @req tags that point into it."""

import importlib.util
import re

import pytest

from harness.settings import PROJECT_ROOT
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
