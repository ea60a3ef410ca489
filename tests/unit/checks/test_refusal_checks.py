"""Refusal checks on real Exchanges (httpx.MockTransport): status, Spine code, OperationOutcome."""

import re

import pytest

from harness.checks.refusals import (
    code_rule,
    outcome_violations,
    refusal_rule,
    refusal_violations,
)
from harness.settings import PROJECT_ROOT
from harness.spec import interactions
from harness.spec.constants import SPINE_CODE_SYSTEM
from harness.spec.requirements import REFUSAL, SPINE_CODE, STATUS_CODE, catalogue, requirements_of_kind

OO_PROFILE = "https://fhir.nhs.uk/STU3/StructureDefinition/GPConnect-OperationOutcome-1"


def outcome(code="INVALID_PARAMETER", system=SPINE_CODE_SYSTEM):
    coding = [{"system": system, "code": code, "display": "Some display"}] if code else []
    return {"resourceType": "OperationOutcome", "meta": {"profile": [OO_PROFILE]},
            "issue": [{"severity": "error", "code": "invalid", "details": {"coding": coding},
                       "diagnostics": "what was wrong"}]}


def search(exchange_of, status, body, headers=None):
    return exchange_of(status, body, headers, interaction=interactions.SEARCH_SLOTS, path="Slot",
                       params=[("start", "ge2026-12-01")])


def only(violations):
    assert len(violations) == 1, violations
    return violations[0].message, violations[0].requirements


def test_a_refusal_as_required_passes(exchange_of):
    assert refusal_violations(search(exchange_of, 422, outcome()), "SLOT-PARAM-01", 422, "INVALID_PARAMETER") == []
    assert refusal_violations(search(exchange_of, 400, outcome("BAD_REQUEST")), "SLOT-PARAM-04") == []


@pytest.mark.parametrize("status,body,headers,expected", [
    (200, {"resourceType": "Bundle", "type": "searchset"}, None,
     ("expected 422 INVALID_PARAMETER, got HTTP 200", ("SLOT-PARAM-01",))),
    (400, outcome("BAD_REQUEST"), None, ("expected HTTP 422, got 400", ("SLOT-PARAM-01-CODE",))),
    (422, outcome("BAD_REQUEST"), None,
     ("expected Spine code INVALID_PARAMETER, got BAD_REQUEST", ("SLOT-PARAM-01-CODE",))),
    (422, "Invalid parameter", {"Content-Type": "text/plain"},
     ("HTTP 422 refusal carries no OperationOutcome: HTTP 422 response is text/plain, not application/fhir+json; "
      "starts 'Invalid parameter'", ("ERR-OO-01",))),
    (422, {"resourceType": "Bundle", "type": "searchset"}, None,
     ("HTTP 422 refusal carries no OperationOutcome: expected a OperationOutcome, got a Bundle", ("ERR-OO-01",))),
    (422, outcome(code=None), None, ("OperationOutcome has no Spine code in issue.details.coding", ("ERR-OO-02",))),
    (422, outcome(system="https://fhir.nhs.uk/STU3/ValueSet/Spine-ErrorOrWarningCode-1"), None,
     ("OperationOutcome coding system is 'https://fhir.nhs.uk/STU3/ValueSet/Spine-ErrorOrWarningCode-1', expected "
      f"'{SPINE_CODE_SYSTEM}'", ("ERR-OO-02",))),
])
def test_each_way_a_refusal_can_be_wrong_is_named(exchange_of, status, body, headers, expected):
    found = refusal_violations(search(exchange_of, status, body, headers), "SLOT-PARAM-01", 422, "INVALID_PARAMETER")
    assert only(found) == expected


def _changed(change):
    body = outcome()
    change(body)
    return body


