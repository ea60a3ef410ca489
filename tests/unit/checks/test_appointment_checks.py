"""Checks on booked, read, amended, cancelled and retrieved appointments, on plain dicts."""

from datetime import datetime, timedelta

import pytest

from harness.checks import appointments as appt_checks
from harness.checks import bookings as booking_checks
from harness.checks import retrieved as retrieve_checks
from harness.consumer import appointments as appts
from harness.consumer import discovery
from harness.spec import interactions
from harness.spec.constants import BOOKING_ORG_URL, CANCELLATION_REASON_URL, ODS_SYSTEM, UK
from harness.spec.requirements import type_requirements

T0 = datetime(2026, 12, 1, 10, 0, tzinfo=UK)


def searchset(*slot_specs, schedule_type="Morning surgery"):
    """A Bundle of one Schedule (with a Location) and slots (id, minutes from T0, length, slot type)."""
    schedule = {"resourceType": "Schedule", "id": "s-1", "actor": [{"reference": "Location/loc-1"}]}
    if schedule_type:
        schedule["serviceCategory"] = {"text": schedule_type}
    entries = [schedule]
    for sid, offset, length, slot_type in slot_specs:
        start = T0 + timedelta(minutes=offset)
        entries.append({"resourceType": "Slot", "id": sid, "status": "free", "schedule": {"reference": "Schedule/s-1"},
                        "serviceType": [{"text": slot_type}], "start": start.isoformat(),
                        "end": (start + timedelta(minutes=length)).isoformat()})
    return {"resourceType": "Bundle", "type": "searchset", "entry": [{"resource": r} for r in entries]}


SLOTS = discovery.free_slots(searchset(("1", 0, 10, "GP Appointment"), ("2", 10, 10, "GP Appointment")))


def appointment(**changes):
    body = {"resourceType": "Appointment", "id": "52", "meta": {"versionId": "3"}, "status": "booked",
            "serviceType": [{"text": "GP Appointment"}], "serviceCategory": {"text": "Morning surgery"},
            "start": SLOTS[0].raw["start"], "end": SLOTS[1].raw["end"],
            "slot": [{"reference": "Slot/1"}, {"reference": "Slot/2"}],
            "participant": [{"actor": {"reference": "Patient/1"}, "status": "accepted"}],
            "description": "gpc-1 assurance booking", "comment": "Booked by the harness",
            "contained": [{"resourceType": "Organization", "id": "1", "name": "Consumer",
                           "identifier": [{"system": ODS_SYSTEM, "value": "A1"}]}],
            "extension": [{"url": BOOKING_ORG_URL, "valueReference": {"reference": "#1"}}]}
    body.update(changes)
    return {key: value for key, value in body.items() if value is not None}  # None removes the key


def messages(violations):
    return [v.message for v in violations]


def rules(violations):
    return sorted({r for v in violations for r in v.requirements})


BOOK_RULES = type_requirements(interactions.BOOK_APPOINTMENT.name)


def test_an_appointment_with_its_slots_types_passes():
    assert appt_checks.type_violations(appointment(), "GP Appointment", "Morning surgery", BOOK_RULES) == []


@pytest.mark.parametrize("changes,expected,rule", [
    ({"serviceType": None}, "Appointment 52 has no slot type: Appointment.serviceType[*].text is empty",
     "BOOK-TYPE-01"),
    ({"serviceType": [{"text": "Nurse Appointment"}]},
     "Appointment 52 slot type differs from its booked slot's: expected 'GP Appointment', got 'Nurse Appointment'",
     "BOOK-TYPE-01"),
    ({"serviceCategory": None}, "Appointment 52 schedule type differs from its schedule's: expected 'Morning "
     "surgery', got none (Appointment.serviceCategory.text is empty)", "BOOK-SCHEDTYPE-01"),
    ({"serviceCategory": {"text": "Evening"}}, "Appointment 52 schedule type differs from its schedule's: "
     "expected 'Morning surgery', got 'Evening'", "BOOK-SCHEDTYPE-01"),
])
def test_each_type_difference_is_named_with_its_requirement(changes, expected, rule):
    found = appt_checks.type_violations(appointment(**changes), "GP Appointment", "Morning surgery", BOOK_RULES)
    assert messages(found) == [expected] and rules(found) == [rule]


