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
from datetime import datetime
from operator import is_
from urllib.parse import urlsplit

from harness.checks import appointments as appt_checks
from harness.checks import retrieved as retrieve_checks
from harness.checks.violations import Violation, violation
from harness.consumer.discovery import schedules_in
from harness.errors import Nonconformance
from harness.judge.known import (
    AMEND,
    BOOK,
    CANCEL,
    PRACTITIONER_ROLE_URL,
    READ,
    REQUIREMENT,
    RETRIEVE,
    Known,
    SlotSeen,
    codes_of,
    compare,
    extensions_of,
    kept_violations,
    reason_of,
)
from harness.memo import RESOURCES_REMEMBERED, ByIdentity, Memo, shared_runs
from harness.spec import interactions as ix
from harness.spec.constants import DELIVERY_CHANNEL_URL
from harness.spec.texts import type_text, type_texts
from harness.transport import fhir

MAX_MADE = RESOURCES_REMEMBERED
MAX_SEARCHES_KEPT = 64


def request_json(text: str | None) -> dict:
    """A request body as a JSON object, or {} when it is absent or not a JSON object."""
    try:
        body = json.loads(text) if text else None
    except ValueError:
        return {}
    return body if isinstance(body, dict) else {}


def _schedule_seen(schedule: dict) -> tuple[str | None, frozenset[str], frozenset[str]]:
    """A Schedule's schedule type (None when absent or blank), practitioner role codes and actors."""
    actors = frozenset(f"{k[0]}/{k[1]}" for k in (fhir.ref_key((a or {}).get("reference"))
                                                   for a in schedule.get("actor") or []) if k)
    return type_text(schedule.get("serviceCategory")), codes_of(extensions_of(schedule, PRACTITIONER_ROLE_URL)), actors


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
        self._made = Memo(MAX_MADE)
        self._seen = ByIdentity(MAX_MADE)
        # The id of each slot whose record changed, in order; and for each search answer observed (its JSON, shared
        # by every answer of the same body), where this log stood after it and the slots it holds.
        self._changes: list[str] = []
        self._searches = ByIdentity(MAX_SEARCHES_KEPT)
        # For each run of entries recorded (memo.shared_runs): its slots as recorded, their Schedules' details and
        # their ids (kept beside the slots: the check that a run is still recorded as it shows maps them).
        self._runs = ByIdentity(MAX_MADE // 8)

    def observe(self, exchange) -> list[Violation]:
        if exchange.status is None or exchange.reused:
            return []
        handler = {ix.SEARCH_SLOTS.name: self._searched, BOOK: self._booked, READ: self._read,
                   RETRIEVE: self._retrieved, AMEND: self._changed, CANCEL: self._changed}.get(exchange.interaction)
        if handler is None or not 200 <= exchange.status < 300:
            return []
        if exchange.interaction in (AMEND, CANCEL) and exchange.blank_body():
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
        """Record each slot the answer shows. An answer of a body observed before, none of whose slots' records
        changed since, shows nothing new (a searchFilter sweep gets the same 30,000 slots a dozen times)."""
        before = self._searches.known(bundle)
        if before is not None and before[1].isdisjoint(self._changes[before[0]:]):
            self._searches.put(bundle, (len(self._changes), before[1]))
            return []
        entries = fhir.bundle_entries(bundle)
        # What a slot takes from its Schedule, worked out once per Schedule (a search holds thousands of slots).
        schedules = {r.get("id"): _schedule_seen(r) for r in schedules_in(entries)}
        found: list[Violation] = []
        held: set[str] = set()
        slots = self.slots
        for run in shared_runs(entries):  # runs of entries that other answers carry too, each recorded once
            hit = self._runs.known(run)
            if (hit is not None and all(schedules.get(sid) == detail for sid, detail in hit[1])
                    and all(map(is_, map(slots.get, hit[2]), hit[0]))):
                held.update(hit[2])  # each recorded as this run shows it, with the same details
                continue
            shown = tuple(seen for e in run if isinstance(e, dict) and (seen := self._shown(e, schedules, found)))
            ids = tuple(seen.id for seen in shown)
            held.update(ids)
            details = tuple({(s.schedule, (s.schedule_type, s.roles, s.actors)) for s in shown})
            self._runs.put(run, (shown, details, ids))
        self._searches.put(bundle, (len(self._changes), held))
        return found

    def _shown(self, entry: dict, schedules: dict, found: list[Violation]) -> SlotSeen | None:
        """Record the slot an entry shows (None for any other entry); a change of its slot type is added to `found`."""
        r = entry.get("resource") or {}
        seen = self._seen.known(r)
        if seen is None or schedules.get(seen.schedule) != (seen.schedule_type, seen.roles, seen.actors):
            seen = self._slot_seen(r, schedules)
            if seen is None:
                return None
        earlier = self.slots.get(seen.id)
        if earlier is seen:
            return seen
        if earlier and earlier.slot_types and seen.slot_types and earlier.slot_types != seen.slot_types:
            # A slot's type is the practice's, fixed for the slot: booking or cancelling does not change it.
            found.append(violation("SLOT-TYPE-01", f"Slot {seen.id}", "Slot.serviceType[*].text",
                                   earlier.slot_types, seen.slot_types,
                                   f"Slot {seen.id} is offered as {appt_checks.quoted(seen.slot_types)}, "
                                   f"but this run saw it as {appt_checks.quoted(earlier.slot_types)} before"))
        self.slots[seen.id] = seen
        self._changes.append(seen.id)
        return seen

    def _slot_seen(self, r: dict, schedules: dict) -> SlotSeen | None:
        """The slot `r` as this answer shows it with its Schedule's details, made once per distinct slot and
        details (and remembered for the object `r`, which later answers carrying the same entry share)."""
        key = fhir.ref_key((r.get("schedule") or {}).get("reference")) if r.get("resourceType") == "Slot" else None
        if not key or not r.get("id") or key[1] not in schedules:
            return None
        content = fhir.digest(r)
        made = (content, key[1], schedules[key[1]]) if content is not None else None
        seen = self._made.get(made) if made else None
        if seen is None:
            category, roles, actors = schedules[key[1]]
            channel = extensions_of(r, DELIVERY_CHANNEL_URL)
            seen = SlotSeen(str(r["id"]), key[1], r.get("start"), r.get("end"), type_texts(r.get("serviceType")),
                            category, channel[0].get("valueCode") if channel else None, roles, actors)
            if made:
                self._made.put(made, seen)
        return self._seen.put(r, seen) if made else seen

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
        found += compare(appointment, known, BOOK, sent)
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
            known.status, known.reason = "cancelled", reason_of(sent)
        found = compare(appointment, known, interaction, sent)
        if str(appointment.get("id")) != known.id:
            found.append(violation(REQUIREMENT[interaction]["id"], f"Appointment {known.id}", "Appointment.id",
                                   known.id, appointment.get("id"), f"Appointment {known.id} "
                                   f"{'amended' if interaction == AMEND else 'cancelled'} is answered as Appointment "
                                   f"{appointment.get('id')}"))
        if interaction == CANCEL:
            found += kept_violations(appointment, known, sent)
        known.last = appointment
        version = (appointment.get("meta") or {}).get("versionId")
        if before:
            found += appt_checks.new_version_violations(appointment, before, "an amendment" if interaction == AMEND
                                                        else "a cancellation", REQUIREMENT[interaction]["version"])
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
            known.status, known.reason = "cancelled", reason_of(sent)
        known.version = None
        known.history.append(f"{'amended' if exchange.interaction == AMEND else 'cancelled'} (answered without a body)")
        return []

    # ------------------------------------------------------------ later observations

    def _read(self, exchange, appointment: dict) -> list[Violation]:
        known = self.appointments.get(_id_in_path(exchange.url, "Appointment") or "")
        if known is None:
            return []
        return compare(appointment, known, READ) + appt_checks.etag_violations(
            exchange, appointment, REQUIREMENT[READ]["version"], held=known.version, last_seen=known.history[-1])

    def _retrieved(self, exchange, bundle: dict) -> list[Violation]:
        asked = retrieve_checks.retrieve_asked(exchange.url)
        if asked is None:
            return []
        patient, first, last = asked
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
                found += compare(appointment, known, RETRIEVE)
        return found


