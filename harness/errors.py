"""The ways a check can end other than passing, each with the outcome it means (`outcome_of`).

Nonconformance: the provider answered and broke a rule (a verdict on the provider: nonconformant).
It carries the requirement ids it breaks; with none, the scenario's own @req tags stand for it. A
plain AssertionError means the same.
HarnessError: the run could not reach a verdict (unreachable provider, bad set-up: broken).
MissingTestData: the environment lacks what a scenario needs (skipped: not assured).
Anything else is a harness fault: broken.
"""

from __future__ import annotations

from typing import Iterable

NONCONFORMANT, BROKEN, SKIPPED = "nonconformant", "broken", "skipped"


def outcome_of(exc: BaseException | None) -> str:
    """What an exception raised by a scenario's body means: NONCONFORMANT, SKIPPED or BROKEN."""
    if isinstance(exc, AssertionError):
        return NONCONFORMANT
    if isinstance(exc, MissingTestData) or type(exc).__name__ == "Skipped":  # pytest.skip's, without pytest here
        return SKIPPED
    return BROKEN


class Nonconformance(AssertionError):
    """The provider broke a requirement; str() is the verdict line. `violations` are the checks' own
    findings when it was made from them, `where` the request that showed them, `sources` the exchanges
    that showed them (for evidence)."""

    def __init__(self, message: str, requirements: Iterable[str] = (), violations: Iterable = (), where: str = ""):
        super().__init__(message)
        self.requirements: tuple[str, ...] = tuple(dict.fromkeys(requirements))
        self.violations: tuple = tuple(violations)
        self.where = where  # the request line that showed the violations, when made from them
        self.sources: list = []


class HarnessError(Exception):
    """The environment or the harness stopped a check before a verdict; str() is one line."""


class MissingTestData(Exception):
    """The environment lacks the data a scenario needs; str() names what is missing."""