def test_the_interaction_decides_the_requirement_of_kept_types():
    found = appt_checks.type_violations(appointment(serviceType=None), "GP Appointment", None,
                                        type_requirements(interactions.READ_APPOINTMENT.name))
    assert rules(found) == ["READ-TYPE-01"]


def test_an_appointment_without_a_slot_type_breaks_the_requirement_it_is_checked_for():
    assert appt_checks.slot_type_violations(appointment(), "AMEND-01") == []
    for blank in (None, [], [{"text": " "}], [{"coding": []}]):
        found = appt_checks.slot_type_violations(appointment(serviceType=blank), "AMEND-01")
        assert messages(found) == ["Appointment 52 has no slot type: Appointment.serviceType[*].text is empty"]
        assert rules(found) == ["AMEND-01"]


def test_no_schedule_type_expected_means_none_is_judged():
    assert appt_checks.type_violations(appointment(serviceCategory=None), "GP Appointment", None, BOOK_RULES) == []


def test_text_and_booking_organisation_come_back_as_sent():
    sent = appointment()
    assert booking_checks.as_sent_violations(appointment(), sent) == []
    cut = booking_checks.as_sent_violations(appointment(comment="Booked by"), sent)
    assert messages(cut) == ["Appointment 52 comment is 'Booked by', sent 'Booked by the harness'"]
    assert rules(cut) == ["BOOK-TEXT-01"]
    dropped = booking_checks.as_sent_violations(appointment(extension=None), sent)
    assert messages(dropped) == ["Appointment 52 has no booking organisation "
                                 "(Extension-GPConnect-BookingOrganisation-1 "
                                 "to a contained Organization)"]
    assert rules(dropped) == ["BOOK-ORG-01"]
    renamed = appointment()
    renamed["contained"][0]["name"] = "Other"
    assert messages(booking_checks.as_sent_violations(renamed, sent)) == [
        "Appointment 52 booking organisation name is 'Other', sent 'Consumer'"]


def test_slots_listed_and_spanned():
    assert booking_checks.slot_violations(appointment(), SLOTS) == []
    first_only = booking_checks.slot_violations(appointment(slot=[{"reference": "Slot/1"}]), SLOTS)
    assert messages(first_only) == ["Appointment 52 lists slots ['1'], expected ['1', '2']"]
    assert rules(first_only) == ["BOOK-MULTI-01"]
    short = booking_checks.slot_violations(appointment(end=SLOTS[0].raw["end"]), SLOTS)
    assert messages(short) == ["Appointment 52 runs 2026-12-01T10:00:00+00:00 to 2026-12-01T10:10:00+00:00, expected "
                               "2026-12-01T10:00:00+00:00 to 2026-12-01T10:20:00+00:00"]
    single = booking_checks.slot_violations(appointment(start=None), SLOTS[:1])
    assert messages(single)[-1] == "Appointment 52 has no valid start and end" and rules(single) == ["BOOK-01"]


def test_etag_is_the_weak_version(exchange_of):
    assert appt_checks.etag_violations(exchange_of(200, {}, headers={"ETag": 'W/"3"'}), appointment(),
                                       "READ-ETAG-01") == []
    stale = appt_checks.etag_violations(exchange_of(200, {}, headers={"ETag": 'W/"2"'}), appointment(), "READ-ETAG-01")
    assert messages(stale) == ["Appointment 52 ETag is 'W/\"2\"', expected 'W/\"3\"' from meta.versionId"]
    assert rules(stale) == ["READ-ETAG-01"]
    unversioned = appt_checks.etag_violations(exchange_of(200, {}), appointment(meta={}), "FND-ETAG-01")
    assert messages(unversioned) == ["Appointment 52 has no meta.versionId"] and rules(unversioned) == ["FND-ETAG-01"]
    held = appt_checks.etag_violations(exchange_of(200, {}, headers={"ETag": 'W/"3"'}), appointment(),
                                       "READ-ETAG-01", held="4", last_seen="amended (version 4)")
    assert messages(held) == ["Appointment 52 is read at version '3', but this run last saw it amended (version 4)"]


