"""The reference provider's variety layer: what it changes on the way out and undoes on the way in."""

from __future__ import annotations

import asyncio
import copy
import json
import re
from pathlib import Path

import httpx
import pytest

from reference_provider import practice, resources, variety
from reference_provider.app import Config, create_app
from reference_provider.store import Store

UUID = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-5[0-9a-f]{3}-[0-9a-f]{4}-[0-9a-f]{12}")
NOW = "2026-12-01T09:00:00+00:00"


def appointment() -> dict:
    return {
        "resourceType": "Appointment", "id": "7", "meta": resources.meta("Appointment", 2), "status": "booked",
        "extension": [{"url": resources.EXT_DELIVERY_CHANNEL, "valueCode": "In-person"}],
        "serviceType": [{"text": "GP Appointment"}], "serviceCategory": {"text": "Morning GP Surgery"},
        "slot": [{"reference": "Slot/12"}, {"reference": "Slot/13"}],
        "participant": [{"actor": {"reference": "Patient/40"}, "status": "accepted"},
                        {"actor": {"reference": "Location/10"}, "status": "accepted"}],
        "contained": [{"resourceType": "Organization", "id": "1", "name": "Consumer"}],
        "description": "  spaces kept  ", "start": "2026-12-01T09:00:00+00:00", "end": "2026-12-01T09:20:00+00:00",
    }


def test_ids_are_stable_uuids_per_type_and_row_and_known_once_given_out():
    ids = variety.Ids()
    slot = ids.public("Slot", "30")
    assert UUID.fullmatch(slot) and slot == variety.Ids().public("Slot", "30")
    assert ids.public("Schedule", "30") != slot, "the same internal id of another type is another UUID"
    assert ids.internal("Slot", slot) == "30"
    assert ids.internal("Schedule", slot) == variety.NO_ROW, "a Slot's id does not name a Schedule"
    assert variety.Ids().internal("Slot", slot) == variety.NO_ROW, "an id never given out names no row"
    assert ids.internal("Slot", "30") == variety.NO_ROW, "the provider's internal ids are not accepted"


def test_an_appointment_is_presented_with_uuids_codings_a_vendor_extension_and_last_updated():
    ids = variety.Ids()
    out = variety.present(appointment(), ids, NOW)
    assert out["id"] == ids.public("Appointment", "7")
    assert [s["reference"] for s in out["slot"]] == [f"Slot/{ids.public('Slot', '12')}",
                                                      f"Slot/{ids.public('Slot', '13')}"]
    assert out["participant"][0]["actor"]["reference"] == f"Patient/{ids.public('Patient', '40')}"
    assert out["serviceType"] == [{"coding": [{"system": variety.SLOT_TYPE_SYSTEM, "code": "gp-appointment",
                                               "display": "GP Appointment"}], "text": "GP Appointment "}]
    assert out["serviceCategory"]["coding"][0] == {"system": variety.SCHEDULE_TYPE_SYSTEM,
                                                   "code": "morning-gp-surgery", "display": "Morning GP Surgery"}
    assert out["serviceCategory"]["text"] == "Morning GP Surgery"
    assert out["extension"][-1]["url"] == variety.EXT_VENDOR
    assert out["meta"] == {**resources.meta("Appointment", 2), "lastUpdated": NOW}
    assert out["text"]["status"] == "generated" and out["text"]["div"].startswith("<div xmlns=")
    assert out["contained"][0]["id"] == "1", "a contained resource's local id is not a logical id"
    assert out["description"] == "  spaces kept  "


def test_last_updated_is_when_the_resource_was_first_shown_with_its_content():
    ids = variety.Ids()
    later = "2026-12-01T09:05:00+00:00"
    assert variety.present(appointment(), ids, NOW)["meta"]["lastUpdated"] == NOW
    assert variety.present(appointment(), ids, later)["meta"]["lastUpdated"] == NOW, "unchanged: shown as before"
    amended = {**appointment(), "meta": resources.meta("Appointment", 3), "description": "amended"}
    assert variety.present(amended, ids, later)["meta"]["lastUpdated"] == later


