"""The model of what this run did, and every later observation checked against it.

The model is fed by the exchanges themselves, whatever step made them: each slot a search showed
(its slot type, schedule, schedule type, delivery channel, practitioner role, start and end), each
appointment this run booked (its slots, patient, the description and comment it sent), and each
amendment and cancellation the provider accepted (the text sent, the reason, the new version), and
the appointment as the provider last returned it.

Every observation of a known appointment, from book, read, retrieve, amend or cancel, is compared
with the model, and then whole with the appointment as the provider last returned it (every element
not compared on its own: an identifier or priority gone or changed on read breaks the read's rule,
READ-IDENT-01 for identifiers): the same slot type text and schedule type (none where the schedule has none), the
slots booked, the start of the first and the end of the last, channel and role, status, text exactly
as sent, and the version it holds. A retrieve must return every appointment the run booked for the
patient within its dates. Texts are compared exactly, as the spec says "the same text"; a difference
of surrounding spaces only is named as such. A cancellation changes nothing but status and the reason:
its answer keeps the id it was sent to, the extensions other than the reason, the participants
(reference and status) and created as the provider last returned them (CANCEL-KEEP-01), and every
other difference a cancellation shows that the consumer did not send breaks CANCEL-KEEP-01 as well;
one the consumer sent and the provider accepted breaks CANCEL-OTHER-01.
"""

from __future__ import annotations

import json
import threading
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any
from urllib.parse import parse_qsl, urlsplit

from harness.checks.violations import Violation, violation
from harness.errors import Nonconformance
from harness.spec import interactions as ix
from harness.spec.constants import CANCELLATION_REASON_URL, DELIVERY_CHANNEL_URL, SD, UK
from harness.spec.texts import reason_expected, reason_kept, type_text, type_texts
from harness.transport import fhir

PRACTITIONER_ROLE_URL = SD + "Extension-GPConnect-PractitionerRole-1"

