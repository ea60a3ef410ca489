"""Search for free slots: the request a consumer sends, and the checks on what comes back.

Every check looks at every returned resource and returns a Violation for each one that breaks
the rule; none depends on resource order, ids, fullUrl or a Practitioner being on every Schedule.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from functools import cached_property

from . import fhir
from .fhir import rtype
from .client import Exchange, GpConnectClient
from .gpconnect import ODS_SYSTEM, ORG_TYPE_SYSTEM, UK
from .interactions import SEARCH_SLOTS
from .settings import Settings
from .violations import Violation, bundle_type_violations, fail_if_any, parsed, status_violations, violation

INCLUDE_SCHEDULE = ("_include", "Slot:schedule")
INCLUDE_PRACTITIONER = ("_include:recurse", "Schedule:actor:Practitioner")
INCLUDE_LOCATION = ("_include:recurse", "Schedule:actor:Location")
INCLUDE_ORGANIZATION = ("_include:recurse", "Location:managingOrganization")
EVERY_INCLUDE = (INCLUDE_SCHEDULE, INCLUDE_PRACTITIONER, INCLUDE_LOCATION, INCLUDE_ORGANIZATION)


def uk_today() -> date:
    return datetime.now(UK).date()


@dataclass(frozen=True)
class Window:
    """A search window. A date-only end covers the whole of that day."""

    start: datetime
    end: datetime
    date_only: bool

    @classmethod
    def days(cls, first: date, last: date) -> "Window":
        return cls(datetime.combine(first, time(0), UK), datetime.combine(last, time(0), UK), True)

    @classmethod
    def times(cls, start: datetime, end: datetime) -> "Window":
        return cls(start.astimezone(UK), end.astimezone(UK), False)

    def _text(self, value: datetime) -> str:
        return value.date().isoformat() if self.date_only else value.isoformat(timespec="seconds")

    def params(self) -> list[tuple[str, str]]:
        return [("start", "ge" + self._text(self.start)), ("end", "le" + self._text(self.end))]

    @property
    def last_instant(self) -> datetime:
        return datetime.combine(self.end.date() + timedelta(days=1), time(0), UK) if self.date_only else self.end

    def holds(self, start: datetime, end: datetime) -> bool:
        return self.start <= start and end <= self.last_instant

    def describe(self) -> str:
        return f"{self._text(self.start)} to {self._text(self.end)}"


def default_window(settings: Settings, today: date | None = None) -> Window:
    """From tomorrow, GPC_SEARCH_DAYS days of slots."""
    first = (today or uk_today()) + timedelta(days=1)
    return Window.days(first, first + timedelta(days=settings.search_days - 1))


def cutting_window(settings: Settings, today: date | None = None) -> Window:
    """A date-time window whose ends fall inside typical sessions (10:05 to 15:55), so slots straddle them."""
    first = (today or uk_today()) + timedelta(days=1)
    last = first + timedelta(days=max(settings.search_days - 1, 1))
    return Window.times(datetime.combine(first, time(10, 5), UK), datetime.combine(last, time(15, 55), UK))


def search_filters(settings: Settings) -> list[tuple[str, str]]:
    """The searchFilter parameters a consumer SHOULD send: its ODS code and organisation type."""
    filters = [("searchFilter", f"{ODS_SYSTEM}|{settings.consumer_ods_code}")]
    if settings.consumer_org_type:
        filters.append(("searchFilter", f"{ORG_TYPE_SYSTEM}|{settings.consumer_org_type}"))
    return filters


def search_params(settings: Settings, window: Window, includes=EVERY_INCLUDE, filters: bool = True,
                  status: str | None = "free") -> list[tuple[str, str]]:
    params = window.params()
    if status is not None:
        params.append(("status", status))
    params += list(includes)
    if filters:
        params += search_filters(settings)
    return params


def empty_window(today: date | None = None) -> Window:
    """03:00 to 03:01 tomorrow: a window no practice's slot can lie inside."""
    night = datetime.combine((today or uk_today()) + timedelta(days=1), time(3, 0), UK)
    return Window.times(night, night + timedelta(minutes=1))


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


def replaced(params: list[tuple[str, str]], **values: str) -> list[tuple[str, str]]:
    """The parameters with each named one's value replaced, verbatim (prefix included), in place."""
    return [(k, values[k]) if k in values else (k, v) for k, v in params]


@dataclass
class SlotSearch:
    """One search and, once asked for, its parsed searchset Bundle."""

    exchange: Exchange
    window: Window
    includes: tuple = EVERY_INCLUDE

    @property
    def where(self) -> str:
        return self.exchange.short_request()

    @cached_property
    def index(self) -> fhir.BundleIndex:
        """The parsed Bundle; Nonconformance (SLOT-SEARCH-01) unless 200 with a searchset Bundle. A search
        sent with more than the schedule include and refused also breaks SLOT-INCLUDE-01."""
        ex = self.exchange
        includes = ("SLOT-INCLUDE-01",) if len(self.includes) > 1 else ()
        fail_if_any(status_violations(ex, 200, (SEARCH_SLOTS.requirement, *includes)), self.where)
        bundle = parsed(ex, "Bundle", SEARCH_SLOTS.requirement)
        fail_if_any(bundle_type_violations(bundle.type, "searchset", "slot search", SEARCH_SLOTS.requirement),
                    self.where)
        return fhir.BundleIndex(bundle)

    def require_searchset(self) -> fhir.BundleIndex:
        """The parsed Bundle; raises Nonconformance unless HTTP 200 with a searchset Bundle."""
        return self.index

    @property
    def slots(self) -> list:
        return self.index.of_type("Slot")

    @property
    def schedules(self) -> list:
        return self.index.of_type("Schedule")


