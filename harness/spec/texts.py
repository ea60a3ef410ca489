"""How a text a provider returns is compared with the one the run sent or saw: as the spec says, in one
place for the checks, the run model and test-data discovery alike.

- A slot type (serviceType text) or schedule type (serviceCategory text) is compared exactly: the spec
  asks for the same text, so two slots whose types differ only by a trailing space are of different
  slot types, for test-data discovery ("two adjacent slots of one slot type") as for every check. A
  text that is empty or only spaces is no type at all.
- A cancellation reason may be truncated when stored (cancel page: "the cancellation reason may be
  truncated when stored in the provider system due to character limits"): the stored one is the sent
  one or a non-empty prefix of it; anything else is a violation.
"""

from __future__ import annotations

from typing import Any


def type_text(concept: Any) -> str | None:
    """A CodeableConcept's text exactly as given, or None when it has none (absent, empty or only spaces)."""
    text = concept.get("text") if isinstance(concept, dict) else None
    return text if isinstance(text, str) and text.strip() else None


def type_texts(concepts: Any) -> tuple[str, ...]:
    """The texts of a list of CodeableConcepts (serviceType), each exactly as given, those with none left out."""
    return tuple(t for t in (type_text(c) for c in concepts or []) if t is not None)


def reason_kept(stored: str | None, sent: str) -> bool:
    """The stored cancellation reason is the one sent, or a non-empty prefix of it (truncated on storage)."""
    return bool(stored) and sent.startswith(stored)


def reason_expected(sent: str) -> str:
    """What a failure message says was expected of a stored cancellation reason."""
    return f"{sent!r} or a prefix of it (truncated when stored)"
