"""Search for free slots: the request a consumer sends, and the checks on what comes back.

Every check looks at every returned resource and returns a Violation for each one that breaks
the rule; none depends on resource order, ids, fullUrl or a Practitioner being on every Schedule.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta, timezone
from functools import cached_property
from urllib.parse import parse_qsl, urlsplit
from zoneinfo import ZoneInfo

from harness import clock
from harness.checks import search_content as content
from harness.checks.violations import (
    Violation,
    bundle_type_violations,
    fail_if_any,
    parsed,
    status_violations,
    violation,
)
from harness.consumer import readback
from harness.settings import ORG_TYPES, Settings
from harness.spec.constants import (
    ODS_SYSTEM,
    ORG_TYPE_SYSTEM,
    UK,
)
from harness.spec.interactions import SEARCH_SLOTS
from harness.transport import fhir
from harness.transport.client import Exchange, GpConnectClient
from harness.transport.fhir import rtype

INCLUDE_SCHEDULE = ("_include", "Slot:schedule")
INCLUDE_PRACTITIONER = ("_include:recurse", "Schedule:actor:Practitioner")
INCLUDE_LOCATION = ("_include:recurse", "Schedule:actor:Location")
INCLUDE_ORGANIZATION = ("_include:recurse", "Location:managingOrganization")
EVERY_INCLUDE = (INCLUDE_SCHEDULE, INCLUDE_PRACTITIONER, INCLUDE_LOCATION, INCLUDE_ORGANIZATION)


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

    @cached_property
    def last_instant(self) -> datetime:
        return datetime.combine(self.end.date() + timedelta(days=1), time(0), UK) if self.date_only else self.end

    @cached_property
    def _utc_bounds(self) -> tuple[datetime, datetime]:
        # In UTC: compared with thousands of slots, a fixed offset is quicker than the UK zone's rules.
        return self.start.astimezone(timezone.utc), self.last_instant.astimezone(timezone.utc)

    def holds(self, start: datetime, end: datetime) -> bool:
        first, last = self._utc_bounds
        return first <= start and end <= last

    def describe(self) -> str:
        return f"{self._text(self.start)} to {self._text(self.end)}"


def default_window(settings: Settings, today: date | None = None) -> Window:
    """From tomorrow, GPC_SEARCH_DAYS days of slots."""
    first = (today or clock.today()) + timedelta(days=1)
    return Window.days(first, first + timedelta(days=settings.search_days - 1))


def cutting_window(settings: Settings, today: date | None = None) -> Window:
    """A date-time window whose ends fall inside typical sessions (10:05 to 15:55), so slots straddle them."""
    first = (today or clock.today()) + timedelta(days=1)
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
    night = datetime.combine((today or clock.today()) + timedelta(days=1), time(3, 0), UK)
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


def searchset_violations(exchange: Exchange) -> list[Violation]:
    """A search a provider must serve is answered with 200 and a searchset Bundle (SLOT-SEARCH-01)."""
    rule = SEARCH_SLOTS.requirement
    found = status_violations(exchange, 200, rule)
    if found:
        return found
    return bundle_type_violations(parsed(exchange, "Bundle", rule).type, "searchset", "slot search", rule)


# How NHS's suite writes a start or end ("yyyy-MM-ddTHH:mm:sszzz" and so on), by the name a scenario gives it.
POINT_FORMATS = {
    "a date": lambda t: t.date().isoformat(),
    "a date-time with offset": lambda t: t.isoformat(timespec="seconds"),
    "a date-time without offset": lambda t: t.strftime("%Y-%m-%dT%H:%M:%S"),
    "a date-time in UTC with Z": lambda t: t.astimezone(ZoneInfo("UTC")).strftime("%Y-%m-%dT%H:%M:%SZ"),
    "a year": lambda t: t.strftime("%Y"),
    "a year and month": lambda t: t.strftime("%Y-%m"),
}


def formatted_params(settings: Settings, start_format: str, end_format: str, days: int = 3,
                     now: datetime | None = None) -> list[tuple[str, str]]:
    """From now (UK time) for `days` days, start and end written in the named formats, with the usual
    status, includes and searchFilters."""
    start = (now or clock.now()).astimezone(UK).replace(microsecond=0)
    end = start + timedelta(days=days)
    return replaced(search_params(settings, Window.times(start, end)),
                    start="ge" + POINT_FORMATS[start_format](start), end="le" + POINT_FORMATS[end_format](end))


def again(client: GpConnectClient, search: "SlotSearch") -> "SlotSearch":
    """The same search sent once more, fresh: two searches of one consumer bracketing another are held
    against it only where they agree, so a booking made by anyone in between is never blamed on the provider."""
    params = parse_qsl(urlsplit(search.exchange.url).query, keep_blank_values=True)
    return SlotSearch(client.send(SEARCH_SLOTS, "Slot", params=params, fresh=True), search.window, search.includes,
                      search.searched_as)


def replaced(params: list[tuple[str, str]], **values: str) -> list[tuple[str, str]]:
    """The parameters with each named one's value replaced, verbatim (prefix included), in place."""
    return [(k, values[k]) if k in values else (k, v) for k, v in params]


