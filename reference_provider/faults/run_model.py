"""Faults the run's model of its appointments sees."""

from __future__ import annotations

import json
from datetime import datetime, timedelta

from .. import resources
from .registry import AMEND, BOOK, CANCEL, READ, READ_LOCATION, RETRIEVE, SEARCH, Answer, behaviour, rewrite, rule_off


def _multi_slot(a: Answer) -> list[dict]:
    return [r for r in a.of_type("Appointment") if len(r.get("slot") or []) > 1]


def _drop_extension(a: Answer, url: str) -> None:
    for appointment in a.of_type("Appointment"):
        appointment["extension"] = [e for e in appointment.get("extension") or [] if e.get("url") != url]


@rewrite("read_multi_slot_type_dropped", "READ-TYPE-01", "a read multi-slot appointment has no serviceType", READ)
def _(a: Answer) -> None:
    for appointment in _multi_slot(a):
        appointment.pop("serviceType", None)


@rewrite("read_multi_schedule_type_dropped", "READ-TYPE-01",
         "a read multi-slot appointment has no serviceCategory", READ)
def _(a: Answer) -> None:
    for appointment in _multi_slot(a):
        appointment.pop("serviceCategory", None)


@rewrite("read_multi_end_first_slot", "READ-STATE-01", "a read multi-slot appointment ends with its first slot", READ)
def _(a: Answer) -> None:
    for appointment in _multi_slot(a):
        start, end = datetime.fromisoformat(appointment["start"]), datetime.fromisoformat(appointment["end"])
        appointment["end"] = (start + (end - start) / len(appointment["slot"])).isoformat(timespec="seconds")


@rewrite("retrieve_multi_slot_type_changed", "RETR-TYPE-01",
         "a retrieved multi-slot appointment has another slot type", RETRIEVE)
def _(a: Answer) -> None:
    for appointment in _multi_slot(a):
        appointment["serviceType"] = [{"text": "Extended Appointment"}]


@rewrite("retrieve_drops_multi_slot", "RETR-BOOKED-01", "multi-slot appointments are left out of retrieve", RETRIEVE)
def _(a: Answer) -> None:
    a.keep_entries(lambda resource: len(resource.get("slot") or []) < 2)


@rewrite("retrieve_adds_other_patient", "RETR-DATES-01", "retrieve also returns an appointment of another patient",
         RETRIEVE)
def _(a: Answer) -> None:
    appointments = a.of_type("Appointment")
    if appointments:
        other = json.loads(json.dumps(appointments[0]))
        other["id"] = str(900000 + int(other["id"])) if str(other.get("id")).isdigit() else "other-" + other["id"]
        for participant in other.get("participant") or []:
            if (participant.get("actor") or {}).get("reference", "").startswith("Patient/"):
                participant["actor"]["reference"] = "Patient/999"
        a.body["entry"].append({"resource": other})


@rewrite("read_slot_type_blank", "READ-TYPE-01", "a read appointment's slot type is only spaces", READ)
def _(a: Answer) -> None:
    a.put("Appointment", "serviceType", [{"text": "  "}])


@rewrite("book_slot_type_padded", "BOOK-TYPE-01", "the booked appointment's slot type has surrounding spaces", BOOK)
def _(a: Answer) -> None:
    for appointment in a.of_type("Appointment"):
        for concept in appointment.get("serviceType") or []:
            concept["text"] = f" {concept.get('text', '')} "


@rewrite("book_no_delivery_channel", "BOOK-FIELDS-01", "the booked appointment has no delivery channel", BOOK)
def _(a: Answer) -> None:
    _drop_extension(a, resources.EXT_DELIVERY_CHANNEL)


@rewrite("book_no_practitioner_role", "BOOK-FIELDS-01", "the booked appointment has no practitioner role", BOOK)
def _(a: Answer) -> None:
    _drop_extension(a, resources.EXT_PRACTITIONER_ROLE)


@rewrite("book_location_other_appointment", "BOOK-01", "the 201's Location names another appointment", BOOK)
def _(a: Answer) -> None:
    location = a.headers.get("Location")
    if a.status == 201 and location and isinstance(a.body, dict):
        a.headers["Location"] = location.replace(f"/Appointment/{a.body['id']}/", f"/Appointment/{a.body['id']}0/")


@rewrite("read_reason", "APPT-NOREASON-01", "a read appointment carries a reason", READ)
def _(a: Answer) -> None:
    a.put("Appointment", "reason", [{"text": "Persistent cough"}])


@rewrite("appointment_specialty", "APPT-NOREASON-01",
         "appointments retrieved, amended or cancelled carry a specialty", RETRIEVE, AMEND, CANCEL)
def _(a: Answer) -> None:
    a.put("Appointment", "specialty", [{"text": "General practice"}])


