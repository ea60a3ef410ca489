"""The oracle judges each exchange once, and never takes a new exchange for an earlier one.

An exchange freed after it was judged may leave its id() to a new one. Against the variety provider
(bigger answers, another allocation pattern) this showed as false alarms: a cancellation taken for an
already judged exchange never reached the run model, so the next booking of the freed slot was called
a double booking (BOOK-DUP-01) and every later retrieve a lost state (RETR-STATE-01)."""

from __future__ import annotations

import json
import weakref

from harness.judge.oracle import Oracle
from harness.settings import load_settings
from harness.spec import interactions as ix
from harness.transport.client import FHIR_JSON
from harness.transport.exchange import Exchange

SD = "https://fhir.nhs.uk/STU3/StructureDefinition/"


def search_exchange() -> Exchange:
    bundle = {"resourceType": "Bundle", "type": "searchset", "entry": [
        {"resource": {"resourceType": "Slot", "id": "b1f0",
                      "meta": {"versionId": "1", "profile": [SD + "GPConnect-Slot-1"]},
                      "serviceType": [{"text": "GP Appointment"}], "schedule": {"reference": "Schedule/c2"},
                      "status": "free", "start": "2026-12-01T09:00:00+00:00", "end": "2026-12-01T09:10:00+00:00"}},
        {"resource": {"resourceType": "Schedule", "id": "c2",
                      "meta": {"versionId": "1", "profile": [SD + "GPConnect-Schedule-1"]},
                      "actor": [{"reference": "Location/d3"}]}},
    ]}
    return Exchange(interaction=ix.SEARCH_SLOTS.name, method="GET", url="http://p/Slot?start=ge2026-12-01",
                    request_headers={}, request_body=None, jwt_claims=None, status=200,
                    response_headers={"Content-Type": FHIR_JSON, "Cache-Control": "no-store"},
                    response_text=json.dumps(bundle))


def test_a_new_exchange_given_a_judged_one_s_id_is_judged_itself():
    oracle = Oracle(load_settings({"GPC_ENV": "reference"}))
    earlier = search_exchange()
    new = search_exchange()
    # As if `earlier` had been judged, freed, and its id() given to `new`.
    oracle._judged[id(new)] = (weakref.ref(earlier), [])
    oracle(new)
    assert "b1f0" in oracle.model.slots, "the new exchange reached the run model"
    assert oracle.figures.exchanges == 1


def test_the_same_exchange_is_judged_once():
    oracle = Oracle(load_settings({"GPC_ENV": "reference"}))
    exchange = search_exchange()
    oracle(exchange)
    oracle.model.slots.clear()
    oracle(exchange)
    assert oracle.figures.exchanges == 1 and not oracle.model.slots



def test_an_identical_large_answer_is_judged_by_the_rules_once_and_its_violations_stand_each_time(monkeypatch):
    from harness.judge import oracle as oracle_module
    from harness.judge import rules

    checked = []
    original = rules.check
    monkeypatch.setattr(oracle_module.rules, "check", lambda ex, s: checked.append(ex) or original(ex, s))
    monkeypatch.setattr(oracle_module, "SAME_ANSWER_FROM_CHARS", 100)
    oracle = Oracle(load_settings({"GPC_ENV": "reference"}))
    first, again, other = search_exchange(), search_exchange(), search_exchange()
    for exchange in (first, again, other):
        exchange.response_text = exchange.response_text.replace('"GP Appointment"', '" "')  # no slot type
    other.response_headers = {**other.response_headers, "Cache-Control": "private"}
    for exchange in (first, again, other):
        oracle(exchange)
    assert checked == [first, other], "the same answer to the same request is judged by the rules once"
    assert oracle.figures.exchanges == 3, "each exchange still reaches the run model"
    failures = [v for _, v in oracle.take_violations() if "SLOT-TYPE-01" in v.requirements]
    assert len(failures) == 3, "the violation stands for every exchange that showed it"
