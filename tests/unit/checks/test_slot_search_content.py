"""What every resource of a slot search holds, the searchFilter matching table, start and end formats and
the sweep settings: each check fails when broken, with its exact wording, and holds for conformant shapes."""

from datetime import datetime

import httpx
import pytest

from harness.checks import readback as readback_checks
from harness.checks import search_content as sc
from harness.checks import search_filters as filters
from harness.consumer import readback
from harness.consumer import slot_search as ss
from harness.settings import ConfigError, load_settings
from harness.spec import interactions as ix
from harness.spec.constants import ODS_SITE_SYSTEM, ODS_SYSTEM, PRACTITIONER_ROLE_URL, SDS_USER_SYSTEM, UK
from harness.transport.client import FHIR_JSON, RUN_REUSE, GpConnectClient

ROLE = {"url": PRACTITIONER_ROLE_URL, "valueCodeableConcept": {"coding": [{"code": "R0260"}]}}


def messages(violations):
    return [v.message for v in violations]


def ids(violations):
    return sorted({r for v in violations for r in v.requirements})


def schedule(sid="s-1", actors=("Location/l-1", "Practitioner/p-1"), roles=1, identifiers=1):
    return {"resourceType": "Schedule", "id": sid, "actor": [{"reference": a} for a in actors],
            "extension": [ROLE] * roles,
            "identifier": [{"system": "urn:x", "value": f"S{i}"} for i in range(identifiers)]}


def practitioner(pid="p-1", identifiers=({"system": SDS_USER_SYSTEM, "value": "G1"},), **extra):
    return {"resourceType": "Practitioner", "id": pid, "identifier": list(identifiers),
            "name": [{"family": "Okafor"}], **extra}


def location(lid="l-1", **extra):
    loc = {"resourceType": "Location", "id": lid, "name": "Main Surgery", "address": {"line": ["1 Way"]},
           "identifier": [{"system": ODS_SITE_SYSTEM, "value": "Z1"}],
           "managingOrganization": {"reference": "Organization/o-1"}}
    loc.update(extra)
    return {k: v for k, v in loc.items() if v is not None}


def organization(oid="o-1", identifiers=({"system": ODS_SYSTEM, "value": "A99901"},), **extra):
    return {"resourceType": "Organization", "id": oid, "name": "Practice", "identifier": list(identifiers), **extra}


def slot(sid="1", identifiers=1):
    return {"resourceType": "Slot", "id": sid, "schedule": {"reference": "Schedule/s-1"},
            "identifier": [{"system": "urn:x", "value": f"T{i}"} for i in range(identifiers)]}


CONFORMANT = [slot(), schedule(), schedule("s-2", actors=("Location/l-1",)), practitioner(), location(), organization()]


def test_a_conformant_bundle_breaks_nothing():
    url = "https://p/Slot?_include:recurse=Schedule:actor:Location&_include:recurse=Schedule:actor:Practitioner"
    assert sc.content_violations({"resourceType": "Bundle", "entry": [{"resource": r} for r in CONFORMANT]}, url) == []


def test_a_schedule_without_a_practitioner_is_legal_but_not_without_a_location():
    assert sc.schedule_location_violations([schedule(actors=("Location/l-1",))]) == []
    found = sc.schedule_location_violations([schedule(actors=("Practitioner/p-1",))])
    assert messages(found) == ["Schedule s-1 references no Location among its actors"]
    assert ids(found) == ["SLOT-SCHEDLOC-01"]


def test_requested_actors_must_be_in_the_bundle():
    resources = [schedule(), location()]
    assert sc.included_actor_violations(resources, {"Schedule:actor:Location"}) == []
    found = sc.included_actor_violations(resources, {"Schedule:actor:Location", "Schedule:actor:Practitioner"})
    assert messages(found) == ["Schedule s-1 references Practitioner/p-1, which is not in the Bundle though "
                               "_include:recurse=Schedule:actor:Practitioner was sent"]
    assert ids(found) == ["SLOT-INCLUDE-03"]


def test_every_resource_needs_an_id():
    found = sc.missing_ids([organization(oid=None), slot()])
    assert messages(found) == ["Organization (no id) has no logical id (Organization.id is empty)"]
    assert ids(found) == ["SLOT-ID-01"]


