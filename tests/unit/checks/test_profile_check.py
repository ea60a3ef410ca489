"""Profile conformance driven by the generated constraint table."""

import copy
import json
import subprocess
import sys

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from harness.checks import profiles as pc
from harness.settings import PROJECT_ROOT


def messages(violations):
    return [v.message for v in violations]


SHARED = PROJECT_ROOT.parent / "shared" / "reference" / "gpconnect-1.2.7"
SLOT = {
    "resourceType": "Slot", "id": "1584",
    "meta": {"versionId": "1", "profile": ["https://fhir.nhs.uk/STU3/StructureDefinition/GPConnect-Slot-1"]},
    "extension": [{"url": "https://fhir.nhs.uk/STU3/StructureDefinition/Extension-GPConnect-DeliveryChannel-2",
                   "valueCode": "In-person"}],
    "identifier": [{"system": "https://example.invalid/slot", "value": "1584"}],
    "serviceType": [{"text": "General GP Appointment"}],
    "schedule": {"reference": "Schedule/14"}, "status": "free",
    "start": "2026-08-15T11:30:00+01:00", "end": "2026-08-15T11:40:00+01:00",
}
OUTCOME = {
    "resourceType": "OperationOutcome",
    "meta": {"profile": ["https://fhir.nhs.uk/STU3/StructureDefinition/GPConnect-OperationOutcome-1"]},
    "issue": [{"severity": "error", "code": "invalid", "details": {"coding": [{
        "system": "https://fhir.nhs.uk/STU3/CodeSystem/Spine-ErrorOrWarningCode-1", "code": "BAD_REQUEST",
        "display": "Bad request"}]}}],
}


def changed(resource, **changes):
    out = copy.deepcopy(resource)
    for key, value in changes.items():
        if value is None:
            out.pop(key, None)
        else:
            out[key] = value
    return out


def test_a_conformant_slot_and_outcome_pass():
    assert pc.resource_violations(SLOT) == [] and pc.meta_violations(SLOT) == []
    assert pc.resource_violations(OUTCOME) == []


@pytest.mark.parametrize("resource,message", [
    (changed(SLOT, serviceCategory={"text": "x"}), "Slot 1584: Slot.serviceCategory must not be populated (max 0)"),
    (changed(SLOT, appointmentType={"text": "x"}), "Slot 1584: Slot.appointmentType must not be populated (max 0)"),
    (changed(SLOT, schedule=None), "Slot 1584: Slot.schedule is required (min 1) but missing"),
    (changed(SLOT, identifier=[{"value": "1"}]), "Slot 1584: Slot.identifier.system is required (min 1) but missing"),
    (changed(SLOT, identifier=[{"system": "s", "value": "1", "use": "usual"}]),
     "Slot 1584: Slot.identifier.use must not be populated (max 0)"),
    (changed(SLOT, extension=[SLOT["extension"][0], SLOT["extension"][0]]),
     "Slot 1584: Slot.extension:deliveryChannel has 2 values, at most 1 allowed"),
    (changed(SLOT, extension=[{"url": SLOT["extension"][0]["url"], "valueCode": "Face-to-face"}]),
     "Slot 1584: extension Extension-GPConnect-DeliveryChannel-2.valueCode code 'Face-to-face' is not in the "
     "extensible binding to https://fhir.nhs.uk/STU3/ValueSet/GPConnect-DeliveryChannel-1"),
    (changed(SLOT, extension=[{"url": "https://fhir.nhs.uk/STU3/StructureDefinition/Extension-GPConnect-DeliveryChannel-1",
                               "valueCode": "In-person"}]),
     "Slot 1584: extension URL 'https://fhir.nhs.uk/STU3/StructureDefinition/Extension-GPConnect-DeliveryChannel-1' "
     "is not defined by its profile"),
])
def test_each_kind_of_slot_violation_is_named(resource, message):
    found = [v for v in pc.resource_violations(resource) if v.message == message]
    assert found and found[0].requirements == ("FND-PROFILE-01",)


def test_outcome_fixed_system_and_single_coding():
    wrong = copy.deepcopy(OUTCOME)
    wrong["issue"][0]["details"]["coding"][0]["system"] = "https://fhir.nhs.uk/STU3/ValueSet/Spine-ErrorOrWarningCode-1"
    assert any("fixed value is 'https://fhir.nhs.uk/STU3/CodeSystem/Spine-ErrorOrWarningCode-1'" in p
               for p in messages(pc.resource_violations(wrong)))
    two = copy.deepcopy(OUTCOME)
    two["issue"][0]["details"]["coding"] *= 2
    assert "OperationOutcome (no id): OperationOutcome.issue.details.coding has 2 values, at most 1 allowed" in \
        messages(pc.resource_violations(two))


