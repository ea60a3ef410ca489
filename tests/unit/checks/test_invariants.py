"""The snapshots' FHIRPath invariants, evaluated with fhirpathpy on returned resources (FND-PROFILE-01)."""

import copy
import warnings

from harness.checks import fhirpath as fp
from harness.checks import invariants as inv
from harness.checks import profiles as pc
from harness.checks import searchset_invariants
from harness.spec.constants import BOOKING_ORG_URL, DELIVERY_CHANNEL_URL, PROFILE_FOR
from harness.transport import jwt

TABLE = pc.constraints()
SLOT = {
    "resourceType": "Slot", "id": "1584", "meta": {"versionId": "1", "profile": [PROFILE_FOR["Slot"]]},
    "extension": [{"url": DELIVERY_CHANNEL_URL, "valueCode": "In-person"}],
    "identifier": [{"system": "https://example.invalid/slot", "value": "1584"}],
    "serviceType": [{"text": "General GP Appointment"}], "schedule": {"reference": "Schedule/14"},
    "status": "free", "start": "2026-08-15T11:30:00+01:00", "end": "2026-08-15T11:40:00+01:00",
}
SCHEDULE = {
    "resourceType": "Schedule", "id": "14", "meta": {"versionId": "1", "profile": [PROFILE_FOR["Schedule"]]},
    "actor": [{"reference": "Location/1"}], "serviceCategory": {"text": "Morning clinic"},
    "planningHorizon": {"start": "2026-10-25T01:30:00+01:00", "end": "2026-10-25T01:10:00+00:00"},
}
APPOINTMENT = {
    "resourceType": "Appointment", "id": "52", "meta": {"versionId": "1", "profile": [PROFILE_FOR["Appointment"]]},
    "extension": [{"url": BOOKING_ORG_URL, "valueReference": {"reference": "#1"}}],
    "contained": [{"resourceType": "Organization", "id": "1", "name": "Consumer"}],
    "status": "booked", "description": "A booking", "slot": [{"reference": "Slot/1584"}],
    "start": "2026-08-15T11:30:00+01:00", "end": "2026-08-15T11:40:00+01:00",
    "participant": [{"actor": {"reference": "Patient/2"}, "status": "accepted"}],
}


def found(resource: dict) -> list[tuple[str, str]]:
    """(element, key) of each invariant the resource breaks."""
    label = f"{resource['resourceType']} {resource.get('id')}"
    profile = TABLE["profiles"][PROFILE_FOR[resource["resourceType"]]]
    return [(v.element, v.message.split("breaks invariant ")[1].split(":")[0])
            for v in inv.violations(resource, label, profile, TABLE["extensions"])]


def changed(resource: dict, **changes) -> dict:
    out = copy.deepcopy(resource)
    out.update(changes)
    return out


# ---------------------------------------------------------------- the table


def test_the_table_carries_every_invariant_of_every_snapshot():
    every = list(inv.declared(TABLE))
    names = {name for name, _, _ in every}
    # The eight returned profiles, the searchset Bundle, the consumer's Device and 18 extensions.
    assert len(names) == 28 and {"GPConnect-Searchset-Bundle-1", "GPConnect-Device-1"} <= names
    assert len(every) == 132 and len({k for _, k, _ in every}) == 25
    assert sum(len(i["elements"]) for *_, i in every) == 1888
    assert all(i["severity"] == "error" and i["expression"] and i["human"] and i["at"] for *_, i in every)
    appointment = TABLE["profiles"][PROFILE_FOR["Appointment"]]["invariants"]
    assert len(appointment["ele-1"]["elements"]) == 73 and len(appointment["ext-1"]["elements"]) == 14
    assert appointment["per-1"]["at"] == {"Appointment.identifier.period": ["Period"],
                                          "Appointment.requestedPeriod": ["Period"]}


def test_every_invariant_is_evaluated_and_none_is_left_unassessed():
    assert inv.not_assessed(TABLE) == []
    assert inv.coverage(TABLE) == "132 of 132 evaluated (25 keys, 1888 elements); not assessed: none"


