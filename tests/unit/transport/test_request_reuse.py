"""Reusing answers: Find patient for the run, a slot search until the next write, nothing else."""

import dataclasses

import httpx
import pytest

from harness.errors import Nonconformance
from harness.settings import load_settings
from harness.spec import interactions as ix
from harness.transport import client as client_module
from harness.transport import exchange as exchange_module
from harness.transport.client import RUN_REUSE, GpConnectClient

ROOT = "https://provider.example/A11111/STU3/1/gpconnect"
SEARCH = [("start", "ge2026-12-01"), ("end", "le2026-12-07"), ("status", "free")]


def make_client(reuse=RUN_REUSE):
    seen = []

    def handler(request: httpx.Request):
        seen.append(request)
        return httpx.Response(200, json={"resourceType": "Bundle", "type": "searchset", "n": len(seen)},
                              headers={"Content-Type": "application/fhir+json;charset=utf-8"})

    settings = load_settings({"GPC_ENV": "reference"})
    return GpConnectClient(settings, ROOT, transport=httpx.MockTransport(handler), reuse=reuse), seen


def test_an_identical_slot_search_is_answered_from_the_earlier_one_and_marked_reused():
    client, seen = make_client()
    told = []
    client.add_listener(told.append)
    first = client.send(ix.SEARCH_SLOTS, "Slot", params=SEARCH)
    again = client.send(ix.SEARCH_SLOTS, "Slot", params=SEARCH)
    assert len(seen) == 1
    assert again.reused and not first.reused and again.reused_from is first
    assert again.json() == first.json() and again.json() is not first.json()
    assert told == [first, again]
    assert "Not sent again" in again.render() and "Not sent again" not in first.render()


def test_a_write_makes_the_next_slot_search_fresh():
    client, seen = make_client()
    client.send(ix.SEARCH_SLOTS, "Slot", params=SEARCH)
    client.send(ix.BOOK_APPOINTMENT, "Appointment", body={"resourceType": "Appointment"})
    fresh = client.send(ix.SEARCH_SLOTS, "Slot", params=SEARCH)
    assert len(seen) == 3 and not fresh.reused
    assert client.send(ix.SEARCH_SLOTS, "Slot", params=SEARCH).reused


def test_find_patient_is_sent_once_for_the_run_even_after_writes():
    client, seen = make_client()
    params = [("identifier", "https://fhir.nhs.uk/Id/nhs-number|9000000009")]
    client.send(ix.FIND_PATIENT, "Patient", params=params)
    client.send(ix.CANCEL_APPOINTMENT, "Appointment/1", body={"resourceType": "Appointment"})
    assert client.send(ix.FIND_PATIENT, "Patient", params=params).reused
    assert len(seen) == 2


def test_another_query_headers_claims_or_interaction_is_sent():
    client, seen = make_client()
    client.send(ix.SEARCH_SLOTS, "Slot", params=SEARCH)
    other = client.send(ix.SEARCH_SLOTS, "Slot", params=SEARCH + [("searchFilter", "x|y")])
    odd = client.send(ix.SEARCH_SLOTS, "Slot", params=SEARCH, omit_headers=["Ssp-From"])
    changed = client.send(ix.SEARCH_SLOTS, "Slot", params=SEARCH, headers={"Accept": "text/csv"})
    claims = client.send(ix.SEARCH_SLOTS, "Slot", params=SEARCH, claims=client.claims_for(ix.SEARCH_SLOTS))
    read = [client.send(ix.READ_APPOINTMENT, "Appointment/1") for _ in range(2)]
    assert not any(e.reused for e in (other, odd, changed, claims, *read))
    assert len(seen) == 7


def test_by_default_a_client_reuses_nothing():
    client, seen = make_client(reuse=None)
    client.send(ix.SEARCH_SLOTS, "Slot", params=SEARCH)
    assert not client.send(ix.SEARCH_SLOTS, "Slot", params=SEARCH).reused
    assert len(seen) == 2


def test_counters_see_unobserved_exchanges_and_listeners_do_not():
    client, _ = make_client()
    told, counted = [], []
    client.add_listener(told.append)
    client.add_counter(counted.append)
    with client.unobserved():
        client.send(ix.READ_APPOINTMENT, "Appointment/1")
    assert told == [] and len(counted) == 1