@dataclass
class SlotSearch:
    """One search and, once asked for, its parsed searchset Bundle."""

    exchange: Exchange
    window: Window
    includes: tuple = EVERY_INCLUDE
    searched_as: tuple = (None, None)  # a sweep's organisation type and ODS code (None: not sent)

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
        return fhir.answer_index(ex)

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
           filters: bool = True, fresh: bool = False) -> SlotSearch:
    """Search the window; `fresh`: sent even where an identical search earlier in the run could be reused."""
    params = search_params(settings, window, includes, filters)
    return SlotSearch(client.send(SEARCH_SLOTS, "Slot", params=params, fresh=fresh), window, tuple(includes))


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


def missing_schedules(index: fhir.BundleIndex) -> list[Violation]:
    """Every returned Slot's Schedule is in the Bundle (SLOT-SCHEDREF-01)."""
    found, resolved = [], {}
    for slot in index.of_type("Slot"):
        ref = slot.schedule.reference if slot.schedule else None
        if ref not in resolved:  # thousands of slots reference a few dozen Schedules
            resolved[ref] = index.resolve(ref) is not None
        if not resolved[ref]:
            found.append(violation("SLOT-SCHEDREF-01", f"Slot {slot.id}", "Slot.schedule.reference",
                                   "a Schedule in the Bundle", ref or "none",
                                   f"Slot {slot.id} references {ref or 'no Schedule'}, which is not in the Bundle"))
    return found


def unreferenced_resources(index: fhir.BundleIndex, provider_ods_code: str) -> list[Violation]:
    """Resources in the Bundle that no returned slot leads to (Slot -> Schedule -> actors -> Organization).

    The practice's own Organization is allowed without a Location leading to it: the spec's known
    issue makes providers return it with every slot, with or without its _include.
    """
    references = {slot.schedule.reference if slot.schedule else None for slot in index.of_type("Slot")}
    wanted: set[tuple[str, str]] = {key for key in map(fhir.ref_key, references) if key}
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
    return {_SLOT_KEYS.get(s, _slot_key) for s in search_result.slots}


def _slot_key(slot) -> tuple[str, str, str]:
    sched = fhir.ref_key(slot.schedule.reference) if slot.schedule else None
    return sched[1] if sched else "", slot.start.isoformat(), slot.end.isoformat()


# A Slot's model is shared by every answer carrying the same JSON (harness/transport/fhir.py): its key is made once.
_SLOT_KEYS = fhir.ByIdentity(50_000)


def offered_keys(search_result: SlotSearch) -> frozenset[tuple[str, str, str]]:
    """slot_keys of a search, worked out once per answer: a reused answer (the client's, to an identical
    request) shares its original's."""
    return search_result.exchange.derived("slot keys", lambda: frozenset(slot_keys(search_result)))


