"""Checks on what a booking answers and leaves: the created Appointment's slots, span and what the consumer
sent (texts, booking organisation), its Location and ETag headers, a path that is no endpoint, a refused
booking that booked nothing, and simultaneous bookings of one slot. Pure: the answer in, violations out; the
requests are harness/consumer/appointments.py's."""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING, Collection

from harness.checks.appointments import on_appointment, parsed_appointment, text_violations
from harness.checks.refusals import refusal_violations
from harness.checks.violations import Violation, status_violations, violation
from harness.errors import Nonconformance
from harness.spec.constants import BOOKING_ORG_URL, ODS_SYSTEM
from harness.spec.interactions import BOOK_APPOINTMENT
from harness.transport import fhir
from harness.transport.exchange import Exchange

if TYPE_CHECKING:
    from harness.consumer.appointments import Booking  # a booking as sent and answered (annotation only)
    from harness.consumer.discovery import SlotInfo  # the slots a booking was made of (annotation only)


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
    found = text_violations(appointment, sent, "BOOK-TEXT-01")
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


def refused_booking_violations(slots: list[SlotInfo], marker: str, offered: set[tuple[str, str, str]],
                               retrieved: list[dict], kept: Collection[str] = ()) -> list[Violation]:
    """A refused booking booked nothing (BOOK-ATOMIC-01): each of its slots is still offered free (`offered`:
    the SlotInfo.key of every free slot a fresh search of its days returned), and no live retrieved appointment
    is on one of them or carries the booking's `marker`. `kept`: ids of its slots an appointment of this run
    holds on purpose; they stay booked by that appointment."""
    rule = "BOOK-ATOMIC-01"
    free = [s for s in slots if s.id not in kept]
    found = [violation(rule, f"Slot {s.id}", "Slot.status", "free", "not offered",
                       f"{s.describe()} is no longer offered as free after a refused booking")
             for s in free if s.key not in offered]
    wanted = {("Slot", s.id) for s in free}
    for appointment in retrieved:
        if appointment.get("status") == "cancelled":
            continue
        on = sorted(f"Slot/{k[1]}" for k in wanted & {fhir.ref_key((r or {}).get("reference"))
                                                      for r in appointment.get("slot") or []})
        if on or marker in (appointment.get("description") or ""):
            found.append(on_appointment(appointment, rule, "Appointment", "none", "booked",
                                        f"was made by a refused booking ({', '.join(on) or 'its marker'})"))
    return found


def created_violations(exchange: Exchange) -> list[Violation]:
    """A booking answered 201 carries Location and ETag headers, and its Location names the created
    appointment, [base]/Appointment/[id] with or without its version (BOOK-01)."""
    rule = BOOK_APPOINTMENT.requirement
    missing = [h for h in ("Location", "ETag") if not exchange.header(h)]
    if missing:
        return [violation(rule, "response", " and ".join(missing), "present", "missing",
                          f"booking answered 201 without {' and '.join(missing)} header")]
    try:
        body = exchange.json() if not exchange.blank_body() else None
    except Nonconformance:
        return []  # the step that booked names a body that is not FHIR JSON
    appointment_id = str(body.get("id") or "") if isinstance(body, dict) else ""
    location = exchange.header("Location") or ""
    if not appointment_id or fhir.ref_key(location) == ("Appointment", appointment_id):
        return []
    return [violation(rule, f"Appointment {appointment_id}", "Location header",
                      f"[base]/Appointment/{appointment_id}/_history/[vid]", location,
                      f"booking answered 201 with Location {location}, which does not name "
                      f"Appointment/{appointment_id}")]


def reason_accepted_violations(sent: dict, status: int | None) -> list[Violation]:
    """A booking carrying reason or specialty is refused (BOOK-NOREASON-01); `sent`: the booking's body."""
    return [violation("BOOK-NOREASON-01", "request", f"Appointment.{element}", "refused", f"HTTP {status}",
                      f"a booking carrying Appointment.{element} was accepted (HTTP {status})")
            for element in ("reason", "specialty") if sent.get(element)]


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
