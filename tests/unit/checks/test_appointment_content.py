"""What every returned Appointment holds (harness/checks/appointment_content.py), each check's exact wording
when broken and silence when kept; the rules that apply them to every appointment interaction; the
single-profile meta check; the oracle leaving advisory findings to the scenarios tagged with them;
and the read-back of an appointment's participants (harness/consumer/readback.py), each reference read once."""

from __future__ import annotations

import json
from datetime import date, datetime

import httpx
import pytest

from harness.checks import appointment_content as content
from harness.checks import readback as readback_checks
from harness.checks.profiles import resource_violations, single_profile_violations
from harness.consumer import readback
from harness.judge import rules
from harness.judge.oracle import Oracle
from harness.settings import load_settings
from harness.spec import interactions as ix
from harness.spec.constants import BOOKING_ORG_URL, PROFILE_FOR, UK
from harness.transport.client import FHIR_JSON, RUN_REUSE, GpConnectClient
from harness.transport.exchange import Exchange

SETTINGS = load_settings({"GPC_ENV": "reference"})
ROOT = "https://provider.example/A11111/STU3/1/gpconnect"
TODAY = date(2026, 11, 25)


def appointment(**changes) -> dict:
    body = {"resourceType": "Appointment", "id": "52",
            "meta": {"profile": [PROFILE_FOR["Appointment"]], "versionId": "1"},
            "status": "booked", "start": "2026-12-01T10:00:00+00:00", "end": "2026-12-01T10:10:00+00:00",
            "created": "2026-11-25T10:00:00+00:00", "description": "A booking",
            "slot": [{"reference": "Slot/7"}], "serviceType": [{"text": "GP Appointment"}],
            "extension": [{"url": BOOKING_ORG_URL, "valueReference": {"reference": "#1"}}],
            "contained": [{"resourceType": "Organization", "id": "1", "name": "Consumer",
                           "telecom": [{"system": "phone", "value": "0300 000 0000"}]}],
            "participant": [{"actor": {"reference": "Patient/40"}, "status": "accepted"},
                            {"actor": {"reference": "Location/10"}, "status": "accepted"},
                            {"actor": {"reference": "Practitioner/20"}, "status": "accepted"}]}
    body.update(changes)
    return {k: v for k, v in body.items() if v is not None}


def messages(found) -> list[str]:
    return [v.message for v in found]


# ---------------------------------------------------------------- the checks


def test_a_complete_appointment_breaks_nothing():
    a = appointment()
    assert (content.id_violations(a) + content.created_violations(a) + content.priority_violations(a)
            + content.participant_violations(a) + content.future_violations(a, today=TODAY)
            + content.booking_org_violations(a)) == []


def test_an_appointment_without_id_is_named():
    found = content.id_violations(appointment(id=None))
    assert messages(found) == ["an Appointment is returned without its logical id (Appointment.id is empty)"]
    assert found[0].requirements == ("APPT-ID-01",)


def test_an_appointment_without_created_is_named():
    found = content.created_violations(appointment(created=None))
    assert messages(found) == ["Appointment 52 has no created date-time (Appointment.created is empty)"]
    assert found[0].requirements == ("APPT-CREATED-01",)


@pytest.mark.parametrize("priority", [0, 5, 9, None])
def test_a_priority_of_0_to_9_or_none_is_kept(priority):
    assert content.priority_violations(appointment(priority=priority)) == []


@pytest.mark.parametrize("priority", [10, -1, "3"])
def test_a_priority_outside_0_to_9_is_named(priority):
    found = content.priority_violations(appointment(priority=priority))
    assert messages(found) == [f"Appointment 52 has priority {priority!r}, outside 0 to 9"]
    assert found[0].requirements == ("APPT-PRIORITY-01",)


