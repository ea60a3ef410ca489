"""How a text a provider returns is compared with the one the run sent or saw: as the spec says, in one
place for the checks, the run model and test-data discovery alike.

- A cancellation reason may be truncated when stored (cancel page: "the cancellation reason may be
  truncated when stored in the provider system due to character limits"): the stored one is the sent
  one or a non-empty prefix of it; anything else is a violation.
"""

from __future__ import annotations


def reason_kept(stored: str | None, sent: str) -> bool:
    """The stored cancellation reason is the one sent, or a non-empty prefix of it (truncated on storage)."""
    return bool(stored) and sent.startswith(stored)


def reason_expected(sent: str) -> str:
    """What a failure message says was expected of a stored cancellation reason."""
    return f"{sent!r} or a prefix of it (truncated when stored)"
