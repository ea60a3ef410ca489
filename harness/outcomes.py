"""Checks on a provider's refusals: HTTP status and a GPConnect-OperationOutcome-1 body."""

from __future__ import annotations

from . import fhir
from .client import Exchange
from .errors import Nonconformance


def spine_codes(outcome) -> list[str]:
    return [c.code for issue in outcome.issue or [] for c in ((issue.details.coding if issue.details else None) or [])
            if c.code]


def check_refusal(exchange: Exchange, status: int | None = None, code: str | None = None) -> None:
    """The exchange is a 4xx refusal carrying an OperationOutcome (with this status and Spine code, if given)."""
    where = exchange.short_request()
    wanted = f"{status} {code}" if status else "a 4xx refusal with an OperationOutcome"
    if exchange.status is None or not 400 <= exchange.status < 500:
        raise Nonconformance(f"expected {wanted}, got HTTP {exchange.status} ({where})")
    if status is not None and exchange.status != status:
        raise Nonconformance(f"expected HTTP {status}, got {exchange.status} ({where})")
    try:
        outcome = fhir.parse(exchange.json(), where, expected_type="OperationOutcome")
    except Nonconformance as exc:
        raise Nonconformance(f"HTTP {exchange.status} refusal carries no OperationOutcome: {exc}") from None
    codes = spine_codes(outcome)
    if not codes:
        raise Nonconformance(f"OperationOutcome has no Spine code in issue.details.coding ({where})")
    for issue in outcome.issue:
        for coding in (issue.details.coding if issue.details else None) or []:
            if coding.system != fhir.SPINE_CODE_SYSTEM:
                raise Nonconformance(f"OperationOutcome coding system is '{coding.system}', expected "
                                     f"'{fhir.SPINE_CODE_SYSTEM}' ({where})")
    if code is not None and code not in codes:
        raise Nonconformance(f"expected Spine code {code}, got {', '.join(codes)} ({where})")
