"""Refusal checks on real Exchanges (httpx.MockTransport): status, Spine code, OperationOutcome."""

import re

import pytest

from harness import interactions
from harness.gpconnect import SPINE_CODE_SYSTEM
from harness.refusals import REFUSAL_RULES, refusal_rule, refusal_violations
from harness.requirements import catalogue
from harness.settings import PROJECT_ROOT


def outcome(code="INVALID_PARAMETER", system=SPINE_CODE_SYSTEM):
    coding = [{"system": system, "code": code}] if code else []
    return {"resourceType": "OperationOutcome",
            "issue": [{"severity": "error", "code": "invalid", "details": {"coding": coding}}]}


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
    (400, outcome("BAD_REQUEST"), None, ("expected HTTP 422, got 400", ("SLOT-PARAM-01",))),
    (422, outcome("BAD_REQUEST"), None, ("expected Spine code INVALID_PARAMETER, got BAD_REQUEST", ("SLOT-PARAM-01",))),
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


def test_an_empty_refusal_is_accepted_only_where_the_body_is_optional(exchange_of):
    empty = exchange_of(415, "", headers={"Cache-Control": "no-store"})
    assert refusal_violations(empty, "FND-FMT-02", 415, body_optional=True) == []
    message, rules = only(refusal_violations(empty, "FND-FMT-02", 415))
    assert message.startswith("HTTP 415 refusal carries no OperationOutcome: HTTP 415 response is without a "
                              "Content-Type") and rules == ("ERR-OO-01",)


def test_the_refusal_rule_is_taken_from_the_scenario_tags():
    assert refusal_rule(["BOOK-NOREASON-01", "BOOK-ATOMIC-01", "ERR-OO-01"]) == ("BOOK-NOREASON-01",)
    assert refusal_rule(["FND-HDR-01", "ERR-OO-01", "ERR-OO-02"]) == ("FND-HDR-01",)
    assert refusal_rule(["BOOK-RACE-01", "ERR-OO-01"]) == ("BOOK-RACE-01",)
    assert REFUSAL_RULES <= set(catalogue())


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
    assert [tags for tags, _ in refusing if not set(tags) & REFUSAL_RULES and "BOOK-RACE-01" not in tags] == []


def test_a_status_without_a_code_is_asked_for_as_an_http_status(exchange_of):
    found = refusal_violations(exchange_of(200, {"resourceType": "Appointment", "id": "1"}), "READ-404-01", 404)
    assert only(found) == ("expected HTTP 404, got HTTP 200", ("READ-404-01",))
