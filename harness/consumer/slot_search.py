"""Search for free slots: the request a consumer sends, and the checks on what comes back.

Every check looks at every returned resource and returns a Violation for each one that breaks
the rule; none depends on resource order, ids, fullUrl or a Practitioner being on every Schedule.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta, timezone
from functools import cached_property
from urllib.parse import parse_qsl, urlsplit
from zoneinfo import ZoneInfo

from harness import clock
from harness.checks.violations import (
    bundle_type_violations,
    fail_if_any,
    parsed,
    status_violations,
)
from harness.memo import RESOURCES_REMEMBERED, ByIdentity, run_values
from harness.settings import Settings
from harness.spec.constants import (
    ODS_SYSTEM,
    ORG_TYPE_SYSTEM,
    UK,
)
from harness.spec.interactions import SEARCH_SLOTS
from harness.transport import fhir
from harness.transport.client import GpConnectClient
from harness.transport.exchange import Exchange

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

def slot_keys(search_result: SlotSearch) -> set[tuple[str, str, str]]:
    """Identity of each slot independent of id formatting: schedule, start and end instants."""
    keys: set[tuple[str, str, str]] = set()
    for of_run in run_values(search_result.slots, _RUN_KEYS,  # runs of models other answers carry too, each keyed once
                             lambda run: frozenset(_SLOT_KEYS.get(s, _slot_key) for s in run)):
        keys |= of_run
    return keys


def _slot_key(slot) -> tuple[str, str, str]:
    sched = fhir.ref_key(slot.schedule.reference) if slot.schedule else None
    return sched[1] if sched else "", slot.start.isoformat(), slot.end.isoformat()


# A Slot's model is shared by every answer carrying the same JSON (harness/transport/fhir.py): its key is made once.
_SLOT_KEYS = ByIdentity(RESOURCES_REMEMBERED)
_RUN_KEYS = ByIdentity(RESOURCES_REMEMBERED // 8)


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
