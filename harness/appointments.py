"""Book, retrieve, read, amend and cancel: requests built from live data, and checks on the answers.

Bodies are edited as raw JSON taken from the provider's own responses, so a consumer sends back
exactly what it was given apart from the fields it means to change.
"""

from __future__ import annotations

import copy
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Callable

from . import fhir
from .client import Exchange, GpConnectClient
from .errors import MissingTestData, Nonconformance
from .interactions import (AMEND_APPOINTMENT, BOOK_APPOINTMENT, CANCEL_APPOINTMENT, FIND_PATIENT, READ_APPOINTMENT,
                           RETRIEVE_APPOINTMENTS)
from .ledger import Ledger, new_marker
from .settings import Settings
from .slot_search import ODS_SYSTEM, ORG_TYPE_SYSTEM, UK
from .test_data import SlotInfo

SD = "https://fhir.nhs.uk/STU3/StructureDefinition/"
APPOINTMENT_PROFILE = SD + "GPConnect-Appointment-1"
BOOKING_ORG_URL = SD + "Extension-GPConnect-BookingOrganisation-1"
CANCELLATION_REASON_URL = SD + "Extension-GPConnect-AppointmentCancellationReason-1"
NHS_NUMBER_SYSTEM = "https://fhir.nhs.uk/Id/nhs-number"
ORG_TYPE_DISPLAY = {"gp-practice": "GP Practice", "urgent-care": "Urgent Care"}


def find_patient_id(client: GpConnectClient, settings: Settings) -> str:
    """The test patient's logical id, by Find patient on the configured NHS number."""
    ex = client.send(FIND_PATIENT, "Patient", params=[("identifier", f"{NHS_NUMBER_SYSTEM}|{settings.patient_nhs_number}")])
    if ex.status != 200:
        raise Nonconformance(f"find patient: expected HTTP 200, got {ex.status} ({ex.short_request()})")
    bundle = fhir.BundleIndex(fhir.parse(ex.json(), ex.short_request(), expected_type="Bundle"))
    patients = bundle.of_type("Patient")
    if not patients:
        raise MissingTestData(f"test patient {settings.patient_nhs_number} is not found by Find patient")
    return patients[0].id


def appointment_body(slots: list[SlotInfo], patient_id: str, settings: Settings, marker: str) -> dict:
    """A GPConnect-Appointment-1 booking of these slots, with this run's marker in its description."""
    organisation = {
        "resourceType": "Organization",
        "id": "1",
        "meta": {"profile": [SD + "CareConnect-GPC-Organization-1"]},
        "identifier": [{"system": ODS_SYSTEM, "value": settings.consumer_ods_code}],
        "name": "GP Connect assurance consumer",
        "telecom": [{"system": "phone", "value": "0300 000 0000", "use": "work"}],
    }
    if settings.consumer_org_type:
        organisation["type"] = [{"coding": [{"system": ORG_TYPE_SYSTEM, "code": settings.consumer_org_type,
                                             "display": ORG_TYPE_DISPLAY[settings.consumer_org_type]}]}]
    participants = [{"actor": {"reference": f"Patient/{patient_id}"}, "status": "accepted"},
                    {"actor": {"reference": slots[0].actor("Location")}, "status": "accepted"}]
    practitioner = slots[0].actor("Practitioner")
    if practitioner:
        participants.append({"actor": {"reference": practitioner}, "status": "accepted"})
    return {
        "resourceType": "Appointment",
        "meta": {"profile": [APPOINTMENT_PROFILE]},
        "contained": [organisation],
        "extension": [{"url": BOOKING_ORG_URL, "valueReference": {"reference": "#1"}}],
        "status": "booked",
        "start": slots[0].raw["start"],
        "end": slots[-1].raw["end"],
        "slot": [{"reference": f"Slot/{s.id}"} for s in slots],
        "created": datetime.now(UK).isoformat(timespec="seconds"),
        "description": f"{marker} assurance booking",
        "comment": "Booked by the GP Connect assurance harness; it cancels this booking when its run ends.",
        "participant": participants,
    }


@dataclass
class Booking:
    """A booking request and the provider's answer."""

    slots: list[SlotInfo]
    marker: str
    patient_id: str
    exchange: Exchange
    request_body: dict
    _appointment: dict | None = field(default=None, repr=False)

    @property
    def succeeded(self) -> bool:
        return self.exchange.status == 201

    @property
    def expected_slot_type(self) -> str:
        return self.slots[0].slot_type

    @property
    def expected_schedule_type(self) -> str | None:
        return self.slots[0].schedule_type

    def appointment(self) -> dict:
        """The created Appointment; Nonconformance unless 201 with a valid Appointment (checked once)."""
        if self._appointment is None:
            self._appointment = created_appointment(self.exchange)
        return self._appointment


