"""The step runner that lets a scenario go on past a failed check, and the evidence a failed step carries."""

import importlib
import json
from importlib.metadata import version

from harness.checks.violations import violation
from harness.report.allure import INLINE_BODY_CHARS, FailureEvidence, evidence
from harness.spec import interactions
from harness.transport import fhir


def test_pytest_bdd_runs_every_step_through_the_judging_wrapper():
    judging = importlib.import_module("steps.common.judging")
    assert version("pytest-bdd") == "9.0.1", "the wrapper replaces a private function of this release"
    assert importlib.import_module("pytest_bdd.scenario")._execute_step_function is judging._judged_step


def test_a_violations_label_finds_its_resource_whole_in_a_bundle_or_alone():
    bundle = {"resourceType": "Bundle", "entry": [{"resource": {"resourceType": "Schedule", "id": "414"}},
                                                   {"resource": {"resourceType": "Slot", "id": "414", "x": 1}}]}
    assert fhir.find_labelled(bundle, "Slot 414") == {"resourceType": "Slot", "id": "414", "x": 1}
    assert fhir.find_labelled({"resourceType": "Appointment", "id": "52"}, "Appointment 52")["id"] == "52"
    for label in ("response", "Bundle", "Slot 999", "2 Schedules", "Bundle entry 3"):
        assert fhir.find_labelled(bundle, label) is None, label


def test_a_failed_step_carries_the_offender_the_request_and_a_large_answer_whole_once(exchange_of, tmp_path):
    slots = [{"resourceType": "Slot", "id": str(i), "comment": "x" * 100} for i in range(200)]
    body = {"resourceType": "Bundle", "type": "searchset", "entry": [{"resource": s} for s in slots]}
    exchange = exchange_of(200, body, interaction=interactions.SEARCH_SLOTS, path="Slot")
    assert len(exchange.response_text) > INLINE_BODY_CHARS
    found = [violation("SLOT-TYPE-01", "Slot 7", "Slot.serviceType", "a slot type", "none", "Slot 7 has none")]
    shown = FailureEvidence()
    first = dict(shown.of(exchange, found, tmp_path))
    assert json.loads(first["Slot 7 as returned"])["id"] == "7"
    request = next(v for k, v in first.items() if k.startswith("Request that showed it: GET "))
    assert "the whole answer" in request and "is attached below" in request
    assert first[f"Whole answer, {len(exchange.response_text):,} characters, as received"] == exchange.response_text
    again = dict(shown.of(exchange, found, tmp_path))
    assert not any(k.startswith("Whole answer") for k in again), "a large answer is attached whole once"
    assert any("attached to the first failing step" in v for v in again.values())


def test_a_small_answer_is_shown_as_its_own_step_shows_it(exchange_of, tmp_path):
    body = {"resourceType": "Appointment", "id": "52"}
    exchange = exchange_of(200, body)
    found = [violation("APPT-ID-01", "Appointment 52", "Appointment.id", "x", "y", "Appointment 52 is wrong")]
    shown = dict(FailureEvidence().of(exchange, found, tmp_path))
    assert json.loads(shown["Appointment 52 as returned"]) == body
    assert shown["Request that showed it: GET .../Appointment/52"] == evidence(exchange, tmp_path)
    assert not list(tmp_path.iterdir()), "a small answer is not stored outside the report"
