"""Book, retrieve, read, amend and cancel: requests built from live data, and checks on the answers.

Bodies are edited as raw JSON taken from the provider's own responses, so a consumer sends back
exactly what it was given apart from the fields it means to change. Every check returns a list of
Violation naming the requirement it breaks; violations.fail_if_any turns it into the failure.
"""

from __future__ import annotations

import copy
import dataclasses
import re
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from typing import Callable, Iterable

from harness import clock
from harness.checks.refusals import refusal_violations
from harness.checks.violations import (
    Violation,
    bundle_type_violations,
    fail_if_any,
    parsed,
    status_violations,
    violation,
)
from harness.consumer import slot_search as ss
from harness.consumer.discovery import SlotInfo, free_slots
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
from harness.spec.texts import reason_expected, reason_kept, type_text, type_texts
from harness.transport import fhir
from harness.transport.client import Exchange, GpConnectClient

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


def parsed_appointment(exchange: Exchange) -> dict:
    """The response body as an Appointment that parses with the STU3 model; its raw JSON."""
    parsed(exchange, "Appointment", requirement_of(exchange.interaction))
    return exchange.json()


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


def etag_of(exchange: Exchange) -> str:
    return exchange.header("ETag") or ""


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


# ------------------------------------------------------------------ checks

CONSUMER_TYPES_IGNORED = "BOOK-IGNORE-01"
# The requirements broken when an Appointment's slot type / schedule type is not its slot's and
# schedule's, by the interaction that returned it.
TYPES_KEPT = {
    BOOK_APPOINTMENT.name: ("BOOK-TYPE-01", "BOOK-SCHEDTYPE-01"),
    READ_APPOINTMENT.name: ("READ-TYPE-01", "READ-TYPE-01"),
    AMEND_APPOINTMENT.name: ("AMEND-01", "AMEND-01"),
    CANCEL_APPOINTMENT.name: ("CANCEL-01", "CANCEL-01"),
    RETRIEVE_APPOINTMENTS.name: ("RETR-TYPE-01", "RETR-TYPE-01"),
}


def label(appointment: dict) -> str:
    return f"Appointment {appointment.get('id', '(no id)')}"


def _on(appointment: dict, requirements, element: str, expected: object, got: object, message: str) -> Violation:
    """A violation on this appointment; the message is prefixed with its label."""
    return violation(requirements, label(appointment), element, expected, got, f"{label(appointment)} {message}")


def slot_type_texts(appointment: dict) -> list[str]:
    """The appointment's slot type texts, exactly as given (texts.type_texts)."""
    return list(type_texts(appointment.get("serviceType")))


def schedule_type_text(appointment: dict) -> str:
    """The appointment's schedule type exactly as given, '' for none."""
    return type_text(appointment.get("serviceCategory")) or ""


def _no_slot_type(appointment: dict, rule: str) -> Violation:
    return _on(appointment, rule, "Appointment.serviceType[*].text", "a slot type", "empty",
               "has no slot type: Appointment.serviceType[*].text is empty")


def type_violations(appointment: dict, slot_type: str, schedule_type: str | None, rules: tuple[str, str],
                    sent: dict | None = None) -> list[Violation]:
    """The appointment's types equal its slot's and schedule's: equal text, not merely present.
    `rules`: the requirements of the slot type and of the schedule type (see TYPES_KEPT). With `sent`,
    the booking request: a type that is the consumer's own also breaks BOOK-IGNORE-01."""
    found = []
    texts = slot_type_texts(appointment)
    if not texts:
        found.append(_no_slot_type(appointment, rules[0]))
    elif texts != [slot_type]:
        got = ", ".join(repr(t) for t in texts)
        kept = texts == slot_type_texts(sent or {})
        found.append(_on(appointment, (rules[0], *((CONSUMER_TYPES_IGNORED,) if kept else ())),
                         "Appointment.serviceType[*].text", slot_type, got,
                         f"slot type differs from its booked slot: expected '{slot_type}', got {got}"
                         + (" (the consumer's own)" if kept else "")))
    if schedule_type:
        text = schedule_type_text(appointment)
        if text != schedule_type:
            got = repr(text) if text else "none (Appointment.serviceCategory.text is empty)"
            kept = bool(text) and text == schedule_type_text(sent or {})
            found.append(_on(appointment, (rules[1], *((CONSUMER_TYPES_IGNORED,) if kept else ())),
                             "Appointment.serviceCategory.text", schedule_type, got,
                             f"schedule type differs from its schedule's: expected '{schedule_type}', got {got}"
                             + (" (the consumer's own)" if kept else "")))
    return found


