"""The violation-to-failure helper: one format, the requirement ids carried on the exception."""

import re

import pytest

from harness.checks.violations import (
    Violation,
    breaking,
    bundle_type_violations,
    fail_if_any,
    failure,
    media_type_violations,
    parsed,
    status_violations,
    success_violations,
    violation,
)
from harness.errors import Nonconformance
from harness.spec import interactions
from harness.spec.requirements import catalogue


def slot_without_type(sid, rule="SLOT-TYPE-01"):
    return violation(rule, f"Slot {sid}", "Slot.serviceType[*].text", "a slot type", "empty",
                     f"Slot {sid} has no slot type: Slot.serviceType[*].text is empty")


def test_no_violation_is_no_failure():
    fail_if_any([], "GET .../Slot")


def test_one_violation_names_its_requirement_message_and_request():
    with pytest.raises(Nonconformance) as exc:
        fail_if_any([slot_without_type("336")], "GET .../Slot?start=ge2026-12-01")
    assert str(exc.value) == ("1 violation of SLOT-TYPE-01: Slot 336 has no slot type: Slot.serviceType[*].text is "
                              "empty (GET .../Slot?start=ge2026-12-01)")
    assert exc.value.requirements == ("SLOT-TYPE-01",)


def test_many_violations_show_the_first_five_and_count_the_rest():
    found = [slot_without_type(str(i)) for i in range(1, 8)]
    message = str(failure(found, "GET .../Slot"))
    assert message.startswith("7 violations of SLOT-TYPE-01: Slot 1 has no slot type")
    assert "Slot 5 has no slot type" in message and "Slot 6" not in message
    assert message.endswith("; and 2 more (GET .../Slot)")


def test_every_requirement_broken_is_carried_once_in_order():
    found = [slot_without_type("1"), slot_without_type("2", "SLOT-FREE-01"), slot_without_type("3")]
    exc = failure(found, "GET .../Slot")
    assert exc.requirements == ("SLOT-TYPE-01", "SLOT-FREE-01")
    assert str(exc).startswith("3 violations of SLOT-TYPE-01, SLOT-FREE-01: ")


def test_a_violation_must_name_a_requirement():
    with pytest.raises(ValueError, match="must name the requirement"):
        violation((), "Slot 1", "Slot.status", "free", "busy", "Slot 1 has status 'busy'")
    v = violation("SLOT-FREE-01", "Slot 1", "Slot.status", "free", "busy", "Slot 1 has status 'busy'")
    assert isinstance(v, Violation) and v.requirements == ("SLOT-FREE-01",) and v.got == "busy"


def test_prefixed_keeps_everything_but_the_message():
    v = slot_without_type("1").prefixed("without Ssp-TraceID")
    assert v.message.startswith("without Ssp-TraceID: Slot 1 has no slot type")
    assert (v.requirements, v.resource, v.element) == (("SLOT-TYPE-01",), "Slot 1", "Slot.serviceType[*].text")


def test_a_body_that_does_not_parse_breaks_the_given_requirement():
    with pytest.raises(Nonconformance) as exc, breaking("BOOK-01"):
        raise Nonconformance("response body is not valid JSON (GET ...)")
    assert exc.value.requirements == ("BOOK-01",) and str(exc.value) == "response body is not valid JSON (GET ...)"
    with pytest.raises(Nonconformance) as named, breaking("BOOK-01"):
        raise Nonconformance("already named", requirements=["FND-PROFILE-01"])
    assert named.value.requirements == ("FND-PROFILE-01",)


def test_status_success_and_bundle_type(exchange_of):
    refused = exchange_of(500, {"resourceType": "OperationOutcome"}, interaction=interactions.SEARCH_SLOTS, path="Slot")
    v, = status_violations(refused, 200, interactions.SEARCH_SLOTS.requirement)
    assert (v.message, v.requirements) == ("search for free slots: expected HTTP 200, got 500", ("SLOT-SEARCH-01",))
    assert status_violations(exchange_of(200, {}), 200, "READ-TYPE-01") == []
    assert success_violations(exchange_of(204), "FND-PARAM-01") == []
    assert success_violations(refused, "FND-PARAM-01")[0].message == \
        "search for free slots: expected success (2xx), got HTTP 500"
    assert bundle_type_violations("searchset", "searchset", "slot search", "SLOT-SEARCH-01") == []
    assert bundle_type_violations("collection", "searchset", "slot search", "SLOT-SEARCH-01")[0].message == \
        "slot search: expected Bundle.type 'searchset', got 'collection'"


def test_a_body_not_labelled_fhir_json_breaks_fnd_fmt_01(exchange_of):
    assert media_type_violations(exchange_of(200, {}, {"Content-Type": "application/fhir+json"})) == []
    v, = media_type_violations(exchange_of(200, '{"resourceType": "Bundle"}', {"Content-Type": "application/json"}))
    assert v.message == ("HTTP 200 response is application/json, not application/fhir+json; starts "
                         "'{\"resourceType\": \"Bundle\"}'")
    assert v.requirements == ("FND-FMT-01",)
    with pytest.raises(Nonconformance) as exc:
        parsed(exchange_of(200, {"resourceType": "Appointment", "id": "1"}), "Bundle", "RETR-BOOKED-01")
    assert str(exc.value) == "expected a Bundle, got a Appointment (GET .../Appointment/52)"
    assert exc.value.requirements == ("RETR-BOOKED-01",)


REQ_ID = re.compile(r"""["']([A-Z]+(?:-[A-Z]+)*-\d\d)["']""")


def test_every_requirement_the_harness_and_steps_name_is_in_the_catalogue():
    from harness.settings import PROJECT_ROOT

    sources = [*(PROJECT_ROOT / "harness").rglob("*.py"), *(PROJECT_ROOT / "steps").rglob("*.py")]
    named = {m for path in sources for m in REQ_ID.findall(path.read_text())}
    named |= {i.requirement for i in interactions.ALL}
    assert len(named) > 50
    assert sorted(named - set(catalogue())) == []
