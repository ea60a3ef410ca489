"""Checks on the Appointments a provider returns (book, read, retrieve, amend, cancel): their slot and
schedule types, slots, booking organisation, version and ETag, texts as sent, a cancellation's reason and
what it kept, and what a retrieve answered. Pure: an answer (or its Appointment's JSON) in, violations out;
the requests are harness/consumer/appointments.py's."""

from __future__ import annotations

import json
from datetime import datetime
from typing import TYPE_CHECKING, Iterable

from harness.checks.refusals import refusal_violations
from harness.checks.violations import (
    Violation,
    on_appointment,
    parsed,
    violation,
)
from harness.spec.constants import (
    CANCELLATION_REASON_URL,
)
from harness.spec.interactions import (
    READ_APPOINTMENT,
    requirement_of,
)
from harness.spec.texts import reason_expected, reason_kept, type_text, type_texts
from harness.transport import fhir
from harness.transport.exchange import Exchange

if TYPE_CHECKING:
    pass  # the slots a booking was made of (annotation only)


def parsed_appointment(exchange: Exchange) -> dict:
    """The response body as an Appointment that parses with the STU3 model; its raw JSON."""
    parsed(exchange, "Appointment", requirement_of(exchange.interaction))
    return exchange.json()


def etag_of(exchange: Exchange) -> str:
    return exchange.header("ETag") or ""


CONSUMER_TYPES_IGNORED = "BOOK-IGNORE-01"


def slot_type_texts(appointment: dict) -> list[str]:
    """The appointment's slot type texts, exactly as given (texts.type_texts)."""
    return list(type_texts(appointment.get("serviceType")))


def schedule_type_text(appointment: dict) -> str:
    """The appointment's schedule type exactly as given, '' for none."""
    return type_text(appointment.get("serviceCategory")) or ""


def slot_type_violations(appointment: dict, rule: str) -> list[Violation]:
    """The appointment carries a slot type (a non-blank Appointment.serviceType[*].text), as `rule` asks."""
    if slot_type_texts(appointment):
        return []
    return [on_appointment(appointment, rule, "Appointment.serviceType[*].text", "a slot type", "empty",
                           "has no slot type: Appointment.serviceType[*].text is empty")]


ONLY_SPACES = " (they differ only by surrounding spaces; the spec asks for the same text)"


def quoted(texts) -> str:
    return ", ".join(repr(t) for t in texts) or "none"


def slot_type_difference(got, expected) -> str | None:
    """How an appointment's slot type texts differ from its booked slot's (the same text, exactly), or None;
    an appointment with none is slot_type_violations'."""
    got, expected = tuple(got), tuple(expected)
    if not got or got == expected:
        return None
    spaces = tuple(t.strip() for t in got) == tuple(t.strip() for t in expected)
    return (f"slot type differs from its booked slot's: expected {quoted(expected)}, got {quoted(got)}"
            + (ONLY_SPACES if spaces else ""))


def schedule_type_difference(got: str | None, expected: str | None, schedule: str = "") -> str | None:
    """How an appointment's schedule type text differs from its schedule's (`expected`, None when the
    schedule has none: then the appointment has none either), or None."""
    if expected is None:
        where = f" (Schedule {schedule})" if schedule else ""
        return f"has schedule type {got!r} though its schedule{where} has none" if (got or "").strip() else None
    if got == expected:
        return None
    spaces = (got or "").strip() == expected.strip()
    return (f"schedule type differs from its schedule's: expected {expected!r}, got "
            f"{repr(got) if got else 'none (Appointment.serviceCategory.text is empty)'}"
            + (ONLY_SPACES if spaces else ""))


def text_difference(key: str, got, sent) -> str | None:
    """How a description or comment differs from what the consumer sent (exactly, never cut), or None; a
    long text is named by its length."""
    if got == sent:
        return None
    if len(str(got or "")) + len(str(sent or "")) <= 120:
        return f"{key} is {got!r}, sent {sent!r}"
    cut = isinstance(got, str) and isinstance(sent, str) and sent.startswith(got)
    return f"{key} is not as sent: {len(got or '')} characters returned, {len(sent or '')} sent" + \
        (" (cut)" if cut else "")