def test_organisation_type_and_practitioner_role_bindings():
    org = {"resourceType": "Organization", "id": "7", "name": "X",
           "type": [{"coding": [{"system": "https://fhir.nhs.uk/STU3/CodeSystem/GPConnect-OrganisationType-1",
                                 "code": "hospital"}]}]}
    assert any("Organization.type code 'hospital'" in p for p in messages(pc.resource_violations(org)))
    sched = {"resourceType": "Schedule", "id": "3", "actor": [{"reference": "Location/1"}],
             "planningHorizon": {"start": "2026-08-15T09:00:00+01:00"},
             "extension": [{"url": "https://fhir.nhs.uk/STU3/StructureDefinition/Extension-GPConnect-PractitionerRole-1",
                            "valueCodeableConcept": {"coding": [{
                                "system": "https://fhir.nhs.uk/STU3/CodeSystem/CareConnect-SDSJobRoleName-1",
                                "code": "R9999"}]}}]}
    assert any("code 'R9999'" in p for p in messages(pc.resource_violations(sched)))


def test_uk_time_and_relative_references():
    utc = changed(SLOT, start="2026-08-15T10:30:00Z", schedule={"reference": "https://p.example/fhir/Schedule/14"})
    found = pc.resource_violations(utc)
    problems = messages(found)
    assert {v.requirements for v in found} == {("FND-TIME-01",), ("FND-REF-01",)}
    assert "Slot 1584: Slot.start '2026-08-15T10:30:00Z' is not UK local time with offset +00:00 or +01:00" in problems
    assert "Slot 1584: Slot.schedule.reference 'https://p.example/fhir/Schedule/14' is not a local relative reference" \
        in problems
    assert pc.resource_violations(utc, rules=(pc.PROFILE,)) == []


def test_meta_violations():
    found = pc.meta_violations(changed(SLOT, meta=None))
    assert {v.requirements for v in found} == {("FND-META-01",)}
    assert messages(found) == [
        "Slot 1584: meta.profile does not name https://fhir.nhs.uk/STU3/StructureDefinition/GPConnect-Slot-1",
        "Slot 1584: meta.versionId is missing"]


@pytest.mark.skipif(not SHARED.exists(), reason="not assured: the shared reference copy is not beside this checkout")
def test_the_spec_refresh_examples_conform():
    examples = sorted((SHARED / "spec-1.2.7-refresh" / "_includes" / "appointments").glob("*response*.json"))
    assert examples
    for path in examples:
        body = json.loads(path.read_text())
        assert [p for r in pc.resources_in(body) for p in pc.resource_violations(r)] == [], path.name


@pytest.mark.skipif(not SHARED.exists(), reason="not assured: the shared reference copy is not beside this checkout")
def test_the_committed_constraint_table_is_what_the_profiles_generate(tmp_path):
    out = tmp_path / "table.json"
    subprocess.run([sys.executable, str(PROJECT_ROOT / "tools" / "generate_profile_constraints.py"), "--out", str(out)],
                   check=True, capture_output=True)
    assert json.loads(out.read_text()) == json.loads(pc.DATA.read_text())
    assert pc.constraints()["source"]["commit"] == "b4406719a7442fe5a39b802b5eddc09e1795c890"


def _every_element(resource):
    """The element checks of the resource's profile, every element tried (what _elements_reaching narrows)."""
    profile = pc.constraints()["profiles"][pc.PROFILE_FOR[resource["resourceType"]]]
    label = f"{resource['resourceType']} {resource.get('id')}"
    return messages(v for element in profile["elements"] for v in pc._element_violations(resource, label, element))


def _reaching_only(resource):
    url = pc.PROFILE_FOR[resource["resourceType"]]
    label = f"{resource['resourceType']} {resource.get('id')}"
    return messages(v for element in pc._elements_reaching(url, resource)
                    for v in pc._element_violations(resource, label, element))


@pytest.mark.skipif(not SHARED.exists(), reason="not assured: the shared reference copy is not beside this checkout")
def test_the_elements_left_untried_are_those_that_could_find_nothing():
    examples = [json.loads(p.read_text()) for p in
                sorted((SHARED / "spec-1.2.7-refresh" / "_includes" / "appointments").glob("*response*.json"))]
    resources = [SLOT] + [e.get("resource", e) for x in examples for e in (x.get("entry") or [x])]
    resources = [r for r in resources if r.get("resourceType") in pc.PROFILE_FOR]
    tried = 0
    for resource in resources:
        for member in [m for m in resource if m != "resourceType"] + [None]:
            shaped = {k: v for k, v in resource.items() if k != member}
            for variant in (shaped, {**shaped, "specialty": [{"text": "x"}], "comment": "c", "identifier": 7}):
                assert _reaching_only(variant) == _every_element(variant), (resource["resourceType"], member)
                tried += 1
    assert tried > 50
    gone = {k: v for k, v in SLOT.items() if k != "status"}
    assert any("Slot.status is required" in m for m in _reaching_only(gone)), "a required member missing is named"