def test_an_invariant_the_harness_cannot_evaluate_is_listed_with_its_key_never_skipped_silently():
    assert fp.unevaluable("name.exists() and resolve().exists()") == "fhirpathpy 2.2.4 lacks resolve()"
    assert fp.unevaluable("status in ('a' | 'b') and text.contains('x(')") is None
    assert fp.unevaluable("hasValue() | (children().count() > id.count())") is None  # the harness's hasValue
    table = {"profiles": {"u": {"name": "P", "invariants": {
        "x-1": {"severity": "error", "expression": "resolve()", "elements": ["P"], "not_evaluable": "lacks resolve()"},
        "x-2": {"severity": "warning", "expression": "true", "elements": ["P"]},
        "x-3": {"severity": "error", "expression": "true", "elements": ["P"]}}}}}
    assert inv.not_assessed(table) == [("P", "x-1", "lacks resolve()"), ("P", "x-2", "severity warning: not evaluated")]
    assert inv.coverage(table) == ("1 of 3 evaluated (3 keys, 3 elements); not assessed: P x-1 (lacks resolve()); "
                                   "P x-2 (severity warning: not evaluated)")


def test_the_result_is_read_as_the_hl7_validator_reads_it():
    assert not fp.holds([False])
    assert fp.holds([True]) and fp.holds([False, True]) and fp.holds([]) and fp.holds(["text"])


# ---------------------------------------------------------------- on resources


def test_conformant_resources_break_no_invariant():
    assert found(SLOT) == [] and found(APPOINTMENT) == []
    assert found(changed(SCHEDULE, planningHorizon={"start": "2026-10-25T01:30:00+01:00",
                                                    "end": "2026-10-25T01:40:00+00:00"})) == []


def test_an_element_present_but_empty_breaks_ele_1():
    assert found(changed(SLOT, specialty={})) == [("Slot.specialty", "ele-1")]
    assert found(changed(SLOT, identifier=[{"system": "s", "value": "1"}, {}])) == [("Slot.identifier[1]", "ele-1")]
    assert found(changed(SLOT, comment="")) == [("Slot.comment", "ele-1")]


def test_an_extension_with_neither_value_nor_extensions_breaks_ext_1_once():
    bare = changed(SLOT, extension=[{"url": DELIVERY_CHANNEL_URL}])
    assert found(bare) == [("Slot.extension[0]", "ext-1")]
    both = changed(APPOINTMENT, extension=APPOINTMENT["extension"] + [
        {"url": "https://provider.example/rota", "valueString": "a", "extension": [{"url": "b", "valueString": "c"}]}])
    assert found(both) == [("Appointment.extension[1]", "ext-1")]


def test_a_period_that_ends_before_it_starts_breaks_per_1_compared_as_instants():
    # 01:30+01:00 is 00:30Z, before 01:10Z: as text it would come after.
    assert found(SCHEDULE) == []
    reversed_ = changed(SCHEDULE, planningHorizon={"start": "2026-12-09T00:00:00+00:00",
                                                   "end": "2026-11-25T00:00:00+00:00"})
    assert found(reversed_) == [("Schedule.planningHorizon", "per-1")]


def test_the_appointment_invariants():
    nobody = changed(APPOINTMENT, participant=APPOINTMENT["participant"] + [{"status": "accepted"}])
    assert found(nobody) == [("Appointment.participant[1]", "app-1")]
    assert ("Appointment", "app-2") in found({k: v for k, v in APPOINTMENT.items() if k != "end"})
    orphan = changed(APPOINTMENT, extension=[])
    assert found(orphan) == [("Appointment", "dom-3")]
    assert found(changed(APPOINTMENT, contained=[{**APPOINTMENT["contained"][0], "meta": {"versionId": "1"}}])) == [
        ("Appointment", "dom-4")]


def test_a_nested_extension_is_judged_by_its_own_definition():
    patient = {"resourceType": "Patient", "id": "2", "extension": [{
        "url": "https://fhir.nhs.uk/STU3/StructureDefinition/Extension-CareConnect-GPC-NHSCommunication-1",
        "extension": [{"url": "language", "valueCodeableConcept": {}}]}]}
    assert ("Patient.extension[0].extension[0].value[x]", "ele-1") not in found(patient)  # paths as the JSON has them
    assert ("Patient.extension[0].extension[0].valueCodeableConcept", "ele-1") in found(patient)