def booking_organisation(appointment: dict) -> dict | None:
    """The contained Organization the booking-organisation extension points to."""
    ref = next(((e.get("valueReference") or {}).get("reference") for e in appointment.get("extension") or []
                if e.get("url") == BOOKING_ORG_URL), None)
    if not ref or not ref.startswith("#"):
        return None
    return next((c for c in appointment.get("contained") or [] if f"#{c.get('id')}" == ref), None)


def as_sent_violations(appointment: dict, sent: dict) -> list[Violation]:
    """Must-support data the consumer sent comes back unchanged: description and comment (BOOK-TEXT-01),
    the booking organisation (BOOK-ORG-01)."""
    found = [_on(appointment, "BOOK-TEXT-01", f"Appointment.{k}", repr(sent.get(k)), repr(appointment.get(k)),
                 f"{k} is {appointment.get(k)!r}, sent {sent.get(k)!r}")
             for k in ("description", "comment") if appointment.get(k) != sent.get(k)]
    org, sent_org = booking_organisation(appointment), booking_organisation(sent)
    if org is None:
        found.append(_on(appointment, "BOOK-ORG-01", "Appointment.extension:bookingOrganisation",
                         "a contained Organization", "none", "has no booking organisation "
                         "(Extension-GPConnect-BookingOrganisation-1 to a contained Organization)"))
    else:
        for key in ("identifier", "name", "telecom", "type"):
            if org.get(key) != sent_org.get(key):
                found.append(_on(appointment, "BOOK-ORG-01", f"Appointment.contained.Organization.{key}",
                                 repr(sent_org.get(key)), repr(org.get(key)),
                                 f"booking organisation {key} is {org.get(key)!r}, sent {sent_org.get(key)!r}"))
    return found


def slot_violations(appointment: dict, slots: list[SlotInfo]) -> list[Violation]:
    """Appointment.slot lists exactly the booked slots and start/end span them (BOOK-MULTI-01 for
    several slots, BOOK-01 for one)."""
    rule = "BOOK-MULTI-01" if len(slots) > 1 else "BOOK-01"
    found = []
    listed = sorted(fhir.ref_key((s or {}).get("reference")) or ("?", "?") for s in appointment.get("slot") or [])
    wanted = sorted(("Slot", s.id) for s in slots)
    if listed != wanted:
        got, expected = [k[1] for k in listed], [k[1] for k in wanted]
        found.append(_on(appointment, rule, "Appointment.slot", expected, got,
                         f"lists slots {got}, expected {expected}"))
    try:
        start, end = datetime.fromisoformat(appointment["start"]), datetime.fromisoformat(appointment["end"])
    except (KeyError, TypeError, ValueError):
        return found + [_on(appointment, rule, "Appointment.start, Appointment.end", "date-times", "invalid",
                            "has no valid start and end")]
    if start != slots[0].start or end != slots[-1].end:
        expected = f"{slots[0].raw['start']} to {slots[-1].raw['end']}"
        got = f"{appointment['start']} to {appointment['end']}"
        found.append(_on(appointment, rule, "Appointment.start, Appointment.end", expected, got,
                         f"runs {got}, expected {expected}"))
    return found


def etag_violations(exchange: Exchange, appointment: dict, rule: str) -> list[Violation]:
    """The ETag header is W/"<meta.versionId>" of the returned appointment."""
    version = (appointment.get("meta") or {}).get("versionId")
    if not version:
        return [_on(appointment, rule, "Appointment.meta.versionId", "a version", "none", "has no meta.versionId")]
    expected, got = f'W/"{version}"', etag_of(exchange)
    return [] if got == expected else [violation(rule, "response", "ETag", expected, got,
                                                 f"ETag is {got!r}, expected {expected!r} from meta.versionId")]


def version_of(appointment: dict) -> str:
    return str((appointment.get("meta") or {}).get("versionId") or "")