@rewrite("retrieved_appointment_without_id", "APPT-ID-01", "retrieved appointments have no logical id", RETRIEVE)
def _(a: Answer) -> None:
    a.drop("Appointment", "id")


@rewrite("appointment_created_dropped", "APPT-CREATED-01", "read and retrieved appointments have no created",
         READ, RETRIEVE)
def _(a: Answer) -> None:
    a.drop("Appointment", "created")


@rewrite("read_appointment_last_week", "APPT-FUTURE-01", "a read answers with the appointment moved a week back",
         READ)
def _(a: Answer) -> None:
    for appointment in a.of_type("Appointment"):
        for element in ("start", "end"):
            when = datetime.fromisoformat(appointment[element])
            appointment[element] = (when - timedelta(days=7)).isoformat()


@rewrite("booking_org_telecom_dropped", "APPT-ORG-01",
         "read and retrieved appointments' booking organisation has no telecom", READ, RETRIEVE)
def _(a: Answer) -> None:
    for appointment in a.of_type("Appointment"):
        for contained in appointment.get("contained") or []:
            contained.pop("telecom", None)


@rewrite("participant_type_two_codings", "APPT-PARTICIPANT-01",
         "every returned appointment's patient participant has a type of two codings", BOOK, READ, RETRIEVE, AMEND,
         CANCEL)
def _(a: Answer) -> None:
    for appointment in a.of_type("Appointment"):
        for participant in appointment.get("participant") or []:
            if str((participant.get("actor") or {}).get("reference", "")).startswith("Patient/"):
                participant["type"] = [{"coding": [
                    {"system": "http://hl7.org/fhir/v3/ParticipationType", "code": "PART", "display": "Participation"},
                    {"system": "http://hl7.org/fhir/v3/ParticipationType", "code": "SBJ", "display": "subject"}]}]


@rewrite("location_read_not_found", "APPT-READBACK-01", "Read Location answers 404 for the practice's locations",
         READ_LOCATION)
def _(a: Answer) -> None:
    if a.status == 200:
        a.headers.pop("ETag", None)
        a.not_found("No such location")


@rewrite("read_priority_out_of_range", "APPT-PRIORITY-01", "a read appointment has priority 12", READ)
def _(a: Answer) -> None:
    a.put("Appointment", "priority", 12)


@rewrite("appointment_two_profiles", "FND-META-02",
         "read, amended and cancelled appointments name a second profile in meta.profile", READ, AMEND, CANCEL)
def _(a: Answer) -> None:
    for appointment in a.of_type("Appointment"):
        appointment.setdefault("meta", {}).setdefault("profile", []).append(
            "https://fhir.hl7.org.uk/STU3/StructureDefinition/CareConnect-Appointment-1")


@rewrite("read_old_version_after_amend", "READ-ETAG-01",
         "a read after an amendment answers with the version before it, ETag and meta alike", READ)
def _(a: Answer) -> None:
    version = a.version()
    if a.status == 200 and version and int(version) > 1:
        a.body["meta"]["versionId"] = str(int(version) - 1)
        a.headers["ETag"] = f'W/"{int(version) - 1}"'


@rewrite("slot_schedule_not_in_bundle", "SLOT-SCHEDREF-01", "one Slot references a Schedule not in the Bundle", SEARCH)
def _(a: Answer) -> None:
    if (slot := a.middle("Slot")) is not None:
        slot["schedule"] = {"reference": "Schedule/999"}


@rewrite("slot_type_only_with_every_include", "SLOT-TYPE-01",
         "Slots carry their slot type only when every include is asked for", SEARCH)
def _(a: Answer) -> None:
    every = {"Schedule:actor:Practitioner", "Schedule:actor:Location", "Location:managingOrganization"}
    if not every <= a.includes():
        a.drop("Slot", "serviceType")


behaviour("amend_store_drops_schedule_type", "READ-TYPE-01",
          "an amendment is answered with the schedule type but stored without it")
behaviour("cancel_store_drops_slot_type", "RETR-TYPE-01",
          "a cancellation is answered with the slot type but stored without it")
behaviour("untyped_schedule_typed", "BOOK-SCHEDTYPE-01",
          "an appointment on a schedule without a schedule type is given one")
behaviour("retrieve_ignores_dates", "RETR-DATES-01", "retrieve returns the patient's appointments on any date")
behaviour("amend_requires_types", "AMEND-COMPAT-01",
          "an amendment that leaves out the slot type and schedule type is refused as a change of type")
rule_off("amend_accepts_other_changes", "AMEND-OTHER-01",
         "an amendment may change start, end, participant and other fields too")
rule_off("cancel_accepts_comment_change", "CANCEL-OTHER-01", "a cancellation may change the comment too")
behaviour("comment_truncated_100", "BOOK-TEXT-01", "the comment is stored cut to 100 characters")
