"""One search held against another: a search offers every free slot a narrower search of the same
consumer offers, moments before and after it (SLOT-COMPLETE-01).

The search page: the provider "SHALL return a Bundle of type searchset containing Slot resources for
the organisation which have a status of free, and fall fully within the requested date range, and are
bookable ..., and which match the search filter parameters". So a slot that a narrower search (one day,
or the rest of a day from a time in it) offers, with the same consumer's filters, must be offered by a
wider one whose window holds it. The narrower search is sent before the wider one; a slot it offered
that the wider one did not is confirmed by sending it again, fresh, and only slots both of its answers
offer count: a slot someone booked or freed in between (another parallel worker, another user of a
shared environment) is not held against the provider, and a provider that looks right costs no more.
"""

from __future__ import annotations

from typing import Iterable

from harness.checks.violations import Violation, violation
from harness.consumer.discovery import SlotInfo
from harness.consumer.slot_search import Window

RULE = "SLOT-COMPLETE-01"


def _key(slot: SlotInfo) -> tuple[str, str, str]:
    return slot.id_and_times


def missing_from(wider: Iterable[SlotInfo], window: Window, before: Iterable[SlotInfo], after: Iterable[SlotInfo],
                 narrower: str) -> list[Violation]:
    """Each slot both narrower searches offered that lies fully inside `window` and the wider search between
    them did not offer. `narrower` names the narrower search in the message ("the search of 2026-12-08")."""
    offered = {_key(s) for s in wider}
    again = {_key(s) for s in after}
    return [violation(RULE, f"Slot {s.id}", "Bundle.entry:Slot", "offered", "not offered",
                      f"{s.describe()} is offered by {narrower} before and after, lies inside "
                      f"{window.describe()}, but is not offered by the search of that window")
            for s in before if _key(s) in again and window.holds(s.start, s.end) and _key(s) not in offered]
