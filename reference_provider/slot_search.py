"""Search for free slots: parameter rules, slot availability matching and the Bundle."""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from functools import lru_cache
from itertools import chain, compress
from operator import is_, is_not, itemgetter

from . import faults as fault_registry
from . import practice, resources
from .security import Refusal

(BUSY_SLOT_RETURNED, SLOT_OUTSIDE_WINDOW, SEARCHFILTER_DROPS_OPEN_SLOTS, SEARCH_WINDOW_UNLIMITED,
 SEARCH_END_BEFORE_START, SEARCH_STATUS_ANY, SEARCH_MISSING_PARAMS, SEARCH_WRONG_ERROR_CODE,
 INCLUDE_ORGANIZATION_REFUSED, UNKNOWN_SEARCHFILTER_REFUSED, UNKNOWN_PARAM_REFUSED) = fault_registry.uses(
    "busy_slot_returned", "slot_outside_window", "searchfilter_drops_open_slots", "search_window_unlimited",
    "search_end_before_start", "search_status_any", "search_missing_params", "search_wrong_error_code",
    "include_organization_refused", "unknown_searchfilter_refused", "unknown_param_refused")
SEARCH_START_FLOORED, SEARCH_START_ROUNDED_UP, SEARCH_DROPS_LAST_DAY = fault_registry.uses(
    "search_start_floored", "search_start_rounded_up", "search_drops_last_day")
SEARCH_SCHEDULE_INCLUDE_OPTIONAL, SEARCH_INCLUDES_EVERYTHING = fault_registry.uses(
    "search_schedule_include_optional", "search_includes_everything")
SEARCH_PREFIX_UNCHECKED, SEARCH_BAD_DATE_IGNORED = fault_registry.uses("search_prefix_unchecked",
                                                                       "search_bad_date_ignored")
SEARCHFILTER_TYPE_IGNORED, SEARCHFILTER_RESTRICTIONS_IGNORED = fault_registry.uses(
    "searchfilter_type_ignored", "searchfilter_restrictions_ignored")
SEARCH_FOURTEEN_DAYS_REFUSED, SEARCH_MIXED_FORMATS_REFUSED = fault_registry.uses("search_fourteen_days_refused",
                                                                                 "search_mixed_formats_refused")

DATE_RE = re.compile(r"\d{4}-\d{2}-\d{2}")
DATETIME_RE = re.compile(r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}[+-]\d{2}:\d{2}")
MAX_WINDOW = timedelta(days=14)
INCLUDE_SCHEDULE = "Slot:schedule"
INCLUDE_PRACTITIONER = "Schedule:actor:Practitioner"
INCLUDE_LOCATION = "Schedule:actor:Location"
INCLUDE_ORGANIZATION = "Location:managingOrganization"


@dataclass(frozen=True)
class SlotQuery:
    start: datetime  # inclusive
    end: datetime  # inclusive; a date-only end means the end of that day
    includes: frozenset[str]
    org_code: str | None
    org_type: str | None


def parse_point(value: str, prefix: str, name: str) -> tuple[datetime, bool]:
    """(instant, date_only) of 'ge2026-01-01' style values, or Refusal 422 INVALID_PARAMETER."""
    if not value.startswith(prefix):
        raise Refusal(422, "INVALID_PARAMETER", f"{name} must use the prefix {prefix}: {value}")
    raw = value[len(prefix):]
    if DATE_RE.fullmatch(raw):
        try:
            return datetime.combine(date.fromisoformat(raw), time(0), practice.UK), True
        except ValueError:
            pass
    elif DATETIME_RE.fullmatch(raw):
        try:
            return datetime.fromisoformat(raw), False
        except ValueError:
            pass
    raise Refusal(422, "INVALID_PARAMETER", f"{name} is not a date or date-time with offset: {raw}")


def _as_faults_read(raw: str, prefix: str, default: str, faults: frozenset[str]) -> str:
    """A start or end value as a faulty provider would read it: any two-letter prefix taken for the
    right one, or a value that is no date taken for the default."""
    if SEARCH_PREFIX_UNCHECKED in faults and re.match(r"[a-z]{2}\d", raw):
        raw = prefix + raw[2:]
    if SEARCH_BAD_DATE_IGNORED in faults and not (DATE_RE.fullmatch(raw[2:]) or DATETIME_RE.fullmatch(raw[2:])):
        raw = default
    return raw