UK_INSTANTS = st.sampled_from(["2026-08-15T11:30:00+01:00", "2026-12-15T11:30:00+00:00", "2026-12-15T11:30:00Z",
                               "2026-12-15T11:30:00", "2026-12-15", "2026-12-15T11:30:00.5+00:00", "x", ""])
SLOT_MEMBERS = st.fixed_dictionaries({}, optional={
    "id": st.one_of(st.from_regex(r"[A-Za-z0-9\-.]{1,64}", fullmatch=True), st.text(max_size=8)),
    "start": UK_INSTANTS, "end": UK_INSTANTS,
    "identifier": st.lists(st.dictionaries(
        st.sampled_from(["system", "value", "use", "reference"]),
        st.sampled_from(["https://example.invalid/slot", "1584", "usual", "bogus", "http://elsewhere/Slot/1", ""]),
        min_size=1, max_size=3), max_size=3)})


@settings(max_examples=300, deadline=None)
@given(SLOT_MEMBERS)
def test_a_slot_judged_through_its_clean_shape_gets_the_verdict_judging_it_whole_gives(members):
    pc._JUDGED.clear()
    pc._CLEAN_SHAPES.clear()
    shape = {k: v for k, v in SLOT.items() if k not in ("id", "start", "end", "identifier")}
    first = {**shape, **{k: SLOT[k] for k in members}}
    assert messages(pc.resource_violations(first)) == messages(pc._resource_violations(first, None, pc.ALL_RULES))
    resource = {**shape, **members}
    assert messages(pc.resource_violations(resource)) == \
        messages(pc._resource_violations(resource, None, pc.ALL_RULES))


def test_slots_of_a_clean_shape_are_judged_through_it_and_of_another_whole():
    pc._JUDGED.clear()
    pc._CLEAN_SHAPES.clear()
    slots = [{**SLOT, "id": str(i), "identifier": [{"system": "https://example.invalid/slot", "value": str(i)}]}
             for i in range(3)]
    assert [pc.resource_violations(s) for s in slots] == [[], [], []] and len(pc._CLEAN_SHAPES) == 1
    utc = {**slots[2], "id": "9", "start": "2026-08-15T10:30:00Z"}
    assert messages(pc.resource_violations(utc)) == [
        "Slot 9: Slot.start '2026-08-15T10:30:00Z' is not UK local time with offset +00:00 or +01:00"]
    dirty = [changed(s, appointmentType={"text": "x"}) for s in slots]
    assert all(messages(pc.resource_violations(s)) == messages(pc._resource_violations(s, None, pc.ALL_RULES))
               and pc.resource_violations(s) for s in dirty), "a shape that broke something: each judged whole"


def test_an_identifier_of_another_form_than_one_found_clean_is_judged_again():
    pc._JUDGED.clear()
    pc._CLEAN_SHAPES.clear()
    pc._CLEAN_MEMBERS.clear()
    clean = [{**SLOT, "id": str(i), "identifier": [{"system": "https://example.invalid/slot", "value": str(i)}]}
             for i in range(2)]
    assert [pc.resource_violations(s) for s in clean] == [[], []]
    other = {**SLOT, "id": "5", "identifier": [{"system": "https://example.invalid/slot", "use": "usual"}]}
    assert messages(pc.resource_violations(other)) == messages(pc._resource_violations(other, None, pc.ALL_RULES)) \
        == ["Slot 5: Slot.identifier.use must not be populated (max 0)",
            "Slot 5: Slot.identifier.value is required (min 1) but missing"]
    assert pc.resource_violations({**clean[0], "id": "6", "identifier": [{"system": "https://example.invalid/slot",
                                                                          "value": "6"}]}) == []


def test_the_resources_of_bundles_sharing_runs_of_entries_are_each_bundles_own():
    entries = [{"resource": {"resourceType": "Slot", "id": str(i)}} for i in range(300)]
    odd = [7, "x", {"fullUrl": "u"}, {"resource": None}, {"resource": {"resourceType": "Schedule", "id": "s"}}]
    for listed in (entries, entries[:150] + odd + entries[150:], entries[40:], odd):
        bundle = {"resourceType": "Bundle", "type": "searchset", "entry": listed}
        expected = [e.get("resource") for e in listed if isinstance(e, dict) and e.get("resource")]
        assert pc.resources_in(bundle) == expected
    assert pc.resources_in({"resourceType": "Bundle", "entry": {"resource": {}}}) == []
    assert pc.resources_in({"resourceType": "Slot"}) == [{"resourceType": "Slot"}] and pc.resources_in([1]) == []
