"""Checks on what a search for free slots answers: a searchset Bundle (also when nothing is free), every
Slot free, typed and inside the window, its Schedule in the Bundle and typed as the practice declares,
nothing in the Bundle that no returned slot leads to, and each Location's managing Organization. Pure:
the answer (its exchange or its parsed resources) in, violations out; the request is
harness/consumer/slot_search.py's."""

from __future__ import annotations

from typing import TYPE_CHECKING

from harness.checks.violations import (
    Violation,
    bundle_type_violations,
    on,
    parsed,
    status_violations,
    violation,
)
from harness.memo import RESOURCES_REMEMBERED, ByIdentity, Memo, each_by_run, run_values
from harness.spec.constants import ODS_SYSTEM
from harness.spec.interactions import SEARCH_SLOTS
from harness.transport import fhir
from harness.transport.exchange import Exchange
from harness.transport.fhir import rtype

if TYPE_CHECKING:
    from harness.consumer.slot_search import Window  # the window a search asked for (annotation only)


def empty_search_violations(exchange: Exchange) -> list[Violation]:
    """A search with nothing free is answered with 200 and a searchset Bundle holding no Slot (SLOT-EMPTY-01)."""
    rule = "SLOT-EMPTY-01"
    found = status_violations(exchange, 200, rule)
    if found:
        return found
    bundle = parsed(exchange, "Bundle", rule)
    found = bundle_type_violations(bundle.type, "searchset", "slot search", rule)
    slots = [e for e in bundle.entry or [] if e.resource is not None and rtype(e.resource) == "Slot"]
    if slots:
        found.append(violation(rule, "Bundle", "Bundle.entry:Slot", "no Slot", len(slots),
                               f"a window no slot fits in (03:00 to 03:01) returned {len(slots)} Slots"))
    return found


def searchset_violations(exchange: Exchange) -> list[Violation]:
    """A search a provider must serve is answered with 200 and a searchset Bundle (SLOT-SEARCH-01)."""
    rule = SEARCH_SLOTS.requirement
    found = status_violations(exchange, 200, rule)
    if found:
        return found
    return bundle_type_violations(parsed(exchange, "Bundle", rule).type, "searchset", "slot search", rule)


FORBIDDEN_ELEMENT_RULE = {"comment": "SLOT-NOCOMMENT-01", "specialty": "SLOT-NOSPECIALTY-01"}


