"""The fault registry: how a fault is declared and claimed, and the Answer a rewrite changes."""

from __future__ import annotations

import copy
from dataclasses import dataclass, field
from typing import Any, Callable, Iterator

from .. import resources

URN = "urn:nhs:names:services:gpconnect:fhir:rest:"
METADATA = URN + "read:metadata-1"
SEARCH = URN + "search:slot-1"
BOOK = URN + "create:appointment-1"
READ = URN + "read:appointment-1"
AMEND = URN + "update:appointment-1"
CANCEL = URN + "cancel:appointment-1"
RETRIEVE = URN + "search:patient_appointments-1"
READ_LOCATION = URN + "read:location-1"
READ_ORGANIZATION = URN + "read:organization-1"

REWRITE, RULE_OFF, BEHAVIOUR = "rewrite", "rule-off", "behaviour"


@dataclass
class Answer:
    """A response on its way out, for rewrites: body is JSON data (or text once a rewrite says so)."""

    status: int
    body: Any
    headers: dict[str, str]
    interaction: str | None
    query: list[tuple[str, str]] = field(default_factory=list)
    media_type: str = "application/fhir+json;charset=utf-8"

    def resources(self) -> list[dict]:
        """The body's resources: a Bundle's entries, or the body itself."""
        if not isinstance(self.body, dict):
            return []
        if self.body.get("resourceType") == "Bundle":
            return [e["resource"] for e in self.body.get("entry") or []]
        return [self.body]

    def of_type(self, resource_type: str) -> list[dict]:
        return [r for r in self.resources() if r.get("resourceType") == resource_type]

    def includes(self) -> set[str]:
        return {v for k, v in self.query if k in ("_include", "_include:recurse")}

    def is_a(self, resource_type: str) -> bool:
        """The body is a resource of this type (not text, not another resource)."""
        return isinstance(self.body, dict) and self.body.get("resourceType") == resource_type

    def middle(self, resource_type: str) -> dict | None:
        """The middle one of the body's resources of this type, if there is any."""
        found = self.of_type(resource_type)
        return found[len(found) // 2] if found else None

    def version(self) -> str | None:
        """The body's meta.versionId, if it has one."""
        return (self.body.get("meta") or {}).get("versionId") if isinstance(self.body, dict) else None

    def issues(self) -> Iterator[dict]:
        """Every issue of every OperationOutcome in the body."""
        for outcome in self.of_type("OperationOutcome"):
            yield from outcome.get("issue") or []

    def drop(self, resource_type: str, element: str) -> None:
        """Every resource of this type loses the element."""
        for resource in self.of_type(resource_type):
            resource.pop(element, None)

    def put(self, resource_type: str, element: str, value: Any) -> None:
        """Every resource of this type holds the element with this value, a copy each."""
        for resource in self.of_type(resource_type):
            resource[element] = copy.deepcopy(value)

    def keep_entries(self, wanted: Callable[[dict], bool]) -> None:
        """A Bundle keeps only the entries whose resource is wanted."""
        if self.is_a("Bundle"):
            self.body["entry"] = [e for e in self.body.get("entry") or [] if wanted(e["resource"])]

    def not_found(self, diagnostics: str) -> None:
        """The answer becomes 404 NO_RECORD_FOUND."""
        self.status = 404
        self.body = resources.operation_outcome("NO_RECORD_FOUND", diagnostics)


def recode(a: Answer, diagnostics: str, was: int, status: int, spine_code: str) -> None:
    """A refusal answered `was` whose diagnostics mention `diagnostics` is answered `status` with
    `spine_code` instead: refused all the same, with another status and code than NHS's suite expects."""
    if a.status != was or not a.is_a("OperationOutcome"):
        return
    issue = a.body["issue"][0]
    if diagnostics in (issue.get("diagnostics") or ""):
        a.status = status
        issue["code"] = resources.ISSUE_CODE[spine_code]
        issue["details"]["coding"][0].update(code=spine_code, display=resources.SPINE_DISPLAY[spine_code])


def as_bad_request(a: Answer, diagnostics: str) -> None:
    """A 422 refusal whose diagnostics mention `diagnostics` becomes 400 BAD_REQUEST."""
    recode(a, diagnostics, 422, 400, "BAD_REQUEST")


@dataclass(frozen=True)
class Fault:
    name: str
    requirement: str
    breaks: str
    kind: str
    interactions: tuple[str, ...] = ()  # rewrites: the interactions whose answers it rewrites; () every one
    rewrite: Callable[[Answer], None] | None = None
    # What shows it: "scenario" (a scenario tagged with its requirement), or "explore" for a fault that
    # shows only after a sequence of operations no scenario arranges (gpc-assure explore finds it).
    shown_by: str = "scenario"


FAULTS: dict[str, Fault] = {}
_claimed: set[str] = set()


def _declare(fault: Fault) -> None:
    if fault.name in FAULTS:
        raise ValueError(f"fault '{fault.name}' is declared twice")
    FAULTS[fault.name] = fault


def rule_off(name: str, requirement: str, breaks: str) -> None:
    _declare(Fault(name, requirement, breaks, RULE_OFF))


def behaviour(name: str, requirement: str, breaks: str, shown_by: str = "scenario") -> None:
    _declare(Fault(name, requirement, breaks, BEHAVIOUR, shown_by=shown_by))


def rewrite(name: str, requirement: str, breaks: str, *interactions: str):
    """Declare a rewrite fault; the decorated function changes the Answer in place."""

    def register(fn: Callable[[Answer], None]) -> Callable[[Answer], None]:
        _declare(Fault(name, requirement, breaks, REWRITE, tuple(interactions), fn))
        return fn

    return register


def uses(*names: str) -> tuple[str, ...]:
    """Claim rule-off and behaviour faults for the module that tests them; returns the names."""
    for name in names:
        fault = FAULTS.get(name)
        if fault is None:
            raise ValueError(f"unknown fault '{name}'")
        if fault.kind == REWRITE:
            raise ValueError(f"fault '{name}' is a rewrite, applied by faults.apply")
        if name in _claimed:
            raise ValueError(f"fault '{name}' is claimed twice")
        _claimed.add(name)
    return names


def verify() -> None:
    """Every rule-off and behaviour fault is claimed by the module that tests it."""
    unclaimed = sorted(n for n, f in FAULTS.items() if f.kind != REWRITE and n not in _claimed)
    if unclaimed:
        raise ValueError(f"faults declared but never used: {', '.join(unclaimed)}")


def check(names) -> frozenset[str]:
    """The given names as a set, or raise ValueError naming the first unknown one."""
    for name in names:
        if name not in FAULTS:
            raise ValueError(f"unknown fault '{name}'; known: {', '.join(sorted(FAULTS))}")
    return frozenset(names)


def apply(answer: Answer, active: frozenset[str]) -> Answer:
    """Run the active rewrites that apply to this answer's interaction, in declaration order."""
    for fault in FAULTS.values():
        if (fault.name in active and fault.rewrite
                and (not fault.interactions or answer.interaction in fault.interactions)):
            fault.rewrite(answer)
    return answer