def test_slots_and_schedules_hold_at_most_one_identifier():
    assert sc.identifier_count_violations([slot(identifiers=0), schedule(identifiers=1)]) == []
    found = sc.identifier_count_violations([slot(identifiers=2), schedule(identifiers=3)])
    assert messages(found) == ["Slot 1 has 2 identifiers, at most one expected",
                               "Schedule s-1 has 3 identifiers, at most one expected"]
    assert ids(found) == ["SLOT-IDENT-01"]


@pytest.mark.parametrize("roles", [0, 2])
def test_every_schedule_carries_exactly_one_practitioner_role(roles):
    found = sc.schedule_role_violations([schedule(actors=("Location/l-1",), roles=roles)])
    assert messages(found) == [f"Schedule s-1 carries {roles} practitioner role extensions "
                               "(Extension-GPConnect-PractitionerRole-1), exactly one expected"]
    assert ids(found) == ["SLOT-SCHEDROLE-01"]


def test_practitioners_as_read_a_practitioner_populates_them():
    two_sds = ({"system": SDS_USER_SYSTEM, "value": "G1"}, {"system": SDS_USER_SYSTEM, "value": ""})
    found = sc.practitioner_violations([practitioner(identifiers=two_sds, birthDate="1970-01-01", photo=[{}])])
    assert messages(found) == [
        "Practitioner p-1 has 2 SDS user id identifiers (https://fhir.nhs.uk/Id/sds-user-id), at most one allowed",
        "Practitioner p-1 has a SDS user id identifier without a value",
        "Practitioner p-1 carries Practitioner.birthDate, which Read a practitioner SHALL NOT populate",
        "Practitioner p-1 carries Practitioner.photo, which Read a practitioner SHALL NOT populate"]
    assert ids(found) == ["SLOT-PRACT-01"]


def test_a_practitioner_name_use_outside_name_use_is_named():
    assert sc.practitioner_violations([practitioner(name=[{"family": "Okafor", "use": "official"}])]) == []
    found = sc.practitioner_violations([practitioner(name=[{"family": "Okafor", "use": "professional"}])])
    assert messages(found) == ["Practitioner p-1 has a name of use 'professional', not a code of the required "
                               "NameUse value set"]
    assert ids(found) == ["SLOT-PRACT-01"]


def test_practitioner_identifiers_of_other_systems_are_an_nhs_expectation():
    found = sc.practitioner_violations([practitioner(identifiers=({"system": "urn:local", "value": "9"},))])
    assert messages(found) == ["Practitioner p-1 has an identifier of system urn:local, not an SDS user id, "
                               "SDS role profile id or GMP number"]
    assert ids(found) == ["SLOT-PRACT-02"]


def test_locations_as_read_a_location_and_the_branch_surgery_rule_populate_them():
    site_codes = [{"system": ODS_SITE_SYSTEM, "value": "Z1"}, {"system": ODS_SITE_SYSTEM, "value": "Z2"}]
    found = sc.location_violations([location(address=None, identifier=site_codes,
                                             endpoint=[{"reference": "Endpoint/1"}],
                                             managingOrganization={"reference": "Location/9"},
                                             partOf={"reference": "https://other/Location/3"})])
    assert messages(found) == [
        "Location l-1 has no address",
        "Location l-1 managingOrganization 'Location/9' is not a relative Organization reference",
        "Location l-1 partOf 'https://other/Location/3' is not a relative Location reference",
        "Location l-1 has 2 ODS site code identifiers (https://fhir.nhs.uk/Id/ods-site-code), at most one allowed",
        "Location l-1 carries Location.endpoint, which Read a location SHALL NOT populate"]
    assert ids(found) == ["SLOT-LOC-01"]


def test_location_codings_need_system_code_and_display():
    assert sc.location_violations([location(type={"coding": [{"system": "s", "code": "c", "display": "d"}]})]) == []
    found = sc.location_violations([location(physicalType={"coding": [{"system": "s", "code": "c"}]})])
    assert messages(found) == ["Location l-1 has a physicalType coding without display"]
    assert ids(found) == ["SLOT-LOC-02"]


def test_organizations_as_read_an_organisation_populates_them():
    two = ({"system": ODS_SYSTEM, "value": "A1"}, {"system": ODS_SYSTEM, "value": "A2"}, {"value": "local"})
    found = sc.organization_content_violations([organization(identifiers=two, contact=[{}],
                                                             partOf={"reference": "Location/1"})])
    assert messages(found) == [
        "Organization o-1 has 2 ODS organisation code identifiers (https://fhir.nhs.uk/Id/ods-organization-code), "
        "at most one allowed",
        "Organization o-1 partOf 'Location/1' is not a relative Organization reference",
        "Organization o-1 carries Organization.contact, which Read an organisation SHALL NOT populate",
        "Organization o-1 has an identifier without a system"]
    assert ids(found) == ["SLOT-ORG-02", "SLOT-ORG-03"]


