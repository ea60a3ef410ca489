"""How a run's pytest process uses Python's cyclic garbage collector.

A large practice's slot search is a few MB of JSON. Parsing it makes hundreds of thousands of
containers; with CPython's defaults the collector walks the young ones after every 700 and, each
time the heap grows by a quarter, every object alive (the run's cached models included). Those
objects hold no reference cycles: reference counting frees them, and the collector finds nothing
in them. So a run collects young objects after every YOUNG instead, and what is alive once its
scenarios are collected (modules, step definitions, plugins) is frozen out of the collector's sight.
Objects that do form cycles are still collected, less often. At the end of an assurance run, what is
still alive (the models and answers it remembered) is frozen too: pytest collects twice more as it
exits, which walked a hub's millions of objects for most of a second.
"""

from __future__ import annotations

import gc

YOUNG = 50_000  # allocations between collections of the youngest generation (CPython: 700)


def collect_less() -> None:
    gc.set_threshold(YOUNG, 10, 10)


def freeze_what_is_loaded() -> None:
    """Collect once, then keep everything alive now out of later collections (gc.freeze)."""
    gc.collect()
    gc.freeze()


def freeze_what_is_left() -> None:
    """Keep everything alive now out of the collections still to come (a session's end: no collect first)."""
    gc.freeze()
