"""Faults of Search for free slots: what each returned resource holds."""

from __future__ import annotations

from .. import resources
from .registry import READ_ORGANIZATION, SEARCH, Answer, rewrite


@rewrite("include_location_dropped", "SLOT-INCLUDE-03",
         "with _include:recurse=Schedule:actor:Location the Locations are left out of the Bundle", SEARCH)
def _(a: Answer) -> None:
    if "Schedule:actor:Location" in a.includes():
        a.keep_entries(lambda resource: resource.get("resourceType") != "Location")


@rewrite("schedule_without_location", "SLOT-SCHEDLOC-01",
         "Schedules with a Practitioner reference no Location among their actors", SEARCH)
def _(a: Answer) -> None:
    for schedule in a.of_type("Schedule"):
        actors = [x for x in schedule.get("actor") or [] if not x.get("reference", "").startswith("Location/")]
        if actors:
            schedule["actor"] = actors


@rewrite("organization_without_id", "SLOT-ID-01", "the Organization of a slot search has no logical id", SEARCH)
def _(a: Answer) -> None:
    a.drop("Organization", "id")


@rewrite("slot_two_identifiers", "SLOT-IDENT-01", "every returned Slot carries a second identifier", SEARCH)
def _(a: Answer) -> None:
    for slot in a.of_type("Slot"):
        slot.setdefault("identifier", []).append({"system": resources.LOCAL_ID_SYSTEM + "slot-legacy",
                                                  "value": f"L-{slot.get('id')}"})


@rewrite("schedule_role_missing", "SLOT-SCHEDROLE-01",
         "a Schedule no Practitioner acts on carries no practitioner role extension", SEARCH)
def _(a: Answer) -> None:
    for schedule in a.of_type("Schedule"):
        if not any(x.get("reference", "").startswith("Practitioner/") for x in schedule.get("actor") or []):
            schedule["extension"] = [e for e in schedule.get("extension") or []
                                     if e.get("url") != resources.EXT_PRACTITIONER_ROLE]


@rewrite("practitioner_birth_date", "SLOT-PRACT-01", "every returned Practitioner carries a birthDate", SEARCH)
def _(a: Answer) -> None:
    a.put("Practitioner", "birthDate", "1975-06-01")


@rewrite("practitioner_local_identifier", "SLOT-PRACT-02",
         "every returned Practitioner carries an identifier of the practice's own system", SEARCH)
def _(a: Answer) -> None:
    for practitioner in a.of_type("Practitioner"):
        practitioner.setdefault("identifier", []).append(
            {"system": resources.LOCAL_ID_SYSTEM + "staff", "value": f"STAFF-{practitioner.get('id')}"})


@rewrite("location_without_address", "SLOT-LOC-01", "every returned Location has no address", SEARCH)
def _(a: Answer) -> None:
    a.drop("Location", "address")


@rewrite("location_type_without_display", "SLOT-LOC-02",
         "every returned Location carries a type coding without a display", SEARCH)
def _(a: Answer) -> None:
    a.put("Location", "type", {"coding": [{"system": "http://hl7.org/fhir/v3/RoleCode", "code": "GACH"}]})


@rewrite("organization_two_ods_codes", "SLOT-ORG-02", "the Organization carries two ODS codes", SEARCH)
def _(a: Answer) -> None:
    for org in a.of_type("Organization"):
        org.setdefault("identifier", []).append({"system": resources.ODS_SYSTEM, "value": "Y99999"})


@rewrite("organization_read_not_found", "SLOT-LOC-03",
         "Read Organisation answers 404 for the organisation managing the practice's locations", READ_ORGANIZATION)
def _(a: Answer) -> None:
    if a.status == 200 and a.is_a("Organization"):
        a.not_found("No Organization")


@rewrite("organization_identifier_without_system", "SLOT-ORG-03",
         "the Organization carries an identifier without a system", SEARCH)
def _(a: Answer) -> None:
    for org in a.of_type("Organization"):
        org.setdefault("identifier", []).append({"value": "RIVERSIDE-1"})