# ---------------------------------------------------------------- the matching table

OPEN = {("s", "09:00", "09:10")}
TYPED = ("s", "11:30", "11:45")  # restricted to urgent-care
CODED = ("s", "11:00", "11:15")  # restricted to Y90001
BY_TYPE = {"urgent-care": OPEN | {TYPED}, "gp-practice": set(OPEN)}
BY_CODE = {"Y90001": OPEN | {CODED}, "A20047": set(OPEN)}
TYPES = ("gp-practice", "urgent-care")


def test_a_conformant_sweep_breaks_nothing():
    assert filters.restriction_violations("urgent-care", None, OPEN | {TYPED}, OPEN, {}, BY_CODE, TYPES) == []
    assert filters.restriction_violations("oncology", None, set(OPEN), OPEN, {}, BY_CODE, TYPES) == []
    assert filters.restriction_violations(None, "Y90001", OPEN | {CODED}, OPEN, BY_TYPE, {}, TYPES) == []
    assert filters.restriction_violations("urgent-care", "Y90001", OPEN | {TYPED, CODED}, OPEN,
                                     {"urgent-care": BY_TYPE["urgent-care"]}, {"Y90001": BY_CODE["Y90001"]},
                                     TYPES) == []


def test_a_code_restricted_slot_offered_to_a_type_alone():
    found = filters.restriction_violations("urgent-care", None, OPEN | {TYPED, CODED}, OPEN, {}, BY_CODE, TYPES)
    assert messages(found) == ["slot on Schedule s 11:00 to 11:15 is restricted to ODS code Y90001 (offered to it "
                               "alone, not without a searchFilter) but is offered to organisation type urgent-care "
                               "naming no ODS code"]
    assert ids(found) == ["SLOT-FILTER-03"]


def test_a_type_no_slot_can_be_restricted_to_is_offered_the_open_slots_only():
    found = filters.restriction_violations("oncology", None, OPEN | {TYPED}, OPEN, {}, BY_CODE, TYPES)
    assert messages(found) == ["slot on Schedule s 11:30 to 11:45 is offered to organisation type oncology, which no "
                               "slot can be restricted to (not in GPConnect-OrganisationType-1), but not without a "
                               "searchFilter"]


def test_a_type_restricted_slot_offered_to_a_code_alone():
    found = filters.restriction_violations(None, "A20047", OPEN | {TYPED}, OPEN, BY_TYPE, {}, TYPES)
    assert messages(found) == ["slot on Schedule s 11:30 to 11:45 is restricted to organisation type urgent-care "
                               "(offered to it alone, not without a searchFilter) but is offered to ODS code A20047 "
                               "naming no organisation type"]


def test_both_named_are_offered_what_either_alone_is():
    found = filters.restriction_violations("urgent-care", "Y90001", OPEN | {CODED}, OPEN,
                                      {"urgent-care": BY_TYPE["urgent-care"]}, {"Y90001": BY_CODE["Y90001"]}, TYPES)
    assert messages(found) == ["slot on Schedule s 11:30 to 11:45 is offered to organisation type urgent-care alone "
                               "or to ODS code Y90001 alone, but not to both together"]
    found = filters.restriction_violations("oncology", "A20047", OPEN | {TYPED}, OPEN, {}, {"A20047": set(OPEN)}, TYPES)
    assert messages(found) == ["slot on Schedule s 11:30 to 11:45 is offered to organisation type oncology with ODS "
                               "code A20047 but not to A20047 alone, though no slot can be restricted to oncology "
                               "(not in GPConnect-OrganisationType-1)"]


# ---------------------------------------------------------------- start and end formats, sweep settings


def test_start_and_end_in_nhs_formats(settings):
    now = datetime(2026, 7, 1, 9, 30, 5, tzinfo=UK)

    def written(start, end):
        return [v for k, v in ss.formatted_params(settings, start, end, now=now) if k in ("start", "end")]

    assert written("a date-time with offset", "a date") == ["ge2026-07-01T09:30:05+01:00", "le2026-07-04"]
    assert written("a date-time in UTC with Z", "a date-time without offset") == ["ge2026-07-01T08:30:05Z",
                                                                                 "le2026-07-04T09:30:05"]
    assert written("a year", "a year and month") == ["ge2026", "le2026-07"]


