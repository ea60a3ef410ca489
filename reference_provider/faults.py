"""Named faults: each makes the reference provider break one GP Connect requirement.

The harness's own tests start the provider with a fault and check that the scenarios tagged with
that requirement fail. Every fault is declared once, here, with its requirement and what goes wrong,
as one of three kinds:

- rewrite:   the provider builds its correct answer, then `apply` rewrites it (body, headers or
             media type) for the interactions named; the transformation sits beside its description.
- rule-off:  a validation rule the provider enforces is switched off; the module holding the rule
             claims the name with `uses(...)` and asks `NAME in faults` where the rule is.
- behaviour: the provider behaves differently inside (what it stores, locking); claimed the same way.

A name that is not declared, claimed twice or never claimed is an error when the provider is
imported (`verify`), so a misspelt fault cannot silently do nothing.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from typing import Any, Callable

URN = "urn:nhs:names:services:gpconnect:fhir:rest:"
METADATA = URN + "read:metadata-1"
SEARCH = URN + "search:slot-1"
BOOK = URN + "create:appointment-1"
READ = URN + "read:appointment-1"
AMEND = URN + "update:appointment-1"
CANCEL = URN + "cancel:appointment-1"
RETRIEVE = URN + "search:patient_appointments-1"
READ_LOCATION = URN + "read:location-1"
EXT_DELIVERY_CHANNEL = "https://fhir.nhs.uk/STU3/StructureDefinition/Extension-GPConnect-DeliveryChannel-2"

REWRITE, RULE_OFF, BEHAVIOUR = "rewrite", "rule-off", "behaviour"


@dataclass
class Answer:
    """A response on its way out, for rewrites: body is JSON data (or text once a rewrite says so)."""

    status: int
    body: Any
    headers: dict[str, str]
    interaction: str | None
    query: list[tuple[str, str]] = field(default_factory=list)
    media_type: str = "application/fhir+json;charset=utf-8"

    def resources(self) -> list[dict]:
        """The body's resources: a Bundle's entries, or the body itself."""
        if not isinstance(self.body, dict):
            return []
        if self.body.get("resourceType") == "Bundle":
            return [e["resource"] for e in self.body.get("entry") or []]
        return [self.body]

    def of_type(self, resource_type: str) -> list[dict]:
        return [r for r in self.resources() if r.get("resourceType") == resource_type]

    def includes(self) -> set[str]:
        return {v for k, v in self.query if k in ("_include", "_include:recurse")}


@dataclass(frozen=True)
class Fault:
    name: str
    requirement: str
    breaks: str
    kind: str
    interactions: tuple[str, ...] = ()  # rewrites: the interactions whose answers it rewrites; () every one
    rewrite: Callable[[Answer], None] | None = None
    # What shows it: "scenario" (a scenario tagged with its requirement), or "explore" for a fault that
    # shows only after a sequence of operations no scenario arranges (gpc-assure explore finds it).
    shown_by: str = "scenario"


FAULTS: dict[str, Fault] = {}
_claimed: set[str] = set()


def _declare(fault: Fault) -> None:
    if fault.name in FAULTS:
        raise ValueError(f"fault '{fault.name}' is declared twice")
    FAULTS[fault.name] = fault


def rule_off(name: str, requirement: str, breaks: str) -> None:
    _declare(Fault(name, requirement, breaks, RULE_OFF))


def behaviour(name: str, requirement: str, breaks: str, shown_by: str = "scenario") -> None:
    _declare(Fault(name, requirement, breaks, BEHAVIOUR, shown_by=shown_by))


def rewrite(name: str, requirement: str, breaks: str, *interactions: str):
    """Declare a rewrite fault; the decorated function changes the Answer in place."""

    def register(fn: Callable[[Answer], None]) -> Callable[[Answer], None]:
        _declare(Fault(name, requirement, breaks, REWRITE, tuple(interactions), fn))
        return fn

    return register


def uses(*names: str) -> tuple[str, ...]:
    """Claim rule-off and behaviour faults for the module that tests them; returns the names."""
    for name in names:
        fault = FAULTS.get(name)
        if fault is None:
            raise ValueError(f"unknown fault '{name}'")
        if fault.kind == REWRITE:
            raise ValueError(f"fault '{name}' is a rewrite, applied by faults.apply")
        if name in _claimed:
            raise ValueError(f"fault '{name}' is claimed twice")
        _claimed.add(name)
    return names


def verify() -> None:
    """Every rule-off and behaviour fault is claimed by the module that tests it."""
    unclaimed = sorted(n for n, f in FAULTS.items() if f.kind != REWRITE and n not in _claimed)
    if unclaimed:
        raise ValueError(f"faults declared but never used: {', '.join(unclaimed)}")


def check(names) -> frozenset[str]:
    """The given names as a set, or raise ValueError naming the first unknown one."""
    for name in names:
        if name not in FAULTS:
            raise ValueError(f"unknown fault '{name}'; known: {', '.join(sorted(FAULTS))}")
    return frozenset(names)


def apply(answer: Answer, active: frozenset[str]) -> Answer:
    """Run the active rewrites that apply to this answer's interaction, in declaration order."""
    for fault in FAULTS.values():
        if (fault.name in active and fault.rewrite
                and (not fault.interactions or answer.interaction in fault.interactions)):
            fault.rewrite(answer)
    return answer


