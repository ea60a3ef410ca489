"""The response rules (harness/judge/rules.py) on real exchanges built with httpx.MockTransport: each rule's
exact wording when broken, silence when kept, and a registry whose every requirement is catalogued."""

import csv
import dataclasses

import pytest

from harness.checks.profiles import SEARCHSET_BUNDLE
from harness.judge import registry, rules
from harness.memo import Memo
from harness.settings import PROJECT_ROOT, load_settings
from harness.spec import interactions as ix
from harness.spec.constants import PROFILE_FOR
from harness.transport import json_entries

SETTINGS = load_settings({"GPC_ENV": "reference"})
SEARCH_PATH = "Slot"
WINDOW = [("start", "ge2026-12-01"), ("end", "le2026-12-07"), ("status", "free"), ("_include", "Slot:schedule")]
EVERY_INCLUDE = WINDOW + [("_include:recurse", "Schedule:actor:Practitioner"),
                          ("_include:recurse", "Schedule:actor:Location"),
                          ("_include:recurse", "Location:managingOrganization")]


def meta(rtype):
    return {"profile": [PROFILE_FOR[rtype]], "versionId": "1"}


def slot(sid="7", schedule="Schedule/3", start="2026-12-01T10:00:00+00:00", end="2026-12-01T10:10:00+00:00",
         **extra):
    return {"resourceType": "Slot", "id": sid, "meta": meta("Slot"), "schedule": {"reference": schedule},
            "status": "free", "start": start, "end": end, "serviceType": [{"text": "GP Appointment"}], **extra}


def schedule(sid="3", actors=("Location/2", "Practitioner/5"), **extra):
    return {"resourceType": "Schedule", "id": sid, "meta": meta("Schedule"),
            "extension": [{"url": "https://fhir.nhs.uk/STU3/StructureDefinition/Extension-GPConnect-PractitionerRole-1",
                           "valueCodeableConcept": {"coding": [{"code": "R0260"}]}}],
            "actor": [{"reference": a} for a in actors], "serviceCategory": {"text": "Morning surgery"}, **extra}


def location(lid="2"):
    return {"resourceType": "Location", "id": lid, "meta": meta("Location"), "name": "Main surgery",
            "address": {"line": ["1 Riverside Way"]}, "managingOrganization": {"reference": "Organization/1"}}


def practitioner(pid="5"):
    return {"resourceType": "Practitioner", "id": pid, "meta": meta("Practitioner"),
            "name": [{"family": "Smith", "given": ["Ann"]}]}


def organization():
    return {"resourceType": "Organization", "id": "1", "meta": meta("Organization"), "name": "Practice",
            "identifier": [{"system": "https://fhir.nhs.uk/Id/ods-organization-code", "value": "A99901"}]}


def bundle(*resources):
    return {"resourceType": "Bundle", "type": "searchset", "meta": {"profile": [SEARCHSET_BUNDLE]},
            "entry": [{"resource": r} for r in resources]}


def complete(*slots):
    return bundle(*slots, schedule(), location(), practitioner(), organization())


def appointment(aid="52", **changes):
    body = {"resourceType": "Appointment", "id": aid, "meta": meta("Appointment") | {"versionId": "2"},
            "status": "booked", "serviceType": [{"text": "GP Appointment"}],
            "start": "2026-12-01T10:00:00+00:00", "end": "2026-12-01T10:10:00+00:00",
            "slot": [{"reference": "Slot/7"}], "created": "2026-11-25T10:00:00+00:00",
            "participant": [{"actor": {"reference": "Patient/40"}, "status": "accepted"}]}
    body.update(changes)
    return {k: v for k, v in body.items() if v is not None}


@pytest.fixture
def judge(exchange_of):
    """judge(status, body, interaction, path, params, headers, requirement) -> messages of that requirement."""

    def run(status, body, interaction, path, params=None, headers=None, requirement=None):
        exchange = exchange_of(status, body, headers, interaction=interaction, path=path, params=params)
        found = rules.check(exchange, SETTINGS)
        return [v.message for v in found if requirement is None or requirement in v.requirements]

    return run


def search(judge, body, requirement, params=EVERY_INCLUDE):
    return judge(200, body, ix.SEARCH_SLOTS, SEARCH_PATH, params=params, requirement=requirement)


# ---------------------------------------------------------------- the registry