def type_violations(appointment: dict, slot_type: str, schedule_type: str | None, rules: tuple[str, str | None],
                    sent: dict | None = None) -> list[Violation]:
    """The appointment's types equal its slot's and schedule's: equal text, not merely present.
    `rules`: the requirements of the slot type and of the schedule type (requirements.type_requirements of
    the interaction that returned it). With `sent`, the booking request: a type that is the consumer's own
    also breaks BOOK-IGNORE-01."""
    found = slot_type_violations(appointment, rules[0])
    texts = slot_type_texts(appointment)
    differs = slot_type_difference(texts, (slot_type,))
    if differs:
        kept = texts == slot_type_texts(sent or {})
        found.append(on_appointment(appointment, (rules[0], *((CONSUMER_TYPES_IGNORED,) if kept else ())),
                                    "Appointment.serviceType[*].text", slot_type, quoted(texts),
                                    differs + (" (the consumer's own)" if kept else "")))
    text = schedule_type_text(appointment)
    differs = schedule_type_difference(text, schedule_type) if schedule_type else None
    if differs:
        kept = bool(text) and text == schedule_type_text(sent or {})
        found.append(on_appointment(appointment, (rules[1], *((CONSUMER_TYPES_IGNORED,) if kept else ())),
                                    "Appointment.serviceCategory.text", schedule_type, repr(text) if text else "none",
                                    differs + (" (the consumer's own)" if kept else "")))
    return found


def text_violations(appointment: dict, sent: dict, rule: str) -> list[Violation]:
    """Description and comment exactly as the consumer sent them, never cut (BOOK-TEXT-01 and the amendment's
    own: text_difference)."""
    return [on_appointment(appointment, rule, f"Appointment.{key}", repr(sent.get(key))[:200],
                           repr(appointment.get(key))[:200], differs)
            for key in ("description", "comment")
            if (differs := text_difference(key, appointment.get(key), sent.get(key)))]


def text_kept_violations(exchange: Exchange, rule: str, refusal_allowed: bool) -> list[Violation]:
    """A booking or amendment keeps description and comment exactly as sent (text_violations). With
    `refusal_allowed` (texts longer than the spec asks a provider to store), a refusal with an
    OperationOutcome is conformant too."""
    success = exchange.status is not None and 200 <= exchange.status < 300
    if not success and refusal_allowed:
        return refusal_violations(exchange, rule)
    if not success:
        return [violation(rule, "response", "HTTP status", "2xx", exchange.status,
                          f"expected the description and comment to be stored, got HTTP {exchange.status}")]
    return text_violations(exchange.json(), json.loads(exchange.request_body or "{}"), rule)


def etag_violations(exchange: Exchange, appointment: dict, rule: str, held: str | None = None,
                    last_seen: str = "") -> list[Violation]:
    """The ETag header is W/"<meta.versionId>" of the returned appointment. With `held` (the version this run
    last saw, `last_seen` saying how), that is also the version returned (READ-ETAG-01: a read names the
    version the provider holds)."""
    version = (appointment.get("meta") or {}).get("versionId")
    if not version:
        return [on_appointment(appointment, rule, "Appointment.meta.versionId", "a version", "none",
                               "has no meta.versionId")]
    expected, got = f'W/"{version}"', etag_of(exchange)
    found = [] if got == expected else [
        on_appointment(appointment, rule, "ETag", expected, got, f"ETag is {got!r}, expected {expected!r} from "
                       "meta.versionId")]
    if held and version != held:
        found.append(on_appointment(appointment, rule, "meta.versionId", held, version,
                                    f"is read at version {version!r}, but this run last saw it {last_seen}"))
    return found


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


def read_id_violations(appointment: dict, appointment_id: str) -> list[Violation]:
    if str(appointment.get("id")) == appointment_id:
        return []
    named = fhir.label(appointment, "Appointment")
    return [violation(READ_APPOINTMENT.requirement, named, "Appointment.id", appointment_id, appointment.get("id"),
                      f"read of Appointment {appointment_id} returned {named}")]


# What a refused amendment or cancellation must leave as it was.
KEPT_ON_REFUSAL = ("status", "start", "end", "slot", "serviceType", "serviceCategory", "description", "comment",
                   "extension")


def unchanged_violations(before: dict, after: dict, requirements: Iterable[str]) -> list[Violation]:
    """A refused request changes nothing: the appointment read afterwards has the version and the fields it had
    when last seen before the request; each difference breaks the refused request's `requirements`."""
    label, requirements, found = fhir.label(before, "Appointment"), tuple(requirements), []
    was, now = (before.get("meta") or {}).get("versionId"), (after.get("meta") or {}).get("versionId")
    if was != now:
        found.append(violation(requirements, label, "meta.versionId", was, now,
                               f"{label} is at version {now!r} after a refused request; it was at {was!r}"))
    for key in KEPT_ON_REFUSAL:
        if _same(before.get(key)) != _same(after.get(key)):
            found.append(violation(requirements, label, f"Appointment.{key}", repr(before.get(key)),
                                   repr(after.get(key)), f"{label} {key} changed by a refused request: was "
                                   f"{before.get(key)!r}, now {after.get(key)!r}"[:400]))
    return found


def _same(value):
    """A value as compared after a refusal: lists in any order (a provider may list extensions differently)."""
    if isinstance(value, list):
        return sorted(json.dumps(v, sort_keys=True) for v in value)
    return json.dumps(value, sort_keys=True)


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
