"""The searchFilter sweep: which searches a sweep's search is judged against, and a suspicion confirmed by
sending each search again, leaving out the slots two answers of one search disagree on."""

from datetime import date, datetime, timedelta
from urllib.parse import parse_qsl

import httpx

from harness.checks import search_filters as filters
from harness.consumer import filter_sweep as sweeps
from harness.settings import ORG_TYPES, load_settings
from harness.spec.constants import UK
from harness.transport.client import FHIR_JSON, GpConnectClient

TODAY = date(2026, 12, 1)
ROOT = "https://provider.example/A11111/STU3/1/gpconnect"


def slot(sid: str, minutes: int) -> dict:
    start = datetime(2026, 12, 2, 9, 0, tzinfo=UK) + timedelta(minutes=minutes)
    return {"resourceType": "Slot", "id": sid, "status": "free", "schedule": {"reference": "Schedule/s-1"},
            "start": start.isoformat(), "end": (start + timedelta(minutes=10)).isoformat()}


def provider(answers):
    """A client whose provider answers each search with answers(searchFilters sent, how many times sent)."""
    sent: list[tuple] = []

    def handler(request: httpx.Request) -> httpx.Response:
        filters_sent = tuple(v for k, v in parse_qsl(request.url.query.decode()) if k == "searchFilter")
        sent.append(filters_sent)
        slots = answers(filters_sent, sent.count(filters_sent))
        schedule = {"resourceType": "Schedule", "id": "s-1", "actor": [{"reference": "Location/1"}]}
        body = {"resourceType": "Bundle", "type": "searchset",
                "entry": [{"resource": r} for r in (schedule, *slots)]}
        return httpx.Response(200, json=body, headers={"Content-Type": FHIR_JSON, "Cache-Control": "no-store"})

    client = GpConnectClient(load_settings({"GPC_ENV": "reference"}), ROOT, transport=httpx.MockTransport(handler))
    return client, sent


def test_a_search_naming_a_code_is_judged_against_the_open_search_and_each_organisation_type():
    client, _ = provider(lambda filters_sent, times: [slot("1", 0)])
    result = sweeps.filter_search(client, None, "A20047", TODAY)
    searches = sweeps.sweep_searches(client, result, ("A20047", "Y90001"))
    assert set(searches) == {"result", "open", *(("type", t) for t in ORG_TYPES)}
    both = sweeps.filter_search(client, "urgent-care", "A20047", TODAY)
    assert set(sweeps.sweep_searches(client, both, ("Y90001",))) == {"result", "open", ("type", "urgent-care"),
                                                                     ("code", "A20047")}


def test_a_suspicion_is_confirmed_and_a_slot_booked_in_between_is_judged_in_no_search():
    # Slot 2 is offered to the consumer naming an ODS code but not to the open search: restricted to that code,
    # so offering it to an organisation type naming no code would leak it. On a second look the open search
    # offers it too (someone freed it in between): it is judged in no search, and nothing is found.
    def answers(filters_sent, times):
        if not filters_sent and times == 1:
            return [slot("1", 0)]
        return [slot("1", 0), slot("2", 10)]

    client, sent = provider(answers)
    result = sweeps.filter_search(client, "urgent-care", None, TODAY)
    searches = sweeps.sweep_searches(client, result, ("A20047",))

    def judged(offered):
        return filters.sweep_violations(offered, "urgent-care", None, ORG_TYPES)

    before = len(sent)
    offered = sweeps.stable_offers(client, searches, judged)
    assert len(sent) == before + len(searches), "each search is sent again, fresh"
    assert judged(offered) == []
    assert all(len(keys) == 1 for keys in offered.values())


def test_without_a_suspicion_nothing_is_sent_again():
    client, sent = provider(lambda filters_sent, times: [slot("1", 0)])
    result = sweeps.filter_search(client, "urgent-care", None, TODAY)
    searches = sweeps.sweep_searches(client, result, ("A20047",))
    before = len(sent)
    offered = sweeps.stable_offers(client, searches, lambda offered: [])
    assert len(sent) == before and set(offered) == set(searches)


def test_a_leak_both_looks_agree_on_stands():
    client, _ = provider(lambda filters_sent, times: [slot("1", 0)] if not filters_sent else [slot("1", 0),
                                                                                              slot("2", 10)])
    result = sweeps.filter_search(client, "urgent-care", None, TODAY)
    searches = sweeps.sweep_searches(client, result, ("A20047",))

    def judged(offered):
        return filters.sweep_violations(offered, "urgent-care", None, ORG_TYPES)

    found = judged(sweeps.stable_offers(client, searches, judged))
    assert [v.requirements for v in found] == [("SLOT-FILTER-03",)]
    assert "is restricted to ODS code A20047" in found[0].message