def test_participants_that_are_no_relative_patient_practitioner_or_location_reference_are_named():
    found = content.participant_violations(appointment(participant=[
        {"actor": {"reference": "Patient/40"}}, {"actor": {"reference": "Location/10"}},
        {"actor": {"reference": "Device/3"}},
        {"actor": {"reference": "https://provider.example/Practitioner/20"}},
        {"actor": {"display": "Dr Smith"}}]))
    assert messages(found) == [
        "Appointment 52 participant 2 has actor Device/3, not a relative Patient/, Practitioner/ or Location/ "
        "reference",
        "Appointment 52 participant 3 has actor https://provider.example/Practitioner/20, not a relative Patient/, "
        "Practitioner/ or Location/ reference",
        "Appointment 52 participant 4 has actor without a reference, not a relative Patient/, Practitioner/ or "
        "Location/ reference"]
    assert {r for v in found for r in v.requirements} == {"APPT-PARTICIPANT-01"}


def test_an_appointment_without_patient_or_location_participant_is_named():
    found = content.participant_violations(appointment(participant=[{"actor": {"reference": "Practitioner/20"}}]))
    assert messages(found) == ["Appointment 52 has no Patient participant",
                               "Appointment 52 has no Location participant"]


def test_a_participant_type_of_two_codings_is_named_and_of_one_kept():
    one = {"coding": [{"system": "http://hl7.org/fhir/v3/ParticipationType", "code": "PART"}]}
    two = {"coding": one["coding"] * 2}
    kept = appointment(participant=[{"actor": {"reference": "Patient/40"}, "type": [one]},
                                    {"actor": {"reference": "Location/10"}}])
    assert content.participant_violations(kept) == []
    broken = appointment(participant=[{"actor": {"reference": "Patient/40"}, "type": [two]},
                                      {"actor": {"reference": "Location/10"}}])
    assert messages(content.participant_violations(broken)) == [
        "Appointment 52 participant 0 (Patient/40) has a type of 2 codings, at most one expected"]


def test_an_appointment_of_today_or_later_is_kept_and_of_yesterday_named():
    assert content.future_violations(appointment(start="2026-11-25T08:00:00+00:00"), today=TODAY) == []
    found = content.future_violations(appointment(start="2026-11-24T23:50:00+00:00"), today=TODAY)
    assert messages(found) == ["Appointment 52 starts 2026-11-24T23:50:00+00:00, before today (2026-11-25): a past "
                               "appointment is returned"]
    assert found[0].requirements == ("APPT-FUTURE-01",)


def test_today_allows_the_clocks_a_few_minutes_around_midnight():
    just_after_midnight = datetime(2026, 11, 26, 0, 5, tzinfo=UK)
    late_yesterday = appointment(start="2026-11-25T23:58:00+00:00")
    assert content.future_violations(late_yesterday, now=just_after_midnight) == []
    assert content.future_violations(late_yesterday, now=datetime(2026, 11, 26, 0, 30, tzinfo=UK)) != []


def test_a_start_that_is_no_date_time_is_left_to_the_profile_check():
    assert content.future_violations(appointment(start="tomorrow"), today=TODAY) == []


def test_a_booking_organisation_without_name_or_telecom_is_named():
    org = {"resourceType": "Organization", "id": "1", "telecom": []}
    found = content.booking_org_violations(appointment(contained=[org]))
    assert messages(found) == ["Appointment 52 booking organisation (#1) has no name and no telecom"]
    assert found[0].requirements == ("APPT-ORG-01",)
    no_id = {"resourceType": "Organization", "name": "Consumer", "telecom": [{"system": "phone", "value": "1"}]}
    assert messages(content.booking_org_violations(appointment(contained=[no_id]))) == [
        "Appointment 52 booking organisation (without an id) has no id"]


def test_an_appointment_without_contained_organisation_is_left_alone():
    assert content.booking_org_violations(appointment(contained=None)) == []


def test_an_identifier_without_value_is_already_the_profile_check_s():
    found = resource_violations(appointment(identifier=[{"system": "https://consumer.example/Id/appointment"}]))
    assert [v.requirements for v in found if "identifier" in v.element] == [("FND-PROFILE-01",)]


# ---------------------------------------------------------------- meta.profile, one profile