def test_an_exchange_repr_is_one_short_line_whatever_the_body():
    client, _ = make_client()
    exchange = client.send(ix.SEARCH_SLOTS, "Slot", params=SEARCH)
    exchange.response_text = "x" * 1_000_000
    assert len(repr(exchange)) < 300 and "HTTP 200" in repr(exchange)


def _all_large(monkeypatch, kept: int):
    """Every slot search's answer counts as large, and `kept` of them are kept."""
    monkeypatch.setattr(client_module, "PACKED_FROM_CHARS", 10)
    monkeypatch.setattr(exchange_module, "PACKED_FROM_CHARS", 10)
    monkeypatch.setattr(client_module, "MAX_LARGE_KEPT", kept)


def test_large_answers_kept_are_bounded_in_number_the_oldest_dropped_first(monkeypatch):
    _all_large(monkeypatch, kept=2)
    client, seen = make_client()
    windows = [SEARCH[:1] + [("end", f"le2026-12-0{day}"), ("status", "free")] for day in (2, 3, 4, 5)]
    for w in windows:
        client.send(ix.SEARCH_SLOTS, "Slot", params=w)
    client.send(ix.SEARCH_SLOTS, "Slot", params=windows[-1])
    client.send(ix.SEARCH_SLOTS, "Slot", params=windows[-2])
    assert len(seen) == 4, "the last two answers are kept"
    client.send(ix.SEARCH_SLOTS, "Slot", params=windows[0])
    assert len(seen) == 5, "the oldest was dropped"


def test_older_large_answers_are_packed_past_the_text_budget_and_reused_as_they_were(monkeypatch):
    monkeypatch.setattr(client_module, "MAX_REUSABLE_CHARS", 120)
    _all_large(monkeypatch, kept=10)
    client, seen = make_client()
    windows = [SEARCH[:1] + [("end", f"le2026-12-0{day}"), ("status", "free")] for day in (2, 3, 4, 5)]
    sent = [client.send(ix.SEARCH_SLOTS, "Slot", params=w) for w in windows]
    texts = [e.response_text for e in sent]
    assert sum(map(len, texts[-3:])) > 120 >= sum(map(len, texts[-2:])), "each answer is 50 characters"
    assert [e.packed for e in sent] == [True, True, False, False], "the text of the last two is kept as it is"
    again = [client.send(ix.SEARCH_SLOTS, "Slot", params=w) for w in windows]
    assert len(seen) == 4 and all(e.reused for e in again), "packed, not dropped"
    assert [e.response_text for e in again] == texts
    assert [e.json()["n"] for e in again] == [1, 2, 3, 4]
    assert [e.body_chars() for e in again] == list(map(len, texts))


def test_an_answer_used_again_is_kept_longer_than_one_sent_after_it(monkeypatch):
    _all_large(monkeypatch, kept=2)
    client, seen = make_client()
    windows = [SEARCH[:1] + [("end", f"le2026-12-0{day}"), ("status", "free")] for day in (2, 3, 4)]
    client.send(ix.SEARCH_SLOTS, "Slot", params=windows[0])
    client.send(ix.SEARCH_SLOTS, "Slot", params=windows[1])
    assert client.send(ix.SEARCH_SLOTS, "Slot", params=windows[0]).reused
    client.send(ix.SEARCH_SLOTS, "Slot", params=windows[2])  # room for two answers: the least used last goes
    assert client.send(ix.SEARCH_SLOTS, "Slot", params=windows[0]).reused
    assert not client.send(ix.SEARCH_SLOTS, "Slot", params=windows[1]).reused
    assert len(seen) == 4


def test_what_is_derived_from_an_answer_is_worked_out_once_and_shared_with_its_reuses():
    client, _ = make_client()
    first = client.send(ix.SEARCH_SLOTS, "Slot", params=SEARCH)
    again = client.send(ix.SEARCH_SLOTS, "Slot", params=SEARCH)
    made = []
    value = first.derived("n", lambda: made.append(1) or first.json()["n"])
    assert again.derived("n", lambda: made.append(1) or -1) == value == 1 and made == [1]
    other = client.send(ix.SEARCH_SLOTS, "Slot", params=SEARCH + [("searchFilter", "x|y")])
    assert other.derived("n", lambda: other.json()["n"]) == 2
    changed = dataclasses.replace(first, response_text='{"resourceType": "Bundle", "n": 9}', _json=None,
                                  _json_parsed=False)
    assert changed.derived("n", lambda: changed.json()["n"]) == 9, "a copy made otherwise derives afresh"



