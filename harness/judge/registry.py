"""The registry of the rules that hold for every response (harness/judge/rules.py holds the rules), and how an
exchange is judged by every rule that applies to it.

A rule names the interactions whose answers it judges and whether it judges successes, refusals or
both; the oracle (harness/judge/oracle.py) applies every rule that applies to every exchange of a run,
whatever the scenario's own focus.

A rule reads the exchange (an Observed) and, for a FHIR answer, its parsed body (parsed once, cached per
resource). A rule of the answer alone reads only the body and the query parameters it declares (an Answer):
its verdict is kept with the answer and holds for every exchange of the same body, and a rule of each returned
resource alone is judged once per distinct resource.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property
from typing import Any, Callable
from urllib.parse import parse_qsl, urlsplit

from harness.checks.profiles import resources_in
from harness.checks.violations import Violation
from harness.errors import Nonconformance
from harness.memo import RESOURCES_REMEMBERED, ByIdentity, Memo, each_by_run
from harness.settings import Settings
from harness.transport import fhir

SUCCESS, REFUSAL, ANY = "success", "refusal", "any"


@dataclass
class Observed:
    """One exchange as the rules see it."""

    exchange: Any
    settings: Settings

    @cached_property
    def query(self) -> list[tuple[str, str]]:
        return parse_qsl(urlsplit(self.exchange.url).query, keep_blank_values=True)

    def values(self, name: str) -> list[str]:
        return [v for k, v in self.query if k == name]

    @cached_property
    def body(self) -> Any:
        try:
            return self.exchange.json()
        except Nonconformance:
            return None

    @cached_property
    def index(self) -> fhir.BundleIndex | None:
        """The parsed searchset Bundle, or None when the body is no parseable Bundle."""
        if not isinstance(self.body, dict) or self.body.get("resourceType") != "Bundle":
            return None
        try:
            return fhir.answer_index(self.exchange)
        except Nonconformance:
            return None

    @cached_property
    def resources(self) -> list[dict]:
        """The body's resources: one list for every exchange of the same body (what is worked out from it is kept
        by it)."""
        return self.exchange.derived("resources", lambda: resources_in(self.body))

    def appointments(self) -> list[dict]:
        return [r for r in self.resources if r.get("resourceType") == "Appointment"]


class Answer:
    """An exchange as a rule of the answer alone sees it (`Rule.reads`): the body, its resources and index, the
    run's settings, and only the query parameters the rule declares. Nothing else of the request or response is
    there to read, so its verdict holds for every exchange of the same body and those parameters."""

    def __init__(self, seen: Observed, reads: tuple[str, ...]):
        self._seen, self._reads, self.settings = seen, reads, seen.settings

    @property
    def body(self) -> Any:
        return self._seen.body

    @property
    def index(self) -> fhir.BundleIndex | None:
        return self._seen.index

    @property
    def resources(self) -> list[dict]:
        return self._seen.resources

    def appointments(self) -> list[dict]:
        return self._seen.appointments()

    def values(self, name: str) -> list[str]:
        if name not in self._reads:
            raise KeyError(f"a rule read the query parameter '{name}' it does not declare")
        return self._seen.values(name)


@dataclass(frozen=True)
class Rule:
    name: str
    requirements: tuple[str, ...]
    interactions: tuple[str, ...]  # interaction names; () for every interaction
    when: str  # SUCCESS (2xx), REFUSAL (4xx and 5xx) or ANY (redirects and the like included)
    check: Callable[[Any], list[Violation]]  # of the Observed exchange; of one returned resource if `each`
    each: bool = False  # judges each returned resource alone: once per distinct resource in a run
    # Judges the answer alone and these query parameters (an Answer, not the exchange): once per distinct body,
    # settings and parameters. None: reads the exchange (its status, headers, request).
    reads: tuple[str, ...] | None = None

    def applies(self, exchange) -> bool:
        if exchange.status is None or (self.interactions and exchange.interaction not in self.interactions):
            return False
        if self.when == ANY:
            return True
        return 200 <= exchange.status < 300 if self.when == SUCCESS else exchange.status >= 400


RULES: list[Rule] = []


def rule(name: str, requirements: str | tuple[str, ...], interactions: tuple[str, ...] = (), when: str = SUCCESS,
         each: bool = False, reads: tuple[str, ...] | None = None):
    """Register the decorated check as a rule on every exchange it applies to. With `each`, the check
    takes one returned resource (its JSON) and its verdict depends on nothing else. With `reads`, it takes the
    Answer: the body and those query parameters alone."""
    reqs = (requirements,) if isinstance(requirements, str) else tuple(requirements)

    def register(check: Callable[[Any], list[Violation]]) -> Callable[[Any], list[Violation]]:
        if any(r.name == name for r in RULES):
            raise ValueError(f"rule '{name}' is registered twice")
        RULES.append(Rule(name, reqs, tuple(interactions), when, check, each, reads))
        return check

    return register


def check(exchange, settings: Settings) -> list[Violation]:
    """Every registered rule that applies to this exchange. The verdicts of the rules of the answer alone (`each`
    and `reads`) are kept with the answer, for the exchanges of the same body (a searchFilter sweep's)."""
    seen = Observed(exchange, settings)
    applying = [r for r in RULES if r.applies(exchange)]
    found = [v for r in applying if not r.each for v in (r.check(seen) if r.reads is None else _of_answer(seen, r))]
    each = tuple(r for r in applying if r.each)
    if not each:
        return found
    names = tuple(r.name for r in each)
    return found + list(exchange.derived(("each rule", names), lambda: tuple(_each_resource(seen.resources, each))))


def _of_answer(seen: Observed, judging: Rule) -> tuple[Violation, ...]:
    asked = tuple(tuple(seen.values(name)) for name in judging.reads)
    return seen.exchange.derived(("rule", judging.name, seen.settings, asked),
                                 lambda: tuple(judging.check(Answer(seen, judging.reads))))


# The verdicts of the `each` rules on a resource, by its JSON and the rules: a large practice's searches
# return the same thousands of slots again and again.
MAX_JUDGED = 2 * RESOURCES_REMEMBERED
_JUDGED = Memo(MAX_JUDGED)


# The same verdicts by the resource object (JSON read from an answer is shared between the answers carrying it),
# for each set of rules, and by each run of resource objects (memo.each_by_run: a hub's answers share runs of the
# same slots): a known answer costs a lookup per run.
_BY_OBJECT: dict[tuple[str, ...], ByIdentity] = {}
_BY_RUN: dict[tuple[str, ...], ByIdentity] = {}


def _each_resource(resources: list[dict], each: tuple[Rule, ...]) -> list[Violation]:
    names = tuple(r.name for r in each)
    by_object = _BY_OBJECT.get(names) or _BY_OBJECT.setdefault(names, ByIdentity(MAX_JUDGED))
    by_run = _BY_RUN.get(names) or _BY_RUN.setdefault(names, ByIdentity(MAX_JUDGED // 8))

    def verdict(resource: dict) -> tuple[Violation, ...]:  # a resource not seen as this object: by its JSON
        content = fhir.digest(resource)
        found = _JUDGED.get((content, names)) if content is not None else None
        if found is None:
            found = tuple(v for r in each for v in r.check(resource))
            if content is not None:
                _JUDGED.put((content, names), found)
        return found

    return each_by_run(resources, verdict, by_object, by_run)