def test_retrieved_appointments_are_the_patients_and_within_the_dates_asked():
    asked = retrieve_checks.retrieve_asked("https://p/root/Patient/1/Appointment?start=ge2026-12-01&start=le2026-12-07")
    assert asked == ("1", T0.date(), (T0 + timedelta(days=6)).date())
    assert retrieve_checks.retrieve_asked("https://p/Patient/1/Appointment?start=ge2026-12-01") is None
    assert retrieve_checks.retrieved_dates_violations([appointment()], *asked) == []
    late = retrieve_checks.retrieved_dates_violations([appointment()], "1", T0.date() + timedelta(days=1),
                                                  T0.date() + timedelta(days=7))
    assert messages(late) == ["Appointment 52 starts 2026-12-01T10:00:00+00:00, outside the dates asked "
                              "(2026-12-02 to 2026-12-08)"] and rules(late) == ["RETR-DATES-01"]
    other = retrieve_checks.retrieved_dates_violations([appointment()], "2", *asked[1:])
    assert messages(other) == ["Appointment 52 is for Patient/1, not Patient/2 whose appointments were asked for"]


def test_new_version_fields_and_cancellation_reason():
    assert messages(appt_checks.new_version_violations(appointment(), "3", "an amendment", "AMEND-01")) == [
        "Appointment 52 kept versionId 3 after an amendment"]
    assert appt_checks.new_version_violations(appointment(), "2", "an amendment", "AMEND-01") == []
    assert messages(appt_checks.field_violations(appointment(), {"status": "cancelled"}, "CANCEL-01")) == [
        "Appointment 52 status is 'booked', expected 'cancelled'"]
    assert messages(appt_checks.cancellation_reason_violations(appointment(), "Not needed")) == [
        "Appointment 52 cancellation reason is missing, expected ['Not needed'] or a prefix of it"]
    kept = appointment(extension=[{"url": CANCELLATION_REASON_URL, "valueString": "Not needed"}])
    assert appt_checks.cancellation_reason_violations(kept, "Not needed") == []
    # The cancel page lets a provider truncate the reason when stored; anything else is a violation.
    cut = appointment(extension=[{"url": CANCELLATION_REASON_URL, "valueString": "Not ne"}])
    assert appt_checks.cancellation_reason_violations(cut, "Not needed") == []
    for other in ("Not needed!", "needed", ""):
        changed = appointment(extension=[{"url": CANCELLATION_REASON_URL, "valueString": other}])
        assert appt_checks.cancellation_reason_violations(changed, "Not needed"), other


def test_read_returns_the_appointment_asked_for():
    assert appt_checks.read_id_violations(appointment(), "52") == []
    assert messages(appt_checks.read_id_violations(appointment(), "51")) == [
        "read of Appointment 51 returned Appointment 52"]


def test_retrieved_appointments_are_found_and_typed_as_declared():
    found = [appointment(), appointment(id="53", serviceType=None, serviceCategory=None)]
    assert messages(retrieve_checks.among_retrieved(found, "54", "RETR-BOOKED-01")) == [
        "Appointment 54 booked by this run is not returned"]
    assert retrieve_checks.among_retrieved(found, "52", "RETR-BOOKED-01") == []
    assert messages(retrieve_checks.retrieved_type_violations(found, "some")) == [
        "Appointment 53 has no slot type: Appointment.serviceType[*].text is empty"]
    assert messages(retrieve_checks.retrieved_type_violations(found, "all"))[1] == \
        "Appointment 53 has no schedule type: Appointment.serviceCategory.text is empty"
    none = retrieve_checks.retrieved_type_violations(found, "none")
    assert messages(none)[1] == ("Appointment 52 has schedule type 'Morning surgery' though this practice has none "
                                 "configured (GPC_SCHEDULE_TYPES=none)")
    assert rules(none) == ["RETR-TYPE-01"]


def test_a_refused_request_leaves_the_appointment_unchanged():
    before = appointment(extension=[{"url": "a"}, {"url": "b"}])
    assert appt_checks.unchanged_violations(before, appointment(extension=[{"url": "b"}, {"url": "a"}]),
                                            ["CANCEL-REASON-01"]) == []
    after = appointment(status="cancelled", meta={"versionId": "4"}, extension=[{"url": "a"}, {"url": "b"}])
    found = appt_checks.unchanged_violations(before, after, ["CANCEL-REASON-01"])
    assert messages(found) == ["Appointment 52 is at version '4' after a refused request; it was at '3'",
                               "Appointment 52 status changed by a refused request: was 'booked', now 'cancelled'"]
    assert rules(found) == ["CANCEL-REASON-01"]