# The requirement each kind of difference breaks, per interaction that showed it.
BOOK, READ, RETRIEVE = ix.BOOK_APPOINTMENT.name, ix.READ_APPOINTMENT.name, ix.RETRIEVE_APPOINTMENTS.name
AMEND, CANCEL = ix.AMEND_APPOINTMENT.name, ix.CANCEL_APPOINTMENT.name
REQUIREMENT = {
    BOOK: {"slot type": "BOOK-TYPE-01", "schedule type": "BOOK-SCHEDTYPE-01", "slots": "BOOK-MULTI-01",
           "fields": "BOOK-FIELDS-01", "text": "BOOK-TEXT-01", "status": "BOOK-01", "version": "BOOK-01"},
    READ: {"slot type": "READ-TYPE-01", "schedule type": "READ-TYPE-01", "slots": "READ-STATE-01",
           "fields": "READ-STATE-01", "text": "READ-STATE-01", "status": "READ-STATE-01", "version": "READ-ETAG-01"},
    RETRIEVE: {"slot type": "RETR-TYPE-01", "schedule type": "RETR-TYPE-01", "slots": "RETR-STATE-01",
               "fields": "RETR-STATE-01", "text": "RETR-STATE-01", "status": "RETR-STATE-01",
               "version": "RETR-STATE-01"},
    AMEND: {"slot type": "AMEND-01", "schedule type": "AMEND-01", "slots": "AMEND-OTHER-01",
            "fields": "AMEND-OTHER-01", "text": "AMEND-01", "status": "AMEND-OTHER-01", "version": "AMEND-01",
            "id": "AMEND-01"},
    CANCEL: {"slot type": "CANCEL-01", "schedule type": "CANCEL-01", "slots": "CANCEL-OTHER-01",
             "fields": "CANCEL-OTHER-01", "text": "CANCEL-OTHER-01", "status": "CANCEL-01", "version": "CANCEL-01",
             "id": "CANCEL-KEEP-01"},
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


MAX_MADE = 50_000


def request_json(text: str | None) -> dict:
    """A request body as a JSON object, or {} when it is absent or not a JSON object."""
    try:
        body = json.loads(text) if text else None
    except ValueError:
        return {}
    return body if isinstance(body, dict) else {}


def _ext(resource: dict, url: str) -> list[dict]:
    return [e for e in resource.get("extension") or [] if isinstance(e, dict) and e.get("url") == url]


def _codes(extensions: list[dict]) -> frozenset[str]:
    return frozenset(c.get("code") for e in extensions
                     for c in (e.get("valueCodeableConcept") or {}).get("coding") or [] if c.get("code"))


def _schedule_seen(schedule: dict) -> tuple[str | None, frozenset[str], frozenset[str]]:
    """A Schedule's schedule type (None when absent or blank), practitioner role codes and actors."""
    actors = frozenset(f"{k[0]}/{k[1]}" for k in (fhir.ref_key((a or {}).get("reference"))
                                                   for a in schedule.get("actor") or []) if k)
    return type_text(schedule.get("serviceCategory")), _codes(_ext(schedule, PRACTITIONER_ROLE_URL)), actors


def _reason(appointment: dict) -> str | None:
    found = _ext(appointment, CANCELLATION_REASON_URL)
    return found[0].get("valueString") if found else None


def _instant(text: Any) -> datetime | None:
    try:
        return datetime.fromisoformat(text)
    except (TypeError, ValueError):
        return None


def _id_in_path(url: str, resource_type: str) -> str | None:
    parts = urlsplit(url).path.rstrip("/").split("/")
    for i, part in enumerate(parts[:-1]):
        if part == resource_type:
            return parts[i + 1]
    return None


class RunModel:
    """What the run knows; `observe` records an exchange and returns what it shows wrong."""

    def __init__(self):
        self.slots: dict[str, SlotSeen] = {}
        self.appointments: dict[str, Known] = {}
        self._lock = threading.Lock()
        # Each distinct Slot seen with its Schedule's details, made once: searches repeat thousands of them.
        self._made: dict[tuple, SlotSeen] = {}

    def observe(self, exchange) -> list[Violation]:
        if exchange.status is None or exchange.reused:
            return []
        handler = {ix.SEARCH_SLOTS.name: self._searched, BOOK: self._booked, READ: self._read,
                   RETRIEVE: self._retrieved, AMEND: self._changed, CANCEL: self._changed}.get(exchange.interaction)
        if handler is None or not 200 <= exchange.status < 300:
            return []
        if exchange.interaction in (AMEND, CANCEL) and not exchange.response_text.strip():
            with self._lock:
                return self._changed_unseen(exchange)
        try:
            body = exchange.json()
        except Nonconformance:
            return []
        if not isinstance(body, dict):
            return []
        with self._lock:
            return handler(exchange, body)

    # ------------------------------------------------------------ what the run did

    def _searched(self, exchange, bundle: dict) -> list[Violation]:
        entries = [e.get("resource") or {} for e in bundle.get("entry") or [] if isinstance(e, dict)]
        # What a slot takes from its Schedule, worked out once per Schedule (a search holds thousands of slots).
        schedules = {r.get("id"): _schedule_seen(r) for r in entries if r.get("resourceType") == "Schedule"}
        found: list[Violation] = []
        for r in entries:
            key = fhir.ref_key((r.get("schedule") or {}).get("reference")) if r.get("resourceType") == "Slot" else None
            if not key or not r.get("id") or key[1] not in schedules:
                continue
            content = fhir.digest(r)
            made = (content, key[1], schedules[key[1]]) if content is not None else None
            seen = self._made.get(made) if made else None
            if seen is None:
                category, roles, actors = schedules[key[1]]
                channel = _ext(r, DELIVERY_CHANNEL_URL)
                seen = SlotSeen(str(r["id"]), key[1], r.get("start"), r.get("end"), type_texts(r.get("serviceType")),
                                category, channel[0].get("valueCode") if channel else None, roles, actors)
                if made:
                    if len(self._made) >= MAX_MADE:
                        self._made.clear()
                    self._made[made] = seen
            earlier = self.slots.get(seen.id)
            if earlier and earlier.slot_types and seen.slot_types and earlier.slot_types != seen.slot_types:
                # A slot's type is the practice's, fixed for the slot: booking or cancelling does not change it.
                found.append(violation("SLOT-TYPE-01", f"Slot {seen.id}", "Slot.serviceType[*].text",
                                       earlier.slot_types, seen.slot_types,
                                       f"Slot {seen.id} is offered as {_quoted(seen.slot_types)}, but this run saw it "
                                       f"as {_quoted(earlier.slot_types)} before"))
            self.slots[seen.id] = seen
        return found

    def _booked(self, exchange, appointment: dict) -> list[Violation]:
        sent = request_json(exchange.request_body)
        if exchange.status != 201 or not sent or not appointment.get("id"):
            return []
        refs = [fhir.ref_key((s or {}).get("reference")) for s in sent.get("slot") or []]
        slots = [self.slots.get(k[1]) for k in refs if k]
        patients = [k[1] for k in (fhir.ref_key((p.get("actor") or {}).get("reference"))
                                   for p in sent.get("participant") or []) if k and k[0] == "Patient"]
        if not slots or None in slots or not patients:
            return []  # slots this run never saw in a search: nothing to compare with
        slots.sort(key=lambda s: datetime.fromisoformat(s.start))
        known = Known(str(appointment["id"]), patients[0], slots, sent.get("description"), sent.get("comment"),
                      in_flight=(exchange.sent_at, exchange.sent_at + (exchange.elapsed_s or 0.0)))
        found = self._double_booked(known)
        self.appointments[known.id] = known
        found += self._compare(appointment, known, BOOK, sent)
        known.version = (appointment.get("meta") or {}).get("versionId")
        known.last = appointment
        known.history.append(f"booked (version {known.version})")
        return found

    def _double_booked(self, new: Known) -> list[Violation]:
        """A slot held by two live appointments: a duplicate, or a race when the bookings were in flight together."""
        mine = {s.id for s in new.slots}
        found = []
        for other in self.appointments.values():
            if other.status == "cancelled":
                continue
            raced = new.in_flight[0] < other.in_flight[1] and other.in_flight[0] < new.in_flight[1]
            for slot in sorted(mine & {s.id for s in other.slots}):
                found.append(violation(
                    "BOOK-RACE-01" if raced else "BOOK-DUP-01", f"Appointment {new.id}", "Appointment.slot",
                    "free slots", f"Slot {slot} of Appointment {other.id}",
                    f"Appointment {new.id} was booked on Slot {slot}, which Appointment {other.id} of this run "
                    + ("was booked on by a request in flight at the same time" if raced else "already holds")))
        return found

    def _changed(self, exchange, appointment: dict) -> list[Violation]:
        target = _id_in_path(exchange.url, "Appointment") or str(appointment.get("id"))
        known = self.appointments.get(target)
        sent = request_json(exchange.request_body)
        if known is None or exchange.status != 200 or not sent:
            return []
        interaction = exchange.interaction
        before = known.version
        if interaction == AMEND:
            known.description, known.comment = sent.get("description"), sent.get("comment")
        else:
            known.status, known.reason = "cancelled", _reason(sent)
        found = self._compare(appointment, known, interaction, sent)
        if str(appointment.get("id")) != known.id:
            found.append(violation(REQUIREMENT[interaction]["id"], f"Appointment {known.id}", "Appointment.id",
                                   known.id, appointment.get("id"), f"Appointment {known.id} "
                                   f"{'amended' if interaction == AMEND else 'cancelled'} is answered as Appointment "
                                   f"{appointment.get('id')}"))
        if interaction == CANCEL:
            found += _kept_violations(appointment, known, sent)
        known.last = appointment
        version = (appointment.get("meta") or {}).get("versionId")
        if before and version == before:
            found.append(violation(REQUIREMENT[interaction]["version"], f"Appointment {known.id}", "meta.versionId",
                                   f"a version after {before}", version,
                                   f"Appointment {known.id} {'amended' if interaction == AMEND else 'cancelled'} "
                                   f"but still at version {version}"))
        known.version = version
        known.history.append(f"{'amended' if interaction == AMEND else 'cancelled'} (version {version})")
        return found

    def _changed_unseen(self, exchange) -> list[Violation]:
        """An amendment or cancellation accepted without a body (Prefer: return=minimal): the model takes
        what was sent as done; the new version is unknown until the appointment is next seen."""
        known = self.appointments.get(_id_in_path(exchange.url, "Appointment") or "")
        sent = request_json(exchange.request_body)
        if known is None or not sent:
            return []
        if exchange.interaction == AMEND:
            known.description, known.comment = sent.get("description"), sent.get("comment")
        else:
            known.status, known.reason = "cancelled", _reason(sent)
        known.version = None
        known.history.append(f"{'amended' if exchange.interaction == AMEND else 'cancelled'} (answered without a body)")
        return []

    # ------------------------------------------------------------ later observations

    def _read(self, exchange, appointment: dict) -> list[Violation]:
        known = self.appointments.get(_id_in_path(exchange.url, "Appointment") or "")
        if known is None:
            return []
        found = self._compare(appointment, known, READ)
        version = (appointment.get("meta") or {}).get("versionId")
        if known.version and version != known.version:
            found.append(violation("READ-ETAG-01", f"Appointment {known.id}", "meta.versionId", known.version, version,
                                   f"Appointment {known.id} is read at version {version!r}, but this run last saw it "
                                   f"{known.history[-1]}"))
        return found

    def _retrieved(self, exchange, bundle: dict) -> list[Violation]:
        patient = _id_in_path(exchange.url, "Patient")
        query = parse_qsl(urlsplit(exchange.url).query)
        lower = [v[2:] for k, v in query if k == "start" and v.startswith("ge")]
        upper = [v[2:] for k, v in query if k == "start" and v.startswith("le")]
        try:
            first, last = date.fromisoformat(lower[0]), date.fromisoformat(upper[0])
        except (IndexError, ValueError):
            return []
        returned = {str(r.get("id")): r for r in (e.get("resource") or {} for e in bundle.get("entry") or [])
                    if r.get("resourceType") == "Appointment"}
        found = []
        for known in self.appointments.values():
            if known.patient != patient or not first <= known.day <= last:
                continue
            appointment = returned.get(known.id)
            if appointment is None:
                requirement = "RETR-CANCELLED-01" if known.status == "cancelled" else "RETR-BOOKED-01"
                found.append(violation(requirement, f"Appointment {known.id}", "Bundle.entry", "returned", "absent",
                                       f"Appointment {known.id} ({known.status}, {len(known.slots)} slot"
                                       f"{'s' if len(known.slots) > 1 else ''}, {known.slots[0].start}) booked by "
                                       f"this run is not returned for {first} to {last}"))
            else:
                found += self._compare(appointment, known, RETRIEVE)
        return found

    # ------------------------------------------------------------ the comparison

    def _compare(self, appointment: dict, known: Known, interaction: str, sent: dict | None = None) -> list[Violation]:
        """What `appointment` shows that differs from `known`; `sent` is the request that returned it, if any.
        A type the consumer itself sent and the provider kept also breaks the rule that the provider's
        own types replace the consumer's (BOOK-IGNORE-01, AMEND-TYPES-01)."""
        req = REQUIREMENT[interaction]
        label = f"Appointment {known.id}"
        found: list[Violation] = []

        def differs(kind: str, element: str, expected: Any, got: Any, message: str) -> None:
            ids = (req[kind],) + ((CONSUMER_TYPES[interaction],) if kind in _kept_from(sent, appointment)
                                  and interaction in CONSUMER_TYPES else ())
            if interaction == CANCEL and kind in SENT_ELEMENTS and not _sent_change(sent, known.last, kind):
                ids = (CANCEL_KEEP,)
            found.append(violation(ids, label, element, expected, got, f"{label} {message}"))

        first, last = known.slots[0], known.slots[-1]
        got_types = type_texts(appointment.get("serviceType"))
        if got_types and got_types != first.slot_types:
            trimmed = tuple(t.strip() for t in got_types) == tuple(t.strip() for t in first.slot_types)
            differs("slot type", "Appointment.serviceType[*].text", first.slot_types, got_types,
                    f"slot type differs from its booked slot's: expected {_quoted(first.slot_types)}, got "
                    f"{_quoted(got_types)}" + (" (they differ only by surrounding spaces; the spec asks for the "
                                               "same text)" if trimmed else ""))
        got_category = (appointment.get("serviceCategory") or {}).get("text")
        if first.schedule_type is None and (got_category or "").strip():
            differs("schedule type", "Appointment.serviceCategory.text", "none", got_category,
                    f"has schedule type {got_category!r} though its schedule (Schedule {first.schedule}) has none")
        elif first.schedule_type is not None and got_category != first.schedule_type:
            trimmed = (got_category or "").strip() == first.schedule_type.strip()
            differs("schedule type", "Appointment.serviceCategory.text", first.schedule_type, got_category,
                    f"schedule type differs from its schedule's: expected {first.schedule_type!r}, got "
                    f"{repr(got_category) if got_category else 'none (Appointment.serviceCategory.text is empty)'}"
                    + (" (they differ only by surrounding spaces; the spec asks for the same text)" if trimmed else ""))

        listed = sorted(k[1] for k in (fhir.ref_key((s or {}).get("reference")) for s in appointment.get("slot") or [])
                        if k)
        booked = sorted(s.id for s in known.slots)
        if listed != booked:
            differs("slots", "Appointment.slot", booked, listed, f"lists slots {listed}, booked {booked}")
        start, end = _instant(appointment.get("start")), _instant(appointment.get("end"))
        if start != _instant(first.start) or end != _instant(last.end):
            differs("slots", "Appointment.start, Appointment.end", f"{first.start} to {last.end}",
                    f"{appointment.get('start')} to {appointment.get('end')}",
                    f"runs {appointment.get('start')} to {appointment.get('end')}, expected {first.start} to "
                    f"{last.end} (its {len(known.slots)} slot{'s' if len(known.slots) > 1 else ''})")

        channels = [e.get("valueCode") for e in _ext(appointment, DELIVERY_CHANNEL_URL)]
        if first.channel and channels != [first.channel]:
            differs("fields", "Appointment.extension(deliveryChannel)", first.channel, channels or "none",
                    f"delivery channel is {channels[0] if channels else 'missing'}, expected its slot's "
                    f"{first.channel!r}")
        roles = _codes(_ext(appointment, PRACTITIONER_ROLE_URL))
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
            expected, got = getattr(known, key), appointment.get(key)
            if got != expected:
                cut = isinstance(expected, str) and isinstance(got, str) and expected.startswith(got)
                differs("text", f"Appointment.{key}", expected, got,
                        f"{key} is {_short(got)}, sent {_short(expected)}"
                        + (f" (cut to {len(got)} of {len(expected)} characters)" if cut else ""))
        if appointment.get("status") != known.status:
            differs("status", "Appointment.status", known.status, appointment.get("status"),
                    f"status is {appointment.get('status')!r}, expected {known.status!r}")
        if known.status == "cancelled" and known.reason is not None and not reason_kept(_reason(appointment),
                                                                                         known.reason):
            differs("status", "Appointment.extension(cancellationReason)", reason_expected(known.reason),
                    _reason(appointment), f"cancellation reason is {_reason(appointment)!r}, sent {known.reason!r} "
                    "(a stored reason may only be cut short)")
        return found + _whole_violations(appointment, known, interaction, sent,
                                          {v.element.split("(")[0].split("[")[0] for v in found})


CONSUMER_TYPES = {BOOK: "BOOK-IGNORE-01", AMEND: "AMEND-TYPES-01", CANCEL: "CANCEL-OTHER-01"}

# The appointment compared whole with what the provider last returned of it: every element but those
# compared one by one above (types, slots, times, texts, status), its meta and narrative, and on amend
# and cancel the participants and extensions, which their own rules judge (CANCEL-KEEP-01, AMEND-OTHER-01
# through the comparisons above). What was there and is gone, or changed, breaks the interaction's rule;
# a read that loses a business identifier breaks READ-IDENT-01.
COMPARED_ALONE = frozenset({"resourceType", "id", "meta", "text", "serviceType", "serviceCategory", "slot", "start",
                            "end", "description", "comment", "status"})
JUDGED_ON_CHANGE = {AMEND: frozenset({"extension", "participant"}),
                    CANCEL: frozenset({"extension", "participant", "created"})}
WHOLE = {READ: "READ-STATE-01", RETRIEVE: "RETR-STATE-01", AMEND: "AMEND-OTHER-01", CANCEL: CANCEL_KEEP}
IDENTIFIERS = {READ: "READ-IDENT-01"}


def _whole_violations(appointment: dict, known: Known, interaction: str, sent: dict | None,
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
        found.append(violation(rule, label, f"Appointment.{key}", _short(was), _short(now),
                               f"{label} {key} {'is gone' if gone else 'changed'} on {_SEEN[interaction]}: it was "
                               f"{_short(was)}" + ("" if gone else f", now {_short(now)}")))
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
    return _instant(text) or text


def _sent_change(sent: dict | None, last: dict | None, kind: str) -> bool:
    """Whether the request itself changed the elements of this kind of difference (True when unknown)."""
    if not isinstance(sent, dict) or not isinstance(last, dict):
        return True
    keys = SENT_ELEMENTS[kind]
    if "extension" in keys and _other_extensions(sent) != _other_extensions(last):
        return True
    return any(sent.get(k) != last.get(k) for k in keys if k != "extension")


def _kept_violations(appointment: dict, known: Known, sent: dict) -> list[Violation]:
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


def _kept_from(sent: dict | None, appointment: dict) -> set[str]:
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


def _quoted(texts: tuple[str, ...]) -> str:
    return ", ".join(repr(t) for t in texts) or "none"


def _short(value: Any) -> str:
    text = repr(value)
    return text if len(text) <= 80 else f"{text[:60]}...' ({len(value)} characters)"
