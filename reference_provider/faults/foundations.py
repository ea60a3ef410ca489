"""Faults of the foundations every interaction rests on: headers, the JWT, formats, errors, the CapabilityStatement."""

from __future__ import annotations

from datetime import datetime, timezone

from .. import resources
from .registry import METADATA, Answer, behaviour, rewrite, rule_off

rule_off("missing_trace_id_accepted", "FND-HDR-01", "a request without Ssp-TraceID is served")
rule_off("ssp_to_unchecked", "FND-HDR-02", "a request addressed to another ASID is served")
rule_off("interaction_id_unchecked", "FND-HDR-03", "any known interaction ID is accepted on any endpoint")
rule_off("expired_jwt_accepted", "FND-JWT-01", "an expired JWT is accepted")
rule_off("jwt_lifetime_unchecked", "FND-JWT-02", "a JWT whose exp is not iat + 300 is accepted")
rule_off("scope_unchecked", "FND-JWT-03", "a JWT with the wrong requested_scope is accepted")
rule_off("jwt_iss_unchecked", "FND-JWT-05", "a JWT without the iss claim is accepted")
behaviour("future_iat_refused", "FND-JWT-06", "a JWT issued a few seconds ahead of the provider's clock is refused")
rule_off("reason_unchecked", "FND-JWT-04", "a JWT whose reason_for_request is not directcare is accepted")
rule_off("accept_unchecked", "FND-FMT-02", "an unsupported Accept is answered with JSON instead of 415")
rule_off("format_param_ignored", "FND-FMT-03", "_format does not override Accept")


@rewrite("format_param_empty_body", "FND-FMT-03", "a request carrying _format is answered with an empty body")
def _(a: Answer) -> None:
    if 200 <= a.status < 300 and any(k == "_format" for k, _ in a.query):
        a.body = ""


behaviour("representation_answered_empty", "FND-PREFER-02",
          "a create or update sending Prefer: return=representation is answered with an empty body")
behaviour("prefer_minimal_ignored", "FND-PREFER-01",
          "a create or update sending Prefer: return=minimal is answered with the whole resource")
rule_off("scope_kind_unchecked", "FND-JWT-03",
         "only the read or write part of requested_scope is checked, not patient or organization")
rule_off("unknown_param_refused", "FND-PARAM-01", "an unrecognised search parameter is refused")


@rewrite("content_type_json", "FND-FMT-01", "responses are labelled application/json")
def _(a: Answer) -> None:
    if a.media_type.startswith("application/fhir+json"):
        a.media_type = "application/json"


@rewrite("cache_control_wrong", "FND-CACHE-01", "responses carry Cache-Control: no-cache instead of no-store")
def _(a: Answer) -> None:
    a.headers["Cache-Control"] = "no-cache"


@rewrite("meta_version_missing", "FND-META-01", "Locations have no meta.versionId")
def _(a: Answer) -> None:
    for location in a.of_type("Location"):
        location.get("meta", {}).pop("versionId", None)


@rewrite("slot_service_category", "FND-PROFILE-01", "Slots carry serviceCategory, which their profile forbids")
def _(a: Answer) -> None:
    a.put("Slot", "serviceCategory", {"text": "General practice"})


@rewrite("slot_empty_narrative", "FND-PROFILE-01", "Slots carry an empty text element (ele-1)")
def _(a: Answer) -> None:
    a.put("Slot", "text", {})


@rewrite("appointment_empty_extension", "FND-PROFILE-01",
         "Appointments carry an extension with neither a value nor extensions (ext-1)")
def _(a: Answer) -> None:
    for appointment in a.of_type("Appointment"):
        appointment.setdefault("extension", []).append(
            {"url": "https://provider.invalid/fhir/StructureDefinition/Extension-Rota-1"})


@rewrite("schedule_horizon_reversed", "FND-PROFILE-01", "Schedules' planningHorizon ends before it starts (per-1)")
def _(a: Answer) -> None:
    for schedule in a.of_type("Schedule"):
        horizon = schedule.get("planningHorizon") or {}
        if horizon.get("start") and horizon.get("end"):
            horizon["start"], horizon["end"] = horizon["end"], horizon["start"]


@rewrite("participant_without_actor", "FND-PROFILE-01",
         "Appointments list a participant with neither type nor actor (app-1)")
