"""Checks on a provider's refusals: HTTP status, Spine error code and a GPConnect-OperationOutcome-1 body.

The status and code break the scenario's own refusal rule (e.g. SLOT-PARAM-01), or, where the spec
names no status or code and NHS's suite expects one, that rule's NHS-expectation row (the `-CODE` row
of spec/requirements.csv whose `expectation_of` names it: a 4xx with another status or code is a
refusal all the same, so only the expectation is missed; where the spec names the status and NHS's
suite only the code, a wrong status breaks the rule and a wrong code only the expectation).
Whichever request was refused, a missing or unparsable OperationOutcome breaks ERR-OO-01; an issue
without exactly one Spine coding with its code and display breaks ERR-OO-02; an issue whose severity
is not `error` or that has no issue type breaks ERR-OO-03; an OperationOutcome whose meta.profile
does not name GPConnect-OperationOutcome-1 breaks ERR-OO-04; a 422 without diagnostics on any issue
breaks ERR-OO-05 ("detailed diagnostic information MUST be supplied" for the 422 codes). The profile
must be among meta.profile, not the only one: the spec asks for a resource "profiled to"
GPConnect-OperationOutcome-1 and says nothing of other profiles, and meta.profile is 0..* in STU3
(NHS's suite checks only that meta is present on an OperationOutcome).
"""

from __future__ import annotations

from typing import Iterable

from harness.checks.violations import Requirements, Violation, violation
from harness.errors import Nonconformance
from harness.spec.constants import PROFILE_FOR, SPINE_CODE_SYSTEM
from harness.spec.requirements import REFUSAL, SPINE_CODE, STATUS_CODE, code_expectation, requirements_of_kind
from harness.transport import fhir
from harness.transport.exchange import Exchange

OPERATION_OUTCOME = "ERR-OO-01"
SPINE_CODING = "ERR-OO-02"
SEVERITY = "ERR-OO-03"
OUTCOME_PROFILE = "ERR-OO-04"
DIAGNOSTICS = "ERR-OO-05"
OUTCOME_RULES = (OPERATION_OUTCOME, SPINE_CODING, SEVERITY, OUTCOME_PROFILE, DIAGNOSTICS)


def refusal_rule(scenario_requirements: Iterable[str]) -> tuple[str, ...]:
    """The refusal requirements among a scenario's @req tags (kind `refusal` in spec/requirements.csv);
    failing that, its tags other than ERR-OO and NHS-expectation code rows."""
    tags = tuple(scenario_requirements)
    code_rows = requirements_of_kind(STATUS_CODE) | requirements_of_kind(SPINE_CODE)
    return tuple(r for r in tags if r in requirements_of_kind(REFUSAL)) or \
        tuple(r for r in tags if r not in OUTCOME_RULES and r not in code_rows)


def code_rule(requirements: Requirements, spine_code: bool = False) -> tuple[str, ...]:
    """The requirements a refusal with the wrong 4xx status (or, `spine_code`, the wrong Spine code) breaks:
    for each requirement, its NHS-expectation code row where it has one (requirements.code_expectation)."""
    ids = (requirements,) if isinstance(requirements, str) else tuple(requirements)
    return tuple(code_expectation(r, spine_code) or r for r in ids)


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
        # Refused all the same: the body is still judged, so a binding body failure is not hidden
        # behind an advisory code.
        found = [_response(code_rule(requirements), "HTTP status", status, exchange.status,
                           f"expected HTTP {status}, got {exchange.status}")]
        return found + ([] if body_optional and not exchange.response_text else body_violations(exchange))
    if body_optional and not exchange.response_text:
        return []
    found = body_violations(exchange)
    if found:
        return found
    codes = spine_codes(fhir.parse(exchange.json(), where, expected_type="OperationOutcome"))
    if code is not None and code not in codes:
        return [violation(code_rule(requirements, spine_code=True), "OperationOutcome",
                          "OperationOutcome.issue.details.coding.code",
                          code, ", ".join(codes), f"expected Spine code {code}, got {', '.join(codes)}")]
    return []


