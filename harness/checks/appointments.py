"""Checks on the Appointments a provider returns (book, read, retrieve, amend, cancel): their slot and
schedule types, slots, booking organisation, version and ETag, texts as sent, a cancellation's reason and
what it kept, and what a retrieve answered. Pure: an answer (or its Appointment's JSON) in, violations out;
the requests are harness/consumer/appointments.py's."""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING, Callable

from harness.checks.violations import (
    Violation,
    bundle_type_violations,
    parsed,
    status_violations,
    violation,
)
from harness.errors import Nonconformance
from harness.spec.constants import (
    BOOKING_ORG_URL,
    CANCELLATION_REASON_URL,
    ODS_SYSTEM,
)
from harness.spec.interactions import (
    AMEND_APPOINTMENT,
    BOOK_APPOINTMENT,
    CANCEL_APPOINTMENT,
    READ_APPOINTMENT,
    RETRIEVE_APPOINTMENTS,
    requirement_of,
)
from harness.spec.texts import reason_expected, reason_kept, type_text, type_texts
from harness.transport import fhir
from harness.transport.client import Exchange

if TYPE_CHECKING:
    from harness.consumer.discovery import SlotInfo  # the slots a booking was made of (annotation only)


def parsed_appointment(exchange: Exchange) -> dict:
    """The response body as an Appointment that parses with the STU3 model; its raw JSON."""
    parsed(exchange, "Appointment", requirement_of(exchange.interaction))
    return exchange.json()


def etag_of(exchange: Exchange) -> str:
    return exchange.header("ETag") or ""


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


def on_appointment(appointment: dict, requirements, element: str, expected: object, got: object,
                   message: str) -> Violation:
    """A violation on this appointment; the message is prefixed with its label."""
    return violation(requirements, label(appointment), element, expected, got, f"{label(appointment)} {message}")


def slot_type_texts(appointment: dict) -> list[str]:
    """The appointment's slot type texts, exactly as given (texts.type_texts)."""
    return list(type_texts(appointment.get("serviceType")))


def schedule_type_text(appointment: dict) -> str:
    """The appointment's schedule type exactly as given, '' for none."""
    return type_text(appointment.get("serviceCategory")) or ""


