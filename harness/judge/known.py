"""What the run knows (each slot a search showed, each appointment it booked) and how an observation of a
known appointment is compared with it: the requirement each kind of difference breaks per interaction,
and the comparison itself, field by field and then whole with the appointment as the provider last
returned it. Pure: the RunModel (harness/judge/run_model.py) feeds it what the exchanges showed."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

from harness.checks import appointments as appt_checks
from harness.checks.violations import Violation, violation
from harness.spec import interactions as ix
from harness.spec.constants import CANCELLATION_REASON_URL, DELIVERY_CHANNEL_URL, PRACTITIONER_ROLE_URL, UK
from harness.spec.requirements import type_requirements
from harness.spec.texts import reason_expected, reason_kept, type_texts
from harness.transport import fhir

# The requirement each kind of difference breaks, per interaction that showed it; a slot type or schedule
# type differing breaks the interaction's type requirements (spec/requirements.csv).
BOOK, READ, RETRIEVE = ix.BOOK_APPOINTMENT.name, ix.READ_APPOINTMENT.name, ix.RETRIEVE_APPOINTMENTS.name
AMEND, CANCEL = ix.AMEND_APPOINTMENT.name, ix.CANCEL_APPOINTMENT.name


def _types(interaction: str) -> dict[str, str | None]:
    slot, schedule = type_requirements(interaction)
    return {"slot type": slot, "schedule type": schedule}


REQUIREMENT = {
    BOOK: {**_types(BOOK), "slots": "BOOK-MULTI-01", "fields": "BOOK-FIELDS-01", "text": "BOOK-TEXT-01",
           "status": "BOOK-01", "version": "BOOK-01"},
    READ: {**_types(READ), "slots": "READ-STATE-01", "fields": "READ-STATE-01", "text": "READ-STATE-01",
           "status": "READ-STATE-01", "version": "READ-ETAG-01"},
    RETRIEVE: {**_types(RETRIEVE), "slots": "RETR-STATE-01", "fields": "RETR-STATE-01", "text": "RETR-STATE-01",
               "status": "RETR-STATE-01", "version": "RETR-STATE-01"},
    AMEND: {**_types(AMEND), "slots": "AMEND-OTHER-01", "fields": "AMEND-OTHER-01", "text": "AMEND-01",
            "status": "AMEND-OTHER-01", "version": "AMEND-01", "id": "AMEND-01"},
    CANCEL: {**_types(CANCEL), "slots": "CANCEL-OTHER-01", "fields": "CANCEL-OTHER-01", "text": "CANCEL-OTHER-01",
             "status": "CANCEL-01", "version": "CANCEL-01", "id": "CANCEL-KEEP-01"},
}


# A cancellation's answer differing from the appointment as last returned: a change the consumer sent
# and the provider accepted breaks CANCEL-OTHER-01, one it did not send CANCEL-KEEP-01. The elements
# of the request that decide which, by kind of difference.
CANCEL_KEEP = "CANCEL-KEEP-01"
SENT_ELEMENTS = {"slots": ("slot", "start", "end"), "fields": ("extension", "participant"),
                 "text": ("description", "comment")}


@dataclass(frozen=True)
class SlotSeen:
    """A slot as a search showed it, with what its Schedule says."""

    id: str
    schedule: str
    start: str  # the provider's own text
    end: str
    slot_types: tuple[str, ...]  # serviceType[*].text exactly as sent
    schedule_type: str | None  # Schedule.serviceCategory.text exactly as sent, None when absent or blank
    channel: str | None
    roles: frozenset[str]  # practitioner role codes on the Schedule
    actors: frozenset[str]  # "Practitioner/1", "Location/2"


@dataclass
class Known:
    """An appointment this run booked, as the provider must now hold it."""

    id: str
    patient: str
    slots: list[SlotSeen]
    description: Any
    comment: Any
    status: str = "booked"
    version: str | None = None
    reason: str | None = None
    history: list[str] = field(default_factory=list)
    last: dict | None = None  # the appointment as the provider last returned it (book, amend, cancel)
    in_flight: tuple[float, float] = (0.0, 0.0)  # when the booking was sent and when its answer came

    @property
    def day(self) -> date:
        return datetime.fromisoformat(self.slots[0].start).astimezone(UK).date()


def extensions_of(resource: dict, url: str) -> list[dict]:
    return [e for e in resource.get("extension") or [] if isinstance(e, dict) and e.get("url") == url]


def codes_of(extensions: list[dict]) -> frozenset[str]:
    return frozenset(c.get("code") for e in extensions
                     for c in (e.get("valueCodeableConcept") or {}).get("coding") or [] if c.get("code"))


def reason_of(appointment: dict) -> str | None:
    found = extensions_of(appointment, CANCELLATION_REASON_URL)
    return found[0].get("valueString") if found else None


def instant_of(text: Any) -> datetime | None:
    try:
        return datetime.fromisoformat(text)
    except (TypeError, ValueError):
        return None


CONSUMER_TYPES = {BOOK: "BOOK-IGNORE-01", AMEND: "AMEND-TYPES-01", CANCEL: "CANCEL-OTHER-01"}


# The appointment compared whole with what the provider last returned of it: every element but those
# compared one by one in `compare` (types, slots, times, texts, status), its meta and narrative, and on amend
# and cancel the participants and extensions, which their own rules judge (CANCEL-KEEP-01, AMEND-OTHER-01
# through the comparisons above). What was there and is gone, or changed, breaks the interaction's rule;
# a read that loses a business identifier breaks READ-IDENT-01.
COMPARED_ALONE = frozenset({"resourceType", "id", "meta", "text", "serviceType", "serviceCategory", "slot", "start",
                            "end", "description", "comment", "status"})
JUDGED_ON_CHANGE = {AMEND: frozenset({"extension", "participant"}),
                    CANCEL: frozenset({"extension", "participant", "created"})}
WHOLE = {READ: "READ-STATE-01", RETRIEVE: "RETR-STATE-01", AMEND: "AMEND-OTHER-01", CANCEL: CANCEL_KEEP}
IDENTIFIERS = {READ: "READ-IDENT-01"}


def whole_violations(appointment: dict, known: Known, interaction: str, sent: dict | None,
                     named: set[str] = frozenset()) -> list[Violation]:
    """Each element of `appointment` that differs from the appointment as the provider last returned it, but
    those compared alone or that the interaction's own rules judge (see COMPARED_ALONE), and those whose
    difference is `named` already ("Appointment.participant")."""
    last = known.last
    if last is None or interaction not in WHOLE:
        return []
    label = f"Appointment {known.id}"
    skipped = COMPARED_ALONE | JUDGED_ON_CHANGE.get(interaction, frozenset()) | \
        {n.removeprefix("Appointment.") for n in named}
    found = []
    for key in sorted((set(last) | set(appointment)) - skipped):
        was, now = last.get(key), appointment.get(key)
        if key == "extension":
            was, now = _other_extensions(last), _other_extensions(appointment)
        elif key == "participant":
            was, now = sorted(map(_canonical, was or [])), sorted(map(_canonical, now or []))
        elif key == "created" and _created(last) == _created(appointment):
            continue  # the same instant, written another way
        if _canonical(was) == _canonical(now):
            continue
        rule = IDENTIFIERS.get(interaction, WHOLE[interaction]) if key == "identifier" else WHOLE[interaction]
        if interaction == CANCEL and sent is not None and _canonical(sent.get(key)) == _canonical(now):
            rule = "CANCEL-OTHER-01"  # the consumer sent it and the provider took it
        gone = now is None or now == []
        found.append(violation(rule, label, f"Appointment.{key}", short(was), short(now),
                               f"{label} {key} {'is gone' if gone else 'changed'} on {_SEEN[interaction]}: it was "
                               f"{short(was)}" + ("" if gone else f", now {short(now)}")))
    return found


_SEEN = {READ: "read", RETRIEVE: "retrieve", AMEND: "amendment", CANCEL: "cancellation"}


def _canonical(value: Any) -> str:
    return json.dumps(value, sort_keys=True, separators=(",", ":"))


def _other_extensions(resource: dict | None) -> list[str]:
    """Extensions other than the cancellation reason, each as canonical JSON, sorted."""
    return sorted(json.dumps(e, sort_keys=True) for e in (resource or {}).get("extension") or []
                  if isinstance(e, dict) and e.get("url") != CANCELLATION_REASON_URL)


def _participants(resource: dict | None) -> list[str]:
    """Each participant as "<reference> (<status>)", sorted."""
    return sorted(f"{((p or {}).get('actor') or {}).get('reference')} ({(p or {}).get('status')})"
                  for p in (resource or {}).get("participant") or [] if isinstance(p, dict))


def _created(resource: dict | None) -> Any:
    text = (resource or {}).get("created")
    return instant_of(text) or text


def sent_change(sent: dict | None, last: dict | None, kind: str) -> bool:
    """Whether the request itself changed the elements of this kind of difference (True when unknown)."""
    if not isinstance(sent, dict) or not isinstance(last, dict):
        return True
    keys = SENT_ELEMENTS[kind]
    if "extension" in keys and _other_extensions(sent) != _other_extensions(last):
        return True
    return any(sent.get(k) != last.get(k) for k in keys if k != "extension")


def kept_violations(appointment: dict, known: Known, sent: dict) -> list[Violation]:
    """A cancellation's answer keeps the extensions other than the reason, the participants (reference and
    status) and created as the provider last returned them (CANCEL-KEEP-01; CANCEL-OTHER-01 where the
    consumer itself sent the change)."""
    if not known.last:
        return []
    label = f"Appointment {known.id}"
    found = []
    before, after = _other_extensions(known.last), _other_extensions(appointment)
    if before != after:
        lost = [json.loads(e).get("url") for e in before if e not in after]
        gained = [json.loads(e).get("url") for e in after if e not in before]
        ids = "CANCEL-OTHER-01" if _other_extensions(sent) == after else CANCEL_KEEP
        found.append(violation(ids, label, "Appointment.extension", before, after,
                               f"{label} extensions other than the cancellation reason changed with its cancellation: "
                               f"lost {lost or 'none'}, gained {gained or 'none'}"))
    before, after = _participants(known.last), _participants(appointment)
    if before != after:
        ids = "CANCEL-OTHER-01" if _participants(sent) == after else CANCEL_KEEP
        found.append(violation(ids, label, "Appointment.participant", before, after,
                               f"{label} participants changed with its cancellation: expected {before}, got {after}"))
    if _created(known.last) != _created(appointment):
        ids = "CANCEL-OTHER-01" if _created(sent) == _created(appointment) else CANCEL_KEEP
        found.append(violation(ids, label, "Appointment.created", known.last.get("created"), appointment.get("created"),
                               f"{label} created changed with its cancellation: expected "
                               f"{known.last.get('created')!r}, got {appointment.get('created')!r}"))
    return found


def kept_from(sent: dict | None, appointment: dict) -> set[str]:
    """The kinds of type ("slot type", "schedule type") the answer carries exactly as the consumer sent them."""
    if not isinstance(sent, dict):
        return set()
    kept = set()
    if sent.get("serviceType") and type_texts(sent.get("serviceType")) == type_texts(appointment.get("serviceType")):
        kept.add("slot type")
    sent_category = (sent.get("serviceCategory") or {}).get("text")
    if sent_category and sent_category == (appointment.get("serviceCategory") or {}).get("text"):
        kept.add("schedule type")
    return kept


def short(value: Any) -> str:
    text = repr(value)
    return text if len(text) <= 80 else f"{text[:60]}...' ({len(value)} characters)"


def compare(appointment: dict, known: Known, interaction: str, sent: dict | None = None) -> list[Violation]:
    """What `appointment` shows that differs from `known`; `sent` is the request that returned it, if any.
    A type the consumer itself sent and the provider kept also breaks the rule that the provider's
    own types replace the consumer's (BOOK-IGNORE-01, AMEND-TYPES-01)."""
    req = REQUIREMENT[interaction]
    label = f"Appointment {known.id}"
    found: list[Violation] = []

    def differs(kind: str, element: str, expected: Any, got: Any, message: str) -> None:
        ids = (req[kind],) + ((CONSUMER_TYPES[interaction],) if kind in kept_from(sent, appointment)
                              and interaction in CONSUMER_TYPES else ())
        if interaction == CANCEL and kind in SENT_ELEMENTS and not sent_change(sent, known.last, kind):
            ids = (CANCEL_KEEP,)
        found.append(violation(ids, label, element, expected, got, f"{label} {message}"))

    first, last = known.slots[0], known.slots[-1]
    got_types = type_texts(appointment.get("serviceType"))
    if said := appt_checks.slot_type_difference(got_types, first.slot_types):
        differs("slot type", "Appointment.serviceType[*].text", first.slot_types, got_types, said)
    got_category = (appointment.get("serviceCategory") or {}).get("text")
    if said := appt_checks.schedule_type_difference(got_category, first.schedule_type, first.schedule):
        differs("schedule type", "Appointment.serviceCategory.text", first.schedule_type or "none", got_category,
                said)

    listed = sorted(k[1] for k in (fhir.ref_key((s or {}).get("reference")) for s in appointment.get("slot") or [])
                    if k)
    booked = sorted(s.id for s in known.slots)
    if listed != booked:
        differs("slots", "Appointment.slot", booked, listed, f"lists slots {listed}, booked {booked}")
    start, end = instant_of(appointment.get("start")), instant_of(appointment.get("end"))
    if start != instant_of(first.start) or end != instant_of(last.end):
        differs("slots", "Appointment.start, Appointment.end", f"{first.start} to {last.end}",
                f"{appointment.get('start')} to {appointment.get('end')}",
                f"runs {appointment.get('start')} to {appointment.get('end')}, expected {first.start} to "
                f"{last.end} (its {len(known.slots)} slot{'s' if len(known.slots) > 1 else ''})")

    channels = [e.get("valueCode") for e in extensions_of(appointment, DELIVERY_CHANNEL_URL)]
    if first.channel and channels != [first.channel]:
        differs("fields", "Appointment.extension(deliveryChannel)", first.channel, channels or "none",
                f"delivery channel is {channels[0] if channels else 'missing'}, expected its slot's "
                f"{first.channel!r}")
    roles = codes_of(extensions_of(appointment, PRACTITIONER_ROLE_URL))
    if first.roles and not first.roles <= roles:
        differs("fields", "Appointment.extension(practitionerRole)", sorted(first.roles), sorted(roles) or "none",
                f"practitioner role is {sorted(roles) or 'missing'}, expected its schedule's {sorted(first.roles)}")
    actors = {f"{k[0]}/{k[1]}" for k in (fhir.ref_key((p.get("actor") or {}).get("reference"))
                                         for p in appointment.get("participant") or []) if k}
    if f"Patient/{known.patient}" not in actors:
        differs("fields", "Appointment.participant", f"Patient/{known.patient}", sorted(actors),
                f"has lost its patient Patient/{known.patient} from participant")
    location = sorted(a for a in first.actors if a.startswith("Location/"))
    if location and not set(location) <= actors:
        differs("fields", "Appointment.participant", location, sorted(actors),
                f"has no participant {location[0]}, its schedule's location")

    for key in ("description", "comment"):
        if said := appt_checks.text_difference(key, appointment.get(key), getattr(known, key)):
            differs("text", f"Appointment.{key}", getattr(known, key), appointment.get(key), said)
    if appointment.get("status") != known.status:
        differs("status", "Appointment.status", known.status, appointment.get("status"),
                f"status is {appointment.get('status')!r}, expected {known.status!r}")
    if known.status == "cancelled" and known.reason is not None and not reason_kept(reason_of(appointment),
                                                                                     known.reason):
        differs("status", "Appointment.extension(cancellationReason)", reason_expected(known.reason),
                reason_of(appointment), f"cancellation reason is {reason_of(appointment)!r}, sent {known.reason!r} "
                "(a stored reason may only be cut short)")
    return found + whole_violations(appointment, known, interaction, sent,
                                     {v.element.split("(")[0].split("[")[0] for v in found})