def test_a_refused_booking_books_nothing():
    offered = {s.key for s in SLOTS}
    check = booking_checks.refused_booking_violations
    assert check(SLOTS, "gpc-9", offered, [appointment(slot=[{"reference": "Slot/7"}])]) == []
    found = check(SLOTS, "gpc-9", {SLOTS[1].key}, [appointment(slot=[{"reference": "Slot/1"}])])
    assert messages(found) == [
        "Slot 1 (2026-12-01T10:00:00+00:00 to 2026-12-01T10:10:00+00:00, Schedule s-1) is no longer offered as free "
        "after a refused booking", "Appointment 52 was made by a refused booking (Slot/1)"]
    assert rules(found) == ["BOOK-ATOMIC-01"]
    cancelled = appointment(status="cancelled", description="gpc-9 assurance booking")
    assert check(SLOTS, "gpc-9", offered, [cancelled]) == []
    marked = appointment(slot=[], description="gpc-9 assurance booking")
    assert messages(check(SLOTS, "gpc-9", offered, [marked])) == [
        "Appointment 52 was made by a refused booking (its marker)"]
    # A slot this run's own appointment holds on purpose stays booked by it.
    assert check(SLOTS, "gpc-9", {SLOTS[1].key}, [appointment(slot=[{"reference": "Slot/1"}])], kept={"1"}) == []


def test_created_needs_location_and_etag(exchange_of):
    both = exchange_of(201, {}, headers={"Location": "Appointment/52", "ETag": 'W/"1"'},
                       interaction=interactions.BOOK_APPOINTMENT, path="Appointment")
    assert booking_checks.created_violations(both) == []
    neither = exchange_of(201, {}, headers={}, interaction=interactions.BOOK_APPOINTMENT, path="Appointment")
    found = booking_checks.created_violations(neither)
    assert messages(found) == ["booking answered 201 without Location and ETag header"] and rules(found) == ["BOOK-01"]


def test_of_two_simultaneous_bookings_exactly_one_succeeds(exchange_of):
    def booking(status, body=None):
        ex = exchange_of(status, body or {}, interaction=interactions.BOOK_APPOINTMENT, path="Appointment")
        return appts.Booking(SLOTS[:1], "gpc-1", "9000000009", ex, {})

    both = booking_checks.race_violations([booking(201), booking(201)])
    assert messages(both) == ["2 simultaneous bookings of Slot 1 (2026-12-01T10:00:00+00:00 to "
                              "2026-12-01T10:10:00+00:00, Schedule s-1): expected exactly one to succeed, 2 did "
                              "(HTTP 201 and 201)"]
    assert rules(both) == ["BOOK-RACE-01"]
    conflict = {"resourceType": "OperationOutcome",
                "meta": {"profile": ["https://fhir.nhs.uk/STU3/StructureDefinition/GPConnect-OperationOutcome-1"]},
                "issue": [{"severity": "error", "code": "conflict", "details": {
                    "coding": [{"system": "https://fhir.nhs.uk/STU3/CodeSystem/Spine-ErrorOrWarningCode-1",
                                "code": "DUPLICATE_REJECTED", "display": "Duplicate rejected"}]},
                           "diagnostics": "the slot is already booked"}]}
    assert booking_checks.race_violations([booking(201), booking(409, conflict)]) == []
    wrong = booking_checks.race_violations([booking(201), booking(422, conflict)])
    assert messages(wrong) == ["expected HTTP 409, got 422"] and rules(wrong) == ["BOOK-RACE-01"]