def keys_of_ids(searches: tuple[SlotSearch, ...] | list[SlotSearch], ids: set[str]) -> set[tuple[str, str, str]]:
    """slot_keys of the slots with these logical ids in any of the searches' answers (the slots other
    parallel workers hold, which may be booked or freed between any two searches)."""
    if not ids:
        return set()
    return {_SLOT_KEYS.get(s, _slot_key) for search in searches for s in search.slots if s.id in ids}


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
    return [violation(rule, _slot_line(k), "Bundle.entry", "offered", "not offered", f"{_slot_line(k)} is not offered "
                      "once the unknown searchFilter is added") for k in sorted(expected - got)] + \
        [violation(rule, _slot_line(k), "Bundle.entry", "not offered", "offered",
                   f"{_slot_line(k)} is offered only with the unknown searchFilter") for k in sorted(got - expected)]


# ------------------------------------------------------------------ searchFilter sweeps
# NHS's suite searches 14 days from today with only the schedule include, as each of these
# organisation types and ODS codes, alone and in pairs. A real environment maps them to its own
# (GPC_SEARCHFILTER_ORG_TYPES, GPC_SEARCHFILTER_ODS_CODES, in the same order).
NHS_FILTER_ORG_TYPES = ("urgent-care", "gp-practice", "oncology")
NHS_FILTER_ODS_CODES = ("A20047", "B81016", "M85015", "RNR01")
SWEEP_DAYS = 14


def sweep_window(today: date | None = None) -> Window:
    first = today or clock.today()
    return Window.days(first, first + timedelta(days=SWEEP_DAYS))


def filter_search(client: GpConnectClient, org_type: str | None, ods_code: str | None,
                  today: date | None = None) -> SlotSearch:
    """14 days from today with only the schedule include, as this organisation type and ODS code (either may
    be None: no searchFilter of that system). Identical requests are answered once (client reuse)."""
    window = sweep_window(today)
    params = window.params() + [("status", "free"), INCLUDE_SCHEDULE]
    if org_type:
        params.append(("searchFilter", f"{ORG_TYPE_SYSTEM}|{org_type}"))
    if ods_code:
        params.append(("searchFilter", f"{ODS_SYSTEM}|{ods_code}"))
    return SlotSearch(client.send(SEARCH_SLOTS, "Slot", params=params), window, (INCLUDE_SCHEDULE,),
                      (org_type, ods_code))


def sweep_restriction_violations(client: GpConnectClient, result: SlotSearch,
                                 codes: tuple[str, ...]) -> list[Violation]:
    """restriction_violations of a sweep's search, judged against the searches (sent once each, then reused)
    as the organisation types a slot can be restricted to, as `codes` (the sweep's and the consumer's own
    ODS codes) and as neither; with both named, against each alone. What looks wrong is judged again on
    only the slots every search answers the same when sent once more (see `again`)."""
    org_type, ods_code = result.searched_as
    types = (org_type,) if org_type and ods_code else ORG_TYPES
    codes = (ods_code,) if org_type and ods_code else tuple(dict.fromkeys(codes))
    searches = {"result": result, "open": filter_search(client, None, None)}
    if ods_code:
        searches.update({("type", t): filter_search(client, t, None) for t in types})
    if org_type:
        searches.update({("code", c): filter_search(client, None, c) for c in codes})
    def judged(offered: dict) -> list[Violation]:
        by_type = {k[1]: v for k, v in offered.items() if k[0] == "type"}
        by_code = {k[1]: v for k, v in offered.items() if k[0] == "code"}
        return restriction_violations(org_type, ods_code, offered["result"], offered["open"], by_type, by_code,
                                      ORG_TYPES)

    before = {k: offered_keys(s) for k, s in searches.items()}
    if not judged(before):
        return []
    # A suspicion is confirmed first: each search is sent again, fresh; a slot two answers of one search
    # disagree on was booked or freed by someone in between (another parallel worker, another user of the
    # environment) and is judged in none of them.
    after = {k: offered_keys(again(client, s)) for k, s in searches.items()}
    unstable = set().union(*(before[k] ^ after[k] for k in searches))
    return judged({k: before[k] - unstable for k in searches})