def test_the_searchset_bundle_invariants():
    entry = {"fullUrl": "https://p/Slot/1", "resource": SLOT, "search": {"mode": "match"}}
    bundle = {"resourceType": "Bundle", "type": "searchset", "entry": [entry]}
    assert pc.bundle_violations(bundle) == []
    broken = {**bundle, "entry": [entry, dict(entry), {**entry, "fullUrl": "https://p/Slot/1/_history/1"}, {}]}
    keys = {v.message.split("breaks invariant ")[1].split(":")[0] for v in pc.bundle_violations(broken)}
    assert keys == {"bdl-7", "bdl-8", "bdl-5", "ele-1"}


def test_a_node_fhirpathpy_cannot_evaluate_is_logged_not_called_a_failure_nor_raised(caplog):
    odd = changed(SCHEDULE, planningHorizon={"start": "2026-12-09T00:00:00+00:00", "end": 7})
    inv._LOGGED.clear()
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # as pytest.ini has it: nothing may be raised as a warning
        assert found(odd) == []
    assert "Schedule 14: invariant per-1 not evaluated at Schedule.planningHorizon: " in caplog.text


def test_the_harness_sends_a_device_that_meets_gpconnect_device_1():
    device = jwt.claims(audience="https://p", scope="patient/*.read", consumer_ods_code="A1")["requesting_device"]
    definition = next(d for d in TABLE["other_profiles"].values() if d["name"] == "GPConnect-Device-1")
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert inv.violations(device, "requesting_device", definition, TABLE["extensions"]) == []
    assert inv.violations({**device, "identifier": [{}]}, "requesting_device", definition, TABLE["extensions"])


def test_the_invariants_a_resource_of_a_clean_shape_is_judged_by_follow_the_members_it_has():
    # Anchored on x, reading id: cut for a resource without x, judged on one with it.
    profile = {"invariants": {"tst-1": {"severity": "error", "expression": "x.where(id.exists()).empty()",
                                        "human": "no x with an id", "at": {"Slot": ["Slot"]}}}}
    only = frozenset({"id"})
    assert inv.violations({"resourceType": "Slot", "id": "1"}, "Slot 1", profile, {}, only) == []
    with_x = inv.violations({"resourceType": "Slot", "id": "2", "x": {"id": "q"}}, "Slot 2", profile, {}, only)
    assert [v.message for v in with_x] == ["Slot 2: Slot breaks invariant tst-1: no x with an id"]
    assert inv.violations({"resourceType": "Slot", "id": "3"}, "Slot 3", profile, {}, only) == []


def test_bundle_entries_are_told_apart_by_all_their_invariants_read():
    """What decides an entry's findings (invariants._decisive) is read off the entry anew each time: the members
    it has, how many values each holds, the values an invariant compares."""
    inv._SUBTREES.clear()
    searchset_invariants._ENTRIES.clear()

    def judged(*searches):
        bundle = {"resourceType": "Bundle", "type": "searchset",
                  "entry": [{"resource": SLOT, "search": search} for search in searches]}
        return [v.message.split(": ", 1)[1] for v in pc.bundle_violations(bundle)]

    empty = "Bundle.entry[1].search breaks invariant ele-1: All FHIR elements must have a @value or children"
    assert judged({"foo": [1]}, {"foo": []}) == [empty], "the same members, one with no value"
    assert judged({"mode": "match"}, {"other": [1]}) == [], "other members, both with values"
    assert judged({"mode": "match"}, {}) == [empty]


def test_what_decides_a_node_names_a_choice_member_by_its_type():
    ele_1 = ("ele-1", "hasValue() | (children().count() > id.count())", "All FHIR elements must have a @value")
    extension = inv.Element("Extension", ["Extension"], [ele_1],
                            {"value[x]": inv.Element("Extension.value[x]", ["code", "string"], [ele_1])})
    assert inv._decisive(extension, {"url": "u", "valueCode": "a"}) != \
        inv._decisive(extension, {"url": "u", "valueString": "a"}), "judged as a code and as a string"


def test_a_reference_judged_once_is_judged_again_in_a_resource_whose_contained_differ():
    inv._SUBTREES.clear()
    to_contained = [{"actor": {"reference": "#1"}, "status": "accepted"}]
    assert found(changed(APPOINTMENT, participant=to_contained)) == []
    elsewhere = changed(APPOINTMENT, participant=to_contained, contained=[{**APPOINTMENT["contained"][0], "id": "2"}])
    assert ("Appointment.participant[0].actor", "ref-1") in found(elsewhere), \
        "the same reference, read against another resource's contained"


