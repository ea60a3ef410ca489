"""Checks on a provider's refusals: HTTP status, Spine error code and a GPConnect-OperationOutcome-1 body.

The status and code break the scenario's own refusal rule (e.g. SLOT-PARAM-01); a missing or
unparsable OperationOutcome breaks ERR-OO-01, and an OperationOutcome without the Spine coding
breaks ERR-OO-02, whichever request was refused.
"""

from __future__ import annotations

from typing import Iterable

from . import fhir
from .client import Exchange
from .errors import Nonconformance
from .gpconnect import SPINE_CODE_SYSTEM
from .violations import Requirements, Violation, violation

OPERATION_OUTCOME = "ERR-OO-01"
SPINE_CODING = "ERR-OO-02"
# Requirements whose rule is "this request is refused": the requirement a refusal step checks
# among a scenario's tags (the others are checked by other steps of the scenario).
REFUSAL_RULES = frozenset({
    "SLOT-PARAM-01", "SLOT-PARAM-02", "SLOT-PARAM-03", "SLOT-PARAM-04", "SLOT-PARAM-05",
    "BOOK-MULTI-ADJ-01", "BOOK-MULTI-SCHED-01", "BOOK-MULTI-CHANNEL-01", "BOOK-MULTI-TYPE-01",
    "BOOK-STARTEND-01", "BOOK-DUP-01", "BOOK-NOREASON-01",
    "RETR-PARAM-01", "RETR-404-01", "READ-404-01",
    "AMEND-TYPES-01", "AMEND-ETAG-01", "AMEND-CANCELLED-01",
    "CANCEL-REASON-01", "CANCEL-OTHER-01", "CANCEL-ETAG-01",
    "FND-HDR-01", "FND-HDR-02", "FND-HDR-03", "FND-JWT-01", "FND-JWT-02", "FND-JWT-03", "FND-JWT-04", "FND-FMT-02",
})


def refusal_rule(scenario_requirements: Iterable[str]) -> tuple[str, ...]:
    """The refusal requirements among a scenario's @req tags; failing that, its tags other than ERR-OO."""
    tags = tuple(scenario_requirements)
    return tuple(r for r in tags if r in REFUSAL_RULES) or \
        tuple(r for r in tags if r not in (OPERATION_OUTCOME, SPINE_CODING))


def spine_codes(outcome) -> list[str]:
    return [c.code for issue in outcome.issue or [] for c in ((issue.details.coding if issue.details else None) or [])
            if c.code]


def _response(requirements: Requirements, element: str, expected: object, got: object, message: str) -> Violation:
    return violation(requirements, "response", element, expected, got, message)


def refusal_violations(exchange: Exchange, requirements: Requirements, status: int | None = None,
                       code: str | None = None, body_optional: bool = False) -> list[Violation]:
    """The exchange is a 4xx refusal (with this status and Spine code, if given) carrying an OperationOutcome.

    The first thing wrong is reported: a body is not judged when the status already is.
    `body_optional`: a refusal with the right status and an empty body is accepted (415)."""
    where = exchange.short_request()
    wanted = (f"{status} {code}" if code else f"HTTP {status}") if status else "a 4xx refusal with an OperationOutcome"
    if exchange.status is None or not 400 <= exchange.status < 500:
        return [_response(requirements, "HTTP status", wanted, exchange.status,
                          f"expected {wanted}, got HTTP {exchange.status}")]
    if status is not None and exchange.status != status:
        return [_response(requirements, "HTTP status", status, exchange.status,
                          f"expected HTTP {status}, got {exchange.status}")]
    if body_optional and not exchange.response_text:
        return []
    try:
        outcome = fhir.parse(exchange.json(), where, expected_type="OperationOutcome")
    except Nonconformance as exc:
        why = str(exc).removesuffix(f" ({where})")
        return [_response(OPERATION_OUTCOME, "body", "an OperationOutcome", why,
                          f"HTTP {exchange.status} refusal carries no OperationOutcome: {why}")]
    codes = spine_codes(outcome)
    if not codes:
        return [violation(SPINE_CODING, "OperationOutcome", "OperationOutcome.issue.details.coding",
                          "a Spine code", "none", "OperationOutcome has no Spine code in issue.details.coding")]
    for issue in outcome.issue:
        for coding in (issue.details.coding if issue.details else None) or []:
            if coding.system != SPINE_CODE_SYSTEM:
                return [violation(SPINE_CODING, "OperationOutcome", "OperationOutcome.issue.details.coding.system",
                                  SPINE_CODE_SYSTEM, coding.system,
                                  f"OperationOutcome coding system is '{coding.system}', expected '{SPINE_CODE_SYSTEM}'")]
    if code is not None and code not in codes:
        return [violation(requirements, "OperationOutcome", "OperationOutcome.issue.details.coding.code", code,
                          ", ".join(codes), f"expected Spine code {code}, got {', '.join(codes)}")]
    return []
