"""Checks on every response (headers, meta, profiles, fullUrl) and on the CapabilityStatement."""

from harness.checks import foundations as fnd
from harness.checks import profiles as pc
from harness.consumer import foundations as consumer_fnd
from harness.spec import interactions
from harness.spec.constants import PROFILE_FOR
from harness.transport.client import FHIR_JSON


def messages(violations):
    return [v.message for v in violations]


def rules(violations):
    return sorted({r for v in violations for r in v.requirements})


def test_cache_control_must_say_no_store(exchange_of):
    assert fnd.cache_control_violations(exchange_of(200, {}, {"Cache-Control": "private, no-store"})) == []
    found = fnd.cache_control_violations(exchange_of(400, {}, {"Cache-Control": "no-cache"}))
    assert messages(found) == ["HTTP 400 to GET .../Appointment/52: Cache-Control is 'no-cache', expected 'no-store'"]
    assert rules(found) == ["FND-CACHE-01"]
    assert messages(fnd.cache_control_violations(exchange_of(200, {}, {}))) == [
        "HTTP 200 to GET .../Appointment/52: Cache-Control is None, expected 'no-store'"]


def test_content_type_must_be_fhir_json_in_utf8_whenever_there_is_a_body(exchange_of):
    assert fnd.content_type_violations(exchange_of(200, {}, {"Content-Type": "application/fhir+json; charset=utf-8"})) \
        == []
    assert fnd.content_type_violations(exchange_of(415, "", {})) == []
    found = fnd.content_type_violations(exchange_of(200, {}, {"Content-Type": "application/json"}))
    assert messages(found) == [f"HTTP 200 to GET .../Appointment/52: Content-Type is 'application/json', expected "
                               f"'{FHIR_JSON}'"]
    assert rules(found) == ["FND-FMT-01"]


def test_full_url_is_not_populated(exchange_of):
    bundle = {"resourceType": "Bundle", "type": "searchset",
              "entry": [{"resource": {"resourceType": "Slot", "id": "1"}},
                        {"fullUrl": "https://p.example/Slot/2", "resource": {"resourceType": "Slot", "id": "2"}}]}
    found = fnd.full_url_violations(exchange_of(200, bundle))
    assert messages(found) == ["Bundle entry 1 (Slot) carries fullUrl 'https://p.example/Slot/2'"]
    assert rules(found) == ["FND-FULLURL-01"]
    assert fnd.full_url_violations(exchange_of(200, {"resourceType": "Appointment", "id": "1"})) == []


def test_meta_and_profile_rules_reach_every_resource_of_a_bundle(exchange_of):
    slot = {"resourceType": "Slot", "id": "9", "start": "2026-12-01T10:00:00Z", "meta": {"versionId": "1"}}
    body = {"resourceType": "Bundle", "type": "searchset", "entry": [{"resource": slot}]}
    ex = exchange_of(200, body)
    assert messages(fnd.meta_violations_in(ex)) == [f"Slot 9: meta.profile does not name {PROFILE_FOR['Slot']}"]
    times = fnd.conformance_violations(ex, (pc.UK_TIME,))
    assert messages(times) == ["Slot 9: Slot.start '2026-12-01T10:00:00Z' is not UK local time with offset +00:00 "
                               "or +01:00"]
    assert rules(fnd.conformance_violations(ex, (pc.PROFILE,))) == ["FND-PROFILE-01"]


def test_each_refusal_names_the_way_the_request_was_sent(exchange_of):
    responses = [("without Ssp-TraceID", exchange_of(200, {"resourceType": "Appointment", "id": "52"})),
                 ("without Ssp-From", exchange_of(400, {
                     "resourceType": "OperationOutcome",
                     "meta": {"profile": ["https://fhir.nhs.uk/STU3/StructureDefinition/GPConnect-OperationOutcome-1"]},
                     "issue": [{"severity": "error", "code": "invalid", "details": {"coding": [{
                         "system": "https://fhir.nhs.uk/STU3/CodeSystem/Spine-ErrorOrWarningCode-1",
                         "code": "BAD_REQUEST", "display": "Bad request"}]}}]}))]
    found = fnd.each_refused_violations(responses, ("FND-HDR-01",), 400, "BAD_REQUEST")
    assert messages(found) == ["without Ssp-TraceID: expected 400 BAD_REQUEST, got HTTP 200"]
    assert rules(found) == ["FND-HDR-01"]


def test_success_breaks_the_scenario_rule_or_else_the_interactions(exchange_of):
    ex = exchange_of(400, {}, interaction=interactions.SEARCH_SLOTS, path="Slot")
    assert fnd.success_rule(("FND-PARAM-01",), ex) == ("FND-PARAM-01",)
    assert fnd.success_rule(("FND-PROFILE-01",), ex) == ("SLOT-SEARCH-01",)