def _(a: Answer) -> None:
    for appointment in a.of_type("Appointment"):
        appointment.setdefault("participant", []).append({"status": "accepted"})


@rewrite("searchset_entry_request", "FND-PROFILE-01",
         "searchset Bundle entries carry request, which only batch, transaction and history Bundles may (bdl-3)")
def _(a: Answer) -> None:
    if isinstance(a.body, dict) and a.body.get("type") == "searchset":
        for entry in a.body.get("entry") or []:
            resource = entry.get("resource") or {}
            entry["request"] = {"method": "GET", "url": f"{resource.get('resourceType')}/{resource.get('id')}"}


@rewrite("bad_delivery_channel_code", "FND-PROFILE-01", "delivery channel code 'Face-to-face' is outside its value set")
def _(a: Answer) -> None:
    for resource in a.of_type("Slot") + a.of_type("Appointment"):
        for ext in resource.get("extension") or []:
            if ext.get("url") == resources.EXT_DELIVERY_CHANNEL:
                ext["valueCode"] = "Face-to-face"


@rewrite("absolute_references", "FND-REF-01", "Slot.schedule is an absolute URL")
def _(a: Answer) -> None:
    for slot in a.of_type("Slot"):
        slot["schedule"]["reference"] = "https://provider.invalid/fhir/" + slot["schedule"]["reference"]


@rewrite("utc_times", "FND-TIME-01", "Slot start and end are given in UTC with Z")
def _(a: Answer) -> None:
    for slot in a.of_type("Slot"):
        for key in ("start", "end"):
            slot[key] = datetime.fromisoformat(slot[key]).astimezone(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


@rewrite("wrong_oo_system", "ERR-OO-02", "OperationOutcome codings use the ValueSet URL as their system")
def _(a: Answer) -> None:
    for issue in a.issues():
        for coding in issue["details"]["coding"]:
            coding["system"] = "https://fhir.nhs.uk/STU3/ValueSet/Spine-ErrorOrWarningCode-1"


@rewrite("oo_two_codings", "ERR-OO-02", "OperationOutcome issues carry a second coding beside the Spine code")
def _(a: Answer) -> None:
    for issue in a.issues():
        issue["details"]["coding"].append({"system": "https://provider.invalid/error-codes", "code": "E42",
                                           "display": "Local error"})


@rewrite("oo_no_display", "ERR-OO-02", "OperationOutcome Spine codings have no display")
def _(a: Answer) -> None:
    for issue in a.issues():
        for coding in issue["details"]["coding"]:
            coding.pop("display", None)


@rewrite("oo_severity_warning", "ERR-OO-03", "OperationOutcome issues have severity warning, not error")
def _(a: Answer) -> None:
    for issue in a.issues():
        issue["severity"] = "warning"


@rewrite("oo_422_no_diagnostics", "ERR-OO-05", "422 OperationOutcomes carry no diagnostics")
def _(a: Answer) -> None:
    if a.status == 422:
        for issue in a.issues():
            issue.pop("diagnostics", None)


@rewrite("oo_no_profile", "ERR-OO-04", "OperationOutcomes carry no meta.profile")
def _(a: Answer) -> None:
    a.drop("OperationOutcome", "meta")


@rewrite("fullurl_populated", "FND-FULLURL-01", "Bundle entries carry fullUrl")
def _(a: Answer) -> None:
    if a.is_a("Bundle"):
        for entry in a.body.get("entry") or []:
            entry["fullUrl"] = f"{entry['resource']['resourceType']}/{entry['resource'].get('id')}"


@rewrite("capability_old_version", "FND-CAP-01", "the CapabilityStatement says version 1.2.6", METADATA)
def _(a: Answer) -> None:
    if a.is_a("CapabilityStatement"):
        a.body["version"] = "1.2.6"


@rewrite("capability_appointment_no_update", "FND-CAP-02",
         "the CapabilityStatement's Appointment resource lists no update interaction", METADATA)
def _(a: Answer) -> None:
    if a.is_a("CapabilityStatement"):
        for rest in a.body.get("rest") or []:
            for resource in rest.get("resource") or []:
                if resource.get("type") == "Appointment":
                    resource["interaction"] = [i for i in resource.get("interaction") or []
                                               if i.get("code") != "update"]