def search(client: GpConnectClient, settings: Settings, window: Window, includes=EVERY_INCLUDE,
           filters: bool = True) -> SlotSearch:
    params = search_params(settings, window, includes, filters)
    return SlotSearch(client.send(SEARCH_SLOTS, "Slot", params=params), window, tuple(includes))


# ------------------------------------------------------------------ checks
# Each returns the list of violations found; a step hands it to violations.fail_if_any.

FORBIDDEN_ELEMENT_RULE = {"comment": "SLOT-NOCOMMENT-01", "specialty": "SLOT-NOSPECIALTY-01"}


def slots_without_type(slots) -> list[Violation]:
    return [violation("SLOT-TYPE-01", f"Slot {s.id}", "Slot.serviceType[*].text", "a slot type", "empty",
                      f"Slot {s.id} has no slot type: Slot.serviceType[*].text is empty")
            for s in slots if not fhir.texts_of(s.serviceType)]


def schedule_type_violations(schedules, mode: str) -> list[Violation]:
    """Judge Schedule.serviceCategory.text against what the environment declares it configured."""
    rule, element = "SLOT-SCHEDTYPE-01", "Schedule.serviceCategory.text"
    typed = [s for s in schedules if fhir.text_of(s.serviceCategory)]
    untyped = [s for s in schedules if not fhir.text_of(s.serviceCategory)]
    if mode == "all":
        return [violation(rule, f"Schedule {s.id}", element, "a schedule type", "empty",
                          f"Schedule {s.id} has no schedule type: Schedule.serviceCategory.text is empty")
                for s in untyped]
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


def forbidden_element_violations(resources, element: str) -> list[Violation]:
    return [violation(FORBIDDEN_ELEMENT_RULE[element], fhir.resource_label(r), f"{rtype(r)}.{element}", "absent",
                      "populated", f"{fhir.resource_label(r)} carries {rtype(r)}.{element}")
            for r in resources if getattr(r, element, None) not in (None, [], "")]


def non_free_slots(slots) -> list[Violation]:
    return [violation("SLOT-FREE-01", f"Slot {s.id}", "Slot.status", "free", s.status,
                      f"Slot {s.id} has status '{s.status}'") for s in slots if s.status != "free"]


def slots_outside(slots, window: Window) -> list[Violation]:
    return [violation("SLOT-WINDOW-01", f"Slot {s.id}", "Slot.start, Slot.end", window.describe(),
                      f"{s.start.isoformat()} to {s.end.isoformat()}",
                      f"Slot {s.id} runs {s.start.isoformat()} to {s.end.isoformat()}, outside {window.describe()}")
            for s in slots if not window.holds(s.start, s.end)]


def unreferenced_resources(index: fhir.BundleIndex, provider_ods_code: str) -> list[Violation]:
    """Resources in the Bundle that no returned slot leads to (Slot -> Schedule -> actors -> Organization).

    The practice's own Organization is allowed without a Location leading to it: the spec's known
    issue makes providers return it with every slot, with or without its _include.
    """
    wanted: set[tuple[str, str]] = set()
    for slot in index.of_type("Slot"):
        key = fhir.ref_key(slot.schedule.reference if slot.schedule else None)
        if key:
            wanted.add(key)
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
    for res in index:
        if rtype(res) == "Slot" or (rtype(res), res.id) in wanted:
            continue
        if rtype(res) == "Organization" and provider_ods_code in ods_codes(res):
            continue
        label = fhir.resource_label(res)
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


def slot_keys(search_result: SlotSearch) -> set[tuple[str, str, str]]:
    """Identity of each slot independent of id formatting: schedule, start and end instants."""
    keys = set()
    for s in search_result.slots:
        sched = fhir.ref_key(s.schedule.reference) if s.schedule else None
        keys.add((sched[1] if sched else "", s.start.isoformat(), s.end.isoformat()))
    return keys


def _slot_line(key: tuple[str, str, str]) -> str:
    sch, start, end = key
    return f"slot on Schedule {sch} {start} to {end}"


def withheld_open_slots(unfiltered: set, filtered: set) -> list[Violation]:
    """Slots offered to a consumer that sends no searchFilter must be offered when it names its organisation."""
    return [violation("SLOT-FILTER-01", _slot_line(k), "Bundle.entry", "offered with a searchFilter", "not offered",
                      f"{_slot_line(k)} is offered without a searchFilter but not with one")
            for k in sorted(unfiltered - filtered)]


def unknown_filter_differences(expected: set, got: set) -> list[Violation]:
    """A searchFilter of an unknown system changes nothing: the same slots either way."""
    rule = "SLOT-FILTER-02"
    return [violation(rule, _slot_line(k), "Bundle.entry", "offered", "not offered",
                      f"{_slot_line(k)} is not offered once the unknown searchFilter is added")
            for k in sorted(expected - got)] + \
        [violation(rule, _slot_line(k), "Bundle.entry", "not offered", "offered",
                   f"{_slot_line(k)} is offered only with the unknown searchFilter") for k in sorted(got - expected)]
