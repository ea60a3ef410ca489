"""Book, retrieve, read, amend and cancel: requests built from live data. The checks on what comes
back are harness/checks/appointments.py's; the few here need what the run booked (a Booking) or send
requests of their own.

Bodies are edited as raw JSON taken from the provider's own responses, so a consumer sends back
exactly what it was given apart from the fields it means to change.
"""

from __future__ import annotations

import copy
import dataclasses
import re
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from typing import Callable

from harness import clock
from harness.checks.appointments import parsed_appointment, version_of
from harness.checks.violations import (
    bundle_type_violations,
    fail_if_any,
    parsed,
    status_violations,
)
from harness.consumer import slot_search as ss
from harness.consumer.discovery import SlotInfo, offered
from harness.consumer.ledger import Ledger, new_marker
from harness.errors import MissingTestData, Nonconformance
from harness.settings import Settings
from harness.spec.constants import (
    BOOKING_ORG_URL,
    CANCELLATION_REASON_URL,
    NHS_NUMBER_SYSTEM,
    ODS_SYSTEM,
    ORG_TYPE_SYSTEM,
    PROFILE_FOR,
    UK,
)
from harness.spec.interactions import (
    AMEND_APPOINTMENT,
    BOOK_APPOINTMENT,
    CANCEL_APPOINTMENT,
    FIND_PATIENT,
    READ_APPOINTMENT,
    RETRIEVE_APPOINTMENTS,
    requirement_of,
)
from harness.transport import fhir
from harness.transport.client import GpConnectClient
from harness.transport.exchange import Exchange

APPOINTMENT_PROFILE = PROFILE_FOR["Appointment"]
ORG_TYPE_DISPLAY = {"gp-practice": "GP Practice", "urgent-care": "Urgent Care"}


def find_patient_id(client: GpConnectClient, settings: Settings) -> str:
    """The test patient's logical id, by Find patient on the configured NHS number."""
    ex = client.send(FIND_PATIENT, "Patient",
                     params=[("identifier", f"{NHS_NUMBER_SYSTEM}|{settings.patient_nhs_number}")])
    fail_if_any(status_violations(ex, 200, FIND_PATIENT.requirement), ex.short_request())
    bundle = fhir.BundleIndex(parsed(ex, "Bundle", FIND_PATIENT.requirement))
    patients = bundle.of_type("Patient")
    if not patients:
        raise MissingTestData(f"test patient {settings.patient_nhs_number} is not found by Find patient")
    return patients[0].id


def find_second_patient_id(client: GpConnectClient, settings: Settings) -> str:
    """The second test patient's logical id (GPC_SECOND_PATIENT_NHS_NUMBER); MissingTestData where none is set."""
    if not settings.second_patient_nhs_number:
        raise MissingTestData("no second test patient (GPC_SECOND_PATIENT_NHS_NUMBER is empty)")
    return find_patient_id(client, dataclasses.replace(settings, patient_nhs_number=settings.second_patient_nhs_number))


def appointment_body(slots: list[SlotInfo], patient_id: str, settings: Settings, marker: str) -> dict:
    """A GPConnect-Appointment-1 booking of these slots, with this run's marker in its description."""
    organisation = {
        "resourceType": "Organization",
        "id": "1",
        "meta": {"profile": [PROFILE_FOR["Organization"]]},
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
        "created": clock.now().isoformat(timespec="seconds"),
        "description": f"{marker} assurance booking",
        "comment": "Booked by the GP Connect assurance harness; it cancels this booking when its run ends.",
        "participant": participants,
    }


def _without_participant(kind: str) -> Callable[[dict], None]:
    def edit(body: dict) -> None:
        body["participant"] = [p for p in body["participant"]
                               if not str((p.get("actor") or {}).get("reference", "")).startswith(f"{kind}/")]
    return edit


def _booking_org(body: dict) -> dict:
    return next(c for c in body["contained"] if c.get("resourceType") == "Organization")


def _as_bundle(body: dict) -> None:
    appointment = dict(body)
    body.clear()
    body.update({"resourceType": "Bundle", "type": "collection", "entry": [{"resource": appointment}]})


