"""Test-data discovery: the slots a scenario needs, found in a live search, never hard-coded ids.

What an environment lacks is a MissingTestData naming it; the steps' one hook turns that into
a skip, "not assured: <what is missing>".

Works on the raw JSON of a searchset Bundle so that bookings send back exactly what the
provider sent (instants keep their original text).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from functools import cached_property
from operator import attrgetter
from typing import Callable, Iterable, Iterator, TypeVar

from harness.consumer import slot_search as ss
from harness.consumer.claims import Claims
from harness.errors import MissingTestData
from harness.memo import RESOURCES_REMEMBERED, ByIdentity, joined_by_run, shared_runs
from harness.settings import Settings
from harness.spec.constants import DELIVERY_CHANNEL_URL, UK
from harness.spec.texts import type_text, type_texts
from harness.transport import fhir
from harness.transport.client import GpConnectClient

T = TypeVar("T")


@dataclass(frozen=True)
class SlotInfo:
    """One free slot and what booking rules care about."""

    id: str
    schedule: str  # the Schedule's id
    start: datetime
    end: datetime
    channel: str | None
    slot_type: str
    raw: dict
    schedule_raw: dict | None

    @cached_property
    def key(self) -> tuple[str, str, str]:  # the slot whatever its id, worked out once (a hub's answers share it)
        return self.schedule, self.start.isoformat(), self.end.isoformat()

    @cached_property
    def id_and_times(self) -> tuple[str, str, str]:
        return self.id, self.start.isoformat(), self.end.isoformat()

    @property
    def schedule_type(self) -> str | None:
        """Its schedule's schedule type, exactly as given (texts.type_text)."""
        return type_text((self.schedule_raw or {}).get("serviceCategory"))

    def actor(self, resource_type: str) -> str | None:
        for actor in (self.schedule_raw or {}).get("actor") or []:
            key = fhir.ref_key((actor or {}).get("reference"))
            if key and key[0] == resource_type:
                return f"{key[0]}/{key[1]}"
        return None

    def describe(self) -> str:
        return f"Slot {self.id} ({self.start.isoformat()} to {self.end.isoformat()}, Schedule {self.schedule})"


def _slot_type(raw: dict) -> str:
    """The slot type exactly as given ('' for none): slots of one slot type have the same text (texts.py)."""
    return next(iter(type_texts(raw.get("serviceType"))), "")


def _channel(raw: dict) -> str | None:
    for ext in raw.get("extension") or []:
        if ext.get("url") == DELIVERY_CHANNEL_URL:
            return ext.get("valueCode")
    return None


def free_slots(bundle_json: dict) -> list[SlotInfo]:
    """The free slots of a searchset Bundle, sorted by schedule then start."""
    entries = fhir.bundle_entries(bundle_json)
    schedules = {r.get("id"): r for r in schedules_in(entries)}
    slots: list[SlotInfo] = []
    for run in shared_runs(entries):  # a Bundle's entries, in runs shared with the Bundles that carry the same entries
        made = _RUN_MADE.known(run)
        if made is None or any(schedules.get(sid) is not raw for sid, raw in made[1]):
            made = _RUN_MADE.put(run, _made(run, schedules))
        slots += made[0]
    return sorted(slots, key=_IN_ORDER)


def schedules_in(entries: list) -> list[dict]:
    """The Schedules among a Bundle's entries (objects), in order: found once per run of them (memo.joined_by_run)."""
    return joined_by_run(entries, _RUN_SCHEDULES, _schedules_of)


def _schedules_of(entries: tuple) -> tuple[dict, ...]:
    return tuple(r for r in (e.get("resource") for e in entries if isinstance(e, dict))
                 if isinstance(r, dict) and r.get("resourceType") == "Schedule")


def _made(entries: tuple, schedules: dict) -> tuple[tuple[SlotInfo, ...], tuple[tuple[str, dict | None], ...]]:
    """The free slots of these entries with their Schedules in `schedules`, and the (schedule id, Schedule) pairs
    they were made with: in a Bundle that maps each of those ids to the same Schedule, they are the same."""
    slots = []
    known = _MADE.known
    for e in entries:
        r = e.get("resource") or {}
        info = known(r)
        if info is not None and schedules.get(info.schedule) is info.schedule_raw:
            slots.append(info)  # this very slot, with this very Schedule, was made before
            continue
        if r.get("resourceType") != "Slot" or r.get("status") != "free":
            continue
        key = fhir.ref_key((r.get("schedule") or {}).get("reference"))
        if not key or not r.get("start") or not r.get("end"):
            continue
        slots.append(_MADE.put(r, SlotInfo(
            id=r["id"], schedule=key[1], start=datetime.fromisoformat(r["start"]),
            end=datetime.fromisoformat(r["end"]), channel=_channel(r), slot_type=_slot_type(r), raw=r,
            schedule_raw=schedules.get(key[1]))))
    return tuple(slots), tuple({s.schedule: s.schedule_raw for s in slots}.items())


