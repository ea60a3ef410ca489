"""What an amendment or a cancellation makes of a stored appointment: what it may change (1.2.7 amend and
cancel pages) and the appointment it leaves."""

from __future__ import annotations

import copy

from . import faults as fault_registry
from . import resources
from .security import Refusal

(AMEND_REQUIRES_TYPES, AMEND_ACCEPTS_OTHER_CHANGES, AMEND_ACCEPTS_TYPE_CHANGE, AMEND_DROPS_CATEGORY,
 AMEND_TWICE_DROPS_SCHEDULE_TYPE, AMEND_MULTI_KEEPS_FIRST_SLOT, COMMENT_TRUNCATED_100) = fault_registry.uses(
    "amend_requires_types", "amend_accepts_other_changes", "amend_accepts_type_change", "amend_drops_category",
    "amend_twice_drops_schedule_type", "amend_multi_keeps_first_slot", "comment_truncated_100")
(CANCEL_REQUIRES_TYPES, CANCEL_ACCEPTS_COMMENT_CHANGE, CANCEL_ACCEPTS_OTHER_CHANGES, CANCEL_WITHOUT_REASON_ALLOWED,
 CANCEL_DROPS_REASON, CANCEL_REASON_SUFFIXED, CANCEL_DROPS_TYPES) = fault_registry.uses(
    "cancel_requires_types", "cancel_accepts_comment_change", "cancel_accepts_other_changes",
    "cancel_without_reason_allowed", "cancel_drops_reason", "cancel_reason_suffixed", "cancel_drops_types")

AMENDABLE = ("description", "comment")
TYPES = ("serviceType", "serviceCategory")


def _comparable(resource: dict, drop: tuple[str, ...]) -> dict:
    return {k: v for k, v in resource.items() if k not in drop + ("meta", "text")}


def _with_stored_types(stored: dict, body: dict) -> dict:
    """A consumer before 1.2.7 sends no types: leaving them out changes nothing."""
    return {**{k: stored[k] for k in TYPES if k in stored and k not in body}, **body}


def amended(stored: dict, body: dict, faults: frozenset[str]) -> dict:
    """The stored appointment with the amendment's description and comment, or a Refusal."""
    if AMEND_REQUIRES_TYPES not in faults:
        body = _with_stored_types(stored, body)
    if AMEND_ACCEPTS_OTHER_CHANGES in faults:
        if any(body.get(k) != stored.get(k) for k in TYPES):
            raise Refusal(422, "INVALID_RESOURCE", "Only description and comment may be amended")
        stored = dict(stored, **{k: v for k, v in body.items() if k not in TYPES + ("id", "meta", "text")})
    elif AMEND_ACCEPTS_TYPE_CHANGE not in faults:
        if _comparable(body, AMENDABLE) != _comparable(stored, AMENDABLE):
            raise Refusal(422, "INVALID_RESOURCE", "Only description and comment may be amended")
    updated = copy.deepcopy(stored)
    for key in TYPES if AMEND_ACCEPTS_TYPE_CHANGE in faults else ():
        if key in body:
            updated[key] = body[key]
    for key in AMENDABLE:
        if key in body:
            updated[key] = body[key]
        else:
            updated.pop(key, None)
    if len(updated.get("description") or "") > 100 or len(updated.get("comment") or "") > 500:
        raise Refusal(422, "INVALID_RESOURCE", "description or comment is longer than this provider stores")
    if COMMENT_TRUNCATED_100 in faults and updated.get("comment"):
        updated["comment"] = updated["comment"][:100]
    if AMEND_DROPS_CATEGORY in faults:
        updated.pop("serviceCategory", None)
    if AMEND_TWICE_DROPS_SCHEDULE_TYPE in faults and int(stored["meta"]["versionId"]) >= 2:
        updated.pop("serviceCategory", None)
    if AMEND_MULTI_KEEPS_FIRST_SLOT in faults:
        updated["slot"] = updated["slot"][:1]
    return updated


def cancelled(stored: dict, body: dict, faults: frozenset[str]) -> dict:
    """The stored appointment cancelled, with the cancellation's reason, or a Refusal."""
    url = resources.EXT_CANCELLATION_REASON
    reasons = [e for e in body.get("extension") or [] if e.get("url") == url]
    reason = (reasons[0].get("valueString") or "").strip() if reasons else ""
    if CANCEL_REQUIRES_TYPES not in faults:
        body = _with_stored_types(stored, body)
    if body.get("status") != "cancelled":
        raise Refusal(422, "INVALID_RESOURCE", "Appointment.status must be cancelled")

    free = ("status", "comment") if CANCEL_ACCEPTS_COMMENT_CHANGE in faults else ("status",)

    def rest(resource: dict) -> dict:
        other = _comparable(resource, free)
        other["extension"] = [e for e in resource.get("extension") or [] if e.get("url") != url]
        return other

    # Other changes first: a reason sent under another URL is an extension no one defines
    # (INVALID_RESOURCE, as NHS's suite expects), not a missing reason.
    if rest(body) != rest(stored) and CANCEL_ACCEPTS_OTHER_CHANGES not in faults:
        raise Refusal(422, "INVALID_RESOURCE", "Only status and the cancellation reason may change on cancel")
    if not reason and CANCEL_WITHOUT_REASON_ALLOWED not in faults:
        raise Refusal(422, "INVALID_PARAMETER", "A cancellation reason is required")
    updated = copy.deepcopy(body if CANCEL_ACCEPTS_OTHER_CHANGES in faults else stored)
    updated["status"] = "cancelled"
    if CANCEL_ACCEPTS_COMMENT_CHANGE in faults:
        updated.pop("comment", None)
        updated.update({k: body[k] for k in ("comment",) if k in body})
    updated["extension"] = [e for e in updated.get("extension") or [] if e.get("url") != url]
    if reason and CANCEL_DROPS_REASON not in faults:
        # Cut short when stored is allowed; a reason stored otherwise than sent is not.
        stored_reason = f"{reason} [cancelled online]" if CANCEL_REASON_SUFFIXED in faults else reason
        updated["extension"].append({"url": url, "valueString": stored_reason})
    if CANCEL_DROPS_TYPES in faults:
        updated.pop("serviceType", None)
    return updated