def test_every_requirement_of_the_registry_is_in_the_catalogue():
    with open(PROJECT_ROOT / "spec" / "requirements.csv", newline="") as handle:
        catalogued = {row["id"] for row in csv.DictReader(handle)}
    named = {r for rule in rules.RULES for r in rule.requirements}
    assert named and named <= catalogued, sorted(named - catalogued)


def test_a_rule_cannot_be_registered_twice():
    with pytest.raises(ValueError, match="rule 'no-store on every response' is registered twice"):
        rules.rule("no-store on every response", "FND-CACHE-01")(lambda seen: [])


def test_a_conformant_search_breaks_no_rule(judge):
    assert search(judge, complete(slot()), None) == []


@pytest.mark.parametrize("rule", PINNED := [
    "no-store on every response", "FHIR JSON on every response", "every returned Slot carries its slot type",
    "every returned Slot's Schedule is in the Bundle", "returned slots are free",
    "returned slots lie wholly inside the window", "no Slot or Schedule carries a specialty",
    "only resources the returned slots lead to", "Practitioners and Locations only where their _include was sent",
    "no returned Appointment carries reason or specialty", "every returned Appointment carries its slot type",
    "a booking's Location and ETag headers, the Location naming the created appointment",
    "a read's ETag names the version it returns",
    "retrieved appointments are the patient's and lie within the dates asked",
    "every Schedule's requested actors are in the Bundle", "every returned Schedule references its Location",
    "every resource of a slot search has its id", "every returned Slot and Schedule has at most one identifier",
    "every returned Schedule carries one practitioner role",
    "returned Practitioners as Read a practitioner populates them",
    "returned Locations as Read a location populates them",
    "returned Organizations as Read an organisation populates them"])
def test_each_rule_pinned_here_is_registered(rule):
    assert rule in {r.name for r in rules.RULES}


# ---------------------------------------------------------------- every response

def test_no_store_missing_is_named_on_any_interaction(judge):
    found = judge(404, {"resourceType": "OperationOutcome", "issue": []}, ix.READ_APPOINTMENT, "Appointment/9",
                  headers={"Content-Type": "application/fhir+json;charset=utf-8", "Cache-Control": "no-cache"},
                  requirement="FND-CACHE-01")
    assert found == ["HTTP 404 to GET .../Appointment/9: Cache-Control is 'no-cache', expected 'no-store'"]


def test_a_body_not_labelled_fhir_json_is_named(judge):
    found = judge(200, appointment(), ix.READ_APPOINTMENT, "Appointment/52",
                  headers={"Content-Type": "application/json", "Cache-Control": "no-store", "ETag": 'W/"2"'},
                  requirement="FND-FMT-01")
    assert found == ["HTTP 200 to GET .../Appointment/52: Content-Type is 'application/json', expected "
                     "'application/fhir+json;charset=utf-8'"]


# ---------------------------------------------------------------- search for free slots

def test_a_slot_without_type_is_named_on_every_search_shape(judge):
    untyped = slot(serviceType=None)
    del untyped["serviceType"]
    for params in (WINDOW, EVERY_INCLUDE):
        assert search(judge, complete(untyped), "SLOT-TYPE-01", params) == [
            "Slot 7 has no slot type: Slot.serviceType[*].text is empty"]


def test_a_slot_whose_schedule_is_not_in_the_bundle_is_named(judge):
    found = search(judge, complete(slot(), slot("8", schedule="Schedule/99")), "SLOT-SCHEDREF-01")
    assert found == ["Slot 8 references Schedule/99, which is not in the Bundle"]


def test_a_busy_slot_is_named(judge):
    found = search(judge, complete(slot(status="busy")), "SLOT-FREE-01")
    assert len(found) == 1 and found[0].startswith("Slot 7 ") and "busy" in found[0]


def test_a_slot_outside_the_window_is_named(judge):
    late = slot(start="2026-12-08T09:00:00+00:00", end="2026-12-08T09:10:00+00:00")
    found = search(judge, complete(late), "SLOT-WINDOW-01")
    assert len(found) == 1 and found[0].startswith("Slot 7 ")


def test_a_slot_specialty_is_named(judge):
    found = search(judge, complete(slot(specialty=[{"text": "General practice"}])), "SLOT-NOSPECIALTY-01")
    assert len(found) == 1 and "Slot 7" in found[0] and "specialty" in found[0]


def test_a_stray_schedule_is_named(judge):
    found = search(judge, complete(slot()) | {"entry": complete(slot())["entry"] + [{"resource": schedule("99")}]},
                   "SLOT-BUNDLE-01")
    assert len(found) == 1 and "Schedule 99" in found[0]


