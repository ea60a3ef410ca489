"""Faults of Retrieve a patient's appointments."""

from __future__ import annotations

from .registry import RETRIEVE, Answer, behaviour, rewrite, rule_off


@rewrite("retrieve_drops_types", "RETR-TYPE-01", "retrieved appointments have no serviceType", RETRIEVE)
def _(a: Answer) -> None:
    a.drop("Appointment", "serviceType")


@rewrite("retrieve_stale_text", "RETR-STATE-01", "retrieved appointments show a description other than the stored one",
         RETRIEVE)
def _(a: Answer) -> None:
    for appointment in a.of_type("Appointment"):
        appointment["description"] = (appointment.get("description") or "") + " (as first booked)"


@rewrite("retrieve_drops_cancelled", "RETR-CANCELLED-01", "cancelled appointments are left out", RETRIEVE)
def _(a: Answer) -> None:
    a.keep_entries(lambda resource: resource.get("status") != "cancelled")


rule_off("retrieve_accepts_past", "RETR-PARAM-01", "a date range starting in the past is accepted")
behaviour("retrieve_sort_refused", "FND-PARAM-01", "a retrieve that also sends _sort=date is refused")


@rewrite("retrieve_empty_not_found", "RETR-EMPTY-01",
         "a retrieve finding no appointment is answered 404 NO_RECORD_FOUND", RETRIEVE)
def _(a: Answer) -> None:
    if a.status == 200 and isinstance(a.body, dict) and not a.of_type("Appointment"):
        a.not_found("No appointments")


behaviour("retrieve_unknown_patient_empty", "RETR-404-01", "an unknown patient gives an empty Bundle, not 404")