def _middle(items: list) -> Any:
    return items[len(items) // 2]


# ---------------------------------------------------------------- search for free slots

@rewrite("slot_missing_type", "SLOT-TYPE-01", "one returned Slot has no serviceType", SEARCH)
def _(a: Answer) -> None:
    if a.of_type("Slot"):
        _middle(a.of_type("Slot")).pop("serviceType", None)


@rewrite("slot_type_blank", "SLOT-TYPE-01", "one returned Slot has a serviceType whose text is empty", SEARCH)
def _(a: Answer) -> None:
    if a.of_type("Slot"):
        _middle(a.of_type("Slot"))["serviceType"] = [{"text": " "}]


@rewrite("schedule_type_dropped", "SLOT-SCHEDTYPE-01", "no Schedule carries its serviceCategory", SEARCH)
def _(a: Answer) -> None:
    for schedule in a.of_type("Schedule"):
        schedule.pop("serviceCategory", None)


@rewrite("schedule_type_dropped_from_one", "SLOT-SCHEDTYPE-01",
         "the Pharmacy Clinic's Schedule carries no serviceCategory; the others keep theirs", SEARCH)
def _(a: Answer) -> None:
    for schedule in a.of_type("Schedule"):
        if (schedule.get("serviceCategory") or {}).get("text") == "Pharmacy Clinic":
            schedule.pop("serviceCategory", None)


@rewrite("schedule_comment", "SLOT-NOCOMMENT-01", "every Schedule carries a comment", SEARCH)
def _(a: Answer) -> None:
    for schedule in a.of_type("Schedule"):
        schedule["comment"] = "Session notes for reception"


@rewrite("slot_specialty", "SLOT-NOSPECIALTY-01", "every Slot carries a specialty", SEARCH)
def _(a: Answer) -> None:
    for slot in a.of_type("Slot"):
        slot["specialty"] = [{"text": "General practice"}]


@rewrite("schedule_specialty", "SLOT-NOSPECIALTY-01", "every Schedule carries a specialty", SEARCH)
def _(a: Answer) -> None:
    for schedule in a.of_type("Schedule"):
        schedule["specialty"] = [{"text": "General practice"}]


@rewrite("stray_schedule", "SLOT-BUNDLE-01", "a Schedule no returned slot references is included", SEARCH)
def _(a: Answer) -> None:
    schedules = a.of_type("Schedule")
    if schedules:
        a.body["entry"].append({"resource": dict(json.loads(json.dumps(schedules[0])), id="99")})


@rewrite("stray_location", "SLOT-BUNDLE-01", "a Location no returned schedule references is included", SEARCH)
def _(a: Answer) -> None:
    locations = a.of_type("Location")
    if locations:
        stray = dict(json.loads(json.dumps(locations[0])), id="19", name="Closed Annexe")
        a.body["entry"].append({"resource": stray})


@rewrite("organization_missing", "SLOT-ORG-01", "the Organization is left out of the Bundle", SEARCH)
def _(a: Answer) -> None:
    _drop_organizations(a)


@rewrite("organization_without_include", "SLOT-ORG-01",
         "the Organization is returned only when its _include is sent", SEARCH)
def _(a: Answer) -> None:
    if "Location:managingOrganization" not in a.includes():
        _drop_organizations(a)


def _drop_organizations(a: Answer) -> None:
    if isinstance(a.body, dict) and a.body.get("resourceType") == "Bundle":
        a.body["entry"] = [e for e in a.body.get("entry") or [] if e["resource"].get("resourceType") != "Organization"]


@rewrite("search_error_no_outcome", "ERR-OO-01", "search errors come back as plain text, not an OperationOutcome",
         SEARCH)
def _(a: Answer) -> None:
    if a.status >= 400 and isinstance(a.body, dict) and a.body.get("resourceType") == "OperationOutcome":
        a.body = a.body["issue"][0].get("diagnostics", "error")
        a.media_type = "text/plain"


@rewrite("empty_search_not_found", "SLOT-EMPTY-01", "a search with no free slot is answered 404 NO_RECORD_FOUND",
         SEARCH)
def _(a: Answer) -> None:
    if a.status == 200 and isinstance(a.body, dict) and not a.of_type("Slot"):
        a.status = 404
        a.body = {"resourceType": "OperationOutcome",
                  "meta": {"profile": ["https://fhir.nhs.uk/STU3/StructureDefinition/GPConnect-OperationOutcome-1"]},
                  "issue": [{"severity": "error", "code": "not-found", "diagnostics": "No free slots",
                             "details": {"coding": [{"system": "https://fhir.nhs.uk/STU3/CodeSystem/Spine-ErrorOrWarningCode-1",
                                                     "code": "NO_RECORD_FOUND", "display": "No record found"}]}}]}


behaviour("busy_slot_returned", "SLOT-FREE-01", "busy slots are returned as well as free ones")
behaviour("search_start_rounded_up", "SLOT-COMPLETE-01",
          "a date-time start is read as the next whole hour: the slots between it and that hour are left out")
behaviour("search_drops_last_day", "SLOT-COMPLETE-01",
          "a search of more than a day leaves out its last day, which a search of that day alone offers")
behaviour("search_start_floored", "SLOT-WINDOW-01",
          "a date-time start is read as midnight of its day: a day's slots before it are returned too")
behaviour("slot_outside_window", "SLOT-WINDOW-01", "slots that only overlap the window are returned")
behaviour("searchfilter_drops_open_slots", "SLOT-FILTER-01",
          "with a searchFilter, open slots of a schedule that also has restricted slots are withheld")
rule_off("search_window_unlimited", "SLOT-PARAM-01", "a search window over 14 days is answered with slots")
rule_off("search_end_before_start", "SLOT-PARAM-02", "a window that ends before it starts is answered with slots")
rule_off("search_status_any", "SLOT-PARAM-03", "a status other than free is accepted")
rule_off("search_missing_params", "SLOT-PARAM-04", "a search without start, end or status is answered with slots")


@rewrite("search_missing_param_wrong_code", "SLOT-PARAM-04-CODE",
         "a search without start, end or status gives 422 INVALID_PARAMETER instead of 400 BAD_REQUEST", SEARCH)
def _(a: Answer) -> None:
    if a.status != 400 or not isinstance(a.body, dict) or a.body.get("resourceType") != "OperationOutcome":
        return
    issue = a.body["issue"][0]
    if "Missing required search parameter" in (issue.get("diagnostics") or ""):
        a.status = 422
        issue["details"]["coding"][0].update(code="INVALID_PARAMETER", display="Submitted parameter is not valid.")


behaviour("search_wrong_error_code", "SLOT-PARAM-01-CODE", "an over-long window gives 400 BAD_REQUEST instead of 422")


def _as_bad_request(a: Answer, diagnostics: str) -> None:
    """A 422 refusal whose diagnostics mention `diagnostics` becomes 400 BAD_REQUEST: refused all the
    same, with another status and code than NHS's suite expects."""
    if a.status != 422 or not isinstance(a.body, dict) or a.body.get("resourceType") != "OperationOutcome":
        return
    issue = a.body["issue"][0]
    if diagnostics not in (issue.get("diagnostics") or ""):
        return
    a.status = 400
    issue["code"] = "invalid"
    issue["details"]["coding"][0].update(code="BAD_REQUEST", display="Bad request")


@rewrite("search_status_wrong_code", "SLOT-PARAM-03-CODE",
         "a status other than free gives 400 BAD_REQUEST instead of 422", SEARCH)
def _(a: Answer) -> None:
    _as_bad_request(a, "status must be free")
rule_off("search_prefix_unchecked", "SLOT-PARAM-06", "a start or end prefix other than ge and le is read as ge and le")
rule_off("search_bad_date_ignored", "SLOT-PARAM-07", "a start or end that is not a date is read as the default window")
behaviour("include_organization_refused", "SLOT-INCLUDE-01",
          "_include:recurse=Location:managingOrganization is refused")
behaviour("unknown_searchfilter_refused", "SLOT-FILTER-02", "a searchFilter of an unknown system is refused")
behaviour("search_fourteen_days_refused", "SLOT-SEARCH-01", "a window of exactly 14 days is refused as too long")
behaviour("search_mixed_formats_refused", "SLOT-SEARCH-01",
          "a start and an end written in different formats (a date and a date-time) are refused")
behaviour("searchfilter_restrictions_ignored", "SLOT-FILTER-03",
          "restricted slots are offered to every consumer, with a searchFilter or without: only the practice's "
          "declaration of its restricted slots shows it")
behaviour("searchfilter_type_ignored", "SLOT-FILTER-03",
          "slots restricted to an organisation type are offered to any consumer that sends a searchFilter")

rule_off("search_schedule_include_optional", "SLOT-PARAM-05", "a search without _include=Slot:schedule is answered")
behaviour("search_includes_everything", "SLOT-INCLUDE-02",
          "Practitioners and Locations are returned whether or not their _include was sent")


@rewrite("search_bundle_collection", "SLOT-SEARCH-01", "a slot search answers a Bundle of type collection", SEARCH)
def _(a: Answer) -> None:
    if isinstance(a.body, dict) and a.body.get("resourceType") == "Bundle":
        a.body["type"] = "collection"


# What each returned resource holds.

@rewrite("include_location_dropped", "SLOT-INCLUDE-03",
         "with _include:recurse=Schedule:actor:Location the Locations are left out of the Bundle", SEARCH)
def _(a: Answer) -> None:
    if ("Schedule:actor:Location" in a.includes() and isinstance(a.body, dict)
            and a.body.get("resourceType") == "Bundle"):
        a.body["entry"] = [e for e in a.body.get("entry") or [] if e["resource"].get("resourceType") != "Location"]


@rewrite("schedule_without_location", "SLOT-SCHEDLOC-01",
         "Schedules with a Practitioner reference no Location among their actors", SEARCH)
def _(a: Answer) -> None:
    for schedule in a.of_type("Schedule"):
        actors = [x for x in schedule.get("actor") or [] if not x.get("reference", "").startswith("Location/")]
        if actors:
            schedule["actor"] = actors


@rewrite("organization_without_id", "SLOT-ID-01", "the Organization of a slot search has no logical id", SEARCH)
def _(a: Answer) -> None:
    for org in a.of_type("Organization"):
        org.pop("id", None)


@rewrite("slot_two_identifiers", "SLOT-IDENT-01", "every returned Slot carries a second identifier", SEARCH)
def _(a: Answer) -> None:
    for slot in a.of_type("Slot"):
        slot.setdefault("identifier", []).append({"system": "https://riverside-practice.invalid/Id/slot-legacy",
                                                  "value": f"L-{slot.get('id')}"})


@rewrite("schedule_role_missing", "SLOT-SCHEDROLE-01",
         "a Schedule no Practitioner acts on carries no practitioner role extension", SEARCH)
def _(a: Answer) -> None:
    for schedule in a.of_type("Schedule"):
        if not any(x.get("reference", "").startswith("Practitioner/") for x in schedule.get("actor") or []):
            schedule["extension"] = [e for e in schedule.get("extension") or []
                                     if not e.get("url", "").endswith("Extension-GPConnect-PractitionerRole-1")]


@rewrite("practitioner_birth_date", "SLOT-PRACT-01", "every returned Practitioner carries a birthDate", SEARCH)
def _(a: Answer) -> None:
    for practitioner in a.of_type("Practitioner"):
        practitioner["birthDate"] = "1975-06-01"


@rewrite("practitioner_local_identifier", "SLOT-PRACT-02",
         "every returned Practitioner carries an identifier of the practice's own system", SEARCH)
def _(a: Answer) -> None:
    for practitioner in a.of_type("Practitioner"):
        practitioner.setdefault("identifier", []).append(
            {"system": "https://riverside-practice.invalid/Id/staff", "value": f"STAFF-{practitioner.get('id')}"})


@rewrite("location_without_address", "SLOT-LOC-01", "every returned Location has no address", SEARCH)
def _(a: Answer) -> None:
    for location in a.of_type("Location"):
        location.pop("address", None)


@rewrite("location_type_without_display", "SLOT-LOC-02",
         "every returned Location carries a type coding without a display", SEARCH)
def _(a: Answer) -> None:
    for location in a.of_type("Location"):
        location["type"] = {"coding": [{"system": "http://hl7.org/fhir/v3/RoleCode", "code": "GACH"}]}


@rewrite("organization_two_ods_codes", "SLOT-ORG-02", "the Organization carries two ODS codes", SEARCH)
def _(a: Answer) -> None:
    for org in a.of_type("Organization"):
        org.setdefault("identifier", []).append({"system": "https://fhir.nhs.uk/Id/ods-organization-code",
                                                 "value": "Y99999"})


@rewrite("organization_read_not_found", "SLOT-LOC-03",
         "Read Organisation answers 404 for the organisation managing the practice's locations",
         URN + "read:organization-1")
def _(a: Answer) -> None:
    if a.status == 200 and isinstance(a.body, dict) and a.body.get("resourceType") == "Organization":
        a.status = 404
        a.body = {"resourceType": "OperationOutcome",
                  "meta": {"profile": ["https://fhir.nhs.uk/STU3/StructureDefinition/GPConnect-OperationOutcome-1"]},
                  "issue": [{"severity": "error", "code": "not-found", "diagnostics": "No Organization",
                             "details": {"coding": [{"system": "https://fhir.nhs.uk/STU3/CodeSystem/Spine-ErrorOrWarningCode-1",
                                                     "code": "NO_RECORD_FOUND", "display": "No record found"}]}}]}


@rewrite("organization_identifier_without_system", "SLOT-ORG-03",
         "the Organization carries an identifier without a system", SEARCH)
def _(a: Answer) -> None:
    for org in a.of_type("Organization"):
        org.setdefault("identifier", []).append({"value": "RIVERSIDE-1"})


# ---------------------------------------------------------------- book an appointment


@rewrite("book_no_location", "BOOK-01", "a booking is answered without a Location header", BOOK)
def _(a: Answer) -> None:
    a.headers.pop("Location", None)


behaviour("book_wrong_slot_type", "BOOK-TYPE-01", "the appointment's slot type is not the booked slot's")
behaviour("book_no_schedule_type", "BOOK-SCHEDTYPE-01", "the appointment leaves out its schedule's schedule type")
behaviour("book_consumer_types_kept", "BOOK-IGNORE-01", "the consumer's serviceType and serviceCategory are stored")
behaviour("book_multi_first_slot_only", "BOOK-MULTI-01", "a multi-slot appointment lists only its first slot")
rule_off("book_accepts_gap", "BOOK-MULTI-ADJ-01", "slots with a gap between them are booked together")
rule_off("book_accepts_mixed_schedules", "BOOK-MULTI-SCHED-01",
         "adjacent slots of different schedules are booked together")
rule_off("book_accepts_mixed_channels", "BOOK-MULTI-CHANNEL-01",
         "adjacent slots of different delivery channels are booked together")
rule_off("book_accepts_mixed_types", "BOOK-MULTI-TYPE-01", "adjacent slots of different slot types are booked together")
behaviour("book_half_refused", "BOOK-ATOMIC-01", "a refused multi-slot booking still makes its first slot busy")
rule_off("book_duplicate_allowed", "BOOK-DUP-01", "a slot already booked is booked again")
behaviour("book_free_check_first_slot_only", "BOOK-DUP-01",
          "only a booking's first slot is checked for being free: a busy second or third slot is booked again")
behaviour("book_multi_rules_first_pair_only", "BOOK-MULTI-ADJ-01",
          "the multi-slot rules are checked only between the first two slots: a third after a gap, or of another "
          "schedule, channel or slot type, is booked with them")
behaviour("book_race", "BOOK-RACE-01", "two simultaneous bookings of one slot both succeed")
rule_off("book_ignores_start_end", "BOOK-STARTEND-01",
         "a booking whose start or end differs from its slots is accepted")
behaviour("book_drops_booking_org", "BOOK-ORG-01", "the booking organisation is not stored")
behaviour("book_truncates_comment", "BOOK-TEXT-01", "the comment is cut to 50 characters")
rule_off("book_reason_accepted", "BOOK-NOREASON-01", "a booking carrying reason or specialty is accepted")
rule_off("book_identifier_unchecked", "BOOK-VALID-01",
         "a booking with an identifier without a value is accepted, the identifier dropped")
behaviour("book_bad_slot_reference_500", "BOOK-SLOTREF-01",
          "a slot reference that is no local Slot reference gives 500")
rule_off("book_location_optional", "BOOK-LOCATION-01", "a booking without the Location participant is accepted")
behaviour("book_requires_practitioner", "BOOK-OPTIONAL-01",
          "a booking without a practitioner participant is refused with 422 INVALID_RESOURCE")
behaviour("unknown_path_plain", "BOOK-URL-01", "a request to a path that is no endpoint gets a plain-text 404")


@rewrite("book_default_comment", "BOOK-TEXT-01", "a booking sent without a comment is answered with one", BOOK)
def _(a: Answer) -> None:
    for appointment in a.of_type("Appointment"):
        appointment.setdefault("comment", "No comment given")


@rewrite("book_invalid_wrong_code", "BOOK-VALID-01-CODE",
         "a booking without a required element gives 400 BAD_REQUEST instead of 422 INVALID_RESOURCE", BOOK)
def _(a: Answer) -> None:
    _as_bad_request(a, " is required")


@rewrite("book_reason_wrong_code", "BOOK-NOREASON-01-CODE",
         "a booking carrying reason or specialty gives 400 BAD_REQUEST instead of 422 INVALID_RESOURCE", BOOK)
def _(a: Answer) -> None:
    _as_bad_request(a, "reason and specialty must not be sent")

# ---------------------------------------------------------------- retrieve a patient's appointments


@rewrite("retrieve_drops_types", "RETR-TYPE-01", "retrieved appointments have no serviceType", RETRIEVE)
def _(a: Answer) -> None:
    for appointment in a.of_type("Appointment"):
        appointment.pop("serviceType", None)


@rewrite("retrieve_stale_text", "RETR-STATE-01", "retrieved appointments show a description other than the stored one",
         RETRIEVE)
def _(a: Answer) -> None:
    for appointment in a.of_type("Appointment"):
        appointment["description"] = (appointment.get("description") or "") + " (as first booked)"


@rewrite("retrieve_drops_cancelled", "RETR-CANCELLED-01", "cancelled appointments are left out", RETRIEVE)
def _(a: Answer) -> None:
    if isinstance(a.body, dict) and a.body.get("resourceType") == "Bundle":
        a.body["entry"] = [e for e in a.body.get("entry") or [] if e["resource"].get("status") != "cancelled"]


rule_off("retrieve_accepts_past", "RETR-PARAM-01", "a date range starting in the past is accepted")
behaviour("retrieve_sort_refused", "FND-PARAM-01", "a retrieve that also sends _sort=date is refused")


@rewrite("retrieve_empty_not_found", "RETR-EMPTY-01",
         "a retrieve finding no appointment is answered 404 NO_RECORD_FOUND", RETRIEVE)
def _(a: Answer) -> None:
    if a.status == 200 and isinstance(a.body, dict) and not a.of_type("Appointment"):
        a.status = 404
        a.body = {"resourceType": "OperationOutcome",
                  "meta": {"profile": ["https://fhir.nhs.uk/STU3/StructureDefinition/GPConnect-OperationOutcome-1"]},
                  "issue": [{"severity": "error", "code": "not-found", "diagnostics": "No appointments",
                             "details": {"coding": [{"system": "https://fhir.nhs.uk/STU3/CodeSystem/Spine-ErrorOrWarningCode-1",
                                                     "code": "NO_RECORD_FOUND", "display": "No record found"}]}}]}

behaviour("retrieve_unknown_patient_empty", "RETR-404-01", "an unknown patient gives an empty Bundle, not 404")

# ---------------------------------------------------------------- read an appointment


@rewrite("read_drops_types", "READ-TYPE-01", "a read appointment has no serviceCategory", READ)
def _(a: Answer) -> None:
    for appointment in a.of_type("Appointment"):
        appointment.pop("serviceCategory", None)


@rewrite("read_stale_etag", "READ-ETAG-01", "the ETag names the previous version, not meta.versionId", READ)
def _(a: Answer) -> None:
    version = ((a.body or {}).get("meta") or {}).get("versionId") if isinstance(a.body, dict) else None
    if a.status == 200 and version:
        a.headers["ETag"] = f'W/"{int(version) - 1}"'


behaviour("read_unknown_ok", "READ-404-01", "an unknown appointment id gives 200")
behaviour("read_malformed_id_refused", "READ-404-01",
          "an appointment id that is not a number is refused with 400 BAD_REQUEST instead of 404")
behaviour("read_empty_id_searched", "READ-404-02",
          "a read without an id (GET Appointment/) is answered 200 with an empty searchset Bundle")
behaviour("booking_org_from_jwt", "READ-ORG-01",
          "the booking organisation is stored with the ODS code of the JWT's requesting_organization, not the one sent")

# ---------------------------------------------------------------- amend and cancel


@rewrite("etag_unweakened", "FND-ETAG-01", "book, amend and cancel answer the ETag \"<versionId>\" without W/",
         BOOK, AMEND, CANCEL)
def _(a: Answer) -> None:
    if a.headers.get("ETag", "").startswith("W/"):
        a.headers["ETag"] = a.headers["ETag"][2:]


behaviour("amend_keeps_version", "AMEND-01", "an amendment keeps the old versionId")
behaviour("amend_drops_category", "AMEND-01", "an amendment drops serviceCategory")
rule_off("amend_accepts_type_change", "AMEND-TYPES-01", "an amendment may change slot type or schedule type")
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
    _as_bad_request(a, "Only status and the cancellation reason may change")


@rewrite("cancel_reason_wrong_code", "CANCEL-REASON-01-CODE",
         "a cancellation with an empty reason gives 400 BAD_REQUEST instead of 422 INVALID_PARAMETER", CANCEL)
def _(a: Answer) -> None:
    _as_bad_request(a, "A cancellation reason is required")


@rewrite("cancel_participants_declined", "CANCEL-KEEP-01",
         "a cancelled appointment is answered with every participant declined", CANCEL)
def _(a: Answer) -> None:
    for appointment in a.of_type("Appointment"):
        for participant in appointment.get("participant") or []:
            participant["status"] = "declined"


@rewrite("read_drops_identifiers", "READ-IDENT-01", "a read appointment has lost its business identifiers", READ)
def _(a: Answer) -> None:
    for appointment in a.of_type("Appointment"):
        appointment.pop("identifier", None)


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
    if a.status == 409 and isinstance(a.body, dict) and a.body.get("resourceType") == "OperationOutcome":
        a.body["issue"][0]["details"]["coding"][0].update(code="CONFLICTING_VALUES", display="Conflicting values")

# ---------------------------------------------------------------- lifecycles: shown only by a sequence of operations
# No scenario arranges these sequences; gpc-assure explore finds each (the fault matrix runs it for them).

behaviour("amend_twice_drops_schedule_type", "AMEND-01", "an appointment amended a second time loses its schedule type",
          shown_by="explore")
behaviour("amend_multi_keeps_first_slot", "AMEND-OTHER-01",
          "an amended multi-slot appointment keeps only its first slot", shown_by="explore")
behaviour("freed_slot_changes_type", "SLOT-TYPE-01",
          "a slot freed by a cancellation is offered again with another slot type", shown_by="explore")
behaviour("cancelled_amend_repeats_version", "AMEND-CANCELLED-01",
          "a refused amendment of a cancelled appointment sets its version back, so a version number repeats",
          shown_by="explore")
behaviour("retrieve_other_patients", "RETR-DATES-01",
          "a retrieve also returns other patients' appointments on the days asked", shown_by="explore")

# ---------------------------------------------------------------- foundations on every interaction

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
    for slot in a.of_type("Slot"):
        slot["serviceCategory"] = {"text": "General practice"}


@rewrite("bad_delivery_channel_code", "FND-PROFILE-01", "delivery channel code 'Face-to-face' is outside its value set")
def _(a: Answer) -> None:
    for resource in a.of_type("Slot") + a.of_type("Appointment"):
        for ext in resource.get("extension") or []:
            if ext.get("url") == EXT_DELIVERY_CHANNEL:
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
    for outcome in a.of_type("OperationOutcome"):
        for issue in outcome.get("issue") or []:
            for coding in issue["details"]["coding"]:
                coding["system"] = "https://fhir.nhs.uk/STU3/ValueSet/Spine-ErrorOrWarningCode-1"


@rewrite("oo_two_codings", "ERR-OO-02", "OperationOutcome issues carry a second coding beside the Spine code")
def _(a: Answer) -> None:
    for outcome in a.of_type("OperationOutcome"):
        for issue in outcome.get("issue") or []:
            issue["details"]["coding"].append({"system": "https://provider.invalid/error-codes", "code": "E42",
                                               "display": "Local error"})


@rewrite("oo_no_display", "ERR-OO-02", "OperationOutcome Spine codings have no display")
def _(a: Answer) -> None:
    for outcome in a.of_type("OperationOutcome"):
        for issue in outcome.get("issue") or []:
            for coding in issue["details"]["coding"]:
                coding.pop("display", None)


@rewrite("oo_severity_warning", "ERR-OO-03", "OperationOutcome issues have severity warning, not error")
def _(a: Answer) -> None:
    for outcome in a.of_type("OperationOutcome"):
        for issue in outcome.get("issue") or []:
            issue["severity"] = "warning"


@rewrite("oo_422_no_diagnostics", "ERR-OO-05", "422 OperationOutcomes carry no diagnostics")
def _(a: Answer) -> None:
    if a.status == 422:
        for outcome in a.of_type("OperationOutcome"):
            for issue in outcome.get("issue") or []:
                issue.pop("diagnostics", None)


@rewrite("oo_no_profile", "ERR-OO-04", "OperationOutcomes carry no meta.profile")
def _(a: Answer) -> None:
    for outcome in a.of_type("OperationOutcome"):
        outcome.pop("meta", None)


@rewrite("fullurl_populated", "FND-FULLURL-01", "Bundle entries carry fullUrl")
def _(a: Answer) -> None:
    if isinstance(a.body, dict) and a.body.get("resourceType") == "Bundle":
        for entry in a.body.get("entry") or []:
            entry["fullUrl"] = f"{entry['resource']['resourceType']}/{entry['resource'].get('id')}"


@rewrite("capability_old_version", "FND-CAP-01", "the CapabilityStatement says version 1.2.6", METADATA)
def _(a: Answer) -> None:
    if isinstance(a.body, dict) and a.body.get("resourceType") == "CapabilityStatement":
        a.body["version"] = "1.2.6"


@rewrite("capability_appointment_no_update", "FND-CAP-02",
         "the CapabilityStatement's Appointment resource lists no update interaction", METADATA)
def _(a: Answer) -> None:
    if isinstance(a.body, dict) and a.body.get("resourceType") == "CapabilityStatement":
        for rest in a.body.get("rest") or []:
            for resource in rest.get("resource") or []:
                if resource.get("type") == "Appointment":
                    resource["interaction"] = [i for i in resource.get("interaction") or []
                                               if i.get("code") != "update"]

# ---------------------------------------------------------------- what the run's model of its appointments sees

EXT_PRACTITIONER_ROLE = "https://fhir.nhs.uk/STU3/StructureDefinition/Extension-GPConnect-PractitionerRole-1"


def _multi_slot(a: Answer) -> list[dict]:
    return [r for r in a.of_type("Appointment") if len(r.get("slot") or []) > 1]


@rewrite("read_multi_slot_type_dropped", "READ-TYPE-01", "a read multi-slot appointment has no serviceType", READ)
def _(a: Answer) -> None:
    for appointment in _multi_slot(a):
        appointment.pop("serviceType", None)


@rewrite("read_multi_schedule_type_dropped", "READ-TYPE-01",
         "a read multi-slot appointment has no serviceCategory", READ)
def _(a: Answer) -> None:
    for appointment in _multi_slot(a):
        appointment.pop("serviceCategory", None)


@rewrite("read_multi_end_first_slot", "READ-STATE-01", "a read multi-slot appointment ends with its first slot", READ)
def _(a: Answer) -> None:
    for appointment in _multi_slot(a):
        start, end = datetime.fromisoformat(appointment["start"]), datetime.fromisoformat(appointment["end"])
        appointment["end"] = (start + (end - start) / len(appointment["slot"])).isoformat(timespec="seconds")


@rewrite("retrieve_multi_slot_type_changed", "RETR-TYPE-01",
         "a retrieved multi-slot appointment has another slot type", RETRIEVE)
def _(a: Answer) -> None:
    for appointment in _multi_slot(a):
        appointment["serviceType"] = [{"text": "Extended Appointment"}]


@rewrite("retrieve_drops_multi_slot", "RETR-BOOKED-01", "multi-slot appointments are left out of retrieve", RETRIEVE)
def _(a: Answer) -> None:
    if isinstance(a.body, dict) and a.body.get("resourceType") == "Bundle":
        a.body["entry"] = [e for e in a.body.get("entry") or [] if len(e["resource"].get("slot") or []) < 2]


@rewrite("retrieve_adds_other_patient", "RETR-DATES-01", "retrieve also returns an appointment of another patient",
         RETRIEVE)
def _(a: Answer) -> None:
    appointments = a.of_type("Appointment")
    if appointments:
        other = json.loads(json.dumps(appointments[0]))
        other["id"] = str(900000 + int(other["id"])) if str(other.get("id")).isdigit() else "other-" + other["id"]
        for participant in other.get("participant") or []:
            if (participant.get("actor") or {}).get("reference", "").startswith("Patient/"):
                participant["actor"]["reference"] = "Patient/999"
        a.body["entry"].append({"resource": other})


@rewrite("read_slot_type_blank", "READ-TYPE-01", "a read appointment's slot type is only spaces", READ)
def _(a: Answer) -> None:
    for appointment in a.of_type("Appointment"):
        appointment["serviceType"] = [{"text": "  "}]


@rewrite("book_slot_type_padded", "BOOK-TYPE-01", "the booked appointment's slot type has surrounding spaces", BOOK)
def _(a: Answer) -> None:
    for appointment in a.of_type("Appointment"):
        for concept in appointment.get("serviceType") or []:
            concept["text"] = f" {concept.get('text', '')} "


@rewrite("book_no_delivery_channel", "BOOK-FIELDS-01", "the booked appointment has no delivery channel", BOOK)
def _(a: Answer) -> None:
    for appointment in a.of_type("Appointment"):
        appointment["extension"] = [e for e in appointment.get("extension") or []
                                    if e.get("url") != EXT_DELIVERY_CHANNEL]


@rewrite("book_no_practitioner_role", "BOOK-FIELDS-01", "the booked appointment has no practitioner role", BOOK)
def _(a: Answer) -> None:
    for appointment in a.of_type("Appointment"):
        appointment["extension"] = [e for e in appointment.get("extension") or []
                                    if e.get("url") != EXT_PRACTITIONER_ROLE]


@rewrite("book_location_other_appointment", "BOOK-01", "the 201's Location names another appointment", BOOK)
def _(a: Answer) -> None:
    location = a.headers.get("Location")
    if a.status == 201 and location and isinstance(a.body, dict):
        a.headers["Location"] = location.replace(f"/Appointment/{a.body['id']}/", f"/Appointment/{a.body['id']}0/")


@rewrite("read_reason", "APPT-NOREASON-01", "a read appointment carries a reason", READ)
def _(a: Answer) -> None:
    for appointment in a.of_type("Appointment"):
        appointment["reason"] = [{"text": "Persistent cough"}]


@rewrite("appointment_specialty", "APPT-NOREASON-01",
         "appointments retrieved, amended or cancelled carry a specialty", RETRIEVE, AMEND, CANCEL)
def _(a: Answer) -> None:
    for appointment in a.of_type("Appointment"):
        appointment["specialty"] = [{"text": "General practice"}]


@rewrite("retrieved_appointment_without_id", "APPT-ID-01", "retrieved appointments have no logical id", RETRIEVE)
def _(a: Answer) -> None:
    for appointment in a.of_type("Appointment"):
        appointment.pop("id", None)


@rewrite("appointment_created_dropped", "APPT-CREATED-01", "read and retrieved appointments have no created",
         READ, RETRIEVE)
def _(a: Answer) -> None:
    for appointment in a.of_type("Appointment"):
        appointment.pop("created", None)


@rewrite("read_appointment_last_week", "APPT-FUTURE-01", "a read answers with the appointment moved a week back",
         READ)
def _(a: Answer) -> None:
    for appointment in a.of_type("Appointment"):
        for element in ("start", "end"):
            when = datetime.fromisoformat(appointment[element])
            appointment[element] = (when - timedelta(days=7)).isoformat()


@rewrite("booking_org_telecom_dropped", "APPT-ORG-01",
         "read and retrieved appointments' booking organisation has no telecom", READ, RETRIEVE)
def _(a: Answer) -> None:
    for appointment in a.of_type("Appointment"):
        for contained in appointment.get("contained") or []:
            contained.pop("telecom", None)


@rewrite("participant_type_two_codings", "APPT-PARTICIPANT-01",
         "every returned appointment's patient participant has a type of two codings", BOOK, READ, RETRIEVE, AMEND,
         CANCEL)
def _(a: Answer) -> None:
    for appointment in a.of_type("Appointment"):
        for participant in appointment.get("participant") or []:
            if str((participant.get("actor") or {}).get("reference", "")).startswith("Patient/"):
                participant["type"] = [{"coding": [
                    {"system": "http://hl7.org/fhir/v3/ParticipationType", "code": "PART", "display": "Participation"},
                    {"system": "http://hl7.org/fhir/v3/ParticipationType", "code": "SBJ", "display": "subject"}]}]


@rewrite("location_read_not_found", "APPT-READBACK-01", "Read Location answers 404 for the practice's locations",
         READ_LOCATION)
def _(a: Answer) -> None:
    if a.status == 200:
        a.status = 404
        a.headers.pop("ETag", None)
        a.body = {"resourceType": "OperationOutcome",
                  "meta": {"profile": ["https://fhir.nhs.uk/STU3/StructureDefinition/GPConnect-OperationOutcome-1"]},
                  "issue": [{"severity": "error", "code": "not-found", "diagnostics": "No such location",
                             "details": {"coding": [{
                                 "system": "https://fhir.nhs.uk/STU3/CodeSystem/Spine-ErrorOrWarningCode-1",
                                 "code": "NO_RECORD_FOUND", "display": "No record found"}]}}]}


@rewrite("read_priority_out_of_range", "APPT-PRIORITY-01", "a read appointment has priority 12", READ)
def _(a: Answer) -> None:
    for appointment in a.of_type("Appointment"):
        appointment["priority"] = 12


@rewrite("appointment_two_profiles", "FND-META-02",
         "read, amended and cancelled appointments name a second profile in meta.profile", READ, AMEND, CANCEL)
def _(a: Answer) -> None:
    for appointment in a.of_type("Appointment"):
        appointment.setdefault("meta", {}).setdefault("profile", []).append(
            "https://fhir.hl7.org.uk/STU3/StructureDefinition/CareConnect-Appointment-1")


@rewrite("read_old_version_after_amend", "READ-ETAG-01",
         "a read after an amendment answers with the version before it, ETag and meta alike", READ)
def _(a: Answer) -> None:
    version = ((a.body or {}).get("meta") or {}).get("versionId") if isinstance(a.body, dict) else None
    if a.status == 200 and version and int(version) > 1:
        a.body["meta"]["versionId"] = str(int(version) - 1)
        a.headers["ETag"] = f'W/"{int(version) - 1}"'


@rewrite("slot_schedule_not_in_bundle", "SLOT-SCHEDREF-01", "one Slot references a Schedule not in the Bundle", SEARCH)
def _(a: Answer) -> None:
    if a.of_type("Slot"):
        _middle(a.of_type("Slot"))["schedule"] = {"reference": "Schedule/999"}


@rewrite("slot_type_only_with_every_include", "SLOT-TYPE-01",
         "Slots carry their slot type only when every include is asked for", SEARCH)
def _(a: Answer) -> None:
    every = {"Schedule:actor:Practitioner", "Schedule:actor:Location", "Location:managingOrganization"}
    if not every <= a.includes():
        for slot in a.of_type("Slot"):
            slot.pop("serviceType", None)


behaviour("amend_store_drops_schedule_type", "READ-TYPE-01",
          "an amendment is answered with the schedule type but stored without it")
behaviour("cancel_store_drops_slot_type", "RETR-TYPE-01",
          "a cancellation is answered with the slot type but stored without it")
behaviour("untyped_schedule_typed", "BOOK-SCHEDTYPE-01",
          "an appointment on a schedule without a schedule type is given one")
behaviour("retrieve_ignores_dates", "RETR-DATES-01", "retrieve returns the patient's appointments on any date")
behaviour("amend_requires_types", "AMEND-COMPAT-01",
          "an amendment that leaves out the slot type and schedule type is refused as a change of type")
rule_off("amend_accepts_other_changes", "AMEND-OTHER-01",
         "an amendment may change start, end, participant and other fields too")
rule_off("cancel_accepts_comment_change", "CANCEL-OTHER-01", "a cancellation may change the comment too")
behaviour("comment_truncated_100", "BOOK-TEXT-01", "the comment is stored cut to 100 characters")