# What each defect of a booking request does to a valid one; each makes it no GPConnect-Appointment-1
# booking (BOOK-VALID-01). NHS's suite expects 422 INVALID_RESOURCE for each.
BOOKING_DEFECTS: dict[str, Callable[[dict], None]] = {
    "without start": lambda b: b.pop("start"),
    "without end": lambda b: b.pop("end"),
    "without status": lambda b: b.pop("status"),
    "without slot": lambda b: b.pop("slot"),
    "without the Patient participant": _without_participant("Patient"),
    "without any participant": lambda b: b.pop("participant"),
    "with participants without status": lambda b: [p.pop("status", None) for p in b["participant"]],
    "with an identifier without a value": lambda b: b.__setitem__(
        "identifier", [{"system": "https://consumer.example/Id/appointment"}]),
    "with an element GP Connect does not define": lambda b: b.__setitem__("surgeryRoom", "Room 4"),
    "as a Bundle instead of an Appointment": _as_bundle,
    "with a booking organisation without name": lambda b: _booking_org(b).pop("name"),
    "with a booking organisation without telecom": lambda b: _booking_org(b).pop("telecom"),
    "with its booking organisation referenced by an absolute URL": lambda b: b["extension"][0].__setitem__(
        "valueReference", {"reference": "https://consumer.example/STU3/1/gpconnect/Organization/1"}),
    "as an empty Appointment": lambda b: [b.clear(), b.__setitem__("resourceType", "Appointment")],
}
# Bookings that leave out what the spec asks a consumer to send (Location) or lets it leave out
# (practitioner, SHOULD; comment, MAY): NHS's suite expects the first refused, the others accepted,
# where the spec obliges a provider to neither (BOOK-LOCATION-01, BOOK-OPTIONAL-01).
BOOKING_VARIANTS: dict[str, Callable[[dict], None]] = {
    "without the Location participant": _without_participant("Location"),
    "without the practitioner participant": _without_participant("Practitioner"),
    "without a comment": lambda b: b.pop("comment", None),
}


def slot_reference(reference: str) -> Callable[[dict], None]:
    """An edit booking `reference` (as written) instead of the chosen slots."""
    return lambda body: body.__setitem__("slot", [{"reference": reference}])


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
         edit: Callable[[dict], None] | None = None, send_overrides: dict | None = None,
         path: str = "Appointment") -> Booking:
    """Book once (never retried); the attempt is in the ledger before the request is sent.

    `send_overrides` go to GpConnectClient.send (headers, omitted headers, JWT claims) for
    requests that are meant to be refused; `path` another request path than [base]/Appointment."""
    marker = new_marker()
    body = appointment_body(slots, patient_id, settings, marker)
    if edit:
        edit(body)
    ledger.attempt(marker, patient_id, [s.id for s in slots], sorted({s.start.astimezone(UK).date().isoformat()
                                                                     for s in slots}))
    exchange = client.send(BOOK_APPOINTMENT, path, body=body, **(send_overrides or {}))
    if exchange.status == 201:
        try:
            appointment_id = exchange.json().get("id")
        except Nonconformance:
            appointment_id = None
        appointment_id = appointment_id or created_id(exchange)
        if appointment_id:
            ledger.booked(marker, str(appointment_id))
    return Booking(slots, marker, patient_id, exchange, body)


def created_id(exchange: Exchange) -> str | None:
    """The id of the appointment a 201's Location header names ([base]/Appointment/[id]/_history/[vid]),
    for an answer without a body (Prefer: return=minimal)."""
    key = fhir.ref_key(exchange.header("Location") or "")
    return key[1] if key and key[0] == "Appointment" else None


def created_appointment(exchange: Exchange) -> dict:
    """The booked Appointment's raw JSON; Nonconformance (BOOK-01) unless 201 with an Appointment."""
    fail_if_any(status_violations(exchange, 201, BOOK_APPOINTMENT.requirement), exchange.short_request())
    return parsed_appointment(exchange)


def ok_appointment(exchange: Exchange) -> dict:
    """The Appointment a read, amend or cancel answered; Nonconformance, with the interaction's
    requirement, unless 200 with an Appointment."""
    fail_if_any(status_violations(exchange, 200, requirement_of(exchange.interaction)), exchange.short_request())
    return parsed_appointment(exchange)


def _send(client: GpConnectClient, interaction, path: str, *, params: list[tuple[str, str]] | None = None,
          body: dict | None = None, headers: dict[str, str] | None = None, send: dict | None = None) -> Exchange:
    """client.send with `send` adding to the interaction's own request: more query parameters
    (`params`, e.g. _format), more or other headers (`headers`, e.g. Accept or Prefer)."""
    extra = dict(send or {})
    params = list(params or []) + list(extra.pop("params", None) or [])
    headers = {**(headers or {}), **(extra.pop("headers", None) or {})}
    return client.send(interaction, path, params=params or None, body=body, headers=headers or None, **extra)


def read(client: GpConnectClient, appointment_id: str, send: dict | None = None) -> Exchange:
    return _send(client, READ_APPOINTMENT, f"Appointment/{appointment_id}", send=send)


