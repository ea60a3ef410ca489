"""The oracle every scenario feeds: each exchange of the run is judged by every response rule that
applies (harness/judge/rules.py) and by the model of what the run did (harness/judge/run_model.py).

It listens to the GP Connect client. What an exchange shows wrong waits, with the exchange that
showed it, until the step that made the exchange ends; then it is that step's failure, each
violation naming its requirement, and the scenario goes on (harness/outcome/findings.py). A violation of
advisory requirements only counts just in the scenarios tagged with one of them. A large answer the
rules judged before (the same request and the same answer, sent again after a write that did not
change it) is not judged by them again.
"""

from __future__ import annotations

import threading
import weakref
from dataclasses import dataclass
from typing import Iterable

from harness.checks.violations import Violation, failure
from harness.errors import Nonconformance
from harness.judge import rules
from harness.judge.run_model import RunModel
from harness.memo import Memo
from harness.settings import Settings
from harness.spec.requirements import catalogue


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
        self._pending: list[tuple[object, Violation]] = []
        self._judged: dict[int, tuple[weakref.ref, list[Violation]]] = {}
        self._by_answer = Memo(MAX_ANSWERS_JUDGED, oldest_first=True)
        self._lock = threading.Lock()

    def __repr__(self) -> str:
        return f"<Oracle: {self.figures.exchanges} exchanges judged>"

    def __call__(self, exchange) -> None:
        original = exchange.reused_from or exchange
        # Keyed by id() with a weak reference to tell a judged exchange from a later one given its freed id.
        judged = self._judged.get(id(original))
        verdict = judged[1] if judged is not None and judged[0]() is original else None
        if verdict is None:
            # A rule and the run model may find the same violation: it is listed once.
            verdict = list(dict.fromkeys(self._rules_verdict(original) + self.model.observe(original)))
            self._judged[id(original)] = (weakref.ref(original), verdict)
            with self._lock:
                self.figures.exchanges += 1
        if verdict:
            with self._lock:
                self.figures.violations += len(verdict)
                self._pending += [(exchange, v) for v in verdict]

    def _rules_verdict(self, exchange) -> list[Violation]:
        """rules.check, once per distinct large answer: a request sent again after a write that did not change
        its answer (a search of a day the write did not touch) gets the same answer, and the same verdict."""
        key = same_answer_key(exchange)
        if key is None:
            return rules.check(exchange, self.settings)
        hit = self._by_answer.get(key)
        if hit is None:
            hit = self._by_answer.put(key, tuple(rules.check(exchange, self.settings)))
        return list(hit)

    def take(self, tagged: Iterable[str] | None = None) -> Nonconformance | None:
        """The failure for what the exchanges since the last call showed wrong, or None. Given the
        scenario's requirement tags, a violation of advisory requirements only (SHOULD, MAY, NHS
        expectation) stands only where the scenario is tagged with one of them."""
        pending = self.take_violations()
        if tagged is not None:
            tags = set(tagged)
            pending = [(x, v) for x, v in pending if _stands(v, tags)]
        if not pending:
            return None
        requests = list(dict.fromkeys(x.short_request() for x, _ in pending))
        where = requests[0] if len(requests) == 1 else f"{requests[0]} and others"
        found = failure([v for _, v in pending], where)
        sources: dict[int, tuple[object, list[Violation]]] = {}
        for x, v in pending:
            sources.setdefault(id(x), (x, []))[1].append(v)
        found.sources = list(sources.values())
        return found

    def take_violations(self) -> list[tuple[object, Violation]]:
        """What the exchanges since the last call showed wrong, each with the exchange that showed it."""
        with self._lock:
            pending, self._pending = self._pending, []
        return pending

    def discard(self) -> None:
        with self._lock:
            self._pending = []


# A large answer (a slot search) is judged by the rules once per distinct exchange as the rules read it.
SAME_ANSWER_FROM_CHARS = 64 * 1024
MAX_ANSWERS_JUDGED = 256


def same_answer_key(exchange) -> tuple | None:
    """What the rules read of an exchange (the request and the answer, every response header but Date), with
    the answer's text as its digest; None for a small answer or a transport failure."""
    if exchange.error is not None or len(exchange.response_text) < SAME_ANSWER_FROM_CHARS:
        return None
    headers = tuple(sorted((k.lower(), v) for k, v in exchange.response_headers.items() if k.lower() != "date"))
    return (exchange.interaction, exchange.method, exchange.base_url, exchange.url, exchange.request_body,
            exchange.status, headers, exchange.body_digest())


def _stands(found: Violation, tagged: set[str]) -> bool:
    """A violation fails a scenario when one of its requirements is a SHALL (or not catalogued) or
    is among the scenario's tags."""
    levels = catalogue()
    return any(r in tagged or r not in levels or levels[r].level == "SHALL" for r in found.requirements)
