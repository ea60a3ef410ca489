"""The requirement catalogue, spec/requirements.csv: id -> requirement, and the relations its rows state.

Besides the rule itself, a row may say:
- `kind`, space-separated: `refusal` (its rule is "this request is refused": the requirement a refusal step
  checks among a scenario's tags), `success` (its rule is "this request is answered with success"),
  `slot-type` / `schedule-type` (it is broken when an Appointment its `interaction` returns lacks the slot
  type / schedule type of its slot and schedule), `status-code` / `spine-code` (an NHS-expectation row of the
  status and Spine code NHS's suite expects of a refusal whose rule names neither / of the Spine code where
  the rule names the status: a refusal with another 4xx status or code misses only this row);
- `interaction`: for `slot-type` and `schedule-type`, the interaction (harness/spec/interactions.py, by name);
- `expectation_of`, space-separated: for `status-code` and `spine-code`, the requirements whose code it checks.
"""

from __future__ import annotations

import csv
from dataclasses import dataclass
from functools import lru_cache
from typing import NamedTuple

from harness.settings import PROJECT_ROOT

CATALOGUE = PROJECT_ROOT / "spec" / "requirements.csv"
SPEC_BASE = "https://github.com/nhsconnect/gpconnect/blob/40f2b1a2eb24faa436d87ce0d0994901f87fdbb2/"

REFUSAL, SUCCESS = "refusal", "success"
SLOT_TYPE, SCHEDULE_TYPE = "slot-type", "schedule-type"
STATUS_CODE, SPINE_CODE = "status-code", "spine-code"
KINDS = (REFUSAL, SUCCESS, SLOT_TYPE, SCHEDULE_TYPE, STATUS_CODE, SPINE_CODE)


@dataclass(frozen=True)
class Requirement:
    id: str
    use_case: str
    level: str
    text: str
    spec_page: str
    not_tested_reason: str
    change: str = ""
    kinds: frozenset[str] = frozenset()
    interaction: str = ""
    expectation_of: tuple[str, ...] = ()

    @property
    def url(self) -> str:
        return SPEC_BASE + self.spec_page


@lru_cache(maxsize=1)
def catalogue() -> dict[str, Requirement]:
    with open(CATALOGUE, newline="", encoding="utf-8") as fh:
        rows = [Requirement(r["id"], r["use_case"], r["level"], r["requirement"], r["spec_page"],
                            r["not_tested_reason"], r.get("change") or "", frozenset((r.get("kind") or "").split()),
                            r.get("interaction") or "", tuple((r.get("expectation_of") or "").split()))
                for r in csv.DictReader(fh)]
    return {r.id: r for r in rows}


@lru_cache(maxsize=None)
def requirements_of_kind(kind: str) -> frozenset[str]:
    """The ids of the requirements of this kind."""
    return frozenset(r.id for r in catalogue().values() if kind in r.kinds)


@lru_cache(maxsize=None)
def code_expectation(requirement: str, spine: bool = False) -> str | None:
    """The NHS-expectation row a refusal of `requirement` with another 4xx status or Spine code misses instead
    of the requirement (`status-code`), or, with `spine`, with another Spine code (`spine-code` as well); None
    where the requirement itself is missed."""
    kinds = {STATUS_CODE, SPINE_CODE} if spine else {STATUS_CODE}
    return next((r.id for r in catalogue().values() if requirement in r.expectation_of and r.kinds & kinds), None)


class TypeRequirements(NamedTuple):
    slot: str  # broken when a returned Appointment lacks its slot's slot type
    schedule: str | None  # broken when it lacks its schedule's schedule type


@lru_cache(maxsize=None)
def type_requirements(interaction: str) -> TypeRequirements:
    """The requirements of the slot type and schedule type kept on the Appointments `interaction` returns."""
    def of(kind: str) -> list[str]:
        return [r.id for r in catalogue().values() if kind in r.kinds and r.interaction == interaction]

    slot = of(SLOT_TYPE)
    if not slot:
        raise KeyError(f"no {SLOT_TYPE} requirement of {interaction!r} in {CATALOGUE.name}")
    return TypeRequirements(slot[0], next(iter(of(SCHEDULE_TYPE)), None))


@lru_cache(maxsize=1)
def typed_interactions() -> tuple[str, ...]:
    """The interactions returning Appointments whose slot type a requirement asks for, in catalogue order."""
    return tuple(dict.fromkeys(r.interaction for r in catalogue().values() if SLOT_TYPE in r.kinds))