def test_a_single_profile_is_kept_and_a_second_named():
    assert single_profile_violations(appointment()) == []
    extra = "https://fhir.hl7.org.uk/STU3/StructureDefinition/CareConnect-Appointment-1"
    found = single_profile_violations(appointment(meta={"profile": [PROFILE_FOR["Appointment"], extra],
                                                        "versionId": "1"}))
    assert messages(found) == [f"Appointment 52: meta.profile holds 2 profiles, expected only "
                               f"{PROFILE_FOR['Appointment']}"]
    assert found[0].requirements == ("FND-META-02",)


def test_a_profile_list_without_the_gp_connect_profile_is_left_to_fnd_meta_01():
    assert single_profile_violations(appointment(meta={"profile": ["a", "b"], "versionId": "1"})) == []


# ---------------------------------------------------------------- the rules, on every appointment interaction


APPOINTMENT_RULES = ["every returned Appointment has its id", "every returned Appointment carries created",
                     "every returned Appointment starts today or later",
                     "every returned Appointment's booking organisation has id, name and telecom",
                     "every returned Appointment has Patient and Location participants, relative actors, "
                     "one type coding",
                     "every returned Appointment's priority is 0 to 9",
                     "meta.profile holds only the resource's GP Connect profile"]


@pytest.mark.parametrize("name", APPOINTMENT_RULES)
def test_each_appointment_rule_judges_book_read_retrieve_amend_and_cancel(name):
    rule = next(r for r in rules.RULES if r.name == name)
    for interaction in (ix.BOOK_APPOINTMENT, ix.READ_APPOINTMENT, ix.RETRIEVE_APPOINTMENTS, ix.AMEND_APPOINTMENT,
                        ix.CANCEL_APPOINTMENT):
        assert not rule.interactions or interaction.name in rule.interactions


def test_the_rules_name_what_a_retrieved_appointment_lacks(exchange_of):
    broken = appointment(id=None, created=None, priority=12, participant=[{"actor": {"reference": "Patient/40"}}])
    ex = exchange_of(200, {"resourceType": "Bundle", "type": "searchset", "entry": [{"resource": broken}]},
                     interaction=ix.RETRIEVE_APPOINTMENTS, path="Patient/40/Appointment",
                     params=[("start", "ge2026-11-25"), ("start", "le2026-12-09")])
    found = {r for v in rules.check(ex, SETTINGS) for r in v.requirements}
    assert {"APPT-ID-01", "APPT-CREATED-01", "APPT-PRIORITY-01", "APPT-PARTICIPANT-01"} <= found


# ---------------------------------------------------------------- the oracle and advisory rules


def read_exchange(body: dict) -> Exchange:
    return Exchange(interaction=ix.READ_APPOINTMENT.name, method="GET", url="http://p/Appointment/52",
                    request_headers={}, request_body=None, jwt_claims=None, status=200,
                    response_headers={"Content-Type": FHIR_JSON, "Cache-Control": "no-store", "ETag": 'W/"1"'},
                    response_text=json.dumps(body))


def test_an_advisory_finding_fails_only_a_scenario_tagged_with_it():
    body = appointment(priority=12)
    oracle = Oracle(SETTINGS)
    oracle(read_exchange(body))
    assert oracle.take(tagged=["READ-TYPE-01"]) is None
    oracle = Oracle(SETTINGS)
    oracle(read_exchange(body))
    failure = oracle.take(tagged=["READ-TYPE-01", "APPT-PRIORITY-01"])
    assert failure is not None and "APPT-PRIORITY-01" in failure.requirements


def test_a_shall_finding_fails_every_scenario():
    oracle = Oracle(SETTINGS)
    oracle(read_exchange(appointment(created=None)))
    failure = oracle.take(tagged=["READ-TYPE-01"])
    assert failure is not None and "APPT-CREATED-01" in failure.requirements


# ---------------------------------------------------------------- reading participants back


def directory_client(answers: dict[str, tuple[int, dict]]):
    seen = []

    def handler(request: httpx.Request):
        path = request.url.path.removeprefix("/A11111/STU3/1/gpconnect/")
        seen.append((request.headers["Ssp-InteractionID"], path))
        status, body = answers.get(path, (404, {"resourceType": "OperationOutcome", "issue": []}))
        return httpx.Response(status, json=body, headers={"Content-Type": FHIR_JSON, "Cache-Control": "no-store"})

    return GpConnectClient(SETTINGS, ROOT, transport=httpx.MockTransport(handler), reuse=RUN_REUSE), seen