def test_what_a_consumer_sends_back_is_the_provider_own_resource_again():
    ids = variety.Ids()
    shown = variety.present(appointment(), ids, NOW)
    shown["extension"].append({"url": resources.EXT_CANCELLATION_REASON, "valueString": "Unwell"})
    back = json.loads(variety.receive_body(json.dumps(shown).encode(), ids))
    expected = appointment()
    expected["extension"].append({"url": resources.EXT_CANCELLATION_REASON, "valueString": "Unwell"})
    assert back == expected


def test_a_change_the_consumer_makes_survives_the_way_in():
    ids = variety.Ids()
    shown = variety.present(appointment(), ids, NOW)
    shown["serviceType"][0]["text"] = "Nurse Appointment"
    shown["serviceType"][0]["coding"].append({"system": "http://snomed.info/sct", "code": "1"})
    back = json.loads(variety.receive_body(json.dumps(shown).encode(), ids))
    assert back["serviceType"] == [{"coding": [{"system": "http://snomed.info/sct", "code": "1"}],
                                    "text": "Nurse Appointment"}]


def test_a_cancellation_reason_is_stored_cut_short_as_the_cancel_page_allows():
    ids = variety.Ids()
    reason = {"url": resources.EXT_CANCELLATION_REASON, "valueString": "Patient no longer needs the appointment"}
    body = {"resourceType": "Appointment", "status": "cancelled", "extension": [reason]}
    back = json.loads(variety.receive_body(json.dumps(body).encode(), ids))
    assert back["extension"] == [dict(reason, valueString="Patient no longer ne")]
    assert len("Patient no longer ne") == variety.REASON_STORED_CHARS


def test_unknown_ids_on_the_way_in_name_no_row():
    ids = variety.Ids()
    body = {"resourceType": "Appointment", "id": "7", "slot": [{"reference": "Slot/12"}]}
    back = json.loads(variety.receive_body(json.dumps(body).encode(), ids))
    assert back["id"] == variety.NO_ROW and back["slot"] == [{"reference": f"Slot/{variety.NO_ROW}"}]
    assert variety.receive_body(b"not json", ids) == b"not json"


def test_request_paths_are_translated_only_where_they_carry_an_id():
    ids = variety.Ids()
    root = "/gpc/a99901/fhir/stu3"
    appt, patient = ids.public("Appointment", "5"), ids.public("Patient", "40")
    assert variety.receive_path(f"{root}/Appointment/{appt}", root, ids) == f"{root}/Appointment/5"
    assert variety.receive_path(f"{root}/Patient/{patient}/Appointment", root, ids) == f"{root}/Patient/40/Appointment"
    assert variety.receive_path(f"{root}/Appointment/5", root, ids) == f"{root}/Appointment/{variety.NO_ROW}"
    for unchanged in (f"{root}/Slot", f"{root}/metadata", f"{root}/Appointment", "/elsewhere/Appointment/5"):
        assert variety.receive_path(unchanged, root, ids) == unchanged


def test_the_location_header_names_the_appointment_without_its_history():
    ids = variety.Ids()
    got = variety.present_location("http://h:1/gpc/fhir/Appointment/9/_history/1", ids)
    assert got == f"http://h:1/gpc/fhir/Appointment/{ids.public('Appointment', '9')}"
    assert variety.present_location("http://h:1/other", ids) == "http://h:1/other"


def _search_bundle() -> dict:
    slots = [{"resourceType": "Slot", "id": str(i), "meta": resources.meta("Slot"),
              "schedule": {"reference": "Schedule/30"},
              "serviceType": [{"text": "GP Appointment"}]} for i in range(1, 9)]
    schedule = {"resourceType": "Schedule", "id": "30", "meta": resources.meta("Schedule"),
                "actor": [{"reference": "Location/10"}, {"reference": "Practitioner/20"}]}
    return resources.bundle(slots + [schedule, resources.organization("A99901")])


