"""Faults of Amend an appointment and Cancel an appointment."""

from __future__ import annotations

from datetime import datetime

from .registry import AMEND, BOOK, CANCEL, READ, Answer, as_bad_request, behaviour, rewrite, rule_off


@rewrite("etag_unweakened", "FND-ETAG-01", "book, amend and cancel answer the ETag \"<versionId>\" without W/",
         BOOK, AMEND, CANCEL)
def _(a: Answer) -> None:
    if a.headers.get("ETag", "").startswith("W/"):
        a.headers["ETag"] = a.headers["ETag"][2:]


behaviour("amend_keeps_version", "AMEND-01", "an amendment keeps the old versionId")
behaviour("amend_drops_category", "AMEND-01", "an amendment drops serviceCategory")
rule_off("amend_accepts_type_change", "AMEND-TYPES-01", "an amendment may change slot type or schedule type")
behaviour("refused_type_change_stored", "AMEND-TYPES-01",
          "an amendment changing the slot type or schedule type is refused, yet the types it sent are stored")
rule_off("amend_ignores_if_match", "AMEND-ETAG-01", "an amendment with a stale If-Match is applied")
rule_off("amend_cancelled_allowed", "AMEND-CANCELLED-01", "a cancelled appointment can be amended")
behaviour("cancel_drops_reason", "CANCEL-01", "the cancellation reason is not kept")
behaviour("cancel_reason_suffixed", "CANCEL-01",
          "the cancellation reason is stored with a note appended (longer, so not merely cut short)")
behaviour("cancel_drops_types", "CANCEL-01", "a cancelled appointment loses its serviceType")
rule_off("cancel_without_reason_allowed", "CANCEL-REASON-01", "a cancellation without a reason is accepted")
rule_off("cancel_accepts_other_changes", "CANCEL-OTHER-01", "a cancellation may change other fields too")
rule_off("cancel_ignores_if_match", "CANCEL-ETAG-01", "a cancellation with a stale If-Match is applied")
behaviour("cancel_requires_types", "CANCEL-COMPAT-01",
          "a cancellation that leaves out the slot type and schedule type is refused as a change of type")


@rewrite("cancel_other_wrong_code", "CANCEL-OTHER-01-CODE",
         "a cancellation changing other fields gives 400 BAD_REQUEST instead of 422 INVALID_RESOURCE", CANCEL)
def _(a: Answer) -> None:
    as_bad_request(a, "Only status and the cancellation reason may change")


@rewrite("cancel_reason_wrong_code", "CANCEL-REASON-01-CODE",
         "a cancellation with an empty reason gives 400 BAD_REQUEST instead of 422 INVALID_PARAMETER", CANCEL)
def _(a: Answer) -> None:
    as_bad_request(a, "A cancellation reason is required")


@rewrite("cancel_participants_declined", "CANCEL-KEEP-01",
         "a cancelled appointment is answered with every participant declined", CANCEL)
def _(a: Answer) -> None:
    for appointment in a.of_type("Appointment"):
        for participant in appointment.get("participant") or []:
            participant["status"] = "declined"


@rewrite("read_drops_identifiers", "READ-IDENT-01", "a read appointment has lost its business identifiers", READ)
def _(a: Answer) -> None:
    a.drop("Appointment", "identifier")


@rewrite("cancel_created_changed", "CANCEL-KEEP-01", "a cancelled appointment is answered with created a year earlier",
         CANCEL)
def _(a: Answer) -> None:
    for appointment in a.of_type("Appointment"):
        if appointment.get("created"):
            created = datetime.fromisoformat(appointment["created"])
            appointment["created"] = (created.replace(year=created.year - 1)).isoformat(timespec="seconds")


@rewrite("cancel_etag_wrong_code", "CANCEL-ETAG-01-CODE",
         "a cancellation with a stale If-Match gives 409 with Spine code CONFLICTING_VALUES", CANCEL)
def _(a: Answer) -> None:
    if a.status == 409 and a.is_a("OperationOutcome"):
        a.body["issue"][0]["details"]["coding"][0].update(code="CONFLICTING_VALUES", display="Conflicting values")