_IN_ORDER = attrgetter("start", "schedule", "id")


def offered(exchange) -> tuple[SlotInfo, ...]:
    """free_slots of an answer's Bundle, worked out once per body: the answers of one body (a search sent again
    after a write elsewhere, a sweep's searches as consumers the practice answers alike) share them."""
    return exchange.derived("free slots", lambda: tuple(free_slots(exchange.json())))


# A large Bundle's entries seen before are the objects read before (harness/transport/json_entries.py): a Slot seen
# with the same Schedule is made once.
_MADE = ByIdentity(RESOURCES_REMEMBERED)
_RUN_MADE = ByIdentity(RESOURCES_REMEMBERED // 8)
_RUN_SCHEDULES = ByIdentity(RESOURCES_REMEMBERED // 8)


def _bookable(slot: SlotInfo) -> bool:
    """A slot that can be booked by this harness: it has a type and its schedule names a Location."""
    return bool(slot.slot_type) and slot.actor("Location") is not None


def _by_schedule(slots: list[SlotInfo]) -> list[list[SlotInfo]]:
    """The bookable slots of each schedule, in start order."""
    grouped: dict[str, list[SlotInfo]] = {}
    for s in slots:
        if _bookable(s):
            grouped.setdefault(s.schedule, []).append(s)
    return [sorted(mine, key=lambda s: s.start) for mine in grouped.values()]


def runs(slots: list[SlotInfo], length: int) -> list[list[SlotInfo]]:
    """Chains of `length` adjacent slots sharing schedule, delivery channel and slot type."""
    found = []
    for mine in _by_schedule(slots):
        for i in range(len(mine) - length + 1):
            chain = mine[i:i + length]
            if all(b.start == a.end and b.channel == a.channel and b.slot_type == a.slot_type
                   for a, b in zip(chain, chain[1:])):
                found.append(chain)
    return found


Pair = tuple[SlotInfo, SlotInfo]


def _pairs(slots: list[SlotInfo], test: Callable[[SlotInfo, SlotInfo], bool]) -> Iterable[Pair]:
    ordered = [s for s in slots if _bookable(s)]
    by_start: dict[datetime, list[SlotInfo]] = {}
    for s in ordered:
        by_start.setdefault(s.start, []).append(s)
    for a in ordered:
        for b in by_start.get(a.end, []):
            if test(a, b):
                yield a, b


def pair_differing_in(slots: list[SlotInfo], rule: str, alone: bool = False) -> Pair | None:
    """Two adjacent slots that break exactly one multi-slot rule where possible, else break at least it
    (with `alone`, only a pair that breaks that rule alone)."""
    same = {
        "schedule": lambda a, b: a.channel == b.channel and a.slot_type == b.slot_type,
        "channel": lambda a, b: a.schedule == b.schedule and a.slot_type == b.slot_type,
        "slot type": lambda a, b: a.schedule == b.schedule and a.channel == b.channel,
    }[rule]
    differs = {
        "schedule": lambda a, b: a.schedule != b.schedule,
        "channel": lambda a, b: a.channel != b.channel,
        "slot type": lambda a, b: a.slot_type != b.slot_type,
    }[rule]
    isolated = next(_pairs(slots, lambda a, b: differs(a, b) and same(a, b)), None)
    return isolated if isolated or alone else next(_pairs(slots, differs), None)


def pair_with_gap(slots: list[SlotInfo]) -> Pair | None:
    """A slot and the next slot of its schedule, same channel and type, starting after a gap."""
    for mine in _by_schedule(slots):
        for a, b in zip(mine, mine[1:]):
            if b.start > a.end and b.channel == a.channel and b.slot_type == a.slot_type \
                    and b.start.date() == a.start.date():
                return a, b
    return None


Triple = tuple[SlotInfo, SlotInfo, SlotInfo]
# What a third slot may break of the multi-slot rules while the first two keep them all.
THIRD_BREAKS = ("a gap", "schedule", "channel", "slot type")


def triple_with_third_differing(slots: list[SlotInfo], rule: str, alone: bool = False) -> Triple | None:
    """Two adjacent slots that share schedule, delivery channel and slot type, and a third after the second that
    keeps every multi-slot rule with it but `rule` (a gap before it, or another schedule, channel or slot type):
    a provider that checks only the first two slots books it. Where possible the third breaks that rule alone
    (with `alone`, only then)."""
    if rule not in THIRD_BREAKS:
        raise ValueError(f"a third slot breaks one of {THIRD_BREAKS}, not {rule!r}")
    bookable = [s for s in slots if _bookable(s)]
    by_start: dict[datetime, list[SlotInfo]] = {}
    for s in bookable:
        by_start.setdefault(s.start, []).append(s)
    keeps = {
        "a gap": lambda b, c: c.schedule == b.schedule and c.channel == b.channel and c.slot_type == b.slot_type,
        "schedule": lambda b, c: c.channel == b.channel and c.slot_type == b.slot_type,
        "channel": lambda b, c: c.schedule == b.schedule and c.slot_type == b.slot_type,
        "slot type": lambda b, c: c.schedule == b.schedule and c.channel == b.channel,
    }[rule]
    breaks = {
        "a gap": lambda b, c: c.start > b.end and c.start.date() == b.start.date(),
        "schedule": lambda b, c: c.start == b.end and c.schedule != b.schedule,
        "channel": lambda b, c: c.start == b.end and c.channel != b.channel,
        "slot type": lambda b, c: c.start == b.end and c.slot_type != b.slot_type,
    }[rule]
    loose = None
    for a, b in (tuple(chain) for chain in runs(slots, 2)):
        candidates = by_start.get(b.end, []) if rule != "a gap" else \
            sorted((c for c in bookable if c.start > b.end and c.schedule == b.schedule), key=lambda c: c.start)[:1]
        for c in candidates:
            if c in (a, b) or not breaks(b, c):
                continue
            if keeps(b, c):
                return a, b, c
            loose = loose or (a, b, c)
    return None if alone else loose


def _workers_day(day: date, worker: int, workers: int) -> bool:
    return workers <= 1 or day.toordinal() % workers == worker


def worker_days(first: date, last: date, worker: int, workers: int) -> list[date]:
    """The days from `first` to `last` that are this worker's share: whole days, so that each worker keeps
    every kind of adjacent pair a day offers and parallel workers choose apart first (harness/consumer/claims.py
    keeps them apart where they share days)."""
    days = [first + timedelta(days=i) for i in range((last - first).days + 1)]
    return [d for d in days if _workers_day(d, worker, workers)]


ANY_FREE_SLOT = "any free slot"


def _slot_ids(chosen) -> list[str]:
    """The ids of the slots in a pick's result (a slot, or tuples and lists holding slots)."""
    if isinstance(chosen, SlotInfo):
        return [chosen.id]
    if isinstance(chosen, (list, tuple)):
        return [i for part in chosen for i in _slot_ids(part)]
    return []


# A day that offered more free slots than SPLIT_ABOVE is searched from then on in parts of about PART_SLOTS, cut
# at slot starts: a hub's day is some 2,000 slots, of which a booking's test data needs a few, and every answer
# is judged whole. A slot that straddles a cut is in neither part; the day's other parts, the other days and
# the whole window are searched after.
SPLIT_ABOVE = 1_000
PART_SLOTS = 400


def _cuts(slots: list[SlotInfo]) -> list[datetime]:
    """Slot starts that cut a day's free slots into parts of about PART_SLOTS."""
    starts = sorted(s.start for s in slots)
    return sorted({starts[i] for i in range(PART_SLOTS, len(starts), PART_SLOTS)} - {starts[0]})


class SlotChooser:
    """Test data for a booking from a fresh search just before it: one of the worker's days of the search
    window at a time (or a part of it, for a day of more than SPLIT_ABOVE free slots), from where that kind
    of choice was last made (so a run's bookings fill a day before moving on), and the whole window if no
    one day offers it. A day's answer is a fraction of the window's (a large practice offers thousands of
    slots in it), and each answer is checked whole. With parallel workers the whole window is every
    worker's, and `claims` keep their choices apart."""

    def __init__(self) -> None:
        self._last: dict[str, ss.Window] = {}  # by kind of choice: the day, or part of one, last made in
        self._cuts: dict[date, list[datetime]] = {}

    def order(self, kind: str, days: list[date]) -> list[date]:
        last = self._last[kind].start.date() if kind in self._last else None
        if last not in days:
            return list(days)
        i = days.index(last)
        return days[i:] + days[:i]

    def _windows_of(self, day: date, kind: str) -> list[ss.Window]:
        """The day, or its parts once it offered more than SPLIT_ABOVE free slots, from the part this kind of
        choice was last made in."""
        cuts = self._cuts.get(day)
        if not cuts:
            return [ss.Window.days(day, day)]
        bounds = [datetime.combine(day, time(0), UK), *cuts, datetime.combine(day + timedelta(days=1), time(0), UK)]
        parts = [ss.Window.times(a, b) for a, b in zip(bounds, bounds[1:])]
        last = self._last.get(kind)
        i = parts.index(last) if last in parts else 0
        return parts[i:] + parts[:i]

    def choose(self, client: GpConnectClient, settings: Settings, kind: str,
               pick: Callable[[list[SlotInfo], str], T], worker: int = 0, workers: int = 1,
               claims: Claims | None = None) -> T:
        """What `pick(slots, window)` picks from this worker's free slots; `pick` raises MissingTestData
        when the slots lack what it needs, and so does this when the whole window lacks it."""
        for day, window, slots in self._searched(client, settings, kind, worker, workers):
            try:
                chosen = self._pick_unclaimed(slots, window, pick, claims)
            except MissingTestData:
                if day is None:
                    raise
                continue
            if day is not None:
                self._last[kind] = window
            return chosen
        raise AssertionError("the whole window is always searched last")

    @staticmethod
    def _pick_unclaimed(slots: list[SlotInfo], window: ss.Window, pick: Callable[[list[SlotInfo], str], T],
                        claims: Claims | None) -> T:
        while True:
            held = claims.held() if claims else set()
            chosen = pick([s for s in slots if s.id not in held], window.describe())
            if not claims or not claims.take(_slot_ids(chosen)):
                return chosen
            # another worker took one of them since `held` was read: choose again without it

    def window_offering(self, client: GpConnectClient, settings: Settings, worker: int = 0,
                        workers: int = 1) -> ss.Window:
        """One of this worker's days of the search window on which a fresh search offers free slots (from
        the day one was last found on), for a check that needs an answer with slots but not the whole
        window's; the whole window if no one day offers any."""
        for day, window, slots in self._searched(client, settings, ANY_FREE_SLOT, worker, workers):
            if slots or day is None:
                if day is not None:
                    self._last[ANY_FREE_SLOT] = window
                return window
        raise AssertionError("the whole window is always searched last")

    def _searched(self, client: GpConnectClient, settings: Settings, kind: str, worker: int,
                  workers: int) -> Iterator[tuple[date | None, ss.Window, tuple[SlotInfo, ...]]]:
        """(day, window, free slots) of fresh searches of the worker's days one at a time, then (None, ...)
        of the whole window."""
        whole = ss.default_window(settings)
        for day in self.order(kind, worker_days(whole.start.date(), whole.end.date(), worker, workers)):
            for window in self._windows_of(day, kind):
                result = ss.search(client, settings, window)
                result.require_searchset()
                slots = offered(result.exchange)
                if window.date_only and len(slots) > SPLIT_ABOVE:
                    self._cuts[day] = _cuts(slots)
                yield day, window, slots
        result = ss.search(client, settings, whole)
        result.require_searchset()
        yield None, whole, offered(result.exchange)


def require(found, what: str, window: str):
    if not found:
        raise MissingTestData(f"no {what} offered {window}")
    return found


def single(slots: list[SlotInfo], window: str, skip: Callable[[SlotInfo], bool] = lambda s: False) -> SlotInfo:
    return require(next((s for s in slots if _bookable(s) and not skip(s)), None), "free slot with a slot type", window)


def several(slots: list[SlotInfo], window: str, count: int) -> list[SlotInfo]:
    """`count` different bookable free slots."""
    chosen: list[SlotInfo] = []
    for _ in range(count):
        taken = {s.id for s in chosen}
        chosen.append(single(slots, window, skip=lambda s: s.id in taken))
    return chosen


def run_of(slots: list[SlotInfo], count: int, window: str) -> list[SlotInfo]:
    """The first `count` adjacent free slots sharing schedule, delivery channel and slot type."""
    return require(runs(slots, count), f"{count} adjacent free slots sharing schedule, delivery channel and slot type",
                   window)[0]
