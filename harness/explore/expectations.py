"""What the model of the run says a provider must answer next.

For each request an exploration (harness/explore/exploration.py) sends, the model knows enough to say whether
the provider must accept it or refuse it, and which requirement a wrong answer breaks:

- a booking of 1 to 3 slots must succeed (201) when the slots are free, adjacent, of one schedule,
  one delivery channel and one slot type; otherwise it must be refused (4xx) and book nothing, and a
  booking whose only fault is a slot this run already holds is refused with 409;
- an amendment must succeed (200) when it changes only description or comment, with the current
  ETag, of an appointment that is not cancelled; a stale ETag is refused with 409, a changed slot or
  schedule type with 422, any other change or a cancelled appointment with a refusal;
- a cancellation must succeed (200) when it changes only status and adds a reason, with the current
  ETag, of an appointment that is not yet cancelled;
- a search offers no slot that an appointment of this run still holds;
- a refusal changes nothing: the appointment read afterwards is as it was last seen before it.

What every answer must show besides (types, slots, text, versions) is the model's own comparison
(harness/judge/run_model.py) and the rule registry (harness/judge/rules.py), applied by the Oracle.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Iterable

from harness.checks import refusals
from harness.checks.violations import Violation, violation
from harness.consumer.discovery import SlotInfo
from harness.judge.known import Known
from harness.judge.run_model import RunModel
from harness.spec import interactions as ix

GAP, SCHEDULE, CHANNEL, SLOT_TYPE = ("BOOK-MULTI-ADJ-01", "BOOK-MULTI-SCHED-01", "BOOK-MULTI-CHANNEL-01",
                                    "BOOK-MULTI-TYPE-01")
DUPLICATE = "BOOK-DUP-01"
MULTI_SLOT_RULES = {GAP: "not adjacent", SCHEDULE: "of different schedules", CHANNEL: "of different delivery channels",
                    SLOT_TYPE: "of different slot types"}

# What an amendment or cancellation changes besides what it must, and the requirement that forbids it.
AMEND_CHANGES = {"description": None, "comment": None, "description and comment": None,
                 "slot type": "AMEND-TYPES-01", "schedule type": "AMEND-TYPES-01", "start": "AMEND-OTHER-01",
                 "description, leaving out the types": None}
# The requirement a valid amendment answered without success breaks, where it is not AMEND-01: one that leaves
# out both types, as a consumer before 1.2.7 sends it, is accepted (AMEND-COMPAT-01, NHS expectation).
AMEND_SUCCESS = {"description, leaving out the types": "AMEND-COMPAT-01"}
CANCEL_CHANGES = {"reason": None, "no reason": "CANCEL-REASON-01", "description": "CANCEL-OTHER-01",
                  "comment": "CANCEL-OTHER-01", "slot type": "CANCEL-OTHER-01", "reason, leaving out the types": None}
CANCEL_SUCCESS = {"reason, leaving out the types": "CANCEL-COMPAT-01"}
# The status a refusal must carry where its requirement names one (the others: any 4xx).
REFUSAL_STATUS = {DUPLICATE: 409, "AMEND-ETAG-01": 409, "CANCEL-ETAG-01": 409, "AMEND-TYPES-01": 422,
                  "AMEND-CANCELLED-01": 422, "CANCEL-REASON-01": 422, "CANCEL-OTHER-01": 422}
# The Spine code a refusal must carry where only NHS's suite names it (a wrong one misses the NHS expectation
# of its spine-code row in spec/requirements.csv).
REFUSAL_CODE = {"CANCEL-ETAG-01": "FHIR_CONSTRAINT_VIOLATION"}
# A cancelled appointment cannot be changed again, by amendment or by a second cancellation.
CANCELLED = "AMEND-CANCELLED-01"
# How a booking request may differ from a plain one, and the requirement that refuses it (None: still valid;
# the consumer's own types must be ignored, which the model judges in the answer, as it judges the text).
BOOK_VARIANTS = {"as is": None, "with the consumer's own types": None, "with a reason": "BOOK-NOREASON-01",
                 "with start and end not its slots'": "BOOK-STARTEND-01",
                 "with an identifier without a value": "BOOK-VALID-01", "without status": "BOOK-VALID-01",
                 "with a slot reference that is no slot": "BOOK-SLOTREF-01",
                 "without the Location participant": "BOOK-LOCATION-01",
                 "without the practitioner participant": None, "without a comment": None,
                 "with the longest description and comment": None,
                 "with the JWT of another organisation": None,
                 "to a path that is no endpoint": "BOOK-URL-01"}
# The requirement a valid booking of one of these variants answered without success breaks (BOOK-OPTIONAL-01:
# a practitioner and a comment may be left out, NHS expectation).
BOOK_SUCCESS = {"without the practitioner participant": "BOOK-OPTIONAL-01", "without a comment": "BOOK-OPTIONAL-01"}
# A booking a provider may refuse as well as accept: one whose JWT names another organisation (a provider may
# take bookings only from the organisations it knows; accepted, it keeps the booking organisation as sent).
BOOK_MAY_REFUSE = frozenset({"with the JWT of another organisation"})
REFUSAL_STATUS.update({"BOOK-NOREASON-01": 422, "BOOK-STARTEND-01": 422, "READ-404-01": 404, "RETR-404-01": 404,
                       "RETR-PARAM-01": 422, "BOOK-VALID-01": 422, "BOOK-SLOTREF-01": 422, "BOOK-LOCATION-01": 422,
                       "READ-404-02": 404, "SLOT-PARAM-02": 422})


@dataclass(frozen=True)
class Expected:
    """What the provider must answer to one request."""

    what: str  # the request in words, for messages
    success: int  # the status of a valid request's success
    requirement: str  # broken when a valid request is not answered with `success`
    refusals: tuple[str, ...] = ()  # the requirements the request breaks: it must be refused
    may_refuse: bool = False  # a valid request the provider may also refuse (4xx)

    @property
    def valid(self) -> bool:
        return not self.refusals

    @property
    def refusal_status(self) -> int | None:
        statuses = {REFUSAL_STATUS.get(r) for r in self.refusals}
        return statuses.pop() if len(statuses) == 1 else None

    def describe(self) -> str:
        if self.valid:
            return f"must succeed ({self.success})"
        status = self.refusal_status
        return f"must be refused ({status or '4xx'}: {', '.join(self.refusals)})"

    def judge(self, exchange) -> list[Violation]:
        """What the answer's status shows against this expectation."""
        status = exchange.status
        if self.valid:
            if status == self.success or (self.may_refuse and status is not None and 400 <= status < 500):
                return []
            return [violation(self.requirement, "response", "HTTP status", str(self.success), str(status),
                              f"{self.what} must succeed with HTTP {self.success}, got HTTP {status}")]
        if status is not None and 400 <= status < 500:
            wanted = self.refusal_status
            if wanted is None or status == wanted:
                return self._code(exchange)
            # Refused all the same: where only NHS's suite names the status, only its expectation is missed.
            return [violation(refusals.code_rule(self.refusals), "response", "HTTP status", str(wanted), str(status),
                              f"{self.what} must be refused with HTTP {wanted}, got HTTP {status}")]
        return [violation(self.refusals, "response", "HTTP status", "a refusal (4xx)", str(status),
                          f"{self.what} must be refused ({', '.join(self.refusals)}), got HTTP {status}")]

    def _code(self, exchange) -> list[Violation]:
        """A refusal for one reason whose Spine code NHS's suite names carries that code."""
        wanted = REFUSAL_CODE.get(self.refusals[0]) if len(self.refusals) == 1 else None
        if wanted is None:
            return []
        try:
            body = json.loads(exchange.response_text or "")
        except ValueError:
            return []  # a refusal without an OperationOutcome: the rule registry judges that (ERR-OO-01)
        codes = [c.get("code") for issue in (body.get("issue") or [] if isinstance(body, dict) else [])
                 for c in ((issue or {}).get("details") or {}).get("coding") or [] if isinstance(c, dict)]
        if wanted in codes:
            return []
        return [violation(refusals.code_rule(self.refusals, spine_code=True), "OperationOutcome",
                          "OperationOutcome.issue.details.coding.code", wanted, ", ".join(map(str, codes)) or "none",
                          f"{self.what} must be refused with Spine code {wanted}, got "
                          f"{', '.join(map(str, codes)) or 'none'}")]