def parse_query(items: list[tuple[str, str]], faults: frozenset[str]) -> SlotQuery:
    values: dict[str, list[str]] = {}
    for key, value in items:
        values.setdefault(key, []).append(value)

    lenient = SEARCH_MISSING_PARAMS in faults
    known = {"start", "end", "status", "_include", "_include:recurse", "searchFilter", "_format"}
    unknown = sorted({key for key, _ in items} - known)
    if unknown and UNKNOWN_PARAM_REFUSED in faults:
        raise Refusal(422, "INVALID_PARAMETER", f"Unknown search parameter {unknown[0]}")
    for name in ("start", "end", "status"):
        if not values.get(name) and not lenient:
            raise Refusal(400, "BAD_REQUEST", f"Missing required search parameter {name}")
        if len(values.get(name, [])) > 1:
            raise Refusal(422, "INVALID_PARAMETER", f"Search parameter {name} must be sent exactly once")
    today = datetime.now(practice.UK).date()
    start_raw = values.get("start", [f"ge{today.isoformat()}"])[0]
    end_raw = values.get("end", [f"le{(today + timedelta(days=7)).isoformat()}"])[0]
    start_raw = _as_faults_read(start_raw, "ge", f"ge{today.isoformat()}", faults)
    end_raw = _as_faults_read(end_raw, "le", f"le{(today + timedelta(days=7)).isoformat()}", faults)
    status = values.get("status", ["free"])[0]
    if status != "free" and SEARCH_STATUS_ANY not in faults:
        raise Refusal(422, "INVALID_PARAMETER", f"status must be free, got {status}")

    start, start_is_date = parse_point(start_raw, "ge", "start")
    end, end_is_date = parse_point(end_raw, "le", "end")
    if start_is_date != end_is_date and SEARCH_MIXED_FORMATS_REFUSED in faults:
        raise Refusal(422, "INVALID_PARAMETER", "start and end must be written in the same format")
    if end - start == MAX_WINDOW and SEARCH_FOURTEEN_DAYS_REFUSED in faults:
        raise Refusal(422, "INVALID_PARAMETER", "The search window must be shorter than 14 days")
    if end < start and SEARCH_END_BEFORE_START not in faults:
        raise Refusal(422, "INVALID_PARAMETER", "end is before start")
    if end - start > MAX_WINDOW and SEARCH_WINDOW_UNLIMITED not in faults:
        if SEARCH_WRONG_ERROR_CODE in faults:
            raise Refusal(400, "BAD_REQUEST", "search window longer than 14 days")
        raise Refusal(422, "INVALID_PARAMETER", "The search window must not be longer than 14 days")
    if end_is_date:
        end = end + timedelta(days=1)
    if SEARCH_START_FLOORED in faults and not start_is_date:
        start = datetime.combine(start.astimezone(practice.UK).date(), time(0), practice.UK)
    if SEARCH_START_ROUNDED_UP in faults and not start_is_date and (start.minute or start.second):
        start = start.replace(minute=0, second=0, microsecond=0) + timedelta(hours=1)
    if SEARCH_DROPS_LAST_DAY in faults and end - start > timedelta(days=1):
        end = end - timedelta(days=1)

    includes = frozenset(values.get("_include", []) + values.get("_include:recurse", []))
    if INCLUDE_ORGANIZATION in includes and INCLUDE_ORGANIZATION_REFUSED in faults:
        raise Refusal(422, "INVALID_PARAMETER", "_include:recurse=Location:managingOrganization is not supported")
    if INCLUDE_SCHEDULE not in includes and not lenient and SEARCH_SCHEDULE_INCLUDE_OPTIONAL not in faults:
        raise Refusal(422, "INVALID_PARAMETER", "_include=Slot:schedule is required")

    org_code = org_type = None
    for flt in values.get("searchFilter", []):
        system, _, code = flt.partition("|")
        if system == resources.ODS_SYSTEM:
            org_code = code
        elif system == resources.ORG_TYPE_SYSTEM:
            org_type = code
        elif UNKNOWN_SEARCHFILTER_REFUSED in faults:
            raise Refusal(422, "INVALID_PARAMETER", f"Unknown searchFilter system {system}")
        # Other systems (such as urgent-care dispositions) are ignored, as the spec requires.
    return SlotQuery(start, end, includes, org_code, org_type)