def test_practitioners_and_locations_without_their_include_are_named(judge):
    found = search(judge, complete(slot()), "SLOT-INCLUDE-02", params=WINDOW)
    assert sorted(found) == [
        "Location 2 is returned though _include:recurse=Schedule:actor:Location was not sent",
        "Practitioner 5 is returned though _include:recurse=Schedule:actor:Practitioner was not sent"]


def test_included_practitioners_and_locations_asked_for_are_not_named(judge):
    assert search(judge, complete(slot()), "SLOT-INCLUDE-02") == []


# ---------------------------------------------------------------- appointments, wherever returned

@pytest.mark.parametrize("interaction, path", [
    (ix.READ_APPOINTMENT, "Appointment/52"), (ix.AMEND_APPOINTMENT, "Appointment/52"),
    (ix.CANCEL_APPOINTMENT, "Appointment/52")])
def test_reason_and_specialty_on_a_returned_appointment_are_named(judge, interaction, path):
    body = appointment(reason=[{"text": "Cough"}], specialty=[{"text": "General practice"}])
    found = judge(200, body, interaction, path, headers={"Content-Type": "application/fhir+json;charset=utf-8",
                                                         "Cache-Control": "no-store", "ETag": 'W/"2"'},
                  requirement="APPT-NOREASON-01")
    assert found == ["Appointment 52 carries Appointment.reason", "Appointment 52 carries Appointment.specialty"]


def test_reason_on_a_retrieved_appointment_is_named(judge):
    found = judge(200, bundle(appointment(reason=[{"text": "Cough"}])), ix.RETRIEVE_APPOINTMENTS,
                  "Patient/40/Appointment", params=[("start", "ge2026-12-01"), ("start", "le2026-12-07")],
                  requirement="APPT-NOREASON-01")
    assert found == ["Appointment 52 carries Appointment.reason"]


@pytest.mark.parametrize("interaction, requirement", [
    (ix.READ_APPOINTMENT, "READ-TYPE-01"), (ix.AMEND_APPOINTMENT, "AMEND-01"), (ix.CANCEL_APPOINTMENT, "CANCEL-01")])
def test_an_appointment_without_slot_type_names_its_interactions_requirement(judge, interaction, requirement):
    found = judge(200, appointment(serviceType=[{"text": " "}]), interaction, "Appointment/52",
                  headers={"Content-Type": "application/fhir+json;charset=utf-8", "Cache-Control": "no-store",
                           "ETag": 'W/"2"'}, requirement=requirement)
    assert found == ["Appointment 52 has no slot type: Appointment.serviceType[*].text is empty"]


def test_every_appointment_a_retrieve_returns_is_judged_for_its_slot_type(judge):
    untyped = bundle(appointment("52", serviceType=None), appointment("53"), appointment("54", serviceType=[]))
    found = judge(200, untyped, ix.RETRIEVE_APPOINTMENTS, "Patient/40/Appointment",
                  params=[("start", "ge2026-12-01"), ("start", "le2026-12-07")], requirement="RETR-TYPE-01")
    assert found == ["Appointment 52 has no slot type: Appointment.serviceType[*].text is empty",
                     "Appointment 54 has no slot type: Appointment.serviceType[*].text is empty"]


def test_the_slot_type_rule_judges_every_interaction_returning_appointments_under_its_requirement():
    typed, = [r for r in rules.RULES if r.name == "every returned Appointment carries its slot type"]
    assert typed.requirements == ("AMEND-01", "BOOK-TYPE-01", "CANCEL-01", "READ-TYPE-01", "RETR-TYPE-01")
    assert set(typed.interactions) == {ix.BOOK_APPOINTMENT.name, ix.READ_APPOINTMENT.name, ix.AMEND_APPOINTMENT.name,
                                       ix.CANCEL_APPOINTMENT.name, ix.RETRIEVE_APPOINTMENTS.name}


def booked(judge, location):
    headers = {"Content-Type": "application/fhir+json;charset=utf-8", "Cache-Control": "no-store", "ETag": 'W/"1"'}
    if location is not None:
        headers["Location"] = location
    return judge(201, appointment(), ix.BOOK_APPOINTMENT, "Appointment", headers=headers, requirement="BOOK-01")


