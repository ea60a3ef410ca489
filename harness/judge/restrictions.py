"""Restrictions only the practice knows: a slot it declares restricted (GPC_RESTRICTED_SLOTS) is offered
only to the consumers it is open to (SLOT-FILTER-03).

Searches alone cannot tell a practice with no restricted slots from one that offers its restricted slots
to everyone: both answer every consumer alike. So the environment declares which slots it restricts,
each by its schedule (logical id, an identifier value or the schedule type text), its local start time
and the organisation type or ODS code it is open to. Each is then looked for in searches without a
searchFilter and as each organisation type and ODS code: offered to a consumer it is not open to is a
violation. A declaration that matches no offered slot anywhere proves nothing, and says so.
"""

from __future__ import annotations

from harness.checks.violations import Violation, violation
from harness.consumer.discovery import SlotInfo, offered
from harness.consumer.slot_search import SlotSearch
from harness.settings import Restriction
from harness.spec.constants import UK

RULE = "SLOT-FILTER-03"


def names_of(slot: SlotInfo) -> set[str]:
    """What a declaration may name a slot's schedule by: its logical id, identifier values, schedule type."""
    schedule = slot.schedule_raw or {}
    names = {slot.schedule, *(str(i.get("value")) for i in schedule.get("identifier") or []
                             if isinstance(i, dict) and i.get("value"))}
    if slot.schedule_type:
        names.add(slot.schedule_type)
    return names


def declaring(slot: SlotInfo, restrictions: tuple[Restriction, ...], named: dict | None = None) -> list[Restriction]:
    """The restrictions that declare this slot: naming its schedule (names_of) at its local start time. `named`:
    the restrictions naming each schedule met before (a hub's 30,000 slots have a few dozen)."""
    key = (slot.schedule, id(slot.schedule_raw))
    hit = named.get(key) if named is not None else None
    if hit is None or hit[0] is not slot.schedule_raw:
        names = names_of(slot)
        hit = (slot.schedule_raw, [r for r in restrictions if r.schedule in names])
        if named is not None:
            named[key] = hit
    if not hit[1]:
        return []
    at = slot.start.astimezone(UK).strftime("%H:%M")
    return [r for r in hit[1] if r.time == at]


def consumer(org_type: str | None, ods_code: str | None) -> str:
    if org_type and ods_code:
        return f"a consumer of organisation type {org_type} and ODS code {ods_code}"
    if org_type or ods_code:
        return f"a consumer of {'organisation type ' + org_type if org_type else 'ODS code ' + ods_code}"
    return "a consumer sending no searchFilter"


def leaks(searches: list[SlotSearch], restrictions: tuple[Restriction, ...]) -> tuple[list[Violation], int]:
    """(each declared restricted slot offered to a consumer it is not open to, how many declared slots the
    searches offered at all)."""
    found, seen = [], 0
    # The searches share their free slots where they share a body (discovery.offered: the same tuple), and most
    # slots otherwise (the same objects): the declared slots of each tuple are found once, by schedule.
    named: dict = {}
    declared: dict[int, tuple[tuple[SlotInfo, ...], list]] = {}
    for search in searches:
        org_type, ods_code = search.searched_as
        slots = offered(search.exchange)
        hit = declared.get(id(slots))
        if hit is None or hit[0] is not slots:
            hit = declared[id(slots)] = (slots, [(s, mine) for s in slots
                                                 if (mine := declaring(s, restrictions, named))])
        for slot, mine in hit[1]:
            for restriction in mine:
                seen += 1
                if not restriction.open_to(org_type, ods_code):
                    found.append(violation(RULE, f"Slot {slot.id}", "Bundle.entry", "withheld", "offered",
                                           f"{slot.describe()} is restricted to {restriction.describe()} "
                                           f"(GPC_RESTRICTED_SLOTS) but is offered to {consumer(org_type, ods_code)}"))
    return found, seen