PRACTICE = {
    "Patient/40": (200, {"resourceType": "Patient", "id": "40"}),
    "Practitioner/20": (200, {"resourceType": "Practitioner", "id": "20"}),
    "Location/10": (200, {"resourceType": "Location", "id": "10",
                          "managingOrganization": {"reference": "Organization/1"}}),
    "Organization/1": (200, {"resourceType": "Organization", "id": "1"}),
}


def test_each_participant_and_the_location_s_organisation_read_back_once_a_run():
    client, seen = directory_client(PRACTICE)
    assert readback_checks.read_back_violations(readback.read_back(client, [appointment(), appointment(id="53")])) == []
    assert readback_checks.read_back_violations(readback.read_back(client, [appointment(id="54")])) == []
    assert seen == [(ix.READ_PATIENT.interaction_id, "Patient/40"),
                    (ix.READ_LOCATION.interaction_id, "Location/10"),
                    (ix.READ_ORGANIZATION.interaction_id, "Organization/1"),
                    (ix.READ_PRACTITIONER.interaction_id, "Practitioner/20")]


def test_a_participant_that_does_not_read_back_is_named():
    answers = dict(PRACTICE)
    answers["Location/10"] = (404, {"resourceType": "OperationOutcome", "issue": []})
    answers["Practitioner/20"] = (200, {"resourceType": "Organization", "id": "20"})
    client, _ = directory_client(answers)
    found = readback_checks.read_back_violations(readback.read_back(client, [appointment()]))
    assert messages(found) == [
        "Appointment 52 participant Location/10 does not read back: Read Location answered HTTP 404 with an "
        "OperationOutcome, not a Location (GET .../Location/10)",
        "Appointment 52 participant Practitioner/20 does not read back: Read Practitioner answered HTTP 200 with an "
        "Organization, not a Practitioner (GET .../Practitioner/20)"]
    assert {r for v in found for r in v.requirements} == {"APPT-READBACK-01"}


def test_a_participant_read_back_under_another_id_and_an_unreadable_organisation_are_named():
    answers = dict(PRACTICE)
    answers["Patient/40"] = (200, {"resourceType": "Patient", "id": "41"})
    answers["Organization/1"] = (500, {"resourceType": "OperationOutcome", "issue": []})
    client, _ = directory_client(answers)
    assert messages(readback_checks.read_back_violations(readback.read_back(client, [appointment()]))) == [
        "Appointment 52 participant Patient/40 reads back as Patient 41, not Patient/40 (GET .../Patient/40)",
        "Location/10 managingOrganization Organization/1 does not read back: Read Organisation answered HTTP 500 "
        "with an OperationOutcome, not an Organization (GET .../Organization/1)"]


def test_the_appointments_of_a_bundle_or_a_resource():
    a = appointment()
    assert readback_checks.appointments_in(a) == [a]
    assert readback_checks.appointments_in({"resourceType": "Bundle",
                                     "entry": [{"resource": a}, {"resource": {"resourceType": "Patient"}}]}) == [a]
    assert readback_checks.appointments_in({"resourceType": "OperationOutcome"}) == []


def test_the_variety_provider_translates_a_read_s_id_back_and_no_other_sub_path():
    from reference_provider.variety import NO_ROW, Ids, receive_path

    ids = Ids()
    base = "/gpc/a99901/fhir/stu3"
    for rtype in ("Patient", "Practitioner", "Location", "Organization"):
        public = ids.public(rtype, "20")
        assert receive_path(f"{base}/{rtype}/{public}", base, ids) == f"{base}/{rtype}/20"
    assert receive_path(f"{base}/Location/unknown", base, ids) == f"{base}/Location/{NO_ROW}"
    assert receive_path(f"{base}/Location/{ids.public('Location', '10')}/Appointment", base, ids).endswith(
        "/Appointment")
    assert "/Location/10/" not in receive_path(f"{base}/Location/{ids.public('Location', '10')}/Appointment", base, ids)