class _Verdicts:
    """A slot rule's verdicts on each model and on each run of models (memo.shared_runs)."""

    def __init__(self) -> None:
        self.per_item, self.per_run = ByIdentity(RESOURCES_REMEMBERED), ByIdentity(RESOURCES_REMEMBERED // 8)


def _each(resources: list, judge, memo: _Verdicts) -> list[Violation]:
    """judge(resource) of each parsed resource, in order: once per model, which every answer carrying the same
    resource shares (a hub's 30,000 slots in answer after answer), and once per run of models (memo.each_by_run)."""
    return each_by_run(resources, judge, memo.per_item, memo.per_run)


_UNTYPED = _Verdicts()


def slots_without_type(slots) -> list[Violation]:
    return _each(slots, _untyped, _UNTYPED)


def _untyped(s) -> tuple[Violation, ...]:
    return () if fhir.texts_of(s.serviceType) else (
        violation("SLOT-TYPE-01", f"Slot {s.id}", "Slot.serviceType[*].text", "a slot type", "empty",
                  f"Slot {s.id} has no slot type: Slot.serviceType[*].text is empty"),)


def schedule_type_violations(schedules, mode: str) -> list[Violation]:
    """Judge Schedule.serviceCategory.text against what the environment declares it configured."""
    rule, element = "SLOT-SCHEDTYPE-01", "Schedule.serviceCategory.text"
    typed = [s for s in schedules if fhir.text_of(s.serviceCategory)]
    untyped = [s for s in schedules if not fhir.text_of(s.serviceCategory)]
    if mode == "all":
        return [violation(rule, f"Schedule {s.id}", element, "a schedule type", "empty", f"Schedule {s.id} has no "
                          "schedule type: Schedule.serviceCategory.text is empty") for s in untyped]
    if mode == "some":
        if schedules and not typed:
            return [violation(rule, f"{len(schedules)} Schedules", element, "a schedule type on some", "none",
                              f"none of the {len(schedules)} Schedules has a schedule type "
                              "(Schedule.serviceCategory.text), though this practice has some configured "
                              "(GPC_SCHEDULE_TYPES=some)")]
        return []
    return [violation(rule, f"Schedule {s.id}", element, "no schedule type", fhir.text_of(s.serviceCategory),
                      f"Schedule {s.id} has schedule type '{fhir.text_of(s.serviceCategory)}' though this practice "
                      "has none configured (GPC_SCHEDULE_TYPES=none)") for s in typed]


def schedule_names(schedule) -> set[str]:
    """What a declaration may name a Schedule by: its logical id and its identifier values."""
    return {str(schedule.id), *(str(i.value) for i in schedule.identifier or [] if i.value)}


def declared_type_violations(schedules, declared: tuple[str, ...]) -> list[Violation]:
    """Each returned Schedule the environment declares typed (GPC_TYPED_SCHEDULES) carries a schedule type."""
    return [violation("SLOT-SCHEDTYPE-01", f"Schedule {s.id}", "Schedule.serviceCategory.text", "a schedule type",
                      "empty", f"Schedule {s.id} has no schedule type (Schedule.serviceCategory.text is empty), though "
                      "this practice declares it typed (GPC_TYPED_SCHEDULES)")
            for s in schedules if schedule_names(s) & set(declared) and not fhir.text_of(s.serviceCategory)]


def forbidden_element_violations(resources, element: str) -> list[Violation]:
    memo = _CARRYING.get(element) or _CARRYING.setdefault(element, _Verdicts())
    return _each(resources, lambda r: () if getattr(r, element, None) in (None, [], "") else (
        on(r, FORBIDDEN_ELEMENT_RULE[element], f"{rtype(r)}.{element}", "absent", "populated",
           f"carries {rtype(r)}.{element}"),), memo)


_CARRYING: dict[str, _Verdicts] = {}


def non_free_slots(slots) -> list[Violation]:
    return [violation("SLOT-FREE-01", f"Slot {s.id}", "Slot.status", "free", s.status,
                      f"Slot {s.id} has status '{s.status}'") for s in slots if s.status != "free"]


def slots_outside(slots, window: Window) -> list[Violation]:
    memo = _OUTSIDE.get(window) or _OUTSIDE.put(window, _Verdicts())
    def judge(s) -> tuple[Violation, ...]:
        if window.holds(s.start, s.end):
            return ()
        runs = f"{s.start.isoformat()} to {s.end.isoformat()}"
        return (violation("SLOT-WINDOW-01", f"Slot {s.id}", "Slot.start, Slot.end", window.describe(), runs,
                          f"Slot {s.id} runs {runs}, outside {window.describe()}"),)

    return _each(slots, judge, memo)


# Each slot's verdict by the window searched: a run searches a few dozen windows.
_OUTSIDE = Memo(64)


def schedule_references(index: fhir.BundleIndex) -> set[str | None]:
    """The Schedule references of the Bundle's slots (None for a slot without one): a hub's thousands of slots
    reference a few dozen, gathered once per run of slots (memo.run_values), which its answers share."""
    return set().union(*run_values(index.of_type("Slot"), _RUN_REFERENCES, _references_of))


_RUN_REFERENCES = ByIdentity(RESOURCES_REMEMBERED // 8)


def _references_of(slots: tuple) -> frozenset[str | None]:
    return frozenset(slot.schedule.reference if slot.schedule else None for slot in slots)


def missing_schedules(index: fhir.BundleIndex) -> list[Violation]:
    """Every returned Slot's Schedule is in the Bundle (SLOT-SCHEDREF-01)."""
    unresolved = {ref for ref in schedule_references(index) if index.resolve(ref) is None}
    found = []
    for slot in index.of_type("Slot") if unresolved else ():
        ref = slot.schedule.reference if slot.schedule else None
        if ref in unresolved:
            found.append(violation("SLOT-SCHEDREF-01", f"Slot {slot.id}", "Slot.schedule.reference",
                                   "a Schedule in the Bundle", ref or "none",
                                   f"Slot {slot.id} references {ref or 'no Schedule'}, which is not in the Bundle"))
    return found


def unreferenced_resources(index: fhir.BundleIndex, provider_ods_code: str) -> list[Violation]:
    """Resources in the Bundle that no returned slot leads to (Slot -> Schedule -> actors -> Organization).

    The practice's own Organization is allowed without a Location leading to it: the spec's known
    issue makes providers return it with every slot, with or without its _include.
    """
    wanted: set[tuple[str, str]] = {key for key in map(fhir.ref_key, schedule_references(index)) if key}
    schedules = [s for s in index.of_type("Schedule") if ("Schedule", s.id) in wanted]
    for schedule in schedules:
        for actor in schedule.actor or []:
            key = fhir.ref_key(actor.reference)
            if key:
                wanted.add(key)
    for loc in index.of_type("Location"):
        if ("Location", loc.id) in wanted and loc.managingOrganization:
            key = fhir.ref_key(loc.managingOrganization.reference)
            if key:
                wanted.add(key)
    found = []
    for res in index.other_than("Slot"):
        if (rtype(res), res.id) in wanted:
            continue
        if rtype(res) == "Organization" and provider_ods_code in ods_codes(res):
            continue
        label = fhir.label(res)
        found.append(violation("SLOT-BUNDLE-01", label, "Bundle.entry", "referenced by a returned slot",
                               "unreferenced", f"{label} is not referenced by any returned slot"))
    return found


def ods_codes(organization) -> set[str]:
    return {i.value for i in organization.identifier or [] if i.system == ODS_SYSTEM and i.value}


def organization_violations(index: fhir.BundleIndex) -> list[Violation]:
    rule = "SLOT-ORG-01"
    slots = index.of_type("Slot")
    if slots and not index.of_type("Organization"):
        return [violation(rule, "Bundle", "Bundle.entry", "an Organization", "none",
                          f"{len(slots)} slots returned but no Organization in the Bundle")]
    found = []
    for loc in index.of_type("Location"):
        ref = loc.managingOrganization.reference if loc.managingOrganization else None
        if not ref:
            found.append(violation(rule, f"Location {loc.id}", "Location.managingOrganization", "a reference",
                                   "none", f"Location {loc.id} has no managingOrganization"))
        elif index.resolve(ref) is None:
            found.append(violation(rule, f"Location {loc.id}", "Location.managingOrganization",
                                   "an Organization in the Bundle", ref,
                                   f"Location {loc.id} managingOrganization {ref} is not in the Bundle"))
    return found
