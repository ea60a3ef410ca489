"""Search for free slots: parameter rules, slot availability matching and the Bundle."""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

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


def _listed(values: str) -> list[str]:
    return [v for v in values.split(",") if v]


def _open_to(codes: list[str], types: list[str], query: SlotQuery) -> bool:
    """The slot availability matching table (digest 2.1) on a slot's ODS codes and organisation types: a slot
    restricted to either is offered only to a consumer naming one of them; one restricted to neither, to all."""
    return ((not codes or (query.org_code is not None and query.org_code in codes))
            and (not types or (query.org_type is not None and query.org_type in types)))


def search(store, query: SlotQuery, ods_code: str, faults: frozenset[str]) -> dict:
    rows, others = _found(store, query, ods_code, faults)
    return resources.bundle([resources.slot(r) for r in rows] + others)


# Each Slot's JSON, by the values of its row: a practice of thousands of slots answers a 14-day search
# several hundred times a run, and building and serialising every Slot each time was most of its cost.
_SLOT_JSON: dict[tuple, str] = {}
# For each selection of rows the store keeps (until its next write), its rows in runs of the same restriction, each
# run's entry texts joined once: the searches of one window with different searchFilters (a hub's sweep: 21 of
# 30,000 slots each, in some 850 runs) then only pick runs and join them.
_PREPARED: dict[int, tuple[tuple, list]] = {}
MAX_PREPARED = 16


@dataclass
class _Run:
    codes: list[str]  # the ODS codes and organisation types its slots are restricted to
    types: list[str]
    rows: list
    text: str  # the entries of its rows, joined as the Bundle joins them


def warm(store) -> None:
    """Serialise every free bookable Slot once, before a search asks for it: started as the provider starts, while
    its client starts its own run, so a hub's first whole-window answer only joins texts made already. A slot booked
    or freed since has another row, and is serialised again when asked."""
    with store.connect() as conn:
        for row in conn.execute("SELECT * FROM slot WHERE bookable AND status = 'free'"):
            key = tuple(row)
            if key not in _SLOT_JSON and len(_SLOT_JSON) < 100_000:
                _SLOT_JSON[key] = json.dumps(resources.slot(row))


def _prepared(selected: tuple) -> list[_Run]:
    """The selected rows in runs of consecutive rows restricted alike."""
    hit = _PREPARED.get(id(selected))
    if hit is not None and hit[0] is selected:
        return hit[1]
    if len(_SLOT_JSON) > 100_000:
        _SLOT_JSON.clear()
    runs: list[tuple[str, str, list, list]] = []
    for row in selected:
        key = tuple(row)
        text = _SLOT_JSON.get(key)
        if text is None:
            text = _SLOT_JSON[key] = json.dumps(resources.slot(row))
        if not runs or runs[-1][:2] != (row["org_codes"], row["org_types"]):
            runs.append((row["org_codes"], row["org_types"], [], []))
        runs[-1][2].append(row)
        runs[-1][3].append(f'{{"resource": {text}}}')
    prepared = [_Run(_listed(codes), _listed(types), rows, ", ".join(texts)) for codes, types, rows, texts in runs]
    if len(_PREPARED) >= MAX_PREPARED:
        _PREPARED.clear()
    _PREPARED[id(selected)] = (selected, prepared)
    return prepared


# The last answers made from a selection, as bytes, by the runs they hold and what else decides the Bundle: a sweep
# of searchFilters gets the same 17 MB answer for several consumers, each joined and encoded once.
_ANSWERS: dict[tuple, tuple[tuple, bytes]] = {}
MAX_ANSWERS = 8


def search_text(store, query: SlotQuery, ods_code: str) -> bytes:
    """The same searchset Bundle as `search` without faults, as UTF-8 JSON, each Slot serialised once."""
    selected = store.selected_slots(query.start, query.end, status="free")
    prepared = _prepared(selected)
    picked = tuple(i for i, run in enumerate(prepared) if _open_to(run.codes, run.types, query))
    key = (id(selected), picked, query.includes, ods_code)
    hit = _ANSWERS.get(key)
    if hit is not None and hit[0] is selected:
        return hit[1]
    runs = [prepared[i] for i in picked]
    others = _others(store, [row for run in runs for row in run.rows], query, ods_code, frozenset())
    shell = json.dumps(resources.bundle([]))
    entries = [run.text for run in runs] + [json.dumps({"resource": r}) for r in others]
    answer = (shell[:-len("[]}")] + "[" + ", ".join(entries) + "]}").encode("utf-8")
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
    return rows, _others(store, rows, query, ods_code, faults)


def _others(store, rows: list, query: SlotQuery, ods_code: str, faults: frozenset[str]) -> list[dict]:
    """The resources of the Bundle beside the slot rows: their Schedules, the actors included, the Organization."""
    all_schedules = store.schedules()
    used = sorted({r["schedule_id"] for r in rows})
    schedules = [resources.schedule(all_schedules[sid]) for sid in used]
    extra: list[dict] = []
    if INCLUDE_PRACTITIONER in query.includes or SEARCH_INCLUDES_EVERYTHING in faults:
        wanted = {all_schedules[sid]["practitioner_id"] for sid in used} - {None}
        extra += [resources.practitioner(p) for p in practice.PRACTITIONERS if p.id in wanted]
    if INCLUDE_LOCATION in query.includes or SEARCH_INCLUDES_EVERYTHING in faults:
        wanted = {all_schedules[sid]["location_id"] for sid in used}
        extra += [resources.location(loc) for loc in practice.LOCATIONS if loc.id in wanted]
    # The Organization is always returned with any slot (appointments known issue).
    if rows:
        extra.append(resources.organization(ods_code))
    return schedules + extra
