"""The exploration's reads, retrieves, amendments and cancellations of what it booked, with the current or a
stale ETag, touching allowed or forbidden fields; and reads and retrieves that must be refused."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

from harness import clock
from harness.checks import appointments as appt_checks
from harness.checks import bookings as booking_checks
from harness.consumer import appointments as appts
from harness.explore import expectations
from harness.explore.session import Live, Step, pick_from
from harness.spec import interactions as ix

if TYPE_CHECKING:
    from harness.explore.operations import Explorer

AMEND_WEIGHTS = ("description", "comment", "description and comment", "description", "comment", "slot type",
                 "schedule type", "start", "description, leaving out the types")
CANCEL_WEIGHTS = ("reason", "reason", "reason", "reason", "no reason", "description", "comment", "slot type",
                  "reason, leaving out the types")
STALE_WEIGHTS = (False, False, False, True)
READ_WEIGHTS = ("one of this run's",) * 7 + ("an unknown id", "a malformed id", "an empty id")
# What a read of an id no appointment has sends, and the requirement that refuses it with 404.
BAD_READS = {"an unknown id": ("999999999", "READ-404-01", "which does not exist"),
             "a malformed id": ("Invalid4321", "READ-404-01", "which no appointment has"),
             "an empty id": ("", "READ-404-02", "an empty id")}
RETRIEVE_WEIGHTS = ("from today",) * 5 + ("from yesterday", "of an unknown patient")
UNKNOWN_ID = "999999999"


def choose(explorer: Explorer, which: int) -> Live | None:
    return pick_from(sorted(explorer.live.values(), key=lambda x: (len(x.id), x.id)), which)

def read(explorer: Explorer, step: Step, which: int, what: str = "one of this run's") -> list:
    if what in BAD_READS:
        sent, requirement, which_is = BAD_READS[what]
        expected = expectations.Expected(f"reading Appointment/{sent}, {which_is}", 200,
                                         ix.READ_APPOINTMENT.requirement, (requirement,))
        explorer.send(expected, ix.READ_APPOINTMENT)
        ex = appts.read(explorer.client, sent)
        step.line = f"read Appointment/{sent}, {which_is}: {expected.describe()}; HTTP {ex.status}"
        return [(ex.short_request(), v) for v in expected.judge(ex)]
    live = choose(explorer, which)
    if live is None:
        step.line = "read: nothing booked yet; nothing sent"
        return []
    expected = expectations.Expected(f"reading Appointment {live.id}", 200, ix.READ_APPOINTMENT.requirement)
    explorer.send(expected, ix.READ_APPOINTMENT)
    ex = appts.read(explorer.client, live.id)
    step.line = f"read Appointment {live.id}: HTTP {ex.status}"
    found = [(ex.short_request(), v) for v in expected.judge(ex)]
    if ex.status == 200:
        saw(explorer, live, ex)
        if live.other_organisation:
            found += [(ex.short_request(), v)
                      for v in booking_checks.booking_organisation_read_violations(ex, live.sent)]
    return found

def saw(explorer: Explorer, live: Live, ex) -> None:
    body = ex.json()
    etag = appt_checks.etag_of(ex)
    if etag and etag != live.etag:
        live.older.append(live.etag)
    live.body, live.etag = body, etag or live.etag

def retrieve(explorer: Explorer, step: Step, who: str, first: int, days: int, what: str = "from today") -> list:
    if who not in explorer.session.patients:
        who = "the test patient"
    today = clock.today()
    start = today + timedelta(days=first % 14)
    end = min(start + timedelta(days=days % 14), today + timedelta(days=14))
    patient, refusal = explorer.patient(who), ()
    if what == "from yesterday":
        start, refusal = today - timedelta(days=1), ("RETR-PARAM-01",)
    if what == "of an unknown patient":
        patient, who, refusal = UNKNOWN_ID, f"Patient/{UNKNOWN_ID}, who does not exist,", ("RETR-404-01",)
    # Where this run knows no appointment of the patient in the dates, the answer may hold none: it is still a
    # 200 searchset (RETR-EMPTY-01).
    known = any(a.patient == patient and start <= a.day <= end for a in explorer.model.appointments.values())
    expected = expectations.Expected(f"retrieving {who}'s appointments {start} to {end}", 200,
                                     ix.RETRIEVE_APPOINTMENTS.requirement if known else "RETR-EMPTY-01", refusal)
    explorer.send(expected, ix.RETRIEVE_APPOINTMENTS)
    ex = appts.retrieve(explorer.client, patient, start, end)
    count = ""
    if ex.status == 200 and expected.valid:
        entries = [e.get("resource") or {} for e in ex.json().get("entry") or []]
        count = f", {sum(1 for r in entries if r.get('resourceType') == 'Appointment')} appointments"
    step.line = f"retrieve {who}'s appointments {start} to {end}: {expected.describe()}; HTTP {ex.status}{count}"
    return [(ex.short_request(), v) for v in expected.judge(ex)]

def etag_to_send(explorer: Explorer, live: Live, stale: bool) -> tuple[str, bool]:
    """The ETag to send: when asked for a stale one, an older one this run saw, else the version before."""
    if stale and live.older:
        return live.older[-1], True
    version = str((live.body.get("meta") or {}).get("versionId") or "")
    if stale and version.isdigit():
        return f'W/"{int(version) - 1}"', True
    return live.etag, False

def amend(explorer: Explorer, step: Step, which: int, stale: bool, change: str) -> list:
    live = choose(explorer, which)
    known = explorer.model.appointments.get(live.id) if live else None
    if live is None or known is None:
        step.line = f"amend the {change}: nothing booked yet; nothing sent"
        return []
    etag, stale = etag_to_send(explorer, live, stale)
    expected = expectations.amendment(known, stale, change)
    n = len(known.history)
    fields: dict[str, Any] = {}
    if "description" in change:
        fields["description"] = f"{live.marker} assurance booking, amended ({n})"
    if "comment" in change:
        fields["comment"] = f"Amended by the assurance exploration ({n})"
    if change == "slot type":
        fields["serviceType"] = [{"text": "Changed by the consumer"}]
    if change == "schedule type":
        fields["serviceCategory"] = {"text": "Changed by the consumer"}
    if change == "start":
        fields["start"] = (datetime.fromisoformat(live.body["start"]) + timedelta(minutes=5)).isoformat()
    if change == "description, leaving out the types":
        fields.update(serviceType=None, serviceCategory=None)
    explorer.send(expected, ix.AMEND_APPOINTMENT)
    ex = appts.amend(explorer.client, live.body, etag, **fields)
    return changed(explorer, step, live, ex, expected, f"amend the {change} of Appointment {live.id}", stale)

def cancel(explorer: Explorer, step: Step, which: int, stale: bool, change: str) -> list:
    live = choose(explorer, which)
    known = explorer.model.appointments.get(live.id) if live else None
    if live is None or known is None:
        step.line = "cancel: nothing booked yet; nothing sent"
        return []
    etag, stale = etag_to_send(explorer, live, stale)
    expected = expectations.cancellation(known, stale, change)

    def edit(body: dict) -> None:
        if change == "description":
            body["description"] = f"{live.marker} assurance booking, changed on cancel"
        if change == "comment":
            body["comment"] = "Changed on cancel by the assurance exploration"
        if change == "slot type":
            body["serviceType"] = [{"text": "Changed by the consumer"}]
        if change == "reason, leaving out the types":
            body.pop("serviceType", None)
            body.pop("serviceCategory", None)

    explorer.send(expected, ix.CANCEL_APPOINTMENT)
    reason = None if change == "no reason" else "Cancelled by the assurance exploration"
    ex = appts.cancel(explorer.client, live.body, etag, reason, edit)
    what = f"cancel Appointment {live.id}" + ("" if change == "reason" else f" ({change})")
    return changed(explorer, step, live, ex, expected, what, stale)

def changed(explorer: Explorer, step: Step, live: Live, ex, expected: expectations.Expected, what: str,
            stale: bool) -> list:
    step.line = (f"{what} with {'a stale' if stale else 'the current'} ETag: {expected.describe()}; "
                 f"HTTP {ex.status}")
    found = [(ex.short_request(), v) for v in expected.judge(ex)]
    if ex.status == 200:
        found += [(ex.short_request(), v) for v in appt_checks.etag_violations(ex, ex.json(), "FND-ETAG-01")]
        saw(explorer, live, ex)
    elif ex.status is not None and 400 <= ex.status < 500 and not expected.valid:
        # A refusal changes nothing: read it back, unobserved, and judge the difference by the refusal's rules.
        with explorer.client.unobserved():
            after = appts.read(explorer.client, live.id)
        if after.status == 200:
            found += [(after.short_request(), v)
                      for v in appt_checks.unchanged_violations(live.body, after.json(), expected.refusals)]
    return found