def held(model: RunModel) -> dict[str, str]:
    """Slot id -> the live (not cancelled) appointment of this run that holds it."""
    return {s.id: a.id for a in model.appointments.values() if a.status != "cancelled" for s in a.slots}


def multi_slot_breaks(slots: list[SlotInfo]) -> list[str]:
    """The multi-slot rules a booking of these slots (in start order) breaks."""
    found = []
    for a, b in zip(slots, slots[1:]):
        for rule, differs in ((GAP, b.start != a.end), (SCHEDULE, b.schedule != a.schedule),
                              (CHANNEL, b.channel != a.channel), (SLOT_TYPE, b.slot_type != a.slot_type)):
            if differs and rule not in found:
                found.append(rule)
    return found


def booking(slots: list[SlotInfo], holding: dict[str, str], patient: str, variant: str = "as is") -> Expected:
    """A booking of these slots for this patient, given the slots this run's appointments hold."""
    slots = sorted(slots, key=lambda s: s.start)
    breaks = multi_slot_breaks(slots)
    busy = [s.id for s in slots if s.id in holding]
    if busy:
        breaks.append(DUPLICATE)
    if BOOK_VARIANTS[variant]:
        breaks.append(BOOK_VARIANTS[variant])
    what = (f"booking Slot {', '.join(s.id for s in slots)}"
            + (f" ({'; '.join(MULTI_SLOT_RULES[r] for r in breaks if r in MULTI_SLOT_RULES)})"
               if set(breaks) & set(MULTI_SLOT_RULES) else "")
            + (f" (Slot {', '.join(busy)} held by Appointment {holding[busy[0]]})" if busy else "")
            + f" for Patient/{patient}" + ("" if variant == "as is" else f" {variant}"))
    success = BOOK_SUCCESS.get(variant) or ("BOOK-MULTI-01" if len(slots) > 1 else ix.BOOK_APPOINTMENT.requirement)
    return Expected(what, 201, success, tuple(breaks), may_refuse=variant in BOOK_MAY_REFUSE)