def test_sweep_values_default_to_nhs_and_map_in_order(monkeypatch):
    for key in ("GPC_SEARCHFILTER_ORG_TYPES", "GPC_SEARCHFILTER_ODS_CODES"):
        monkeypatch.delenv(key, raising=False)
    assert load_settings().searchfilter_ods_codes == ("A20047", "B81016", "M85015", "RNR01")
    monkeypatch.setenv("GPC_SEARCHFILTER_ODS_CODES", "X1001,X1002,X1003,X1004")
    assert load_settings().searchfilter_ods_codes == ("X1001", "X1002", "X1003", "X1004")
    monkeypatch.setenv("GPC_SEARCHFILTER_ODS_CODES", "X1001,X1002")
    with pytest.raises(ConfigError) as err:
        load_settings()
    assert str(err.value) == ("GPC_SEARCHFILTER_ODS_CODES: 2 entries; list 4, in the order of NHS's "
                              "A20047,B81016,M85015,RNR01")
    monkeypatch.setenv("GPC_SEARCHFILTER_ORG_TYPES", "urgent-care,GP,oncology")
    monkeypatch.delenv("GPC_SEARCHFILTER_ODS_CODES")
    with pytest.raises(ConfigError) as err:
        load_settings()
    assert str(err.value) == ("GPC_SEARCHFILTER_ORG_TYPES: 'GP' is not an organisation type code (lower-case "
                              "letters, digits, -)")


# ---------------------------------------------------------------- a Location's organisation read back

def organisation_reader(status: int, body: dict):
    seen = []

    def handler(request: httpx.Request):
        seen.append((request.headers["Ssp-InteractionID"], request.url.path.rsplit("/", 2)[-2:]))
        return httpx.Response(status, json=body, headers={"Content-Type": FHIR_JSON, "Cache-Control": "no-store"})

    settings = load_settings({"GPC_ENV": "reference"})
    client = GpConnectClient(settings, "https://provider.example/A11111/STU3/1/gpconnect",
                             transport=httpx.MockTransport(handler), reuse=RUN_REUSE)
    return client, seen


def test_each_managing_organisation_is_read_back_once():
    client, seen = organisation_reader(200, organization())
    reads = readback.managing_organizations(client, [location(), location("l-2"), organization()])
    assert readback_checks.read_back_violations(reads, "SLOT-LOC-03") == []
    assert seen == [(ix.READ_ORGANIZATION.interaction_id, ["Organization", "o-1"])]


def test_a_managing_organisation_that_does_not_read_back_is_named():
    client, _ = organisation_reader(404, {"resourceType": "OperationOutcome", "issue": []})
    reads = readback.managing_organizations(client, [location()])
    found = readback_checks.read_back_violations(reads, "SLOT-LOC-03")
    assert messages(found) == ["Location l-1 managingOrganization Organization/o-1 does not read back: Read "
                               "Organisation answered HTTP 404 with an OperationOutcome, not an Organization "
                               "(GET .../Organization/o-1)"]
    assert ids(found) == ["SLOT-LOC-03"]


def test_the_resources_of_a_type_in_a_long_list_are_those_of_a_short_one_in_order():
    from harness.checks import search_content

    kinds = ("Slot", "Schedule", "Practitioner", "Location", None)
    pool = [{"resourceType": kinds[i % 5], "id": str(i)} for i in range(60)] + ["text", 7, None]
    long = [pool[(i * 5) % len(pool)] for i in range(1_000)]
    for listed in (long, long[3:] + long[:3], long[:300]):
        for kind in kinds:
            assert search_content.of_type(listed, kind) == [r for r in listed if isinstance(r, dict)
                                                            and r.get("resourceType") == kind]
    schedule = {"resourceType": "Schedule", "id": "s", "actor": [{"reference": "Practitioner/2"},
                                                                 {"reference": "Practitioner/404"}]}
    missing = search_content.included_actor_violations(long + [schedule], {"Schedule:actor:Practitioner"})
    assert [v.message for v in missing] == ["Schedule s references Practitioner/404, which is not in the Bundle "
                                            "though _include:recurse=Schedule:actor:Practitioner was sent"]
