"""Declared restrictions: a restricted slot offered to a consumer it is not open to is named."""

from datetime import date

import httpx

from harness.consumer.slot_search import SlotSearch, Window
from harness.judge import restrictions
from harness.settings import Restriction, load_settings
from harness.spec import interactions as ix
from harness.spec.constants import DELIVERY_CHANNEL_URL
from harness.transport.client import FHIR_JSON, GpConnectClient

SCHEDULE = {"resourceType": "Schedule", "id": "7f3c",
            "identifier": [{"system": "https://p.example/Id", "value": "SCH-32"}],
            "serviceCategory": {"text": "Nurse Clinic"}, "actor": [{"reference": "Location/1"}]}


def slot(sid: str, start: str) -> dict:
    return {"resourceType": "Slot", "id": sid, "status": "free", "schedule": {"reference": "Schedule/7f3c"},
            "serviceType": [{"text": "Nurse Appointment"}], "start": start,
            "end": start.replace(":00:00", ":15:00"),
            "extension": [{"url": DELIVERY_CHANNEL_URL, "valueCode": "In-person"}]}


def search_as(org_type, ods_code, *slots) -> SlotSearch:
    body = {"resourceType": "Bundle", "type": "searchset", "entry": [{"resource": r} for r in (SCHEDULE, *slots)]}
    client = GpConnectClient(load_settings({"GPC_ENV": "reference"}), "https://provider.example/fhir",
                             transport=httpx.MockTransport(lambda request: httpx.Response(
                                 200, json=body, headers={"Content-Type": FHIR_JSON})))
    exchange = client.send(ix.SEARCH_SLOTS, "Slot")
    client.close()
    day = date(2026, 12, 1)
    return SlotSearch(exchange, Window.days(day, day), searched_as=(org_type, ods_code))


def test_a_declared_slot_offered_only_where_it_is_open_passes_and_elsewhere_is_named():
    declared = (Restriction("SCH-32", "11:00", "type", "urgent-care"),)
    at_eleven = slot("29", "2026-12-01T11:00:00+00:00")
    other = slot("30", "2026-12-01T12:00:00+00:00")
    searches = [search_as("urgent-care", None, at_eleven, other), search_as(None, None, other)]
    found, seen = restrictions.leaks(searches, declared)
    assert (found, seen) == ([], 1)
    found, seen = restrictions.leaks([search_as(None, "A20047", at_eleven)], declared)
    assert seen == 1 and [v.message for v in found] == [
        "Slot 29 (2026-12-01T11:00:00+00:00 to 2026-12-01T11:15:00+00:00, Schedule 7f3c) is restricted to SCH-32 at "
        "11:00, organisation type urgent-care (GPC_RESTRICTED_SLOTS) but is offered to a consumer of ODS code A20047"]


def test_a_declaration_names_the_schedule_by_id_identifier_or_schedule_type_at_its_local_time():
    at_eleven = slot("29", "2026-12-01T11:00:00+00:00")
    searched = [search_as(None, None, at_eleven)]
    for name in ("7f3c", "SCH-32", "Nurse Clinic"):
        assert restrictions.leaks(searched, (Restriction(name, "11:00", "ods", "X1"),))[1] == 1
    assert restrictions.leaks(searched, (Restriction("SCH-32", "11:15", "ods", "X1"),))[1] == 0


def test_each_search_is_judged_as_its_own_consumer_and_each_schedule_as_its_own_json():
    declared = (Restriction("Nurse Clinic", "11:00", "type", "urgent-care"),)
    at_eleven = slot("29", "2026-12-01T11:00:00+00:00")
    urgent = search_as("urgent-care", None, at_eleven)
    # One answer (the same free slots) searched as two consumers: named for the one it is not open to.
    everyone = SlotSearch(urgent.exchange, urgent.window, searched_as=(None, None))
    found, seen = restrictions.leaks([urgent, everyone], declared)
    assert seen == 2 and [v.message.rsplit(" but ", 1)[1] for v in found] == [
        "is offered to a consumer sending no searchFilter"]
    # The same schedule id with another schedule type, in a later answer: it is no longer the one declared.
    SCHEDULE["serviceCategory"] = {"text": "GP Clinic"}
    try:
        renamed = search_as(None, None, slot("29", "2026-12-01T11:00:00+00:00"))
    finally:
        SCHEDULE["serviceCategory"] = {"text": "Nurse Clinic"}
    assert restrictions.leaks([urgent, renamed], declared) == ([], 1)
