"""The two ways a check can end other than passing.

Nonconformance: the provider answered and broke a rule (a verdict on the provider). It carries
the requirement ids it breaks; with none, the scenario's own @req tags stand for it.
HarnessError: the run could not reach a verdict (unreachable provider, bad set-up).
MissingTestData: the environment lacks what a scenario needs (a skip: not assured).
"""

from __future__ import annotations

from typing import Iterable


class Nonconformance(AssertionError):
    """The provider broke a requirement; str() is the verdict line. `violations` are the checks' own
    findings when it was made from them, `sources` the exchanges that showed them (for evidence)."""

    def __init__(self, message: str, requirements: Iterable[str] = (), violations: Iterable = ()):
        super().__init__(message)
        self.requirements: tuple[str, ...] = tuple(dict.fromkeys(requirements))
        self.violations: tuple = tuple(violations)
        self.sources: list = []


class HarnessError(Exception):
    """The environment or the harness stopped a check before a verdict; str() is one line."""


class MissingTestData(Exception):
    """The environment lacks the data a scenario needs; str() names what is missing."""