def matches_filter(row, query: SlotQuery, faults: frozenset[str] = frozenset()) -> bool:
    """The slot availability matching table (digest 2.1), as the faults bend it."""
    if SEARCHFILTER_RESTRICTIONS_IGNORED in faults:
        return True
    types = _listed(row["org_types"])
    if SEARCHFILTER_TYPE_IGNORED in faults and (query.org_code or query.org_type):
        types = []
    return _open_to(_listed(row["org_codes"]), types, query)


@lru_cache(maxsize=4096)
def _listed(values: str) -> tuple[str, ...]:
    return tuple(v for v in values.split(",") if v)


def _open_to(codes: tuple[str, ...], types: tuple[str, ...], query: SlotQuery) -> bool:
    """The slot availability matching table (digest 2.1) on a slot's ODS codes and organisation types: a slot
    restricted to either is offered only to a consumer naming one of them; one restricted to neither, to all."""
    return ((not codes or (query.org_code is not None and query.org_code in codes))
            and (not types or (query.org_type is not None and query.org_type in types)))


def search(store, query: SlotQuery, ods_code: str, faults: frozenset[str]) -> dict:
    rows, others = _found(store, query, ods_code, faults)
    return resources.bundle([resources.slot(r) for r in rows] + others)


# Each Slot's entry as UTF-8 JSON, with the restriction its runs are cut by, by its row (the store keeps an unchanged
# slot's row object; the entry holds the row, so its id is not reused while kept): a practice of thousands of slots
# answers a 14-day search several hundred times a run, and building and serialising every Slot each time was most
# of its cost.
_SLOT_JSON: dict[int, tuple[object, bytes, tuple[str, str], str]] = {}
MAX_SERIALISED = 100_000
_RESTRICTIONS: dict[tuple[str, str], tuple[str, str]] = {}  # each restriction once, so runs are cut by identity
# For each selection of rows the store keeps (until its slots next change), its entries and their runs of the same
# restriction: the searches of one window with different searchFilters (a hub's sweep: 21 of 30,000 slots each,
# in some 850 runs) then only pick runs and join their entries.
_PREPARED: dict[int, tuple[tuple, "_Prepared"]] = {}
MAX_PREPARED = 16


@dataclass
class _Run:
    codes: tuple[str, ...]  # the ODS codes and organisation types its slots are restricted to
    types: tuple[str, ...]
    first: int  # its entries, entries[first:end] of the selection's
    end: int
    schedules: set[str]  # the ids of its slots' Schedules


@dataclass
class _Prepared:
    entries: list[bytes]
    runs: list[_Run]


def _serialised(row) -> tuple[object, bytes, tuple[str, str], str]:
    """(row, its entry as UTF-8 JSON, its restriction, its Schedule's id)"""
    hit = _SLOT_JSON.get(id(row))
    if hit is None or hit[0] is not row:
        if len(_SLOT_JSON) >= MAX_SERIALISED:
            _SLOT_JSON.clear()
        restriction = (row["org_codes"], row["org_types"])
        hit = _SLOT_JSON[id(row)] = (row, f'{{"resource": {json.dumps(resources.slot(row))}}}'.encode("utf-8"),
                                     _RESTRICTIONS.setdefault(restriction, restriction), row["schedule_id"])
    return hit


def warm(store) -> None:
    """Serialise every free bookable Slot once, before a search asks for it: started as the provider starts, while
    its client starts its own run, so a hub's first whole-window answer only joins texts made already. A slot booked
    or freed since has another row, and is serialised again when asked."""
    for row in store.slot_rows():
        if row["bookable"] and row["status"] == "free":
            _serialised(row)