def book(client: GpConnectClient, ledger: Ledger, settings: Settings, slots: list[SlotInfo], patient_id: str,
         edit: Callable[[dict], None] | None = None, send_overrides: dict | None = None) -> Booking:
    """Book once (never retried); the attempt is in the ledger before the request is sent.

    `send_overrides` go to GpConnectClient.send (headers, omitted headers, JWT claims) for
    requests that are meant to be refused."""
    marker = new_marker()
    body = appointment_body(slots, patient_id, settings, marker)
    if edit:
        edit(body)
    ledger.attempt(marker, patient_id, [s.id for s in slots], sorted({s.start.astimezone(UK).date().isoformat()
                                                                     for s in slots}))
    exchange = client.send(BOOK_APPOINTMENT, "Appointment", body=body, **(send_overrides or {}))
    if exchange.status == 201:
        try:
            appointment_id = exchange.json().get("id")
        except Nonconformance:
            appointment_id = None
        if appointment_id:
            ledger.booked(marker, str(appointment_id))
    return Booking(slots, marker, patient_id, exchange, body)


def created_appointment(exchange: Exchange) -> dict:
    where = exchange.short_request()
    if exchange.status != 201:
        raise Nonconformance(f"booking: expected HTTP 201, got {exchange.status} ({where})")
    return parsed_appointment(exchange)


def parsed_appointment(exchange: Exchange) -> dict:
    """The response body as an Appointment that parses with the STU3 model; its raw JSON."""
    body = exchange.json()
    fhir.parse(body, exchange.short_request(), expected_type="Appointment")
    return body


def ok_appointment(exchange: Exchange, what: str) -> dict:
    if exchange.status != 200:
        raise Nonconformance(f"{what}: expected HTTP 200, got {exchange.status} ({exchange.short_request()})")
    return parsed_appointment(exchange)


def read(client: GpConnectClient, appointment_id: str) -> Exchange:
    return client.send(READ_APPOINTMENT, f"Appointment/{appointment_id}")


def retrieve(client: GpConnectClient, patient_id: str, first: date | str, last: date | str,
             params: list[tuple[str, str]] | None = None) -> Exchange:
    if params is None:
        params = [("start", f"ge{first}"), ("start", f"le{last}")]
    return client.send(RETRIEVE_APPOINTMENTS, f"Patient/{patient_id}/Appointment", params=params)


def retrieved_appointments(exchange: Exchange) -> list[dict]:
    """The Appointments of a retrieve response (raw JSON), after checking it is a searchset Bundle."""
    where = exchange.short_request()
    if exchange.status != 200:
        raise Nonconformance(f"retrieve appointments: expected HTTP 200, got {exchange.status} ({where})")
    bundle = fhir.parse(exchange.json(), where, expected_type="Bundle")
    if bundle.type != "searchset":
        raise Nonconformance(f"retrieve appointments: expected a searchset Bundle, got '{bundle.type}' ({where})")
    return [e["resource"] for e in exchange.json().get("entry") or []
            if (e.get("resource") or {}).get("resourceType") == "Appointment"]


def etag_of(exchange: Exchange) -> str:
    return exchange.header("ETag") or ""


def amend(client: GpConnectClient, appointment: dict, etag: str, **changes: str | None) -> Exchange:
    """PUT the appointment back with description/comment (or any field, to test refusals) changed."""
    body = copy.deepcopy(appointment)
    for key, value in changes.items():
        if value is None:
            body.pop(key, None)
        else:
            body[key] = value
    return client.send(AMEND_APPOINTMENT, f"Appointment/{appointment['id']}", body=body, headers={"If-Match": etag})


def cancellation(appointment: dict, reason: str | None) -> dict:
    body = copy.deepcopy(appointment)
    body["status"] = "cancelled"
    body["extension"] = [e for e in body.get("extension") or [] if e.get("url") != CANCELLATION_REASON_URL]
    if reason is not None:
        body["extension"].append({"url": CANCELLATION_REASON_URL, "valueString": reason})
    return body


def cancel(client: GpConnectClient, appointment: dict, etag: str, reason: str | None = "Cancelled by the assurance run",
           edit: Callable[[dict], None] | None = None) -> Exchange:
    body = cancellation(appointment, reason)
    if edit:
        edit(body)
    return client.send(CANCEL_APPOINTMENT, f"Appointment/{appointment['id']}", body=body, headers={"If-Match": etag})


# ------------------------------------------------------------------ checks


def label(appointment: dict) -> str:
    return f"Appointment {appointment.get('id', '(no id)')}"


def slot_type_texts(appointment: dict) -> list[str]:
    return [t for t in ((c or {}).get("text", "").strip() for c in appointment.get("serviceType") or []) if t]