def _no_slot_type(appointment: dict, rule: str) -> Violation:
    return on_appointment(appointment, rule, "Appointment.serviceType[*].text", "a slot type", "empty",
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
        found.append(on_appointment(appointment, (rules[0], *((CONSUMER_TYPES_IGNORED,) if kept else ())),
                         "Appointment.serviceType[*].text", slot_type, got,
                         f"slot type differs from its booked slot: expected '{slot_type}', got {got}"
                         + (" (the consumer's own)" if kept else "")))
    if schedule_type:
        text = schedule_type_text(appointment)
        if text != schedule_type:
            got = repr(text) if text else "none (Appointment.serviceCategory.text is empty)"
            kept = bool(text) and text == schedule_type_text(sent or {})
            found.append(on_appointment(appointment, (rules[1], *((CONSUMER_TYPES_IGNORED,) if kept else ())),
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
    found = [on_appointment(appointment, "BOOK-TEXT-01", f"Appointment.{k}", repr(sent.get(k)),
                            repr(appointment.get(k)),
                 f"{k} is {appointment.get(k)!r}, sent {sent.get(k)!r}")
             for k in ("description", "comment") if appointment.get(k) != sent.get(k)]
    org, sent_org = booking_organisation(appointment), booking_organisation(sent)
    if org is None:
        found.append(on_appointment(appointment, "BOOK-ORG-01", "Appointment.extension:bookingOrganisation",
                         "a contained Organization", "none", "has no booking organisation "
                         "(Extension-GPConnect-BookingOrganisation-1 to a contained Organization)"))
    else:
        for key in ("identifier", "name", "telecom", "type"):
            if org.get(key) != sent_org.get(key):
                found.append(on_appointment(appointment, "BOOK-ORG-01", f"Appointment.contained.Organization.{key}",
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
        found.append(on_appointment(appointment, rule, "Appointment.slot", expected, got,
                         f"lists slots {got}, expected {expected}"))
    try:
        start, end = datetime.fromisoformat(appointment["start"]), datetime.fromisoformat(appointment["end"])
    except (KeyError, TypeError, ValueError):
        return found + [on_appointment(appointment, rule, "Appointment.start, Appointment.end", "date-times", "invalid",
                            "has no valid start and end")]
    if start != slots[0].start or end != slots[-1].end:
        expected = f"{slots[0].raw['start']} to {slots[-1].raw['end']}"
        got = f"{appointment['start']} to {appointment['end']}"
        found.append(on_appointment(appointment, rule, "Appointment.start, Appointment.end", expected, got,
                         f"runs {got}, expected {expected}"))
    return found


def etag_violations(exchange: Exchange, appointment: dict, rule: str) -> list[Violation]:
    """The ETag header is W/"<meta.versionId>" of the returned appointment."""
    version = (appointment.get("meta") or {}).get("versionId")
    if not version:
        return [on_appointment(appointment, rule, "Appointment.meta.versionId", "a version", "none",
                               "has no meta.versionId")]
    expected, got = f'W/"{version}"', etag_of(exchange)
    return [] if got == expected else [violation(rule, "response", "ETag", expected, got,
                                                 f"ETag is {got!r}, expected {expected!r} from meta.versionId")]


def version_of(appointment: dict) -> str:
    return str((appointment.get("meta") or {}).get("versionId") or "")


def new_version_violations(appointment: dict, old_version: str, after: str, rule: str) -> list[Violation]:
    """An amendment or cancellation makes a new version."""
    if version_of(appointment) != old_version:
        return []
    return [on_appointment(appointment, rule, "Appointment.meta.versionId", f"other than {old_version}", old_version,
                f"kept versionId {old_version} after {after}")]


def field_violations(appointment: dict, expected: dict[str, object], rule: str) -> list[Violation]:
    """Top-level fields (description, comment, status) have the values the consumer sent."""
    return [on_appointment(appointment, rule, f"Appointment.{k}", repr(v), repr(appointment.get(k)),
                f"{k} is {appointment.get(k)!r}, expected {v!r}")
            for k, v in expected.items() if appointment.get(k) != v]


def cancellation_reason_violations(appointment: dict, reason: str) -> list[Violation]:
    """The cancelled appointment carries one cancellation reason: the one sent, or a prefix of it (the spec
    lets a provider truncate it when stored)."""
    reasons = [e.get("valueString") for e in appointment.get("extension") or []
               if e.get("url") == CANCELLATION_REASON_URL]
    if len(reasons) == 1 and reason_kept(reasons[0], reason):
        return []
    return [on_appointment(appointment, "CANCEL-01", "Appointment.extension:cancellationReason",
                           reason_expected(reason),
                reasons or "missing", f"cancellation reason is {reasons or 'missing'}, expected [{reason!r}] "
                "or a prefix of it")]


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
    return [on_appointment(appointment, rule, "Appointment.contained.Organization.identifier(ODS code)", expected,
                           got or "none",
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
        result += [on_appointment(a, rule, "Appointment.serviceCategory.text", "a schedule type", "empty",
                       "has no schedule type: Appointment.serviceCategory.text is empty")
                   for a in found if not schedule_type_text(a)]
    elif mode == "none":
        result += [on_appointment(a, rule, "Appointment.serviceCategory.text", "no schedule type",
                                  schedule_type_text(a),
                       f"has schedule type '{schedule_type_text(a)}' though this practice has none configured "
                       "(GPC_SCHEDULE_TYPES=none)") for a in found if schedule_type_text(a)]
    return result


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
    return [on_appointment(cancelled, rule, f"Appointment.{key}", repr(was), repr(now),
                f"{key} changed with its cancellation: was {shown.get(key, (was, now))[0]!r}, "
                f"now {shown.get(key, (was, now))[1]!r}") for key, (was, now) in compared.items() if was != now]
