"""Rules a consumer's Appointment must meet before the provider acts on it (1.2.7 book page)."""

from __future__ import annotations

import json
import re
from datetime import datetime

from . import faults as fault_registry
from . import practice, resources
from .security import Refusal

BOOK_ACCEPTS_GAP, BOOK_ACCEPTS_MIXED_SCHEDULES, BOOK_ACCEPTS_MIXED_CHANNELS, BOOK_ACCEPTS_MIXED_TYPES = \
    fault_registry.uses("book_accepts_gap", "book_accepts_mixed_schedules", "book_accepts_mixed_channels",
                        "book_accepts_mixed_types")
BOOK_IDENTIFIER_UNCHECKED, BOOK_BAD_SLOT_REFERENCE_500, BOOK_MULTI_RULES_FIRST_PAIR_ONLY = fault_registry.uses(
    "book_identifier_unchecked", "book_bad_slot_reference_500", "book_multi_rules_first_pair_only")


def now() -> datetime:
    return datetime.now(practice.UK)


def parse_body(raw: bytes) -> dict:
    try:
        body = json.loads(raw)
    except ValueError:
        raise Refusal(400, "BAD_REQUEST", "Request body is not valid JSON") from None
    if not isinstance(body, dict) or body.get("resourceType") != "Appointment":
        raise Refusal(422, "INVALID_RESOURCE", "Request body must be an Appointment")
    # Imported on the first booking, not at start: the FHIR models take a tenth of a second to load,
    # and most runs of the fault matrix start a provider that is never asked to book.
    from fhir.resources.STU3.appointment import Appointment
    from pydantic import ValidationError

    try:
        Appointment.model_validate(body)
    except ValidationError as exc:
        first = exc.errors()[0]
        where = ".".join(str(p) for p in first["loc"])
        raise Refusal(422, "INVALID_RESOURCE", f"Appointment does not validate: {where}: {first['msg']}") from None
    return body


def check_reason_not_empty(raw: bytes) -> None:
    """A cancellation reason extension sent with an empty value is a missing reason (INVALID_PARAMETER,
    as NHS's suite expects), not a resource that fails to parse."""
    try:
        body = json.loads(raw)
    except ValueError:
        return
    extensions = body.get("extension") if isinstance(body, dict) else None
    for ext in extensions if isinstance(extensions, list) else []:
        if isinstance(ext, dict) and ext.get("url") == resources.EXT_CANCELLATION_REASON \
                and not str(ext.get("valueString") or "").strip():
            raise Refusal(422, "INVALID_PARAMETER", "A cancellation reason is required")


def check_profile(body: dict, faults: frozenset[str]) -> None:
    """What GPConnect-Appointment-1 requires beyond the STU3 model: identifiers with system and value."""
    complete = [i for i in body.get("identifier") or [] if i.get("system") and i.get("value")]
    if len(complete) == len(body.get("identifier") or []):
        return
    if BOOK_IDENTIFIER_UNCHECKED in faults:
        body["identifier"] = complete  # accepted, the incomplete identifier silently dropped
        return
    raise Refusal(422, "INVALID_RESOURCE", "Appointment.identifier needs both system and value")


def instant(value: str) -> datetime:
    return datetime.fromisoformat(value)


def slot_ids(body: dict, faults: frozenset[str] = frozenset()) -> list[int]:
    ids = []
    for ref in body.get("slot") or []:
        match = re.fullmatch(r"Slot/(\d+)", (ref or {}).get("reference", ""))
        if not match and BOOK_BAD_SLOT_REFERENCE_500 in faults:
            raise Refusal(500, "INTERNAL_SERVER_ERROR", f"Slot reference {ref} could not be read")
        if not match:
            raise Refusal(422, "INVALID_RESOURCE", f"Slot reference {ref} is not a local Slot reference")
        ids.append(int(match.group(1)))
    if not ids:
        raise Refusal(422, "INVALID_RESOURCE", "Appointment.slot must reference at least one slot")
    return ids


def patient_id(body: dict) -> str:
    for participant in body.get("participant") or []:
        ref = ((participant or {}).get("actor") or {}).get("reference", "")
        if ref.startswith("Patient/"):
            return ref.split("/", 1)[1]
    raise Refusal(422, "INVALID_RESOURCE", "Appointment must have a Patient participant")


def check_booking_organisation(body: dict) -> None:
    ext = [e for e in body.get("extension") or [] if e.get("url") == resources.EXT_BOOKING_ORG]
    if not ext:
        raise Refusal(422, "INVALID_RESOURCE", "Booking organisation extension is missing")
    ref = (ext[0].get("valueReference") or {}).get("reference", "")
    contained = {f"#{c.get('id')}": c for c in body.get("contained") or []}
    org = contained.get(ref)
    if not org or org.get("resourceType") != "Organization" or not org.get("name") or not org.get("telecom"):
        raise Refusal(422, "INVALID_RESOURCE",
                      "Booking organisation must be a contained Organization with name and telecom")


def check_multislot(rows, faults: frozenset[str]) -> None:
    """Adjacent, one schedule, one delivery channel, one slot type (1.2.7)."""
    checked = rows[:2] if BOOK_MULTI_RULES_FIRST_PAIR_ONLY in faults else rows
    for prev, nxt in zip(checked, checked[1:]):
        if nxt["start_utc"] != prev["end_utc"] and BOOK_ACCEPTS_GAP not in faults:
            raise Refusal(422, "INVALID_RESOURCE", "Multiple slots were requested but they are not adjacent")
        if nxt["schedule_id"] != prev["schedule_id"] and BOOK_ACCEPTS_MIXED_SCHEDULES not in faults:
            raise Refusal(422, "INVALID_RESOURCE", "Multiple slots were requested but they are on different schedules")
        if nxt["channel"] != prev["channel"] and BOOK_ACCEPTS_MIXED_CHANNELS not in faults:
            raise Refusal(422, "INVALID_RESOURCE", "Multiple slots were requested but their delivery channels differ")
        if nxt["slot_type"] != prev["slot_type"] and BOOK_ACCEPTS_MIXED_TYPES not in faults:
            raise Refusal(422, "INVALID_RESOURCE", "Multiple slots were requested but their slot types differ")