def restriction_violations(org_type: str | None, ods_code: str | None, got: set, open_slots: set,
                           by_type: dict[str, set], by_code: dict[str, set],
                           restrictable_types: tuple[str, ...]) -> list[Violation]:
    """What the slot availability matching table says of a search as `org_type` and `ods_code`, judged
    against searches as each organisation type alone (`by_type`), each ODS code alone (`by_code`) and
    none (`open_slots`), all over the same window:

    - a slot offered to a type alone but not without a searchFilter is restricted to that type (and to no
      ODS code): withheld from a consumer naming an ODS code but no type; likewise a slot offered to an
      ODS code alone is withheld from a consumer naming a type but no ODS code;
    - no slot can be restricted to a type outside GPConnect-OrganisationType-1 (`restrictable_types`):
      such a type alone is offered the open slots only, and with an ODS code what that code alone is;
    - a consumer naming both is offered what either alone is.
    """
    rule, found = "SLOT-FILTER-03", []

    def offered(keys, why: str) -> None:
        found.extend(violation(rule, _slot_line(k), "Bundle.entry", "withheld", "offered", f"{_slot_line(k)} {why}")
                     for k in sorted(keys))

    if org_type and not ods_code:
        for code, seen in by_code.items():
            offered((seen - open_slots) & got, f"is restricted to ODS code {code} (offered to it alone, not without "
                                               f"a searchFilter) but is offered to organisation type {org_type} "
                                               "naming no ODS code")
        if org_type not in restrictable_types:
            offered(got - open_slots, f"is offered to organisation type {org_type}, which no slot can be restricted "
                                      "to (not in GPConnect-OrganisationType-1), but not without a searchFilter")
    elif ods_code and not org_type:
        for type_, seen in by_type.items():
            offered((seen - open_slots) & got, f"is restricted to organisation type {type_} (offered to it alone, "
                                               f"not without a searchFilter) but is offered to ODS code {ods_code} "
                                               "naming no organisation type")
    elif org_type and ods_code:
        alone = by_type.get(org_type, set()) | by_code.get(ods_code, set())
        found += [violation(rule, _slot_line(k), "Bundle.entry", "offered", "withheld",
                            f"{_slot_line(k)} is offered to organisation type {org_type} alone or to ODS code "
                            f"{ods_code} alone, but not to both together") for k in sorted(alone - got)]
        if org_type not in restrictable_types and ods_code in by_code:
            offered(got - by_code[ods_code], f"is offered to organisation type {org_type} with ODS code {ods_code} "
                                             f"but not to {ods_code} alone, though no slot can be restricted to "
                                             f"{org_type} (not in GPConnect-OrganisationType-1)")
    return found


def managing_organizations_read_back(client: GpConnectClient, resources: list[dict]) -> list[Violation]:
    """Each returned Location's managingOrganization read with Read Organisation, as NHS's suite reads it:
    what does not read back as that Organization (SLOT-LOC-03, NHS expectation). A Location without one,
    or with another kind of reference, is SLOT-ORG-01's and SLOT-LOC-01's."""
    found, done = [], set()
    for loc in content.of_type(resources, "Location"):
        ref = content.reference(loc.get("managingOrganization"))
        key = fhir.ref_key(ref)
        if key is None or key[0] != "Organization" or key in done:
            continue
        done.add(key)
        found += [dataclasses.replace(v, requirements=("SLOT-LOC-03",))
                  for v in readback.read_one(client, key, f"{content.label(loc)} managingOrganization {ref}")[1]]
    return found