def test_a_location_naming_the_created_appointment_is_conformant(judge):
    assert booked(judge, "https://provider.example/A1/STU3/1/gpconnect/Appointment/52/_history/2") == []
    assert booked(judge, "https://provider.example/A1/STU3/1/gpconnect/Appointment/52") == []


def test_a_location_naming_another_appointment_or_none_is_named(judge):
    assert booked(judge, "https://provider.example/Appointment/520/_history/1") == [
        "booking answered 201 with Location https://provider.example/Appointment/520/_history/1, which does not "
        "name Appointment/52"]
    assert booked(judge, None) == ["booking answered 201 without Location header"]


def test_a_read_etag_naming_another_version_is_named(judge):
    found = judge(200, appointment(), ix.READ_APPOINTMENT, "Appointment/52",
                  headers={"Content-Type": "application/fhir+json;charset=utf-8", "Cache-Control": "no-store",
                           "ETag": 'W/"1"'}, requirement="READ-ETAG-01")
    assert found == ['Appointment 52 ETag is \'W/"1"\', expected \'W/"2"\' from meta.versionId']


def retrieved(judge, *appointments):
    return judge(200, bundle(*appointments), ix.RETRIEVE_APPOINTMENTS, "Patient/40/Appointment",
                 params=[("start", "ge2026-12-01"), ("start", "le2026-12-07")], requirement="RETR-DATES-01")


def test_a_retrieved_appointment_outside_the_dates_is_named(judge):
    late = appointment(start="2026-12-08T09:00:00+00:00", end="2026-12-08T09:10:00+00:00")
    assert retrieved(judge, late) == [
        "Appointment 52 starts 2026-12-08T09:00:00+00:00, outside the dates asked (2026-12-01 to 2026-12-07)"]


def test_a_retrieved_appointment_of_another_patient_is_named(judge):
    other = appointment(participant=[{"actor": {"reference": "Patient/999"}, "status": "accepted"}])
    assert retrieved(judge, other) == [
        "Appointment 52 is for Patient/999, not Patient/40 whose appointments were asked for"]


def test_a_retrieved_appointment_of_the_patient_within_the_dates_is_conformant(judge):
    assert retrieved(judge, appointment()) == []


def test_a_requested_actor_left_out_of_the_bundle_is_named(judge):
    body = bundle(slot(), schedule(), location(), organization())
    assert search(judge, body, "SLOT-INCLUDE-03") == [
        "Schedule 3 references Practitioner/5, which is not in the Bundle though "
        "_include:recurse=Schedule:actor:Practitioner was sent"]
    assert search(judge, body, "SLOT-INCLUDE-03", WINDOW + [("_include:recurse", "Schedule:actor:Location")]) == []


def test_a_location_without_address_is_named_on_a_search(judge):
    bare = location()
    del bare["address"]
    assert search(judge, bundle(slot(), schedule(), bare, practitioner(), organization()), "SLOT-LOC-01") == [
        "Location 2 has no address"]



def test_a_rule_on_each_resource_judges_a_resource_seen_again_once_and_names_it_on_every_answer(judge, monkeypatch):
    judged = []
    counted = [dataclasses.replace(r, check=lambda res, check=r.check: judged.append(res.get("id")) or check(res))
               if r.each and "SLOT-IDENT-01" in r.requirements else r for r in rules.RULES]
    monkeypatch.setattr(registry, "RULES", counted)
    monkeypatch.setattr(registry, "_JUDGED", Memo(registry.MAX_JUDGED))
    twice = slot("8", identifier=[{"system": "a", "value": "1"}, {"system": "b", "value": "2"}])
    for other in ("9", "10"):
        found = search(judge, complete(slot(other), twice), "SLOT-IDENT-01")
        assert found == ["Slot 8 has 2 identifiers, at most one expected"], "named on every answer"
    assert judged.count("8") == 1, "the same Slot is judged once"
    assert judged.count("9") == judged.count("10") == 1


def test_each_resource_rules_judge_lists_that_share_runs_of_resources_by_run_and_rule_set(monkeypatch):
    monkeypatch.setattr(registry, "_JUDGED", Memo(registry.MAX_JUDGED))
    shared = [{"resourceType": "Slot", "id": str(i)} for i in range(400)]
    odd = registry.Rule("odd ids", ("TST-1",), (), registry.SUCCESS, each=True,
                        check=lambda r: [r["id"]] if int(r["id"]) % 2 else [])
    tens = registry.Rule("ids of ten", ("TST-2",), (), registry.SUCCESS, each=True,
                         check=lambda r: [r["id"]] if not int(r["id"]) % 10 else [])
    extra = {"resourceType": "Slot", "id": "1001"}
    for resources in (shared, shared[:200] + [extra] + shared[200:], shared[100:]):
        for each in ((odd,), (tens,), (odd, tens)):
            expected = [v for r in resources for rule in each for v in rule.check(r)]
            assert registry._each_resource(resources, each) == expected, (len(resources), [r.name for r in each])


