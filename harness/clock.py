"""The harness's one clock: now and today, in UK time.

Every rule, model and discovery step that looks at the date asks here, never `datetime.now` or
`date.today`, so the day a verdict is reached on is one thing that can be set. A run reads the real
clock; the project's unit tests set it (`set_to`) to a fixed instant, so a test whose resources carry
fixed dates gives the same outcome whatever day it runs on. Times sent on the wire (JWT `iat` and
`exp`) and the run's own timestamps stay on the real clock: a provider judges them by its own.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import date, datetime

from harness.spec.constants import UK

_fixed: datetime | None = None


def now() -> datetime:
    """Now, UK time, timezone-aware."""
    return _fixed if _fixed is not None else datetime.now(UK)


def today() -> date:
    """Today's date in the UK."""
    return now().date()


@contextmanager
def set_to(instant: datetime) -> Iterator[datetime]:
    """Within the block, the clock stands at `instant` (timezone-aware) and does not move."""
    global _fixed
    if instant.tzinfo is None:
        raise ValueError(f"the clock needs a timezone-aware instant, got {instant.isoformat()}")
    before, _fixed = _fixed, instant.astimezone(UK)
    try:
        yield _fixed
    finally:
        _fixed = before
