"""Faults of Search for free slots: which slots and resources a search returns, and how it refuses."""

from __future__ import annotations

import json
import tempfile
from pathlib import Path

from .registry import SEARCH, Answer, as_bad_request, behaviour, recode, rewrite, rule_off


@rewrite("slot_missing_type", "SLOT-TYPE-01", "one returned Slot has no serviceType", SEARCH)
def _(a: Answer) -> None:
    if (slot := a.middle("Slot")) is not None:
        slot.pop("serviceType", None)


@rewrite("slot_type_alternates", "SLOT-TYPE-01",
         "every other start of the provider, one returned Slot has no serviceType (a flaky provider)", SEARCH)
def _(a: Answer) -> None:
    if _this_start_is_odd() and (slot := a.middle("Slot")) is not None:
        slot.pop("serviceType", None)


_STARTS: list[bool] = []


def _this_start_is_odd() -> bool:
    """Counted once a process in a file of the temporary folder: the first start (and every other one after it)
    is odd."""
    if not _STARTS:
        counter = Path(tempfile.gettempdir()) / "gpc-reference-provider-starts"
        count = int(counter.read_text() or 0) + 1 if counter.exists() else 1
        counter.write_text(str(count))
        _STARTS.append(count % 2 == 1)
    return _STARTS[0]


@rewrite("slot_type_blank", "SLOT-TYPE-01", "one returned Slot has a serviceType whose text is empty", SEARCH)
def _(a: Answer) -> None:
    if (slot := a.middle("Slot")) is not None:
        slot["serviceType"] = [{"text": " "}]


@rewrite("schedule_type_dropped", "SLOT-SCHEDTYPE-01", "no Schedule carries its serviceCategory", SEARCH)
def _(a: Answer) -> None:
    a.drop("Schedule", "serviceCategory")


@rewrite("schedule_type_dropped_from_one", "SLOT-SCHEDTYPE-01",
         "the Pharmacy Clinic's Schedule carries no serviceCategory; the others keep theirs", SEARCH)
def _(a: Answer) -> None:
    for schedule in a.of_type("Schedule"):
        if (schedule.get("serviceCategory") or {}).get("text") == "Pharmacy Clinic":
            schedule.pop("serviceCategory", None)


@rewrite("schedule_comment", "SLOT-NOCOMMENT-01", "every Schedule carries a comment", SEARCH)
def _(a: Answer) -> None:
    a.put("Schedule", "comment", "Session notes for reception")


@rewrite("slot_specialty", "SLOT-NOSPECIALTY-01", "every Slot carries a specialty", SEARCH)
def _(a: Answer) -> None:
    a.put("Slot", "specialty", [{"text": "General practice"}])


@rewrite("schedule_specialty", "SLOT-NOSPECIALTY-01", "every Schedule carries a specialty", SEARCH)
def _(a: Answer) -> None:
    a.put("Schedule", "specialty", [{"text": "General practice"}])


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
    a.keep_entries(lambda resource: resource.get("resourceType") != "Organization")


@rewrite("search_error_no_outcome", "ERR-OO-01", "search errors come back as plain text, not an OperationOutcome",
         SEARCH)
def _(a: Answer) -> None:
    if a.status >= 400 and a.is_a("OperationOutcome"):
        a.body = a.body["issue"][0].get("diagnostics", "error")
        a.media_type = "text/plain"


@rewrite("empty_search_not_found", "SLOT-EMPTY-01", "a search with no free slot is answered 404 NO_RECORD_FOUND",
         SEARCH)
def _(a: Answer) -> None:
    if a.status == 200 and isinstance(a.body, dict) and not a.of_type("Slot"):
        a.not_found("No free slots")


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
    recode(a, "Missing required search parameter", 400, 422, "INVALID_PARAMETER")


behaviour("search_wrong_error_code", "SLOT-PARAM-01-CODE", "an over-long window gives 400 BAD_REQUEST instead of 422")


@rewrite("search_status_wrong_code", "SLOT-PARAM-03-CODE",
         "a status other than free gives 400 BAD_REQUEST instead of 422", SEARCH)
def _(a: Answer) -> None:
    as_bad_request(a, "status must be free")


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
    if a.is_a("Bundle"):
        a.body["type"] = "collection"
