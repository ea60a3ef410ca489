"""FHIR STU3 JSON for the reference practice, shaped by the GP Connect 1.2.7 profiles."""

from __future__ import annotations

from typing import Any

from . import practice

SD = "https://fhir.nhs.uk/STU3/StructureDefinition/"
ODS_SYSTEM = "https://fhir.nhs.uk/Id/ods-organization-code"
SITE_SYSTEM = "https://fhir.nhs.uk/Id/ods-site-code"
SDS_USER_SYSTEM = "https://fhir.nhs.uk/Id/sds-user-id"
NHS_NUMBER_SYSTEM = "https://fhir.nhs.uk/Id/nhs-number"
ORG_TYPE_SYSTEM = "https://fhir.nhs.uk/STU3/CodeSystem/GPConnect-OrganisationType-1"
ROLE_SYSTEM = "https://fhir.nhs.uk/STU3/CodeSystem/CareConnect-SDSJobRoleName-1"
SPINE_CODE_SYSTEM = "https://fhir.nhs.uk/STU3/CodeSystem/Spine-ErrorOrWarningCode-1"
LOCAL_ID_SYSTEM = "https://riverside-practice.invalid/Id/"

EXT_DELIVERY_CHANNEL = SD + "Extension-GPConnect-DeliveryChannel-2"
EXT_PRACTITIONER_ROLE = SD + "Extension-GPConnect-PractitionerRole-1"
EXT_BOOKING_ORG = SD + "Extension-GPConnect-BookingOrganisation-1"
EXT_CANCELLATION_REASON = SD + "Extension-GPConnect-AppointmentCancellationReason-1"

PROFILE = {
    "Slot": SD + "GPConnect-Slot-1",
    "Schedule": SD + "GPConnect-Schedule-1",
    "Appointment": SD + "GPConnect-Appointment-1",
    "OperationOutcome": SD + "GPConnect-OperationOutcome-1",
    "Practitioner": SD + "CareConnect-GPC-Practitioner-1",
    "Location": SD + "CareConnect-GPC-Location-1",
    "Organization": SD + "CareConnect-GPC-Organization-1",
    "Patient": SD + "CareConnect-GPC-Patient-1",
}

SPINE_DISPLAY = {
    "BAD_REQUEST": "Bad request",
    "INVALID_PARAMETER": "Submitted parameter is not valid.",
    "INVALID_RESOURCE": "Submitted resource is not valid.",
    "INVALID_IDENTIFIER_SYSTEM": "Invalid identifier system",
    "INVALID_NHS_NUMBER": "NHS number invalid",
    "NO_RECORD_FOUND": "No record found",
    "PATIENT_NOT_FOUND": "Patient not found",
    "DUPLICATE_REJECTED": "Create would lead to creation of a duplicate resource",
    "REFERENCE_NOT_FOUND": "Reference not found",
    "FHIR_CONSTRAINT_VIOLATION": "FHIR constraint violated",
    "NOT_IMPLEMENTED": "Not implemented",
    "INTERNAL_SERVER_ERROR": "Internal server error",
}

ISSUE_CODE = {
    "BAD_REQUEST": "invalid",
    "INVALID_PARAMETER": "invalid",
    "INVALID_RESOURCE": "invalid",
    "INVALID_IDENTIFIER_SYSTEM": "value",
    "INVALID_NHS_NUMBER": "value",
    "NO_RECORD_FOUND": "not-found",
    "PATIENT_NOT_FOUND": "not-found",
    "DUPLICATE_REJECTED": "duplicate",
    "REFERENCE_NOT_FOUND": "invalid",
    "FHIR_CONSTRAINT_VIOLATION": "conflict",
    "NOT_IMPLEMENTED": "not-supported",
    "INTERNAL_SERVER_ERROR": "processing",
}


def meta(resource_type: str, version: int | str = 1) -> dict[str, Any]:
    return {"versionId": str(version), "profile": [PROFILE[resource_type]]}


def operation_outcome(spine_code: str, diagnostics: str, system: str = SPINE_CODE_SYSTEM) -> dict[str, Any]:
    return {
        "resourceType": "OperationOutcome",
        "meta": {"profile": [PROFILE["OperationOutcome"]]},
        "issue": [{
            "severity": "error",
            "code": ISSUE_CODE[spine_code],
            "details": {"coding": [{"system": system, "code": spine_code, "display": SPINE_DISPLAY[spine_code]}]},
            "diagnostics": diagnostics,
        }],
    }