def test_response_checks_name_the_interactions_requirement(exchange_of):
    from harness.errors import Nonconformance

    with pytest.raises(Nonconformance) as exc:
        appts.ok_appointment(exchange_of(500, {"resourceType": "OperationOutcome"},
                                         interaction=interactions.AMEND_APPOINTMENT))
    assert str(exc.value) == ("1 violation of AMEND-01: amend an appointment: expected HTTP 200, got 500 "
                              "(PUT .../Appointment/52)")
    with pytest.raises(Nonconformance) as exc:
        appts.ok_appointment(exchange_of(200, "<html>", headers={"Content-Type": "text/html"}))
    assert exc.value.requirements == ("FND-FMT-01",)
    with pytest.raises(Nonconformance) as exc:
        appts.ok_appointment(exchange_of(200, "{not json"))
    assert exc.value.requirements == ("READ-TYPE-01",) and str(exc.value).startswith("response body is not valid JSON")
    assert appts.ok_appointment(exchange_of(200, appointment())) == appointment()
    retrieved = exchange_of(200, {"resourceType": "Bundle", "type": "collection"},
                            interaction=interactions.RETRIEVE_APPOINTMENTS, path="Patient/1/Appointment")
    with pytest.raises(Nonconformance, match=r"^1 violation of RETR-BOOKED-01: retrieve appointments: expected "
                                             r"Bundle.type 'searchset', got 'collection'"):
        appts.retrieved_appointments(retrieved)



def test_types_the_consumer_sent_and_the_provider_kept_also_break_book_ignore():
    sent = appointment(serviceType=[{"text": "Consumer's own"}], serviceCategory={"text": "Consumer's schedule"})
    found = appt_checks.type_violations(sent, "GP Appointment", "Morning surgery", BOOK_RULES, sent=sent)
    assert messages(found) == [
        "Appointment 52 slot type differs from its booked slot's: expected 'GP Appointment', got \"Consumer's own\" "
        "(the consumer's own)",
        "Appointment 52 schedule type differs from its schedule's: expected 'Morning surgery', got \"Consumer's "
        "schedule\" (the consumer's own)"]
    assert [v.requirements for v in found] == [("BOOK-TYPE-01", "BOOK-IGNORE-01"),
                                               ("BOOK-SCHEDTYPE-01", "BOOK-IGNORE-01")]
    other = appt_checks.type_violations(appointment(serviceType=[{"text": "Nurse"}]), "GP Appointment", None,
                                        BOOK_RULES, sent=sent)
    assert rules(other) == ["BOOK-TYPE-01"]


def test_an_appointment_booked_by_another_organisation_keeps_the_booking_organisation_sent(exchange_of):
    sent = appointment()
    assert booking_checks.booking_organisation_read_violations(exchange_of(200, appointment()), sent) == []
    other = appointment(contained=[{"resourceType": "Organization", "id": "1", "name": "Consumer",
                                    "identifier": [{"system": ODS_SYSTEM, "value": "X12345"}]}])
    found = booking_checks.booking_organisation_read_violations(exchange_of(200, other), sent)
    assert [v.message for v in found] == ["Appointment 52 booking organisation ODS code is X12345, the booking sent A1"]
    assert [v.requirements for v in found] == [("READ-ORG-01",)]
    refused = booking_checks.booking_organisation_read_violations(
        exchange_of(403, {"resourceType": "OperationOutcome"}), sent)
    assert [v.message for v in refused] == ["the read of an appointment booked by another organisation was answered "
                                            "HTTP 403, expected 200"]


def test_claims_of_another_organisation_change_only_the_requesting_organisation(exchange_of):
    from harness.settings import load_settings
    from harness.transport.client import GpConnectClient

    client = GpConnectClient(load_settings({"GPC_ENV": "reference"}), "https://provider.example/fhir")
    try:
        usual = client.claims_for(interactions.BOOK_APPOINTMENT)
        other = appts.claims_of_organisation(client, interactions.BOOK_APPOINTMENT, "X12345")
    finally:
        client.close()
    assert other["requesting_organization"]["identifier"] == [{"system": ODS_SYSTEM, "value": "X12345"}]
    assert {k: v for k, v in other.items() if k not in ("requesting_organization", "iat", "exp")} == \
        {k: v for k, v in usual.items() if k not in ("requesting_organization", "iat", "exp")}


# ---------------------------------------------------------------- cancellation kept, unknown path, empty retrieve