@pytest.mark.parametrize("change,expected", [
    (lambda b: b["issue"][0].update(severity="warning"),
     [("OperationOutcome.issue[0].severity is 'warning', expected 'error'", ("ERR-OO-03",))]),
    (lambda b: b["issue"][0]["details"]["coding"].append({"system": SPINE_CODE_SYSTEM, "code": "BAD_REQUEST",
                                                          "display": "Bad request"}),
     [("OperationOutcome.issue[0].details has 2 codings, expected exactly one", ("ERR-OO-02",))]),
    (lambda b: b["issue"][0]["details"]["coding"][0].pop("display"),
     [("OperationOutcome.issue[0] Spine code INVALID_PARAMETER has no display", ("ERR-OO-02",))]),
    (lambda b: b.pop("meta"),
     [(f"OperationOutcome meta.profile does not name {OO_PROFILE}: got none", ("ERR-OO-04",))]),
    (lambda b: b["meta"].update(profile=["https://example.org/OtherOutcome"]),
     [(f"OperationOutcome meta.profile does not name {OO_PROFILE}: got https://example.org/OtherOutcome",
       ("ERR-OO-04",))]),
])
def test_each_way_an_outcome_can_miss_its_profile_is_named(exchange_of, change, expected):
    found = refusal_violations(search(exchange_of, 422, _changed(change)), "SLOT-PARAM-01", 422, "INVALID_PARAMETER")
    assert [(v.message, v.requirements) for v in found] == expected


def test_an_issue_without_a_type_is_named_by_the_rule_on_every_refusal():
    body = _changed(lambda b: b["issue"][0].pop("code"))
    assert [(v.message, v.requirements) for v in outcome_violations(body)] == [
        ("OperationOutcome.issue[0] has no issue type in code", ("ERR-OO-03",))]


def test_a_422_without_diagnostics_is_named_and_other_refusals_need_none(exchange_of):
    body = _changed(lambda b: b["issue"][0].pop("diagnostics"))
    found = refusal_violations(search(exchange_of, 422, body), "SLOT-PARAM-01", 422, "INVALID_PARAMETER")
    assert [(v.message, v.requirements) for v in found] == [("HTTP 422 OperationOutcome has no diagnostics",
                                                              ("ERR-OO-05",))]
    assert refusal_violations(search(exchange_of, 400, body), "FND-HDR-01", 400, "INVALID_PARAMETER") == []


def test_another_profile_beside_the_outcome_profile_is_accepted(exchange_of):
    body = _changed(lambda b: b["meta"]["profile"].append("https://example.org/LocalOutcome"))
    assert refusal_violations(search(exchange_of, 422, body), "SLOT-PARAM-01", 422, "INVALID_PARAMETER") == []


def test_a_wrong_status_does_not_hide_a_binding_body_failure(exchange_of):
    body = _changed(lambda b: b["issue"][0].update(severity="information"))
    found = refusal_violations(search(exchange_of, 400, body), "SLOT-PARAM-01", 422, "INVALID_PARAMETER")
    assert [v.requirements for v in found] == [("SLOT-PARAM-01-CODE",), ("ERR-OO-03",)]


def test_a_rule_without_an_nhs_code_row_keeps_its_own_code_failure(exchange_of):
    found = refusal_violations(search(exchange_of, 400, outcome("BAD_REQUEST")), "RETR-PARAM-01", 422,
                               "INVALID_PARAMETER")
    assert only(found) == ("expected HTTP 422, got 400", ("RETR-PARAM-01",))


def test_every_nhs_code_row_is_an_nhs_expectation_beside_a_binding_refusal_rule():
    code_rows = requirements_of_kind(STATUS_CODE) | requirements_of_kind(SPINE_CODE)
    assert len(code_rows) == 8
    for code_row in code_rows:
        rule, = catalogue()[code_row].expectation_of
        assert catalogue()[code_row].level == "NHS expectation" and catalogue()[rule].level == "SHALL"
        assert rule in requirements_of_kind(REFUSAL)


def test_a_wrong_code_misses_the_nhs_expectation_and_a_wrong_status_only_where_nhs_names_the_status():
    assert code_rule("SLOT-PARAM-01") == code_rule("SLOT-PARAM-01", spine_code=True) == ("SLOT-PARAM-01-CODE",)
    assert code_rule(("CANCEL-ETAG-01", "RETR-PARAM-01")) == ("CANCEL-ETAG-01", "RETR-PARAM-01")
    assert code_rule(("CANCEL-ETAG-01", "RETR-PARAM-01"), spine_code=True) == ("CANCEL-ETAG-01-CODE", "RETR-PARAM-01")


