"""Checks on what a retrieve of a patient's appointments answered: a searchset Bundle, also when empty;
every appointment the patient's and within the dates asked; the appointments this run booked among them,
with their slot and schedule types. Pure: the answer in, violations out; the request is
harness/consumer/appointments.py's."""

from __future__ import annotations

from datetime import date, datetime
from typing import Callable
from urllib.parse import parse_qsl, urlsplit

from harness.checks.appointments import on_appointment, schedule_type_text, slot_type_violations
from harness.checks.violations import Violation, bundle_type_violations, parsed, status_violations, violation
from harness.spec.constants import UK
from harness.transport import fhir
from harness.transport.exchange import Exchange


def retrieve_asked(url: str) -> tuple[str | None, date, date] | None:
    """What a retrieve asked for: the patient (the id before /Appointment) and the first and last day of its
    start=ge/start=le dates; None when the dates are not both given as dates."""
    split = urlsplit(url)
    parts = split.path.rstrip("/").split("/")
    patient = parts[-2] if len(parts) >= 3 and parts[-3] == "Patient" else None
    starts = [v for k, v in parse_qsl(split.query) if k == "start"]
    try:
        first = date.fromisoformat(next(v[2:] for v in starts if v.startswith("ge")))
        last = date.fromisoformat(next(v[2:] for v in starts if v.startswith("le")))
    except (StopIteration, ValueError):
        return None
    return patient, first, last


def retrieved_dates_violations(found: list[dict], patient: str | None, first: date, last: date) -> list[Violation]:
    """Every retrieved appointment is the patient's and starts (UK day) within the dates asked (RETR-DATES-01)."""
    rule = "RETR-DATES-01"
    violations = []
    for appointment in found:
        try:
            day = datetime.fromisoformat(appointment["start"]).astimezone(UK).date()
        except (KeyError, TypeError, ValueError):
            continue  # the profile check names a missing or invalid start
        if not first <= day <= last:
            violations.append(on_appointment(appointment, rule, "Appointment.start", f"{first} to {last}",
                                             appointment["start"], f"starts {appointment['start']}, outside the "
                                             f"dates asked ({first} to {last})"))
        keys = [fhir.ref_key((p.get("actor") or {}).get("reference")) for p in appointment.get("participant") or []]
        patients = [f"Patient/{k[1]}" for k in keys if k and k[0] == "Patient"]
        if patient and patients != [f"Patient/{patient}"]:
            got = ", ".join(patients) or "no patient"
            violations.append(on_appointment(appointment, rule, "Appointment.participant.actor",
                                             f"Patient/{patient}", got, f"is for {got}, not Patient/{patient} "
                                             "whose appointments were asked for"))
    return violations


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
    result = [v for a in found for v in slot_type_violations(a, rule)]
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


def empty_retrieve_violations(exchange: Exchange, rule: str = "RETR-EMPTY-01") -> list[Violation]:
    """A retrieve is answered 200 with a searchset Bundle, also when it finds no Appointment
    (RETR-EMPTY-01; the caller tells whether it holds any)."""
    where = exchange.short_request()
    found = status_violations(exchange, 200, rule)
    if found:
        return found
    bundle = parsed(exchange, "Bundle", rule)
    return bundle_type_violations(bundle.type, "searchset", f"retrieve appointments ({where})", rule)
