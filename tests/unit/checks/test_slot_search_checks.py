"""Slot-search checks on hand-made Bundles: each rule fails when broken, and holds for any conformant shape."""

from datetime import date, datetime, time

import pytest

from harness.checks import search_filters as filters
from harness.checks import slot_search as search_checks
from harness.checks.violations import fail_if_any
from harness.consumer import slot_search as ss
from harness.errors import Nonconformance
from harness.spec.constants import ODS_SYSTEM, UK
from harness.transport import fhir


def messages(violations):
    return [v.message for v in violations]


def slot(sid, start, end, schedule="Schedule/s-1", status="free", slot_type="GP Appointment", **extra):
    res = {"resourceType": "Slot", "id": sid, "schedule": {"reference": schedule}, "status": status,
           "start": start, "end": end, **extra}
    if slot_type is not None:
        res["serviceType"] = [{"text": slot_type}]
    return res


def schedule(sid, actors=("Location/loc-a",), category="Morning surgery", **extra):
    res = {"resourceType": "Schedule", "id": sid, "actor": [{"reference": a} for a in actors], **extra}
    if category is not None:
        res["serviceCategory"] = {"text": category}
    return res


def location(lid, org="Organization/org-9"):
    return {"resourceType": "Location", "id": lid, "name": "Site", "managingOrganization": {"reference": org}}


def organization(oid, ods="A99901"):
    return {"resourceType": "Organization", "id": oid, "name": "Practice",
            "identifier": [{"system": ODS_SYSTEM, "value": ods}]}


def index(*resources, full_url=False):
    entries = []
    for r in resources:
        entry = {"resource": r}
        if full_url:
            entry["fullUrl"] = f"https://elsewhere.example/fhir/{r['resourceType']}/{r['id']}"
        entries.append(entry)
    return fhir.BundleIndex(fhir.parse({"resourceType": "Bundle", "type": "searchset", "entry": entries}, "test"))


S1 = slot("slot-b", "2026-12-01T10:00:00+00:00", "2026-12-01T10:10:00+00:00")
SCHED = schedule("s-1")
LOC = location("loc-a")
ORG = organization("org-9")


def test_conformant_bundle_in_any_order_with_absolute_references_passes():
    abs_slot = slot("x9", "2026-12-01T10:10:00+00:00", "2026-12-01T10:20:00+00:00",
                    schedule="https://provider.example/A1/STU3/1/gpconnect/Schedule/s-1")
    idx = index(ORG, LOC, abs_slot, SCHED, S1, full_url=True)
    assert search_checks.unreferenced_resources(idx, "A99901") == []
    assert search_checks.organization_violations(idx) == []
    assert search_checks.slots_without_type(idx.of_type("Slot")) == []


def test_schedule_without_practitioner_is_fine():
    idx = index(S1, schedule("s-1", actors=("Location/loc-a",)), LOC, ORG)
    assert search_checks.unreferenced_resources(idx, "A99901") == []


def test_every_slot_without_a_type_is_listed():
    idx = index(S1, slot("n1", "2026-12-01T11:00:00+00:00", "2026-12-01T11:10:00+00:00", slot_type=None),
                slot("n2", "2026-12-01T11:10:00+00:00", "2026-12-01T11:20:00+00:00", slot_type="  "))
    violations = search_checks.slots_without_type(idx.of_type("Slot"))
    assert [v.resource for v in violations] == ["Slot n1", "Slot n2"]
    assert {(v.requirements, v.element, v.got) for v in violations} == {
        (("SLOT-TYPE-01",), "Slot.serviceType[*].text", "empty")}
    with pytest.raises(Nonconformance, match=r"^2 violations of SLOT-TYPE-01: Slot n1 has no slot type: "
                                             r"Slot.serviceType\[\*\].text is empty; "
                                             r"Slot n2 .* \(GET .../Slot\)$") as exc:
        fail_if_any(violations, "GET .../Slot")
    assert exc.value.requirements == ("SLOT-TYPE-01",)


@pytest.mark.parametrize("mode,categories,bad", [
    ("all", ["A", None], 1), ("all", ["A", "B"], 0),
    ("some", [None, None], 1), ("some", ["A", None], 0),
    ("none", ["A", None], 1), ("none", [None, None], 0),
])
def test_schedule_types_are_judged_by_the_declared_mode(mode, categories, bad):
    schedules = [fhir.parse(schedule(f"s{i}", category=c), "t") for i, c in enumerate(categories)]
    found = search_checks.schedule_type_violations(schedules, mode)
    assert len(found) == bad
    assert all(v.requirements == ("SLOT-SCHEDTYPE-01",) for v in found)


def test_a_schedule_declared_typed_without_its_schedule_type_is_named_by_id_or_identifier():
    typed = fhir.parse(schedule("s0", identifier=[{"system": "https://p.example/Id", "value": "SCH-30"}]), "t")
    bare = fhir.parse(schedule("s1", category=None, identifier=[{"system": "https://p.example/Id", "value": "SCH-34"}]),
                      "t")
    assert search_checks.declared_type_violations([typed, bare], ("SCH-30",)) == []
    for declared in (("SCH-34",), ("s1",)):
        assert messages(search_checks.declared_type_violations([typed, bare], declared)) == [
            "Schedule s1 has no schedule type (Schedule.serviceCategory.text is empty), though this practice declares "
            "it typed (GPC_TYPED_SCHEDULES)"]