def retrieve(client: GpConnectClient, patient_id: str, first: date | str, last: date | str,
             params: list[tuple[str, str]] | None = None, send: dict | None = None) -> Exchange:
    if params is None:
        params = [("start", f"ge{first}"), ("start", f"le{last}")]
    return _send(client, RETRIEVE_APPOINTMENTS, f"Patient/{patient_id}/Appointment", params=params, send=send)


_DATE_TOKEN = re.compile(r"\{today(?:\+(\d+))?(?::([^}]+))?\}")
_FORMATS = {"yyyy": "%Y", "yyyy-MM": "%Y-%m", "yyyy-MM-dd": "%Y-%m-%d", "yyyy-MM-ddTHH:mm:ss": "%Y-%m-%dT%H:%M:%S",
            "yyyy-MM-ddTHH:mm:ssZ": "%Y-%m-%dT%H:%M:%SZ"}


def date_value(token: str, today: date) -> str:
    """A retrieve `start` value from a feature's logical token: `{today}` or `{today+14}` (optionally
    `:yyyy`, `:yyyy-MM`, `:yyyy-MM-ddTHH:mm:ss`, `:yyyy-MM-ddTHH:mm:ssZ`) is replaced by that date in
    that format (09:00 for a time); anything else is sent as written, e.g. `ge{today}` or `2010-02-03`."""
    def expand(m: re.Match) -> str:
        day = today + timedelta(days=int(m.group(1) or 0))
        return datetime.combine(day, time(9, 0)).strftime(_FORMATS[m.group(2) or "yyyy-MM-dd"])
    return _DATE_TOKEN.sub(expand, token)


def retrieved_appointments(exchange: Exchange) -> list[dict]:
    """The Appointments of a retrieve response (raw JSON); Nonconformance unless 200 with a searchset Bundle."""
    where, rule = exchange.short_request(), RETRIEVE_APPOINTMENTS.requirement
    fail_if_any(status_violations(exchange, 200, rule), where)
    bundle = parsed(exchange, "Bundle", rule)
    fail_if_any(bundle_type_violations(bundle.type, "searchset", "retrieve appointments", rule), where)
    return [e["resource"] for e in exchange.json().get("entry") or []
            if (e.get("resource") or {}).get("resourceType") == "Appointment"]


def amend(client: GpConnectClient, appointment: dict, etag: str, send: dict | None = None,
          **changes: str | None) -> Exchange:
    """PUT the appointment back with description/comment (or any field, to test refusals) changed;
    `send` adds to the request (see _send)."""
    body = copy.deepcopy(appointment)
    for key, value in changes.items():
        if value is None:
            body.pop(key, None)
        else:
            body[key] = value
    return _send(client, AMEND_APPOINTMENT, f"Appointment/{appointment['id']}", body=body,
                 headers={"If-Match": etag}, send=send)


def cancellation(appointment: dict, reason: str | None) -> dict:
    body = copy.deepcopy(appointment)
    body["status"] = "cancelled"
    body["extension"] = [e for e in body.get("extension") or [] if e.get("url") != CANCELLATION_REASON_URL]
    if reason is not None:
        body["extension"].append({"url": CANCELLATION_REASON_URL, "valueString": reason})
    return body


def cancel(client: GpConnectClient, appointment: dict, etag: str, reason: str | None = "Cancelled by the assurance run",
           edit: Callable[[dict], None] | None = None, send: dict | None = None) -> Exchange:
    body = cancellation(appointment, reason)
    if edit:
        edit(body)
    return _send(client, CANCEL_APPOINTMENT, f"Appointment/{appointment['id']}", body=body,
                 headers={"If-Match": etag}, send=send)


# ------------------------------------------------------------------ checks that need the booking, or send requests


def claims_of_organisation(client: GpConnectClient, interaction, ods_code: str) -> dict:
    """The JWT claims of `interaction` from a consumer of another organisation: its ODS code in
    requesting_organization, all else as usual."""
    claims = client.claims_for(interaction)
    claims["requesting_organization"] = dict(claims["requesting_organization"], name="Another organisation",
                                             identifier=[{"system": ODS_SYSTEM, "value": ods_code}])
    return claims


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


def after_refused_booking(client: GpConnectClient, settings: Settings, patient_id: str,
                          booking: Booking) -> tuple[set[tuple[str, str, str]], list[dict]]:
    """What a refused booking left, for booking_checks.refused_booking_violations: the SlotInfo.key of each free
    slot a fresh search of its days offers, and the patient's appointments retrieved over those days."""
    days = sorted({s.start.astimezone(UK).date() for s in booking.slots})
    search = ss.search(client, settings, ss.Window.days(days[0], days[-1]))
    search.require_searchset()
    free = {s.key for s in offered(search.exchange)}
    return free, retrieved_appointments(retrieve(client, patient_id, days[0], days[-1]))