def test_a_wrong_status_breaks_the_rule_and_a_wrong_code_only_the_nhs_expectation_where_the_spec_names_the_status(
        exchange_of):
    stale = exchange_of(409, outcome("CONFLICTING_VALUES"), interaction=interactions.CANCEL_APPOINTMENT,
                        path="Appointment/1")
    assert only(refusal_violations(stale, "CANCEL-ETAG-01", 409, "FHIR_CONSTRAINT_VIOLATION")) == (
        "expected Spine code FHIR_CONSTRAINT_VIOLATION, got CONFLICTING_VALUES", ("CANCEL-ETAG-01-CODE",))
    wrong = exchange_of(400, outcome("BAD_REQUEST"), interaction=interactions.CANCEL_APPOINTMENT, path="Appointment/1")
    assert only(refusal_violations(wrong, "CANCEL-ETAG-01", 409, "FHIR_CONSTRAINT_VIOLATION")) == (
        "expected HTTP 409, got 400", ("CANCEL-ETAG-01",))


def test_an_empty_refusal_is_accepted_only_where_the_body_is_optional(exchange_of):
    empty = exchange_of(415, "", headers={"Cache-Control": "no-store"})
    assert refusal_violations(empty, "FND-FMT-02", 415, body_optional=True) == []
    message, rules = only(refusal_violations(empty, "FND-FMT-02", 415))
    assert message.startswith("HTTP 415 refusal carries no OperationOutcome: HTTP 415 response is without a "
                              "Content-Type") and rules == ("ERR-OO-01",)


def test_the_refusal_rule_is_taken_from_the_scenario_tags():
    assert refusal_rule(["BOOK-NOREASON-01", "BOOK-ATOMIC-01", "ERR-OO-01"]) == ("BOOK-NOREASON-01",)
    assert refusal_rule(["FND-HDR-01", "ERR-OO-01", "ERR-OO-02"]) == ("FND-HDR-01",)
    assert refusal_rule(["SLOT-PARAM-01", "SLOT-PARAM-01-CODE", "ERR-OO-01"]) == ("SLOT-PARAM-01",)
    assert refusal_rule(["BOOK-RACE-01", "ERR-OO-01"]) == ("BOOK-RACE-01",)
    assert refusal_rule(["CANCEL-ETAG-01-CODE", "BOOK-RACE-01", "ERR-OO-02"]) == ("BOOK-RACE-01",)


def _scenarios():
    """(tags, steps) of every scenario in features/, tags including the feature's."""
    for path in sorted((PROJECT_ROOT / "features").glob("*.feature")):
        tags, steps, current = [], [], None
        for line in path.read_text().splitlines():
            text = line.strip()
            if text.startswith("@"):
                tags += re.findall(r"@req:(\S+)", text)
            elif text.startswith(("Scenario", "Rule:")):
                if current:
                    yield current
                current, tags = (tuple(tags), steps := []), []
            elif current and text.split(" ", 1)[0] in ("Given", "When", "Then", "And", "But"):
                steps.append(text)
        if current:
            yield current


def test_every_refusal_scenario_names_the_refusal_rule_it_checks():
    refusing = [(tags, steps) for tags, steps in _scenarios() if any("refuse" in s for s in steps)]
    assert len(refusing) > 20
    assert [tags for tags, _ in refusing
            if not set(tags) & requirements_of_kind(REFUSAL) and "BOOK-RACE-01" not in tags] == []


def test_a_status_without_a_code_is_asked_for_as_an_http_status(exchange_of):
    found = refusal_violations(exchange_of(200, {"resourceType": "Appointment", "id": "1"}), "READ-404-01", 404)
    assert only(found) == ("expected HTTP 404, got HTTP 200", ("READ-404-01",))