def test_comment_and_specialty_are_found():
    sch = fhir.parse(schedule("s-1", comment="hello"), "t")
    sl = fhir.parse(slot("a", "2026-12-01T10:00:00+00:00", "2026-12-01T10:10:00+00:00",
                         specialty=[{"text": "GP"}]), "t")
    comment, = search_checks.forbidden_element_violations([sch, sl], "comment")
    specialty, = search_checks.forbidden_element_violations([sch, sl], "specialty")
    assert (comment.message, comment.requirements) == ("Schedule s-1 carries Schedule.comment", ("SLOT-NOCOMMENT-01",))
    assert (specialty.message, specialty.requirements) == ("Slot a carries Slot.specialty", ("SLOT-NOSPECIALTY-01",))


def test_window_edges():
    window = ss.Window.times(datetime(2026, 12, 1, 10, 5, tzinfo=UK), datetime(2026, 12, 1, 15, 55, tzinfo=UK))
    inside = fhir.parse(slot("in", "2026-12-01T10:05:00+00:00", "2026-12-01T10:15:00+00:00"), "t")
    straddle = fhir.parse(slot("out", "2026-12-01T10:00:00+00:00", "2026-12-01T10:10:00+00:00"), "t")
    late = fhir.parse(slot("late", "2026-12-01T15:50:00+00:00", "2026-12-01T16:00:00+00:00"), "t")
    outside = search_checks.slots_outside([inside, straddle, late], window)
    assert [v.resource for v in outside] == ["Slot out", "Slot late"]
    assert outside[0].message == ("Slot out runs 2026-12-01T10:00:00+00:00 to 2026-12-01T10:10:00+00:00, outside "
                                  "2026-12-01T10:05:00+00:00 to 2026-12-01T15:55:00+00:00")
    assert outside[0].requirements == ("SLOT-WINDOW-01",)


def test_date_only_end_covers_the_whole_last_day_across_bst():
    window = ss.Window.days(date(2026, 6, 1), date(2026, 6, 2))
    assert window.params() == [("start", "ge2026-06-01"), ("end", "le2026-06-02")]
    last = fhir.parse(slot("z", "2026-06-02T23:50:00+01:00", "2026-06-03T00:00:00+01:00"), "t")
    early = fhir.parse(slot("e", "2026-05-31T23:50:00+01:00", "2026-06-01T00:00:00+01:00"), "t")
    assert [v.resource for v in search_checks.slots_outside([last, early], window)] == ["Slot e"]


def test_datetime_window_is_sent_with_uk_offset():
    window = ss.Window.times(datetime.combine(date(2026, 7, 1), time(10, 5), UK),
                             datetime.combine(date(2026, 7, 2), time(15, 55), UK))
    assert window.params() == [("start", "ge2026-07-01T10:05:00+01:00"), ("end", "le2026-07-02T15:55:00+01:00")]


def test_non_free_slot_is_found():
    busy = fhir.parse(slot("b", "2026-12-01T10:00:00+00:00", "2026-12-01T10:10:00+00:00", status="busy"), "t")
    assert messages(search_checks.non_free_slots([busy])) == ["Slot b has status 'busy'"]
    assert search_checks.non_free_slots([busy])[0].requirements == ("SLOT-FREE-01",)


def test_stray_resources_are_found_but_the_practice_organization_is_allowed_without_location():
    stray_sched = schedule("s-2")
    other_org = organization("org-x", ods="B12345")
    idx = index(S1, SCHED, ORG, stray_sched, other_org, location("loc-z"))
    found = search_checks.unreferenced_resources(idx, "A99901")
    assert {v.requirements for v in found} == {("SLOT-BUNDLE-01",)}
    assert sorted(messages(found)) == ["Location loc-z is not referenced by any returned slot",
                                "Organization org-x is not referenced by any returned slot",
                                "Schedule s-2 is not referenced by any returned slot"]


def test_organization_must_accompany_slots_and_resolve_from_locations():
    assert messages(search_checks.organization_violations(index(S1, SCHED))) == [
        "1 slots returned but no Organization in the Bundle"]
    assert messages(search_checks.organization_violations(index(S1, SCHED, LOC, organization("other")))) == [
        "Location loc-a managingOrganization Organization/org-9 is not in the Bundle"]
    assert search_checks.organization_violations(index()) == []


def test_parse_failure_names_resource_and_field():
    bad = {"resourceType": "Bundle", "type": "searchset",
           "entry": [{"resource": slot("1644", "not-a-time", "2026-12-01T10:10:00+00:00")}]}
    with pytest.raises(Nonconformance, match=r"^Slot 1644 \(entry\[0\]\) does not parse as FHIR STU3: start: "):
        fhir.parse(bad, "GET .../Slot")