def test_an_element_of_a_clean_shape_is_judged_again_where_its_invariants_read_a_member_that_varies():
    only = frozenset({"id"})

    def judged(expression, rid):
        profile = {"invariants": {"tst-2": {"severity": "error", "expression": expression, "human": "not bad",
                                            "at": {"Slot.x": ["string"]}}}}
        return [v.message for v in inv.violations({"resourceType": "Slot", "id": rid, "x": "v"}, f"Slot {rid}",
                                                  profile, {}, only)]

    for expression in ("%resource.id != 'bad'", "%resource.where(id = 'bad').empty()"):
        assert judged(expression, "good") == []
        assert judged(expression, "bad") == ["Slot bad: Slot.x breaks invariant tst-2: not bad"], expression


def test_a_searchset_bundle_of_runs_another_shares_names_its_own_entries_and_tests_its_own_fullurls():
    entries = [{"resource": dict(SLOT, id=str(i)), "fullUrl": f"https://p/Slot/{i}"} for i in range(300)]
    history = {"resource": dict(SLOT, id="h"), "fullUrl": "https://p/Slot/h/_history/1"}

    def said(*listed):
        found = pc.bundle_violations({"resourceType": "Bundle", "type": "searchset", "entry": list(listed)})
        return sorted(v.message.split(": ", 1)[1].split(" breaks")[0] for v in found)

    assert said(*entries) == []
    assert said(*entries[:200], history, *entries[200:]) == ["Bundle.entry[200]"]
    assert said(history, *entries) == ["Bundle.entry[0]"], "the same runs, the entry where this Bundle has it"
    same_url = dict(entries[250], resource=dict(SLOT, id="other"))  # bdl-7: one fullUrl, two versions
    assert said(*entries, same_url) == ["Bundle"] and said(*entries) == []
    requested = dict(entries[250], request={"method": "GET", "url": "Slot/250"})  # bdl-3: no request in a searchset
    assert said(*entries[:250], requested, *entries[251:]) == ["Bundle"], "a projection of a later run counts"


def test_what_a_clean_shapes_cut_finds_is_kept_by_the_form_of_each_member_it_reads():
    """invariants._form: members read by value are told apart by value, the rest by what they have; a single value
    and a list of one are told apart (the findings name where they are)."""
    only = frozenset({"id", "identifier"})
    profile = {"invariants": {
        "tst-3": {"severity": "error", "expression": "$this != 'bad'", "human": "not bad", "at": {"Slot.id": ["id"]}},
        "tst-4": {"severity": "error", "expression": "value.exists()", "human": "a value",
                  "at": {"Slot.identifier": ["Identifier"]}}}}

    def judged(**members):
        return [v.message for v in inv.violations({"resourceType": "Slot", **members}, "Slot", profile, {}, only)]

    assert judged(id="good") == [] and judged(id="bad") == ["Slot: Slot.id breaks invariant tst-3: not bad"]
    assert judged(id="same", identifier=[{"system": "s"}]) == [
        "Slot: Slot.identifier[0] breaks invariant tst-4: a value"]
    assert judged(id="same", identifier={"system": "s"}) == ["Slot: Slot.identifier breaks invariant tst-4: a value"]
    assert judged(id="more", identifier=[{"system": "s", "value": "v"}, {"system": "t"}]) == [
        "Slot: Slot.identifier[1] breaks invariant tst-4: a value"]
    assert judged(id="last", identifier=[{"value": "v"}]) == []


def test_a_member_whose_invariant_reads_the_resource_is_judged_in_each_resource_of_one_shape():
    only = frozenset({"id"})
    profile = {"invariants": {"tst-5": {"severity": "error", "expression": "%resource.id != 'bad'", "human": "not bad",
                                        "at": {"Slot.x": ["string"]}}}}
    judged = [[v.message for v in inv.violations({"resourceType": "Slot", "id": rid, "x": "v"}, f"Slot {rid}",
                                                  profile, {}, only)] for rid in ("good", "bad", "good")]
    assert judged == [[], ["Slot bad: Slot.x breaks invariant tst-5: not bad"], []]
