"""The one way the harness remembers what it worked out: bounded, so a long run's memory stays flat.

`Memo` remembers values by key (a resource's digest, an answer's identity as the rules read it);
`ByIdentity` remembers values of objects nothing changes by the object itself. Past its limit a memo
forgets: everything at once (the default, cheapest for hot per-resource paths, where the same few
thousand resources recur), or its oldest entry (`oldest_first`, for small memos of large values).
Functions of their arguments alone, read once a run, use functools.lru_cache.
"""

from __future__ import annotations

import threading
from itertools import chain, compress, count, repeat
from operator import mod, not_
from typing import Any, Callable, Hashable, Iterator, TypeVar

T = TypeVar("T")

# How many resources the per-resource memos hold: a hub's whole-window search returns some 30,000 slots, and
# a search repeated after a write shares most of them. Past a memo's limit it forgets everything at once, so a
# limit below what a run keeps using means working everything out again on every search (a 30,000-slot hub's
# run took 125 s and 1.4 GB with limits of 20,000 to 50,000, and 64 s and 780 MB with these).
RESOURCES_REMEMBERED = 150_000


class Memo:
    """Values by key, at most `limit` of them; safe to share between threads."""

    def __init__(self, limit: int, oldest_first: bool = False):
        self.limit = limit
        self.oldest_first = oldest_first
        self._values: dict[Hashable, Any] = {}
        self._lock = threading.Lock()
        self.get = self._values.get  # the hot path: one dictionary lookup, None when not remembered

    def __len__(self) -> int:
        return len(self._values)

    def put(self, key: Hashable, value: Any) -> Any:
        with self._lock:
            if len(self._values) >= self.limit:
                if self.oldest_first:
                    while len(self._values) >= self.limit:
                        self._values.pop(next(iter(self._values)))
                else:
                    self._values.clear()
            self._values[key] = value
        return value

    def clear(self) -> None:
        with self._lock:
            self._values.clear()


class ByIdentity:
    """Values worked out from objects nothing changes (JSON read from an answer, parsed models), remembered
    by the object's identity. The object is held with its value, so its id is never given to another
    while remembered; past `limit` objects, everything is forgotten and worked out again as needed."""

    def __init__(self, limit: int):
        self.limit = limit
        self._held: dict[int, tuple[Any, Any]] = {}

    def known(self, obj: Any) -> Any:
        """The value remembered for this very object, or None."""
        hit = self._held.get(id(obj))
        return hit[1] if hit is not None and hit[0] is obj else None

    def put(self, obj: Any, value: Any) -> Any:
        if len(self._held) >= self.limit:
            self._held.clear()
        self._held[id(obj)] = (obj, value)
        return value

    def get(self, obj: Any, make: Callable[[Any], Any]) -> Any:
        """make(obj), once per object while it is remembered."""
        hit = self._held.get(id(obj))
        if hit is not None and hit[0] is obj:
            return hit[1]
        return self.put(obj, make(obj))

    def clear(self) -> None:
        self._held.clear()


# Runs: a list of objects cut where an object's identity falls on a cut, so that two lists sharing a stretch of the
# same objects (a hub's searches share thousands of slots, the JSON and models read once) share the runs inside
# it as the very same tuples. A value worked out per object can then be kept per run, and a list of known objects
# costs a lookup per run instead of one per object.
RUN_CUT = 31  # a prime: an object's identity (its address, a multiple of 16) ends a run one time in 31
MAX_RUNS = RESOURCES_REMEMBERED // 8
_RUNS: dict[tuple[int, ...], tuple] = {}
_RUNS_LOCK = threading.Lock()


def shared_runs(items: list) -> list[tuple]:
    """`items` in runs, in order: each ends at an object whose id() is a multiple of RUN_CUT, or at the list's end.
    A run is the same tuple wherever the same objects follow one another (while remembered: MAX_RUNS). Worked out
    once per list object (a body's entries, an index's slots), which nothing may change."""
    return _LISTS.get(items, _runs)


def _runs(items: list) -> list[tuple]:
    ids = list(map(id, items))
    ends = list(compress(count(1), map(not_, map(mod, ids, repeat(RUN_CUT)))))  # mapped, not looped: 30,000 ids
    if not ends or ends[-1] != len(items):
        ends.append(len(items))
    out, start = [], 0
    known = _RUNS.get
    for end in ends:
        if end > start:
            key = tuple(ids[start:end])
            out.append(known(key) or _run(key, items[start:end]))
        start = end
    return out


def _run(key: tuple[int, ...], items: list) -> tuple:
    with _RUNS_LOCK:  # the run holds its objects, so no other object is given their ids while it is remembered
        if len(_RUNS) >= MAX_RUNS:
            _RUNS.clear()
        return _RUNS.setdefault(key, tuple(items))


_LISTS = ByIdentity(32)


def run_values(items: list, kept: ByIdentity, make: Callable[[tuple], T]) -> Iterator[T]:
    """make(run) for each run of `items` (shared_runs), in order: worked out once per run and kept in `kept`, so a list
    of runs seen before costs a lookup per run."""
    get = kept.get
    for run in shared_runs(items):
        yield get(run, make)


def joined_by_run(items: list, kept: ByIdentity, make: Callable[[tuple], tuple]) -> list:
    """The tuples make(run) of `items`' runs joined in order, each made once per run (run_values)."""
    return list(chain.from_iterable(run_values(items, kept, make)))


def grouped_by_run(items: list, kept: ByIdentity, group: Callable[[tuple], dict[Hashable, tuple]]) -> dict:
    """The groups group(run) of `items`' runs merged, each key's items in order and the keys in the order they first
    appear; each run's groups made once per run (run_values)."""
    merged: dict = {}
    for of_run in run_values(items, kept, group):
        for key, found in of_run.items():
            mine = merged.get(key)
            if mine is None:
                merged[key] = list(found)
            else:
                mine += found
    return merged


def each_by_run(items: list, judge: Callable[[Any], tuple], per_item: ByIdentity, per_run: ByIdentity) -> list:
    """[x for item in items for x in per_item.get(item, judge)]: `judge(item)` a tuple worked out from the item
    alone, once per item, and the run's concatenation once per run (joined_by_run)."""
    get = per_item.get
    return joined_by_run(items, per_run, lambda run: tuple(x for item in run for x in get(item, judge)))
