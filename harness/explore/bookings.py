"""The exploration's bookings: 1 to 3 slots chosen to keep or break each multi-slot rule (or including a slot
this run already holds, in any position), variants of the request, and two bookings of one slot at once."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import TYPE_CHECKING

from harness.checks import appointments as appt_checks
from harness.checks import bookings as booking_checks
from harness.consumer import appointments as appts
from harness.consumer import discovery
from harness.consumer import slot_search as ss
from harness.explore import expectations
from harness.explore.session import Live, Step, pick_from
from harness.spec import interactions as ix
from harness.spec.constants import UK

if TYPE_CHECKING:
    from harness.explore.operations import Explorer

BREAKS = {"gap": expectations.GAP, "schedule": expectations.SCHEDULE, "channel": expectations.CHANNEL,
          "slot type": expectations.SLOT_TYPE}
# How often each choice is drawn: the valid ones more than the refusals, so that lifecycles get long.
BOOK_WEIGHTS = ("one slot", "one slot", "two adjacent", "three adjacent", "gap", "schedule", "channel", "slot type",
                "one already booked", "one slot twice at once")
# The second patient (GPC_SECOND_PATIENT_NHS_NUMBER) is booked for one time in four; the test patient where none is set.
PATIENT_WEIGHTS = ("the test patient",) * 3 + ("the second patient",)
# Bookings as they are mostly; each other variant of the request has a rule of its own (book_variant), so that
# the variants do not thin out the plain bookings that make lifecycles, nor each other.
VARIANT_WEIGHTS = ("as is",) * 6 + ("with the consumer's own types",)
OTHER_VARIANTS = tuple(v for v in expectations.BOOK_VARIANTS if v != "as is")
VARIANT_KINDS = ("one slot", "one slot", "two adjacent")
NO_SUCH_SLOT = "Slot/hello"
NO_SUCH_PATH = "appointmentqq/!"


def candidates(explorer: Explorer, kind: str) -> list[list[discovery.SlotInfo]]:
    free = sorted(explorer.free.values(), key=lambda s: (s.start, s.schedule, s.id))
    if kind == "one slot":
        return [[s] for s in free]
    if kind == "one already booked":
        return with_held(explorer, free)
    chains = _gapped(free) if kind == "gap" else _adjacent(free)
    if kind in ("two adjacent", "three adjacent"):
        size = 2 if kind == "two adjacent" else 3
        return [c for c in chains if len(c) == size and not expectations.multi_slot_breaks(c)]
    rule = BREAKS[kind]
    broken = [(c, expectations.multi_slot_breaks(c)) for c in chains]
    alone = [c for c, b in broken if b == [rule]]
    return alone or [c for c, b in broken if rule in b]

def with_held(explorer: Explorer, free: list[discovery.SlotInfo]) -> list[list[discovery.SlotInfo]]:
    """Bookings that include a slot this run holds, at each position, with compatible free neighbours."""
    chains = []
    for live in sorted((x for x in explorer.live.values() if explorer.model.appointments.get(x.id)
                        and explorer.model.appointments[x.id].status != "cancelled"), key=lambda x: x.id):
        slot = live.slots[0]
        chains.append([slot])
        before = [s for s in free if s.end == slot.start and _compatible(s, slot)]
        after = [s for s in free if s.start == live.slots[-1].end and _compatible(live.slots[-1], s)]
        chains += [[b, slot] for b in before[:1]] + [[slot, a] for a in after[:1]]
        chains += [[b, slot, a] for b in before[:1] for a in after[:1] if len(live.slots) == 1]
    return chains

def book(explorer: Explorer, step: Step, kind: str, pick: int, who: str = "the test patient",
         variant: str = "as is") -> list:
    if who not in explorer.session.patients:
        who = "the test patient"
    if kind == "one slot twice at once":
        return book_twice_at_once(explorer, step, pick)
    chosen = pick_from(candidates(explorer, kind), pick)
    if chosen is None:
        step.line = f"book {kind} for {who}: no such slots among those searched; nothing sent"
        return []
    patient = explorer.patient(who)
    expected = expectations.booking(chosen, expectations.held(explorer.model), patient, variant)
    explorer.send(expected, ix.BOOK_APPOINTMENT)
    if variant == "to a path that is no endpoint":
        with explorer.client.unobserved():  # no interaction's rules judge an answer from no endpoint
            booking = appts.book(explorer.client, explorer.session.ledger, explorer.settings, chosen, patient,
                                 path=NO_SUCH_PATH)
    else:
        other = variant == "with the JWT of another organisation"
        claims = {"claims": appts.claims_of_organisation(explorer.client, ix.BOOK_APPOINTMENT,
                                                         explorer.settings.other_org_ods_code)} if other else None
        booking = appts.book(explorer.client, explorer.session.ledger, explorer.settings, chosen, patient,
                             _EDITS[variant],
                             claims)
    ex = booking.exchange
    step.line = (f"book {kind} ({', '.join(s.describe() for s in chosen)}) for {who}"
                 f"{'' if variant == 'as is' else ' ' + variant}: {expected.describe()}; HTTP {ex.status}")
    found = [(ex.short_request(), v) for v in expected.judge(ex)]
    if variant == "to a path that is no endpoint":
        found += [(ex.short_request(), v) for v in booking_checks.unknown_path_violations(ex)]
    if ex.status == 201:
        body = ex.json()
        explorer.live[str(body.get("id"))] = Live(str(body.get("id")), booking.marker, patient, chosen, body,
                                             appt_checks.etag_of(ex), sent=booking.request_body,
                                             other_organisation=variant == "with the JWT of another organisation")
        # The booking organisation as sent (the model judges the rest of what was sent).
        found += [(ex.short_request(), v) for v in booking_checks.as_sent_violations(body, booking.request_body)
                  if "BOOK-ORG-01" in v.requirements]
        found += [(ex.short_request(), v) for v in appt_checks.etag_violations(ex, body, "FND-ETAG-01")]
        for s in chosen:
            explorer.free.pop(s.id, None)
        step.line += f", Appointment {body.get('id')}"
    elif ex.status is not None and 400 <= ex.status < 500:
        found += nothing_booked(explorer, booking, chosen)
    return found

def nothing_booked(explorer: Explorer, booking: appts.Booking, chosen: list[discovery.SlotInfo]) -> list:
    """After a refused booking: its free slots are still offered and no appointment was made."""
    days = sorted({s.start.astimezone(UK).date() for s in chosen})
    search = ss.search(explorer.client, explorer.settings, ss.Window.days(days[0], days[-1])).exchange
    retrieved = appts.retrieve(explorer.client, booking.patient_id, days[0], days[-1])
    if search.status != 200 or retrieved.status != 200:
        return []  # the oracle and the next steps judge those answers
    offered = {s.key for s in discovery.offered(search)}
    found = appts.retrieved_appointments(retrieved)
    return [(booking.exchange.short_request(), v) for v in
            booking_checks.refused_booking_violations(chosen, booking.marker, offered, found,
                                                   kept=expectations.held(explorer.model))]


def book_twice_at_once(explorer: Explorer, step: Step, pick: int) -> list:
    """Two simultaneous bookings of one free slot: exactly one succeeds, the other is refused (BOOK-RACE-01)."""
    from concurrent.futures import ThreadPoolExecutor

    chosen = pick_from(candidates(explorer, "one slot"), pick)
    if chosen is None:
        step.line = "book one slot twice at once: no free slot among those searched; nothing sent"
        return []
    patient = explorer.patient("the test patient")
    explorer.send(expectations.Expected("two simultaneous bookings", 201, "BOOK-RACE-01"), ix.BOOK_APPOINTMENT)
    with ThreadPoolExecutor(2) as pool:
        race = list(pool.map(lambda _: appts.book(explorer.client, explorer.session.ledger, explorer.settings, chosen,
                                                  patient), range(2)))
    statuses = [b.exchange.status for b in race]
    step.line = (f"book {chosen[0].describe()} twice at once: exactly one must succeed; "
                 f"HTTP {statuses[0]} and {statuses[1]}")
    for booking in race:
        if booking.exchange.status == 201:
            body = booking.exchange.json()
            explorer.live[str(body.get("id"))] = Live(str(body.get("id")), booking.marker, patient, chosen, body,
                                                 appt_checks.etag_of(booking.exchange))
    explorer.free.pop(chosen[0].id, None)
    return [(race[0].exchange.short_request(), v) for v in booking_checks.race_violations(race)]


def _with_consumer_types(body: dict) -> None:
    body["serviceType"] = [{"text": "Consumer's own slot type"}]
    body["serviceCategory"] = {"text": "Consumer's own schedule type"}


def _with_reason(body: dict) -> None:
    body["reason"] = [{"text": "Consumer's own reason"}]


def _with_other_end(body: dict) -> None:
    body["end"] = (datetime.fromisoformat(body["end"]) + timedelta(minutes=5)).isoformat()


def _with_longest_text(body: dict) -> None:
    """The longest description (100) and comment (500) a provider must keep whole (BOOK-TEXT-01)."""
    body["description"] = (body["description"] + ", with the longest description a provider must keep"
                           + "." * 100)[:100]
    body["comment"] = ("A comment as long as a provider must keep it, from the assurance exploration. " * 10)[:500]


_EDITS = {"as is": None, "with the consumer's own types": _with_consumer_types, "with a reason": _with_reason,
          "with start and end not its slots'": _with_other_end,
          "with an identifier without a value": appts.BOOKING_DEFECTS["with an identifier without a value"],
          "without status": appts.BOOKING_DEFECTS["without status"],
          "with a slot reference that is no slot": appts.slot_reference(NO_SUCH_SLOT),
          "without the Location participant": appts.BOOKING_VARIANTS["without the Location participant"],
          "without the practitioner participant": appts.BOOKING_VARIANTS["without the practitioner participant"],
          "without a comment": appts.BOOKING_VARIANTS["without a comment"],
          "with the longest description and comment": _with_longest_text,
          "with the JWT of another organisation": None, "to a path that is no endpoint": None}
assert set(_EDITS) == set(expectations.BOOK_VARIANTS)


def _compatible(a: discovery.SlotInfo, b: discovery.SlotInfo) -> bool:
    return a.schedule == b.schedule and a.channel == b.channel and a.slot_type == b.slot_type


def _adjacent(free: list[discovery.SlotInfo]) -> list[list[discovery.SlotInfo]]:
    """Every chain of 2 or 3 slots where each starts as the one before ends, whatever their schedules."""
    by_start: dict[datetime, list[discovery.SlotInfo]] = {}
    for s in free:
        by_start.setdefault(s.start, []).append(s)
    chains = []
    for a in free:
        for b in by_start.get(a.end, []):
            chains.append([a, b])
            chains += [[a, b, c] for c in by_start.get(b.end, [])]
    return chains


def _gapped(free: list[discovery.SlotInfo]) -> list[list[discovery.SlotInfo]]:
    """Runs of 2 or 3 consecutive free slots of one schedule on one day with a gap somewhere."""
    by_schedule: dict[str, list[discovery.SlotInfo]] = {}
    for s in free:
        by_schedule.setdefault(s.schedule, []).append(s)
    chains = []
    for mine in by_schedule.values():
        mine.sort(key=lambda s: s.start)
        for size in (2, 3):
            for i in range(len(mine) - size + 1):
                chain = mine[i:i + size]
                same_day = chain[0].start.astimezone(UK).date() == chain[-1].start.astimezone(UK).date()
                if same_day and any(b.start > a.end for a, b in zip(chain, chain[1:])):
                    chains.append(chain)
    return chains