def body_violations(exchange: Exchange) -> list[Violation]:
    """The refusal's body is a GPConnect-OperationOutcome-1 (ERR-OO-01 to ERR-OO-04)."""
    where = exchange.short_request()
    try:
        fhir.parse(exchange.json(), where, expected_type="OperationOutcome")
    except Nonconformance as exc:
        why = str(exc).removesuffix(f" ({where})")
        return [_response(OPERATION_OUTCOME, "body", "an OperationOutcome", why,
                          f"HTTP {exchange.status} refusal carries no OperationOutcome: {why}")]
    return outcome_violations(exchange.json(), exchange.status)


def outcome_present_violations(body, status: int | None) -> list[Violation]:
    """Every refusal carries an OperationOutcome (ERR-OO-01); `body`: the answer's JSON, or None when it is
    not FHIR JSON."""
    if isinstance(body, dict) and body.get("resourceType") == "OperationOutcome":
        return []
    got = body.get("resourceType") if isinstance(body, dict) else "a body that is not FHIR JSON"
    return [violation("ERR-OO-01", "response", "body", "OperationOutcome", got,
                      f"HTTP {status} refusal carries {got or 'no resource'}, not an OperationOutcome")]


def outcome_violations(outcome: dict, status: int | None = None) -> list[Violation]:
    """What an OperationOutcome (JSON) lacks of GPConnect-OperationOutcome-1: its profile, and on each
    issue severity error, an issue type, exactly one Spine coding with a code and its display; on a
    422 (`status`), diagnostics."""
    found = []
    profiles = ((outcome.get("meta") or {}).get("profile")) or []
    wanted = PROFILE_FOR["OperationOutcome"]
    if wanted not in profiles:
        found.append(violation(OUTCOME_PROFILE, "OperationOutcome", "OperationOutcome.meta.profile", wanted,
                               ", ".join(map(str, profiles)) or "none",
                               f"OperationOutcome meta.profile does not name {wanted}: "
                               f"got {', '.join(map(str, profiles)) or 'none'}"))
    issues = outcome.get("issue") or []
    if status == 422 and issues and not any(str(i.get("diagnostics") or "").strip() for i in issues):
        found.append(violation(DIAGNOSTICS, "OperationOutcome", "OperationOutcome.issue.diagnostics",
                               "detailed diagnostics", "none", "HTTP 422 OperationOutcome has no diagnostics"))
    if not issues:
        found.append(violation(SPINE_CODING, "OperationOutcome", "OperationOutcome.issue", "an issue", "none",
                               "OperationOutcome has no issue"))
    for i, issue in enumerate(issues):
        at = f"OperationOutcome.issue[{i}]"
        if issue.get("severity") != "error":
            found.append(violation(SEVERITY, "OperationOutcome", f"{at}.severity", "error", issue.get("severity"),
                                   f"{at}.severity is '{issue.get('severity')}', expected 'error'"))
        if not issue.get("code"):
            found.append(violation(SEVERITY, "OperationOutcome", f"{at}.code", "an issue type", "none",
                                   f"{at} has no issue type in code"))
        codings = (issue.get("details") or {}).get("coding") or []
        if not codings or not any(c.get("code") for c in codings):
            found.append(violation(SPINE_CODING, "OperationOutcome", f"{at}.details.coding", "a Spine code", "none",
                                   "OperationOutcome has no Spine code in issue.details.coding"))
            continue
        if len(codings) != 1:
            found.append(violation(SPINE_CODING, "OperationOutcome", f"{at}.details.coding", "exactly one coding",
                                   len(codings), f"{at}.details has {len(codings)} codings, expected exactly one"))
        for coding in codings:
            if coding.get("system") != SPINE_CODE_SYSTEM:
                found.append(violation(SPINE_CODING, "OperationOutcome", f"{at}.details.coding.system",
                                       SPINE_CODE_SYSTEM, coding.get("system"),
                                       f"OperationOutcome coding system is '{coding.get('system')}', "
                                       f"expected '{SPINE_CODE_SYSTEM}'"))
            if not coding.get("display"):
                found.append(violation(SPINE_CODING, "OperationOutcome", f"{at}.details.coding.display",
                                       "the Spine code's display", "none",
                                       f"{at} Spine code {coding.get('code')} has no display"))
    return found
