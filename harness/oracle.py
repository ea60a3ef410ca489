"""The oracle every scenario feeds: each exchange of the run is judged by every response rule that
applies (harness/rules.py) and by the model of what the run did (harness/run_model.py).

It listens to the GP Connect client. What an exchange shows wrong waits, with the request that
showed it, until the step that made the exchange ends; then that step's scenario fails with all of
it, each violation naming its requirement. A violation of advisory requirements only fails just the
scenarios tagged with one of them.
"""

from __future__ import annotations

import threading
import weakref
from dataclasses import dataclass
from typing import Iterable

from . import rules
from .errors import Nonconformance
from .requirements import catalogue
from .run_model import RunModel
from .settings import Settings
from .violations import Violation, failure


@dataclass
class Figures:
    exchanges: int = 0
    violations: int = 0


class Oracle:
    """A client listener: rules and the run model applied to every exchange."""

    def __init__(self, settings: Settings):
        self.settings = settings
        self.model = RunModel()
        self.figures = Figures()
        self._pending: list[tuple[str, Violation]] = []
        self._judged: dict[int, tuple[weakref.ref, list[Violation]]] = {}
        self._lock = threading.Lock()

    def __repr__(self) -> str:
        return f"<Oracle: {self.figures.exchanges} exchanges judged>"

    def __call__(self, exchange) -> None:
        original = exchange.reused_from or exchange
        # Keyed by id() with a weak reference to tell a judged exchange from a later one given its freed id.
        judged = self._judged.get(id(original))
        verdict = judged[1] if judged is not None and judged[0]() is original else None
        if verdict is None:
            verdict = rules.check(original, self.settings) + self.model.observe(original)
            self._judged[id(original)] = (weakref.ref(original), verdict)
            with self._lock:
                self.figures.exchanges += 1
        if verdict:
            with self._lock:
                self.figures.violations += len(verdict)
                self._pending += [(exchange.short_request(), v) for v in verdict]

    def take(self, tagged: Iterable[str] | None = None) -> Nonconformance | None:
        """The failure for what the exchanges since the last call showed wrong, or None. Given the
        scenario's requirement tags, a violation of advisory requirements only (SHOULD, MAY, NHS
        expectation) stands only where the scenario is tagged with one of them."""
        pending = self.take_violations()
        if tagged is not None:
            tags = set(tagged)
            pending = [(w, v) for w, v in pending if _stands(v, tags)]
        if not pending:
            return None
        where = pending[0][0] if len({w for w, _ in pending}) == 1 else f"{pending[0][0]} and others"
        return failure([v for _, v in pending], where)

    def take_violations(self) -> list[tuple[str, Violation]]:
        """What the exchanges since the last call showed wrong, each with the request that showed it."""
        with self._lock:
            pending, self._pending = self._pending, []
        return pending

    def discard(self) -> None:
        with self._lock:
            self._pending = []


def _stands(found: Violation, tagged: set[str]) -> bool:
    """A violation fails a scenario when one of its requirements is a SHALL (or not catalogued) or
    is among the scenario's tags."""
    levels = catalogue()
    return any(r in tagged or r not in levels or levels[r].level == "SHALL" for r in found.requirements)
