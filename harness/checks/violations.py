"""What a check finds, and the one way it becomes a failure.

Every check in the harness returns a list of Violation: the requirement it breaks (an id of
spec/requirements.csv), the resource ("Slot 336", "Appointment 52", "response"), the element
("Slot.serviceType[*].text"), what was expected, what was got, and the message line that says
all of it. A step hands the list to `fail_if_any` with the exchange's short request line; a
non-empty list raises one Nonconformance, in one format everywhere:

    2 violations of SLOT-TYPE-01: Slot 1 has no slot type: ...; Slot 2 ... (GET .../Slot?start=...)

The Nonconformance carries the requirement ids, so the verdict of each requirement is recorded
from the exception, not read back from its text.
"""

from __future__ import annotations

from contextlib import contextmanager
from dataclasses import dataclass
from typing import TYPE_CHECKING, Iterable, Iterator, Union

from harness.errors import Nonconformance
from harness.transport import fhir

if TYPE_CHECKING:
    from harness.transport.exchange import Exchange

FHIR_MEDIA_TYPE = "application/fhir+json"
FHIR_JSON_RULE = "FND-FMT-01"

MAX_LISTED = 5
Requirements = Union[str, Iterable[str]]


def _ids(requirements: Requirements) -> tuple[str, ...]:
    ids = (requirements,) if isinstance(requirements, str) else tuple(requirements)
    return tuple(dict.fromkeys(i for i in ids if i))


@dataclass(frozen=True)
class Violation:
    """One way one resource breaks one rule."""

    requirements: tuple[str, ...]
    resource: str
    element: str
    expected: str
    got: str
    message: str

    def __post_init__(self):
        ids = _ids(self.requirements)
        if not ids:
            raise ValueError(f"a violation must name the requirement it breaks: {self.message}")
        object.__setattr__(self, "requirements", ids)

    def __str__(self) -> str:
        return self.message

    def prefixed(self, context: str) -> "Violation":
        """The same violation with its message prefixed, e.g. by the way a request was sent."""
        return Violation(self.requirements, self.resource, self.element, self.expected, self.got,
                         f"{context}: {self.message}")


def violation(requirements: Requirements, resource: str, element: str, expected: object, got: object,
              message: str) -> Violation:
    return Violation(_ids(requirements), resource, element, str(expected), str(got), message)


def on(resource, requirements: Requirements, element: str, expected: object, got: object, text: str,
       kind: str = "Resource") -> Violation:
    """The one way a check says what is wrong with a resource: its label (fhir.label; `kind` for JSON that
    names no resourceType) then `text`, "Slot 336 has no slot type: ..."."""
    named = fhir.label(resource, kind)
    return violation(requirements, named, element, expected, got, f"{named} {text}")


def on_appointment(appointment: dict, requirements: Requirements, element: str, expected: object, got: object,
                   text: str) -> Violation:
    """on() for an Appointment, named so even where its JSON names no resourceType."""
    return on(appointment, requirements, element, expected, got, text, kind="Appointment")


def failure(violations: list[Violation], where: str) -> Nonconformance:
    """The Nonconformance for a non-empty list: count, requirement ids, the first few messages, the request."""
    ids = tuple(dict.fromkeys(r for v in violations for r in v.requirements))
    count = len(violations)
    shown = "; ".join(v.message for v in violations[:MAX_LISTED])
    more = f"; and {count - MAX_LISTED} more" if count > MAX_LISTED else ""
    noun = "violation" if count == 1 else "violations"
    return Nonconformance(f"{count} {noun} of {', '.join(ids)}: {shown}{more} ({where})", requirements=ids,
                          violations=violations, where=where)


def fail_if_any(violations: Iterable[Violation], where: str) -> None:
    """Raise the scenario's failure when any check found a violation; `where` is the request line."""
    found = list(violations)
    if found:
        raise failure(found, where)


@contextmanager
def breaking(requirements: Requirements) -> Iterator[None]:
    """A body that is not FHIR JSON or does not parse (a Nonconformance naming no requirement) breaks these."""
    try:
        yield
    except Nonconformance as exc:
        if exc.requirements:
            raise
        raise Nonconformance(str(exc), requirements=_ids(requirements)) from None


# ------------------------------------------------------------------ checks every interaction shares


def status_violations(exchange: "Exchange", expected: int, requirements: Requirements) -> list[Violation]:
    """The response has the expected HTTP status."""
    if exchange.status == expected:
        return []
    return [violation(requirements, "response", "HTTP status", expected, exchange.status,
                      f"{exchange.interaction}: expected HTTP {expected}, got {exchange.status}")]


def success_violations(exchange: "Exchange", requirements: Requirements) -> list[Violation]:
    """The response is a success (2xx)."""
    if exchange.status is not None and 200 <= exchange.status < 300:
        return []
    return [violation(requirements, "response", "HTTP status", "2xx", exchange.status,
                      f"{exchange.interaction}: expected success (2xx), got HTTP {exchange.status}")]


def bundle_type_violations(bundle_type: str | None, expected: str, what: str,
                           requirements: Requirements) -> list[Violation]:
    if bundle_type == expected:
        return []
    return [violation(requirements, "Bundle", "Bundle.type", expected, bundle_type,
                      f"{what}: expected Bundle.type '{expected}', got '{bundle_type}'")]


def media_type_violations(exchange: "Exchange") -> list[Violation]:
    """The body is labelled FHIR JSON (FND-FMT-01); the charset is judged by the foundations scenarios."""
    ctype = (exchange.header("Content-Type") or "").split(";")[0].strip().lower()
    if ctype == FHIR_MEDIA_TYPE:
        return []
    snippet = exchange.response_text[:60].replace("\n", " ")
    return [violation(FHIR_JSON_RULE, "response", "Content-Type", FHIR_MEDIA_TYPE, ctype or "none",
                      f"HTTP {exchange.status} response is {ctype or 'without a Content-Type'}, not {FHIR_MEDIA_TYPE}; "
                      f"starts {snippet!r}")]


def parsed(exchange: "Exchange", expected_type: str, requirements: Requirements):
    """The body parsed with its STU3 model. A body not labelled FHIR JSON breaks FND-FMT-01; one that is
    not JSON, not the expected resource or does not parse breaks `requirements`."""
    where = exchange.short_request()
    fail_if_any(media_type_violations(exchange), where)
    with breaking(requirements):
        return fhir.answer_model(exchange, expected_type)