def test_an_entry_among_runs_of_entries_parsed_before_is_named_where_this_bundle_has_it():
    good = [{"resource": slot(f"g{i}", "2026-12-01T10:00:00+00:00", "2026-12-01T10:10:00+00:00")} for i in range(300)]
    bad = {"resource": slot("1644", "not-a-time", "2026-12-01T10:10:00+00:00")}
    assert len(fhir.parse({"resourceType": "Bundle", "type": "searchset", "entry": good}, "test").entry) == 300
    for at in (0, 150, 300):
        with pytest.raises(Nonconformance, match=rf"^Slot 1644 \(entry\[{at}\]\) does not parse as FHIR STU3: "):
            fhir.parse({"resourceType": "Bundle", "type": "searchset", "entry": good[:at] + [bad] + good[at:]}, "x")
    unvalidated = good[:200] + [{"resource": []}] + good[200:]  # left to the Bundle's own validation, which names it
    with pytest.raises(Nonconformance, match=r"^the resource of entry\[200\] does not parse as FHIR STU3: "):
        fhir.parse({"resourceType": "Bundle", "type": "searchset", "entry": unvalidated}, "x")


def test_reference_keys():
    assert fhir.ref_key("Slot/12") == ("Slot", "12")
    assert fhir.ref_key("https://p.example/base/Slot/12/_history/3") == ("Slot", "12")
    assert fhir.ref_key("#1") is None


def test_open_slots_withheld_by_a_search_filter_are_listed():
    unfiltered = {("s-1", "2026-12-01T10:00:00+00:00", "2026-12-01T10:10:00+00:00"),
                  ("s-1", "2026-12-01T10:10:00+00:00", "2026-12-01T10:20:00+00:00")}
    filtered = {("s-1", "2026-12-01T10:10:00+00:00", "2026-12-01T10:20:00+00:00")}
    found = filters.withheld_open_slots(unfiltered, filtered)
    assert messages(found) == ["slot on Schedule s-1 2026-12-01T10:00:00+00:00 to 2026-12-01T10:10:00+00:00 is "
                               "offered without a searchFilter but not with one"]
    assert found[0].requirements == ("SLOT-FILTER-01",)
    assert filters.withheld_open_slots(filtered, unfiltered) == []


def test_an_unknown_search_filter_must_change_nothing_either_way():
    a, b = ("s-1", "10:00", "10:10"), ("s-1", "10:10", "10:20")
    assert messages(filters.unknown_filter_differences({a, b}, {b})) == [
        "slot on Schedule s-1 10:00 to 10:10 is not offered once the unknown searchFilter is added"]
    assert messages(filters.unknown_filter_differences({b}, {a, b})) == [
        "slot on Schedule s-1 10:00 to 10:10 is offered only with the unknown searchFilter"]
    assert filters.unknown_filter_differences({a}, {a}) == []


def test_a_parameter_is_replaced_verbatim_in_place():
    params = [("start", "ge2026-12-01"), ("end", "le2026-12-03"), ("status", "free")]
    assert ss.replaced(params, start="lt2026-12-01", end="") == [
        ("start", "lt2026-12-01"), ("end", ""), ("status", "free")]


def test_a_search_with_nothing_free_is_an_empty_searchset(exchange_of):
    from harness.spec import interactions

    def answer(status, body):
        return exchange_of(status, body, interaction=interactions.SEARCH_SLOTS, path="Slot")

    assert search_checks.empty_search_violations(answer(200, {"resourceType": "Bundle", "type": "searchset"})) == []
    slot = {"resourceType": "Slot", "id": "1", "schedule": {"reference": "Schedule/1"}, "status": "free",
            "start": "2026-12-01T03:00:00+00:00", "end": "2026-12-01T03:10:00+00:00"}
    found = search_checks.empty_search_violations(answer(200, {"resourceType": "Bundle", "type": "searchset",
                                                    "entry": [{"resource": slot}]}))
    assert [(v.message, v.requirements) for v in found] == [
        ("a window no slot fits in (03:00 to 03:01) returned 1 Slots", ("SLOT-EMPTY-01",))]
    refused = search_checks.empty_search_violations(answer(404, {"resourceType": "OperationOutcome", "issue": []}))
    assert [v.requirements for v in refused] == [("SLOT-EMPTY-01",)]


def test_a_reference_resolves_to_the_last_resource_of_its_type_and_id_whatever_was_resolved_before():
    first, last = schedule("s-1", category="Early"), schedule("s-1", category="Late")
    later = slot("s-1", "2026-12-01T11:00:00+00:00", "2026-12-01T11:10:00+00:00")
    bundle = index(S1, first, slot("slot-c", "2026-12-01T12:00:00+00:00", "2026-12-01T12:10:00+00:00"), LOC, last,
                   later, ORG)
    assert bundle.resolve("Location/loc-a").id == "loc-a"  # another type resolved first
    assert bundle.resolve("Schedule/s-1").serviceCategory.text == "Late"
    assert bundle.resolve("https://p.example/fhir/Slot/s-1/_history/2").start.hour == 11
    assert bundle.resolve("Slot/slot-b").id == "slot-b" and bundle.resolve("Slot/none") is None
    assert bundle.resolve("Practitioner/s-1") is None and bundle.resolve("#contained") is None
