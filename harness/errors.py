"""The two ways a check can end other than passing.

Nonconformance: the provider answered and broke a rule (a verdict on the provider).
HarnessError: the run could not reach a verdict (unreachable provider, bad set-up).
"""


class Nonconformance(AssertionError):
    """The provider broke a requirement; str() is the verdict line."""


class HarnessError(Exception):
    """The environment or the harness stopped a check before a verdict; str() is one line."""


class MissingTestData(Exception):
    """The environment lacks the data a scenario needs; str() names what is missing."""