CAPABILITY = {"resourceType": "CapabilityStatement", "version": "1.2.7", "fhirVersion": "3.0.1",
              "rest": [{"resource": [{"type": "Slot",
                                      "searchParam": [{"name": n} for n in ("start", "end", "status", "searchFilter")],
                                      "searchInclude": list(fnd.SLOT_SEARCH_INCLUDES)}]}]}


def test_a_complete_capability_statement_passes():
    assert fnd.capability_version_violations(CAPABILITY) == []
    assert fnd.slot_search_param_violations(CAPABILITY) == []
    assert fnd.slot_include_violations(CAPABILITY) == []


def test_capability_statement_version_parameters_and_includes():
    old = {**CAPABILITY, "version": "1.2.6"}
    assert messages(fnd.capability_version_violations(old)) == ["CapabilityStatement.version is '1.2.6', expected "
                                                                "'1.2.7'"]
    slot = {"type": "Slot", "searchParam": [{"name": "start"}], "searchInclude": ["Slot:schedule"]}
    partial = {**CAPABILITY, "rest": [{"resource": [slot]}]}
    assert messages(fnd.slot_search_param_violations(partial)) == ["Slot searchParam lacks end, searchFilter, status"]
    assert messages(fnd.slot_include_violations(partial)) == [
        "Slot searchInclude lacks Location:managingOrganization, Schedule:actor:Location, Schedule:actor:Practitioner"]
    none = fnd.slot_include_violations({**CAPABILITY, "rest": []})
    assert messages(none) == ["CapabilityStatement lists no Slot resource"] and rules(none) == ["FND-CAP-01"]


def test_what_a_step_asks_of_a_request_becomes_parameters_and_headers():
    assert consumer_fnd.asking("sending _format=application/fhir+json with Accept application/fhir+xml") == {
        "params": [("_format", "application/fhir+json")], "headers": {"Accept": "application/fhir+xml"}}
    assert consumer_fnd.asking("sending Prefer: return=representation") == {
        "headers": {"Prefer": "return=representation"}}


def test_a_format_request_is_served_with_a_fhir_json_resource(exchange_of):
    assert fnd.format_answer_violations(exchange_of(200, {"resourceType": "Appointment", "id": "52"})) == []
    refused = fnd.format_answer_violations(exchange_of(415, ""))
    assert messages(refused) == [f"a request sending _format=application/fhir+json with Accept {FHIR_JSON} was "
                                 "answered HTTP 415: _format must be supported and override Accept"]
    assert rules(refused) == ["FND-FMT-03"]
    empty = fnd.format_answer_violations(exchange_of(200, ""))
    assert messages(empty) == [f"a request sending _format=application/fhir+json with Accept {FHIR_JSON} was "
                               "answered HTTP 200 with an empty body"]
    xml = fnd.format_answer_violations(exchange_of(200, "<Appointment/>", {"Content-Type": "application/fhir+xml"}))
    assert messages(xml) == [f"a request sending _format=application/fhir+json with Accept {FHIR_JSON} was answered "
                             "with Content-Type application/fhir+xml, expected application/fhir+json"]


def test_prefer_representation_is_answered_with_the_appointment(exchange_of):
    assert fnd.representation_violations(exchange_of(201, {"resourceType": "Appointment", "id": "52"})) == []
    empty = fnd.representation_violations(exchange_of(201, ""))
    assert messages(empty) == ["a request sending Prefer: return=representation was answered HTTP 201 with an "
                               "empty body"]
    assert rules(empty) == ["FND-PREFER-02"]
    outcome = fnd.representation_violations(exchange_of(200, {"resourceType": "OperationOutcome"}))
    assert messages(outcome) == ["a request sending Prefer: return=representation was answered with a "
                                 "OperationOutcome, not the Appointment"]


def test_capability_statement_lists_the_appointment_interactions():
    full = {"rest": [{"resource": [{"type": "Appointment", "interaction": [
        {"code": c} for c in ("read", "create", "update", "search-type")]}]}]}
    assert fnd.appointment_interaction_violations(full) == []
    partial = {"rest": [{"resource": [{"type": "Appointment", "interaction": [{"code": "read"}]}]}]}
    found = fnd.appointment_interaction_violations(partial)
    assert messages(found) == ["Appointment interactions lack create, update, search-type"]
    assert rules(found) == ["FND-CAP-02"]
    assert messages(fnd.appointment_interaction_violations({"rest": []})) == [
        "CapabilityStatement lists no Appointment resource"]


def test_prefer_minimal_is_answered_with_success_and_no_body(exchange_of):
    assert fnd.minimal_violations(exchange_of(201, "")) == []
    full = fnd.minimal_violations(exchange_of(201, {"resourceType": "Appointment", "id": "52"}))
    assert messages(full) == ["a request sending Prefer: return=minimal was answered HTTP 201 with Appointment, "
                              "expected no body"]
    assert rules(full) == ["FND-PREFER-01"]
    assert messages(fnd.minimal_violations(exchange_of(400, ""))) == [
        "a request sending Prefer: return=minimal was answered HTTP 400"]