def test_a_small_answer_is_kept_while_large_ones_make_room_for_each_other(monkeypatch):
    monkeypatch.setattr(client_module, "PACKED_FROM_CHARS", 100)  # the slot searches below are large
    monkeypatch.setattr(client_module, "MAX_LARGE_KEPT", 2)
    seen = []

    def handler(request: httpx.Request):
        seen.append(request)
        padding = "x" * 400 if request.url.path.endswith("/Slot") else ""
        return httpx.Response(200, json={"resourceType": "Bundle", "type": "searchset", "p": padding},
                              headers={"Content-Type": "application/fhir+json;charset=utf-8"})

    client = GpConnectClient(load_settings({"GPC_ENV": "reference"}), ROOT, transport=httpx.MockTransport(handler),
                             reuse=RUN_REUSE)
    patient = [("identifier", "https://fhir.nhs.uk/Id/nhs-number|9000000009")]
    client.send(ix.FIND_PATIENT, "Patient", params=patient)
    windows = [SEARCH + [("searchFilter", f"x|{n}")] for n in range(3)]
    for params in windows:  # room for two of them beside the small answer
        client.send(ix.SEARCH_SLOTS, "Slot", params=params)
    assert client.send(ix.FIND_PATIENT, "Patient", params=patient).reused, "the small answer stays"
    assert client.send(ix.SEARCH_SLOTS, "Slot", params=windows[2]).reused
    assert not client.send(ix.SEARCH_SLOTS, "Slot", params=windows[0]).reused, "the least recently used large one went"


def _same_body_client(monkeypatch, content_types, large=True):
    """A client whose every slot search is answered with the same body, with the Content-Type of
    content_types[n] for the n-th request; with `large`, every body counts as large."""
    if large:
        monkeypatch.setattr(exchange_module.json_entries, "SHARED_FROM_CHARS", 1)
    seen = []

    def handler(request: httpx.Request):
        seen.append(request)
        return httpx.Response(200, content=b'{"resourceType": "Bundle", "type": "searchset"}',
                              headers={"Content-Type": content_types[len(seen) - 1]})

    settings = load_settings({"GPC_ENV": "reference"})
    return GpConnectClient(settings, ROOT, transport=httpx.MockTransport(handler), reuse=RUN_REUSE)


def test_a_large_answer_shares_what_is_derived_with_the_last_answer_of_the_same_body_whatever_its_request(
        monkeypatch):
    fhir_json = "application/fhir+json;charset=utf-8"
    client = _same_body_client(monkeypatch, [fhir_json, fhir_json, "application/json"])
    first = client.send(ix.SEARCH_SLOTS, "Slot", params=SEARCH)
    made = []
    first.derived("n", lambda: made.append(1) or 1)
    other = client.send(ix.SEARCH_SLOTS, "Slot", params=SEARCH + [("searchFilter", "x|y")])
    assert not other.reused and other.derived("n", lambda: made.append(1) or 2) == 1 and made == [1]
    assert other.json() is first.json(), "the JSON too"
    plain = client.send(ix.SEARCH_SLOTS, "Slot", params=SEARCH + [("searchFilter", "x|z")])
    assert plain.derived("n", lambda: 3) == 3, "another Content-Type is another answer"
    with pytest.raises(Nonconformance, match="not application/fhir\\+json"):
        plain.json()


def test_a_small_answer_shares_nothing_with_another_request_of_the_same_body(monkeypatch):
    client = _same_body_client(monkeypatch, ["application/fhir+json"] * 2, large=False)
    first = client.send(ix.SEARCH_SLOTS, "Slot", params=SEARCH)
    first.derived("n", lambda: 1)
    assert client.send(ix.SEARCH_SLOTS, "Slot", params=SEARCH + [("searchFilter", "x|y")]).derived("n", lambda: 2) == 2