def test_a_cancellation_that_kept_everything_but_status_and_reason_shows_nothing():
    cancelled = appointment(status="cancelled", meta={"versionId": "4"})
    cancelled["extension"] = cancelled["extension"] + [{"url": CANCELLATION_REASON_URL, "valueString": "Too busy"}]
    assert appt_checks.cancel_kept_violations(cancelled, appointment()) == []


def test_a_cancellation_that_changed_participants_created_and_the_id_names_each():
    before = appointment(created="2026-11-20T09:00:00+00:00")
    after = appointment(id="53", status="cancelled", created="2026-11-20T10:00:00+00:00",
                        participant=[{"actor": {"reference": "Patient/1"}, "status": "declined"}])
    found = appt_checks.cancel_kept_violations(after, before)
    assert [(v.requirements, v.message) for v in found] == [
        (("CANCEL-KEEP-01",), "Appointment 53 id changed with its cancellation: was '52', now '53'"),
        (("CANCEL-KEEP-01",), "Appointment 53 participant changed with its cancellation: was [('Patient/1', "
                              "'accepted')], now [('Patient/1', 'declined')]"),
        (("CANCEL-KEEP-01",), "Appointment 53 created changed with its cancellation: was "
                              "'2026-11-20T09:00:00+00:00', now '2026-11-20T10:00:00+00:00'")]


def test_a_path_that_is_no_endpoint_must_be_refused_with_an_operation_outcome(exchange_of):
    outcome = {"resourceType": "OperationOutcome", "issue": [{"severity": "error", "code": "not-found"}]}
    assert booking_checks.unknown_path_violations(exchange_of(404, outcome, interaction=interactions.BOOK_APPOINTMENT,
                                                     path="appointmentqq/!")) == []
    plain = booking_checks.unknown_path_violations(exchange_of(404, "Not found", headers={"Content-Type": "text/plain"},
                                                      interaction=interactions.BOOK_APPOINTMENT,
                                                      path="appointmentqq/!"))
    assert [v.requirements for v in plain] == [("BOOK-URL-01",)]
    assert plain[0].message.startswith("HTTP 404 to a booking posted to a path that is no endpoint carries no "
                                       "OperationOutcome")
    booked = booking_checks.unknown_path_violations(exchange_of(201, appointment(),
                                                             interaction=interactions.BOOK_APPOINTMENT,
                                                       path="appointmentqq/!"))
    assert [v.message for v in booked] == ["a booking posted to a path that is no endpoint is answered HTTP 201"]


def test_an_empty_retrieve_must_be_a_searchset_answered_200(exchange_of):
    retrieve = interactions.RETRIEVE_APPOINTMENTS
    empty = {"resourceType": "Bundle", "type": "searchset"}
    assert retrieve_checks.empty_retrieve_violations(exchange_of(200, empty, interaction=retrieve,
                                                       path="Patient/41/Appointment")) == []
    outcome = {"resourceType": "OperationOutcome", "issue": [{"severity": "error", "code": "not-found"}]}
    found = retrieve_checks.empty_retrieve_violations(exchange_of(404, outcome, interaction=retrieve,
                                                        path="Patient/41/Appointment"))
    assert [v.requirements for v in found] == [("RETR-EMPTY-01",)]


def test_fewer_appointments_than_booked_are_named():
    assert retrieve_checks.at_least_violations([appointment()], 1, "RETR-BOOKED-01") == []
    assert [v.message for v in retrieve_checks.at_least_violations([appointment()], 3, "RETR-BOOKED-01")] == [
        "expected at least 3 Appointments, got 1"]


def test_a_booking_answered_without_a_body_is_named_by_its_location(exchange_of):
    location = {"Location": "https://provider.example/A11111/STU3/1/gpconnect/Appointment/77/_history/1",
                "ETag": 'W/"1"', "Cache-Control": "no-store"}
    created = exchange_of(201, "", location, interaction=interactions.BOOK_APPOINTMENT, path="Appointment")
    assert appts.created_id(created) == "77"
    assert booking_checks.answered_created_violations(created) == []
    ok = exchange_of(200, "", location, interaction=interactions.BOOK_APPOINTMENT, path="Appointment")
    assert [v.message for v in booking_checks.answered_created_violations(ok)] == [
        "book an appointment: expected HTTP 201, got 200"]