def schedule_type_text(appointment: dict) -> str:
    return ((appointment.get("serviceCategory") or {}).get("text") or "").strip()


def type_problems(appointment: dict, slot_type: str, schedule_type: str | None) -> list[str]:
    """The appointment's types equal its slot's and schedule's: equal text, not merely present."""
    problems = []
    texts = slot_type_texts(appointment)
    if not texts:
        problems.append(f"{label(appointment)} has no slot type: Appointment.serviceType[*].text is empty")
    elif texts != [slot_type]:
        problems.append(f"{label(appointment)} slot type differs from its booked slot: expected '{slot_type}', "
                        f"got {', '.join(repr(t) for t in texts)}")
    if schedule_type:
        got = schedule_type_text(appointment)
        if got != schedule_type:
            problems.append(f"{label(appointment)} schedule type differs from its schedule's: expected "
                            f"'{schedule_type}', got {repr(got) if got else 'none (Appointment.serviceCategory.text is empty)'}")
    return problems


def booking_organisation(appointment: dict) -> dict | None:
    """The contained Organization the booking-organisation extension points to."""
    ref = next(((e.get("valueReference") or {}).get("reference") for e in appointment.get("extension") or []
                if e.get("url") == BOOKING_ORG_URL), None)
    if not ref or not ref.startswith("#"):
        return None
    return next((c for c in appointment.get("contained") or [] if f"#{c.get('id')}" == ref), None)


def as_sent_problems(appointment: dict, sent: dict) -> list[str]:
    """Must-support data the consumer sent comes back unchanged: booking organisation, description, comment."""
    problems = [f"{label(appointment)} {k} is {appointment.get(k)!r}, sent {sent.get(k)!r}"
                for k in ("description", "comment") if appointment.get(k) != sent.get(k)]
    org, sent_org = booking_organisation(appointment), booking_organisation(sent)
    if org is None:
        problems.append(f"{label(appointment)} has no booking organisation (Extension-GPConnect-BookingOrganisation-1 "
                        "to a contained Organization)")
    else:
        for key in ("identifier", "name", "telecom", "type"):
            if org.get(key) != sent_org.get(key):
                problems.append(f"{label(appointment)} booking organisation {key} is {org.get(key)!r}, "
                                f"sent {sent_org.get(key)!r}")
    return problems


def slot_problems(appointment: dict, slots: list[SlotInfo]) -> list[str]:
    """Appointment.slot lists exactly the booked slots and start/end span them."""
    problems = []
    listed = sorted(fhir.ref_key((s or {}).get("reference")) or ("?", "?") for s in appointment.get("slot") or [])
    wanted = sorted(("Slot", s.id) for s in slots)
    if listed != wanted:
        problems.append(f"{label(appointment)} lists slots {[k[1] for k in listed]}, expected {[k[1] for k in wanted]}")
    try:
        start, end = datetime.fromisoformat(appointment["start"]), datetime.fromisoformat(appointment["end"])
    except (KeyError, TypeError, ValueError):
        return problems + [f"{label(appointment)} has no valid start and end"]
    if start != slots[0].start or end != slots[-1].end:
        problems.append(f"{label(appointment)} runs {appointment['start']} to {appointment['end']}, expected "
                        f"{slots[0].raw['start']} to {slots[-1].raw['end']}")
    return problems


def etag_problems(exchange: Exchange, appointment: dict) -> list[str]:
    version = (appointment.get("meta") or {}).get("versionId")
    expected = f'W/"{version}"'
    got = etag_of(exchange)
    if not version:
        return [f"{label(appointment)} has no meta.versionId"]
    return [] if got == expected else [f"ETag is {got!r}, expected {expected!r} from meta.versionId"]


def version_of(appointment: dict) -> str:
    return str((appointment.get("meta") or {}).get("versionId") or "")


def raise_problems(problems: list[str], where: str) -> None:
    if problems:
        raise Nonconformance("; ".join(problems) + f" ({where})")


@dataclass
class KnownAppointment:
    """An appointment this run booked, as the consumer last saw it."""

    booking: Booking
    appointment: dict
    etag: str

    @property
    def id(self) -> str:
        return str(self.appointment["id"])

    @property
    def version(self) -> str:
        return version_of(self.appointment)


def appointment_schedule_type_problems(found: list[dict], mode: str) -> list[str]:
    """Schedule types on retrieved appointments against what the environment declares it configured."""
    typed = [a for a in found if schedule_type_text(a)]
    if mode == "all":
        return [f"{label(a)} has no schedule type: Appointment.serviceCategory.text is empty"
                for a in found if not schedule_type_text(a)]
    if mode == "none":
        return [f"{label(a)} has schedule type '{schedule_type_text(a)}' though this practice has none configured "
                "(GPC_SCHEDULE_TYPES=none)" for a in typed]
    return []