def amendment(known: Known, stale: bool, change: str) -> Expected:
    reasons = [r for r in (CANCELLED if known.status == "cancelled" else None, "AMEND-ETAG-01" if stale else None,
                           AMEND_CHANGES[change]) if r]
    what = f"amending the {change} of Appointment {known.id} ({known.status})" + (" with a stale ETag" if stale else "")
    return Expected(what, 200, AMEND_SUCCESS.get(change, "AMEND-01"), tuple(dict.fromkeys(reasons)))


def cancellation(known: Known, stale: bool, change: str) -> Expected:
    reasons = [r for r in (CANCELLED if known.status == "cancelled" else None, "CANCEL-ETAG-01" if stale else None,
                           CANCEL_CHANGES[change]) if r]
    plain = ("no reason", "reason, leaving out the types")
    what = (f"cancelling Appointment {known.id} ({known.status})"
            + ("" if change == "reason" else f" with {change}" if change in plain else f" changing its {change}")
            + (" with a stale ETag" if stale else ""))
    return Expected(what, 200, CANCEL_SUCCESS.get(change, "CANCEL-01"), tuple(dict.fromkeys(reasons)))


def offered_while_held(offered: Iterable[SlotInfo], holding: dict[str, str]) -> list[Violation]:
    """A search offers as free no slot an appointment of this run holds."""
    return [violation("SLOT-FREE-01", f"Slot {s.id}", "Slot.status", "not offered (booked)", "free",
                      f"Slot {s.id} is offered as free, but Appointment {holding[s.id]} of this run holds it")
            for s in offered if s.id in holding]