def new_version_violations(appointment: dict, old_version: str, after: str, rule: str) -> list[Violation]:
    """An amendment or cancellation makes a new version."""
    if version_of(appointment) != old_version:
        return []
    return [_on(appointment, rule, "Appointment.meta.versionId", f"other than {old_version}", old_version,
                f"kept versionId {old_version} after {after}")]


def field_violations(appointment: dict, expected: dict[str, object], rule: str) -> list[Violation]:
    """Top-level fields (description, comment, status) have the values the consumer sent."""
    return [_on(appointment, rule, f"Appointment.{k}", repr(v), repr(appointment.get(k)),
                f"{k} is {appointment.get(k)!r}, expected {v!r}")
            for k, v in expected.items() if appointment.get(k) != v]


def cancellation_reason_violations(appointment: dict, reason: str) -> list[Violation]:
    """The cancelled appointment carries one cancellation reason: the one sent, or a prefix of it (the spec
    lets a provider truncate it when stored)."""
    reasons = [e.get("valueString") for e in appointment.get("extension") or []
               if e.get("url") == CANCELLATION_REASON_URL]
    if len(reasons) == 1 and reason_kept(reasons[0], reason):
        return []
    return [_on(appointment, "CANCEL-01", "Appointment.extension:cancellationReason", reason_expected(reason),
                reasons or "missing", f"cancellation reason is {reasons or 'missing'}, expected [{reason!r}] "
                "or a prefix of it")]


def claims_of_organisation(client: GpConnectClient, interaction, ods_code: str) -> dict:
    """The JWT claims of `interaction` from a consumer of another organisation: its ODS code in
    requesting_organization, all else as usual."""
    claims = client.claims_for(interaction)
    claims["requesting_organization"] = dict(claims["requesting_organization"], name="Another organisation",
                                             identifier=[{"system": ODS_SYSTEM, "value": ods_code}])
    return claims


def _ods_codes(organisation: dict | None) -> list[str]:
    return [i.get("value") for i in (organisation or {}).get("identifier") or []
            if isinstance(i, dict) and i.get("system") == ODS_SYSTEM]


def booking_organisation_read_violations(exchange: Exchange, sent: dict) -> list[Violation]:
    """An appointment booked by another organisation is read with 200 and keeps the booking
    organisation's ODS code as the booking sent it (READ-ORG-01)."""
    rule = "READ-ORG-01"
    if exchange.status != 200:
        return [violation(rule, "response", "HTTP status", 200, exchange.status,
                          f"the read of an appointment booked by another organisation was answered HTTP "
                          f"{exchange.status}, expected 200")]
    appointment = parsed_appointment(exchange)
    expected, got = _ods_codes(booking_organisation(sent)), _ods_codes(booking_organisation(appointment))
    if got == expected:
        return []
    return [_on(appointment, rule, "Appointment.contained.Organization.identifier(ODS code)", expected, got or "none",
                f"booking organisation ODS code is {', '.join(map(str, got)) or 'missing'}, the booking sent "
                f"{', '.join(map(str, expected))}")]


def read_id_violations(appointment: dict, appointment_id: str) -> list[Violation]:
    if str(appointment.get("id")) == appointment_id:
        return []
    return [violation(READ_APPOINTMENT.requirement, label(appointment), "Appointment.id", appointment_id,
                      appointment.get("id"), f"read of Appointment {appointment_id} returned {label(appointment)}")]


def among_retrieved(found: list[dict], appointment_id: str, rule: str,
                    then: Callable[[dict], list[Violation]] = lambda a: []) -> list[Violation]:
    """The appointment is among those retrieved, and `then` holds for it."""
    matches = [a for a in found if str(a.get("id")) == appointment_id]
    if not matches:
        return [violation(rule, f"Appointment {appointment_id}", "Bundle.entry", "returned", "not returned",
                          f"Appointment {appointment_id} booked by this run is not returned")]
    return then(matches[0])


def at_least_violations(found: list[dict], count: int, rule: str) -> list[Violation]:
    """At least `count` Appointments are returned."""
    if len(found) >= count:
        return []
    return [violation(rule, "Bundle", "Bundle.entry", f"at least {count} Appointments", len(found),
                      f"expected at least {count} Appointments, got {len(found)}")]