def _prepared(selected: tuple) -> _Prepared:
    """The entries of the selected rows, and their runs of consecutive rows restricted alike."""
    hit = _PREPARED.get(id(selected))
    if hit is not None and hit[0] is selected:
        return hit[1]
    # Mapped, not looped: a hub's selection is 30,000 rows, made again after every booking.
    serialised = list(map(_SLOT_JSON.get, map(id, selected)))
    if None in serialised or not all(map(is_, map(itemgetter(0), serialised), selected)):
        serialised = [_serialised(row) for row in selected]
    restrictions = list(map(itemgetter(2), serialised))
    schedules = list(map(itemgetter(3), serialised))
    cuts = [0, *compress(range(1, len(selected)), map(is_not, restrictions[1:], restrictions[:-1])), len(selected)]
    prepared = _Prepared(list(map(itemgetter(1), serialised)),
                         [_Run(_listed(restrictions[a][0]), _listed(restrictions[a][1]), a, b, set(schedules[a:b]))
                          for a, b in zip(cuts, cuts[1:]) if b > a])
    if len(_PREPARED) >= MAX_PREPARED:
        _PREPARED.clear()
    _PREPARED[id(selected)] = (selected, prepared)
    return prepared


# The last answers made from a selection, as bytes, by the runs they hold and what else decides the Bundle: a sweep
# of searchFilters gets the same 17 MB answer for several consumers, each joined once.
_ANSWERS: dict[tuple, tuple[tuple, bytes]] = {}
MAX_ANSWERS = 8


def search_text(store, query: SlotQuery, ods_code: str) -> bytes:
    """The same searchset Bundle as `search` without faults, as UTF-8 JSON, each Slot serialised once."""
    selected = store.selected_slots(query.start, query.end, status="free")
    prepared = _prepared(selected)
    picked = tuple(i for i, run in enumerate(prepared.runs) if _open_to(run.codes, run.types, query))
    key = (id(selected), picked, query.includes, ods_code)
    hit = _ANSWERS.get(key)
    if hit is not None and hit[0] is selected:
        return hit[1]
    runs = [prepared.runs[i] for i in picked]
    others = _others(store, set().union(*(run.schedules for run in runs)), query, ods_code, frozenset())
    entries = prepared.entries if len(runs) == len(prepared.runs) else \
        list(chain.from_iterable(prepared.entries[run.first:run.end] for run in runs))
    shell = json.dumps(resources.bundle([])).encode("utf-8")
    answer = b"".join((shell[:-len(b"[]}")], b"[", b", ".join(entries + [json.dumps({"resource": r}).encode("utf-8")
                                                                          for r in others]), b"]}"))
    if len(_ANSWERS) >= MAX_ANSWERS:
        _ANSWERS.pop(next(iter(_ANSWERS)))
    _ANSWERS[key] = (selected, answer)
    return answer


def _found(store, query: SlotQuery, ods_code: str, faults: frozenset[str]) -> tuple[list, list[dict]]:
    """The slot rows a search returns and the other resources of its Bundle, in order."""
    rows = store.slots_between(query.start, query.end, overlapping=SLOT_OUTSIDE_WINDOW in faults,
                               status=None if BUSY_SLOT_RETURNED in faults else "free")
    rows = [r for r in rows if matches_filter(r, query, faults)]
    if SEARCHFILTER_DROPS_OPEN_SLOTS in faults and (query.org_code or query.org_type):
        restricting = {r["schedule_id"] for r in rows if r["org_codes"] or r["org_types"]}
        rows = [r for r in rows if r["schedule_id"] not in restricting or r["org_codes"] or r["org_types"]]
    return rows, _others(store, {r["schedule_id"] for r in rows}, query, ods_code, faults)


def _others(store, used_ids: set[str], query: SlotQuery, ods_code: str, faults: frozenset[str]) -> list[dict]:
    """The resources of the Bundle beside the slots of the Schedules `used_ids`: those Schedules, the actors
    included, the Organization."""
    all_schedules = store.schedules()
    used = sorted(used_ids)
    schedules = [resources.schedule(all_schedules[sid]) for sid in used]
    extra: list[dict] = []
    if INCLUDE_PRACTITIONER in query.includes or SEARCH_INCLUDES_EVERYTHING in faults:
        wanted = {all_schedules[sid]["practitioner_id"] for sid in used} - {None}
        extra += [resources.practitioner(p) for p in practice.PRACTITIONERS if p.id in wanted]
    if INCLUDE_LOCATION in query.includes or SEARCH_INCLUDES_EVERYTHING in faults:
        wanted = {all_schedules[sid]["location_id"] for sid in used}
        extra += [resources.location(loc) for loc in practice.LOCATIONS if loc.id in wanted]
    # The Organization is always returned with any slot (appointments known issue).
    if used:
        extra.append(resources.organization(ods_code))
    return schedules + extra