def _counting(monkeypatch, requirement):
    """The rules, the one of `requirement` counting the answers it judges."""
    judged = []
    counted = [dataclasses.replace(r, check=lambda seen, check=r.check: judged.append(1) or check(seen))
               if requirement in r.requirements and not r.each else r for r in rules.RULES]
    monkeypatch.setattr(registry, "RULES", counted)
    return judged


def test_a_rule_of_the_answer_alone_judges_a_body_once_for_every_request_that_reads_as_the_same(exchange_of,
                                                                                                 monkeypatch):
    monkeypatch.setattr(json_entries, "SHARED_FROM_CHARS", 1)  # every answer counts as large
    judged = _counting(monkeypatch, "SLOT-WINDOW-01")
    body = complete(slot(start="2026-12-09T10:00:00+00:00", end="2026-12-09T10:10:00+00:00"))
    outside = ["Slot 7 runs 2026-12-09T10:00:00+00:00 to 2026-12-09T10:10:00+00:00, outside 2026-12-01 to 2026-12-07"]
    held = []  # as the client holds the answers it may reuse

    def judged_as(params):
        held.append(exchange_of(200, body, interaction=ix.SEARCH_SLOTS, path=SEARCH_PATH, params=params))
        return [v.message for v in rules.check(held[-1], SETTINGS) if "SLOT-WINDOW-01" in v.requirements]

    for code in ("A20047", "B81016"):  # a searchFilter no rule reads
        assert judged_as(EVERY_INCLUDE + [("searchFilter", f"https://fhir.nhs.uk/Id/ods-organization-code|{code}")]) \
            == outside
    assert len(judged) == 1, "judged once, named on both"
    assert judged_as([("start", "ge2026-12-01"), ("end", "le2026-12-10")] + EVERY_INCLUDE[2:]) == [], \
        "a window the rule reads is judged anew"
    assert len(judged) == 2


def test_a_rule_of_the_answer_alone_cannot_read_what_it_does_not_declare(exchange_of):
    exchange = exchange_of(200, complete(slot()), interaction=ix.SEARCH_SLOTS, path=SEARCH_PATH, params=EVERY_INCLUDE)
    answer = registry.Answer(registry.Observed(exchange, SETTINGS), ("start",))
    assert answer.values("start") == ["ge2026-12-01"]
    with pytest.raises(KeyError, match="'end' it does not declare"):
        answer.values("end")
    assert not hasattr(answer, "exchange"), "nothing of the request but its declared parameters"



def test_each_resource_rule_of_a_slot_search_asks_its_check_of_every_resource_it_could_find_anything_in():
    from harness.checks import search_content

    checks = {"every returned Schedule references its Location": search_content.schedule_location_violations,
              "every resource of a slot search has its id": search_content.missing_ids,
              "every returned Slot and Schedule has at most one identifier":
                  search_content.identifier_count_violations,
              "every returned Schedule carries one practitioner role": search_content.schedule_role_violations,
              "returned Practitioners as Read a practitioner populates them": search_content.practitioner_violations,
              "returned Locations as Read a location populates them": search_content.location_violations,
              "returned Organizations as Read an organisation populates them":
                  search_content.organization_content_violations}
    bare = {"identifier": [{"system": "a", "value": "1"}, {"system": "b", "value": "2"}], "extension": [],
            "actor": [], "name": [], "telecom": [], "address": {}, "id": " ", "contact": [{"name": {}}]}  # breaks each
    resources = [{"resourceType": t, **bare} for t in ("Slot", "Schedule", "Practitioner", "Location",
                                                      "Organization", "Patient", "Appointment")]
    resources += [{**bare}, {"resourceType": None, **bare}, "text", None]
    by_name = {r.name: r for r in registry.RULES}
    for name, check in checks.items():
        caught = [r for r in resources if by_name[name].check(r) != check([r])]
        assert not caught, f"{name}: {caught}"
        assert any(check([r]) for r in resources), f"{name} finds something in one of them"