def retrieved_type_violations(found: list[dict], mode: str) -> list[Violation]:
    """Every retrieved appointment has a slot type, and a schedule type as the environment declares
    it configured (GPC_SCHEDULE_TYPES)."""
    rule = "RETR-TYPE-01"
    result = [_no_slot_type(a, rule) for a in found if not slot_type_texts(a)]
    if mode == "all":
        result += [_on(a, rule, "Appointment.serviceCategory.text", "a schedule type", "empty",
                       "has no schedule type: Appointment.serviceCategory.text is empty")
                   for a in found if not schedule_type_text(a)]
    elif mode == "none":
        result += [_on(a, rule, "Appointment.serviceCategory.text", "no schedule type", schedule_type_text(a),
                       f"has schedule type '{schedule_type_text(a)}' though this practice has none configured "
                       "(GPC_SCHEDULE_TYPES=none)") for a in found if schedule_type_text(a)]
    return result


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


def unchanged_violations(now: dict, before: KnownAppointment, rules: Iterable[str]) -> list[Violation]:
    """After a refused request the appointment keeps its version, status and types; `rules`: the
    refusal requirement the request was sent to test."""
    rules = tuple(rules)
    found = []
    if version_of(now) != before.version:
        found.append(_on(now, rules, "Appointment.meta.versionId", before.version, version_of(now),
                         f"version changed from {before.version} to {version_of(now)} after a refused request"))
    if now.get("status") != before.appointment.get("status"):
        found.append(_on(now, rules, "Appointment.status", before.appointment.get("status"), now.get("status"),
                         f"status changed from {before.appointment.get('status')} to {now.get('status')}"))
    return found + type_violations(now, before.booking.expected_slot_type, before.booking.expected_schedule_type,
                                   (rules[0], rules[0]) if rules else ("",) * 2)


def created_violations(exchange: Exchange) -> list[Violation]:
    """A booking answered 201 carries Location and ETag headers (BOOK-01)."""
    missing = [h for h in ("Location", "ETag") if not exchange.header(h)]
    if not missing:
        return []
    return [violation(BOOK_APPOINTMENT.requirement, "response", " and ".join(missing), "present", "missing",
                      f"booking answered 201 without {' and '.join(missing)} header")]


def answered_created_violations(exchange: Exchange) -> list[Violation]:
    """A booking is answered 201 with Location and ETag headers, with or without a body (BOOK-01)."""
    found = status_violations(exchange, 201, BOOK_APPOINTMENT.requirement)
    return found or created_violations(exchange)


def booked_anyway_violations(booking: Booking, offered: set, retrieved: list[dict],
                             taken: frozenset[str] = frozenset()) -> list[Violation]:
    """A refused booking made nothing (BOOK-ATOMIC-01): each of its slots is still offered free (`offered`:
    the SlotInfo.key of every free slot a fresh search returns), and no live retrieved appointment is on
    one of them or carries the booking's marker. `taken`: ids of its slots this run booked just before, on
    purpose; they stay booked by that appointment."""
    rule = "BOOK-ATOMIC-01"
    found = [violation(rule, f"Slot {s.id}", "Slot.status", "free", "not offered",
                       f"{s.describe()} is no longer offered as free") for s in booking.slots
             if s.key not in offered and s.id not in taken]
    wanted = {("Slot", s.id) for s in booking.slots if s.id not in taken}
    for appointment in retrieved:
        if appointment.get("status") == "cancelled":
            continue
        on_slots = {fhir.ref_key((r or {}).get("reference")) for r in appointment.get("slot") or []} & wanted
        if on_slots or booking.marker in (appointment.get("description") or ""):
            ids = sorted(k[1] for k in on_slots)
            found.append(_on(appointment, rule, "Appointment", "none", "booked",
                             f"was made by the refused booking (slots {ids})"))
    return found


def after_refused_booking(client: GpConnectClient, settings: Settings, patient_id: str,
                          booking: Booking, taken: frozenset[str] = frozenset()) -> list[Violation]:
    """Search the booking's days again and retrieve the patient's appointments, then booked_anyway_violations."""
    days = sorted({s.start.astimezone(UK).date() for s in booking.slots})
    search = ss.search(client, settings, ss.Window.days(days[0], days[-1]))
    search.require_searchset()
    offered = {s.key for s in free_slots(search.exchange.json())}
    retrieved = retrieved_appointments(retrieve(client, patient_id, days[0], days[-1]))
    return booked_anyway_violations(booking, offered, retrieved, taken)