def test_a_bundle_is_shuffled_the_same_way_each_time_and_keeps_every_entry():
    ids = variety.Ids()
    one = variety.present_body(_search_bundle(), ids, [], NOW)
    two = variety.present_body(_search_bundle(), ids, [], NOW)
    assert one == two
    order = [e["resource"]["resourceType"] for e in one["entry"]]
    assert order != [e["resource"]["resourceType"] for e in _search_bundle()["entry"]]
    assert sorted(e["resource"]["id"] for e in one["entry"]) == sorted(
        ids.public(e["resource"]["resourceType"], e["resource"]["id"]) for e in _search_bundle()["entry"])
    assert one["meta"]["lastUpdated"] == NOW and one["id"]
    counted = variety.present_body(_search_bundle(), ids, [], NOW, matched="Slot")
    assert counted["total"] == 8
    assert {(e["resource"]["resourceType"], e["search"]["mode"]) for e in counted["entry"]} == {
        ("Slot", "match"), ("Schedule", "include"), ("Organization", "include")}


def test_a_schedule_gets_its_further_practitioners_first_and_they_are_included_when_asked_for():
    ids = variety.Ids()
    extra = practice.VARIETY_ACTORS["30"][0]
    asked = variety.present_body(_search_bundle(), ids, [("_include:recurse", "Schedule:actor:Practitioner")], NOW)
    schedule = next(e["resource"] for e in asked["entry"] if e["resource"]["resourceType"] == "Schedule")
    assert [a["reference"] for a in schedule["actor"]] == [
        f"Practitioner/{ids.public('Practitioner', '20')}", f"Practitioner/{ids.public('Practitioner', extra)}",
        f"Location/{ids.public('Location', '10')}"]
    practitioners = [e["resource"]["id"] for e in asked["entry"] if e["resource"]["resourceType"] == "Practitioner"]
    assert practitioners == [ids.public("Practitioner", extra)]
    plain = variety.present_body(_search_bundle(), ids, [("_include", "Slot:schedule")], NOW)
    assert not [e for e in plain["entry"] if e["resource"]["resourceType"] == "Practitioner"]


def test_a_refusal_keeps_its_shape_without_a_vendor_extension():
    outcome = resources.operation_outcome("NO_RECORD_FOUND", "No appointment with id 3")
    shown = variety.present_body(copy.deepcopy(outcome), variety.Ids(), [], NOW)
    assert "extension" not in shown and shown["issue"] == outcome["issue"]


@pytest.fixture
def get(tmp_path: Path):
    """get(path, headers) -> httpx.Response from the variety layer around the provider, in process."""
    store = Store(tmp_path / "practice.sqlite")
    store.initialise(practice.datetime.now(practice.UK).date())
    root = variety.variety_base_path("A99901")
    app = variety.with_variety(create_app(Config("A99901", "918999199001", root, store)), root)

    async def fetch(path: str, headers: dict) -> httpx.Response:
        async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://testserver") as c:
            response = await c.get(root + path, headers=headers)
            await response.aread()
            return response

    yield lambda path, headers: asyncio.run(fetch(path, headers))
    store.close()


def test_the_layer_compresses_for_a_consumer_that_accepts_gzip_and_writes_the_media_type_otherwise(get):
    zipped = get("/metadata", {"Accept-Encoding": "gzip"})
    assert zipped.headers["Content-Encoding"] == "gzip" and "Content-Length" not in zipped.headers
    assert zipped.headers["Content-Type"] == "application/fhir+json; charset=UTF-8"
    assert zipped.json()["resourceType"] == "OperationOutcome", "refused (no GP Connect headers) but still FHIR"
    plain = get("/metadata", {"Accept-Encoding": "identity"})
    assert "Content-Encoding" not in plain.headers and plain.json() == zipped.json()