def _address(lines, city, postcode) -> list[dict[str, Any]]:
    return [{"use": "work", "line": list(lines), "city": city, "postalCode": postcode}]


def organization(ods_code: str) -> dict[str, Any]:
    org = practice.ORGANIZATION
    return {
        "resourceType": "Organization",
        "id": org["id"],
        "meta": meta("Organization"),
        "identifier": [{"system": ODS_SYSTEM, "value": ods_code}],
        "type": [{"coding": [{"system": ORG_TYPE_SYSTEM, "code": org["type"], "display": "GP Practice"}]}],
        "name": org["name"],
        "telecom": [{"system": "phone", "value": org["phone"], "use": "work"}],
        "address": _address(org["lines"], org["city"], org["postcode"]),
    }


def location(loc: practice.Location) -> dict[str, Any]:
    return {
        "resourceType": "Location",
        "id": loc.id,
        "meta": meta("Location"),
        "identifier": [{"system": SITE_SYSTEM, "value": loc.site_code}],
        "name": loc.name,
        "telecom": [{"system": "phone", "value": loc.phone, "use": "work"}],
        "address": _address(loc.lines, loc.city, loc.postcode)[0],
        "managingOrganization": {"reference": f"Organization/{practice.ORGANIZATION['id']}"},
    }


def practitioner(p: practice.Practitioner) -> dict[str, Any]:
    return {
        "resourceType": "Practitioner",
        "id": p.id,
        "meta": meta("Practitioner"),
        "identifier": [{"system": SDS_USER_SYSTEM, "value": p.sds_user_id}],
        "name": [{"use": "usual", "family": p.family, "given": [p.given], "prefix": [p.prefix]}],
        "gender": p.gender,
    }


def role_extension(role_code: str) -> dict[str, Any]:
    return {
        "url": EXT_PRACTITIONER_ROLE,
        "valueCodeableConcept": {
            "coding": [{"system": ROLE_SYSTEM, "code": role_code, "display": practice.ROLE_DISPLAY[role_code]}]
        },
    }


def schedule(row) -> dict[str, Any]:
    actors = [{"reference": f"Location/{row['location_id']}"}]
    if row["practitioner_id"]:
        actors.append({"reference": f"Practitioner/{row['practitioner_id']}"})
    resource = {
        "resourceType": "Schedule",
        "id": row["id"],
        "meta": meta("Schedule"),
        "extension": [role_extension(row["role_code"])],
        "identifier": [{"system": LOCAL_ID_SYSTEM + "schedule", "value": f"SCH-{row['id']}"}],
        "actor": actors,
        "planningHorizon": {"start": row["horizon_start"], "end": row["horizon_end"]},
    }
    if row["schedule_type"]:
        resource["serviceCategory"] = {"text": row["schedule_type"]}
    return resource


def slot(row) -> dict[str, Any]:
    return {
        "resourceType": "Slot",
        "id": str(row["id"]),
        "meta": meta("Slot", row["version"]),
        "extension": [{"url": EXT_DELIVERY_CHANNEL, "valueCode": row["channel"]}],
        "identifier": [{"system": LOCAL_ID_SYSTEM + "slot", "value": f"SLOT-{row['id']}"}],
        "serviceType": [{"text": row["slot_type"]}],
        "schedule": {"reference": f"Schedule/{row['schedule_id']}"},
        "status": row["status"],
        "start": row["start"],
        "end": row["end"],
    }


def patient(row: tuple, ods_code: str) -> dict[str, Any]:
    nhs, pid, family, given, prefix, gender, birth = row
    return {
        "resourceType": "Patient",
        "id": pid,
        "meta": meta("Patient"),
        "identifier": [{"system": NHS_NUMBER_SYSTEM, "value": nhs}],
        "active": True,
        "name": [{"use": "official", "family": family, "given": [given], "prefix": [prefix]}],
        "gender": gender,
        "birthDate": birth,
        "managingOrganization": {"reference": f"Organization/{practice.ORGANIZATION['id']}"},
    }


def bundle(resources: list[dict[str, Any]]) -> dict[str, Any]:
    return {
        "resourceType": "Bundle",
        "meta": {"profile": [SD + "GPConnect-Searchset-Bundle-1"]},
        "type": "searchset",
        "entry": [{"resource": r} for r in resources],
    }