def unknown_path_violations(exchange: Exchange) -> list[Violation]:
    """A booking posted to a path that is no endpoint is refused (any failure status) with an
    OperationOutcome (BOOK-URL-01, NHS's suite)."""
    rule = "BOOK-URL-01"
    if exchange.status is None or exchange.status < 400:
        return [violation(rule, "response", "HTTP status", "a failure status", exchange.status,
                          f"a booking posted to a path that is no endpoint is answered HTTP {exchange.status}")]
    try:
        fhir.parse(exchange.json(), exchange.short_request(), expected_type="OperationOutcome")
    except Nonconformance as exc:
        return [violation(rule, "response", "body", "an OperationOutcome", "none",
                          f"HTTP {exchange.status} to a booking posted to a path that is no endpoint carries no "
                          f"OperationOutcome: {exc}")]
    return []


def empty_retrieve_violations(exchange: Exchange, rule: str = "RETR-EMPTY-01") -> list[Violation]:
    """A retrieve is answered 200 with a searchset Bundle, also when it finds no Appointment
    (RETR-EMPTY-01; the caller tells whether it holds any)."""
    where = exchange.short_request()
    found = status_violations(exchange, 200, rule)
    if found:
        return found
    bundle = parsed(exchange, "Bundle", rule)
    return bundle_type_violations(bundle.type, "searchset", f"retrieve appointments ({where})", rule)


def _extensions_but_reason(appointment: dict) -> list[dict]:
    return sorted((e for e in appointment.get("extension") or [] if e.get("url") != CANCELLATION_REASON_URL),
                  key=lambda e: repr(sorted(e.items())))


def cancel_kept_violations(cancelled: dict, before: dict) -> list[Violation]:
    """A cancelled appointment is the one cancelled and keeps everything but status and reason: id, other
    extensions, description, start, end, slots, participants (reference and status), created (CANCEL-KEEP-01)."""
    rule = "CANCEL-KEEP-01"

    def participants(a: dict) -> list:
        return sorted((((p.get("actor") or {}).get("reference")), p.get("status")) for p in a.get("participant") or [])

    def slots(a: dict) -> list:
        return sorted(((s or {}).get("reference"), (s or {}).get("display")) for s in a.get("slot") or [])

    def instant(a: dict, key: str):
        try:
            return datetime.fromisoformat(a[key])
        except (KeyError, TypeError, ValueError):
            return a.get(key)

    compared = {
        "id": (str(before.get("id")), str(cancelled.get("id"))),
        "extension": (_extensions_but_reason(before), _extensions_but_reason(cancelled)),
        "description": (before.get("description"), cancelled.get("description")),
        "start": (instant(before, "start"), instant(cancelled, "start")),
        "end": (instant(before, "end"), instant(cancelled, "end")),
        "slot": (slots(before), slots(cancelled)),
        "participant": (participants(before), participants(cancelled)),
        "created": (instant(before, "created"), instant(cancelled, "created")),
    }
    shown = {key: (before.get(key), cancelled.get(key)) for key in ("start", "end", "created")}
    return [_on(cancelled, rule, f"Appointment.{key}", repr(was), repr(now),
                f"{key} changed with its cancellation: was {shown.get(key, (was, now))[0]!r}, "
                f"now {shown.get(key, (was, now))[1]!r}") for key, (was, now) in compared.items() if was != now]


def race_violations(race: list[Booking]) -> list[Violation]:
    """Of simultaneous bookings of one slot exactly one succeeds; the other is refused 409 DUPLICATE_REJECTED."""
    rule = "BOOK-RACE-01"
    won = [b for b in race if b.succeeded]
    if len(won) != 1:
        statuses = " and ".join(str(b.exchange.status) for b in race)
        return [violation(rule, race[0].slots[0].describe(), "HTTP status", "exactly one 201", statuses,
                          f"{len(race)} simultaneous bookings of {race[0].slots[0].describe()}: expected exactly one "
                          f"to succeed, {len(won)} did (HTTP {statuses})")]
    lost = next(b for b in race if not b.succeeded)
    return refusal_violations(lost.exchange, rule, 409, "DUPLICATE_REJECTED")
