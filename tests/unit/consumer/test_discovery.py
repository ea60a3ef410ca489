"""Test-data discovery from a searchset Bundle's raw JSON, what is missing named for the skip, and the
searches a day at a time that a booking's slots are chosen from."""

import json
import subprocess
import sys
from datetime import date, datetime, timedelta
from urllib.parse import parse_qs

import httpx
import pytest

from harness.consumer import discovery
from harness.consumer import slot_search as ss
from harness.errors import MissingTestData
from harness.settings import PROJECT_ROOT, load_settings
from harness.spec.constants import DELIVERY_CHANNEL_URL, UK
from harness.transport.client import GpConnectClient

T0 = datetime(2026, 12, 1, 9, 0, tzinfo=UK)


def slot(sid, minutes, schedule="s-1", channel="In-person", slot_type="GP", status="free", length=10):
    start = T0 + timedelta(minutes=minutes)
    return {"resourceType": "Slot", "id": sid, "status": status, "schedule": {"reference": f"Schedule/{schedule}"},
            "serviceType": [{"text": slot_type}], "start": start.isoformat(),
            "end": (start + timedelta(minutes=length)).isoformat(),
            "extension": [{"url": DELIVERY_CHANNEL_URL, "valueCode": channel}]}


def bundle(*slots):
    schedules = [{"resourceType": "Schedule", "id": s, "actor": [{"reference": "Location/loc-1"}]}
                 for s in ("s-1", "s-2")]
    return {"resourceType": "Bundle", "type": "searchset", "entry": [{"resource": r} for r in (*schedules, *slots)]}


def test_the_free_slots_an_answer_offers_are_read_once_for_the_answers_of_its_body(exchange_of, monkeypatch):
    from harness.spec import interactions as ix
    from harness.transport import json_entries

    monkeypatch.setattr(json_entries, "SHARED_FROM_CHARS", 1)  # every answer counts as large
    body = bundle(slot("b", 10), slot("a", 0, schedule="s-2"))
    first, second = (exchange_of(200, body, interaction=ix.SEARCH_SLOTS, path="Slot", params=[("searchFilter", code)])
                     for code in ("x|1", "x|2"))
    read = []
    monkeypatch.setattr(discovery, "free_slots", lambda data: read.append(1) or [])
    assert discovery.offered(first) == () and discovery.offered(second) == () and read == [1]
    assert discovery.offered(exchange_of(200, bundle(slot("c", 0)), interaction=ix.SEARCH_SLOTS, path="Slot")) == ()
    assert read == [1, 1], "another body is read"


def ids(found):
    return [[s.id for s in group] for group in found]


def test_free_slots_are_read_sorted_with_their_channel_type_and_schedule():
    slots = discovery.free_slots(bundle(slot("b", 10), slot("a", 0, schedule="s-2", channel="Video"),
                                        slot("busy", 20, status="busy"), {"resourceType": "Slot", "id": "x"}))
    assert [s.id for s in slots] == ["a", "b"]
    assert (slots[0].schedule, slots[0].channel, slots[0].slot_type) == ("s-2", "Video", "GP")
    assert slots[0].actor("Location") == "Location/loc-1" and slots[0].actor("Practitioner") is None


def test_runs_share_schedule_channel_and_type_and_touch():
    slots = discovery.free_slots(bundle(slot("1", 0), slot("2", 10), slot("3", 20), slot("4", 30, slot_type="Nurse"),
                                        slot("5", 50)))
    assert ids(discovery.runs(slots, 3)) == [["1", "2", "3"]]
    assert ids(discovery.runs(slots, 2)) == [["1", "2"], ["2", "3"]]


def test_pairs_that_differ_in_one_rule_are_preferred():
    slots = discovery.free_slots(bundle(slot("1", 0), slot("2", 10, slot_type="Nurse"), slot("3", 10, schedule="s-2"),
                                        slot("4", 10, channel="Video", slot_type="Nurse")))
    assert [s.id for s in discovery.pair_differing_in(slots, "slot type")] == ["1", "2"]
    assert [s.id for s in discovery.pair_differing_in(slots, "schedule")] == ["1", "3"]
    assert discovery.pair_differing_in(discovery.free_slots(bundle(slot("1", 0), slot("2", 10))), "channel") is None


def test_a_gap_pair_is_one_schedule_on_one_day():
    slots = discovery.free_slots(bundle(slot("1", 0), slot("2", 10), slot("3", 40)))
    assert [s.id for s in discovery.pair_with_gap(slots)] == ["2", "3"]
    assert discovery.pair_with_gap(slots[:2]) is None


def test_a_triple_keeps_the_rules_between_its_first_two_and_breaks_one_only_with_its_third():
    slots = discovery.free_slots(bundle(
        slot("1", 0), slot("2", 10), slot("3", 20, slot_type="Nurse"), slot("4", 20, schedule="s-2"),
        slot("5", 20, channel="Video"), slot("6", 50)))
    found = {rule: [s.id for s in discovery.triple_with_third_differing(slots, rule)]
             for rule in discovery.THIRD_BREAKS}
    assert found == {"a gap": ["1", "2", "6"], "schedule": ["1", "2", "4"], "channel": ["1", "2", "5"],
                     "slot type": ["1", "2", "3"]}
    # Where no third breaks that rule alone, one breaking it and more is taken; with none at all, nothing.
    loose = discovery.free_slots(bundle(slot("1", 0), slot("2", 10), slot("7", 20, schedule="s-2", slot_type="Nurse")))
    assert [s.id for s in discovery.triple_with_third_differing(loose, "schedule")] == ["1", "2", "7"]
    assert discovery.triple_with_third_differing(loose, "channel") is None
    assert discovery.triple_with_third_differing(loose, "schedule", alone=True) is None
    mixed = discovery.free_slots(bundle(slot("1", 0), slot("2", 10, schedule="s-2", slot_type="Nurse")))
    assert [s.id for s in discovery.pair_differing_in(mixed, "slot type")] == ["1", "2"]
    assert discovery.pair_differing_in(mixed, "slot type", alone=True) is None
    with pytest.raises(ValueError):
        discovery.triple_with_third_differing(slots, "status")


def test_discovery_calls_two_texts_that_differ_by_a_trailing_space_two_slot_types_as_the_checks_do():
    slots = discovery.free_slots(bundle(slot("1", 0, slot_type="GP"), slot("2", 10, slot_type="GP ")))
    assert discovery.runs(slots, 2) == []
    assert [s.id for s in discovery.pair_differing_in(slots, "slot type")] == ["1", "2"]
    assert [s.slot_type for s in slots] == ["GP", "GP "]


def test_workers_take_whole_days_apart_and_every_day_is_someones():
    first = date(2026, 12, 1)
    last = first + timedelta(days=13)
    for workers in (2, 4):
        shares = [discovery.worker_days(first, last, w, workers) for w in range(workers)]
        assert all(shares)
        assert sorted(d for share in shares for d in share) == [first + timedelta(days=i) for i in range(14)]
    assert discovery.worker_days(first, last, 0, 1) == [first + timedelta(days=i) for i in range(14)]


def test_what_is_missing_is_named():
    with pytest.raises(MissingTestData, match=r"^no two adjacent free slots with different channel offered "
                                              r"2026-12-01 to 2026-12-14$"):
        discovery.require(None, "two adjacent free slots with different channel", "2026-12-01 to 2026-12-14")
    untyped = discovery.free_slots(bundle(slot("1", 0, slot_type="")))
    with pytest.raises(MissingTestData, match=r"^no free slot with a slot type offered 2026-12-01$"):
        discovery.single(untyped, "2026-12-01")


def test_missing_test_data_in_a_scenario_is_a_skip_saying_not_assured_and_elsewhere_a_failure(tmp_path):
    (tmp_path / "steps").mkdir()
    code = ("from harness.errors import MissingTestData\n\n"
            "def test_needs_data():\n    raise MissingTestData('no free slots offered 2026-12-01 to 2026-12-14')\n")
    (tmp_path / "steps" / "test_missing.py").write_text(code)
    (tmp_path / "test_elsewhere.py").write_text(code.replace("test_needs_data", "test_of_the_project"))
    run = subprocess.run([sys.executable, "-m", "pytest", str(tmp_path), "-q", "-rfs", "-p", "no:cacheprovider",
                          "-p", "steps.common.appointment_steps", "--rootdir", str(tmp_path)],
                         cwd=tmp_path, env={"PYTHONPATH": str(PROJECT_ROOT), "PATH": ""}, capture_output=True,
                         text=True, timeout=120)
    assert "1 failed, 1 skipped" in run.stdout, run.stdout + run.stderr
    assert "not assured: no free slots offered 2026-12-01 to 2026-12-14" in run.stdout
    assert "FAILED test_elsewhere.py::test_of_the_project" in run.stdout


def test_a_workers_days_are_its_share_of_the_window():
    first = datetime(2026, 12, 1).date()
    last = first + timedelta(days=6)
    every = discovery.worker_days(first, last, 0, 1)
    assert every == [first + timedelta(days=i) for i in range(7)]
    shares = [discovery.worker_days(first, last, w, 4) for w in range(4)]
    assert sorted(d for share in shares for d in share) == every
    assert all(d.toordinal() % 4 == w for w, share in enumerate(shares) for d in share)


def _searching_client(offered, one_day_empty: bool = False):
    """A client on a MockTransport answering each slot search with the slots of `offered` (day -> slot dicts)
    that fall in its window (none for a one-day window with `one_day_empty`); the (start, end) of each search."""
    seen = []

    def handler(request: httpx.Request):
        params = parse_qs(request.url.query.decode())
        first, last = (date.fromisoformat(params[k][0][2:]) for k in ("start", "end"))
        seen.append((first, last))
        found = [r for day, rs in offered.items() if first <= day <= last and not (one_day_empty and first == last)
                 for r in rs]
        return httpx.Response(200, content=json.dumps(bundle(*found)).encode(),
                              headers={"Content-Type": "application/fhir+json", "Cache-Control": "no-store"})

    settings = load_settings({"GPC_ENV": "reference", "GPC_SEARCH_DAYS": "4"})
    return GpConnectClient(settings, "https://provider.example/fhir", transport=httpx.MockTransport(handler)), \
        settings, seen


def _on(day: date, sid: str, minutes: int, **kw):
    r = slot(sid, minutes, **kw)
    start = datetime.combine(day, datetime.min.time(), UK) + timedelta(hours=9, minutes=minutes)
    return {**r, "start": start.isoformat(), "end": (start + timedelta(minutes=10)).isoformat()}


def _pair(slots, window):
    return discovery.run_of(slots, 2, window)


def test_a_choice_is_searched_for_a_day_at_a_time_from_the_day_it_was_last_found_on():
    chooser = discovery.SlotChooser()
    first = ss.default_window(load_settings({"GPC_ENV": "reference"})).start.date()
    days = [first + timedelta(days=i) for i in range(4)]
    offered = {days[0]: [_on(days[0], "a", 0)], days[2]: [_on(days[2], "b", 0), _on(days[2], "c", 10)]}
    client, settings, seen = _searching_client(offered)
    assert chooser.choose(client, settings, "single", discovery.single).id == "a"
    assert seen == [(days[0], days[0])]
    seen.clear()
    assert [s.id for s in chooser.choose(client, settings, "pair", _pair)] == ["b", "c"]
    assert seen == [(d, d) for d in days[:3]], "a day without the pair is passed over"
    seen.clear()
    chooser.choose(client, settings, "pair", _pair)
    assert seen == [(days[2], days[2])], "from the day the pair was last found on"
    assert chooser.order("single", days) == days and chooser.order("pair", days) == [*days[2:], *days[:2]]


def test_a_choice_no_one_day_offers_is_looked_for_in_the_whole_window_then_named_missing():
    chooser = discovery.SlotChooser()
    first = ss.default_window(load_settings({"GPC_ENV": "reference"})).start.date()
    days = [first + timedelta(days=i) for i in range(4)]
    # A provider that answers a one-day window with nothing still serves a booking from the whole window.
    client, settings, seen = _searching_client({days[1]: [_on(days[1], "a", 0)]}, one_day_empty=True)
    assert chooser.choose(client, settings, "single", discovery.single).id == "a"
    assert seen[-1] == (days[0], days[-1]) and len(seen) == 5
    with pytest.raises(MissingTestData, match=rf"^no 2 adjacent free slots .* offered {days[0]} to {days[-1]}$"):
        chooser.choose(client, settings, "pair", _pair)


def test_several_slots_are_different_and_a_run_is_named_when_missing():
    slots = discovery.free_slots(bundle(slot("1", 0), slot("2", 10), slot("3", 30)))
    chosen = discovery.several(slots, "w", 3)
    assert len({s.id for s in chosen}) == 3
    with pytest.raises(MissingTestData, match="no 4 adjacent free slots sharing schedule"):
        discovery.run_of(slots, 4, "w")


def test_a_window_offering_free_slots_is_the_first_day_found_with_some_then_remembered_else_the_whole_window():
    chooser = discovery.SlotChooser()
    first = ss.default_window(load_settings({"GPC_ENV": "reference"})).start.date()
    days = [first + timedelta(days=i) for i in range(4)]
    client, settings, seen = _searching_client({days[1]: [_on(days[1], "a", 0)]})
    assert chooser.window_offering(client, settings) == ss.Window.days(days[1], days[1])
    assert seen == [(days[0], days[0]), (days[1], days[1])], "a day without free slots is passed over"
    seen.clear()
    assert chooser.window_offering(client, settings) == ss.Window.days(days[1], days[1])
    assert seen == [(days[1], days[1])], "from the day free slots were last found on"
    client, settings, seen = _searching_client({days[1]: [_on(days[1], "a", 0)]}, one_day_empty=True)
    assert discovery.SlotChooser().window_offering(client, settings) == ss.default_window(settings)


def test_a_day_of_more_free_slots_than_split_above_is_searched_in_parts_from_then_on(monkeypatch):
    monkeypatch.setattr(discovery, "SPLIT_ABOVE", 5)
    monkeypatch.setattr(discovery, "PART_SLOTS", 6)
    first = ss.default_window(load_settings({"GPC_ENV": "reference"})).start.date()
    days = [first + timedelta(days=i) for i in range(4)]
    # Day 0: eleven free slots, so cut once, at the seventh start (09:50): eight from 09:00 ten minutes apart,
    # one from 09:45 to 09:55 that straddles the cut, two "Blood" ones at 11:00 and 11:10. Day 1: one slot.
    offered = ([_on(days[0], f"a{i}", 10 * i) for i in range(8)] + [_on(days[0], "x", 45, schedule="s-2")]
               + [_on(days[0], f"b{m}", m, slot_type="Blood") for m in (120, 130)] + [_on(days[1], "c", 0)])
    seen = []

    def at(value: str, end: bool) -> datetime:
        if "T" in value:
            return datetime.fromisoformat(value)
        return datetime.combine(date.fromisoformat(value) + timedelta(days=int(end)), datetime.min.time(), UK)

    def handler(request: httpx.Request):
        params = {k: v[0][2:] for k, v in parse_qs(request.url.query.decode()).items() if k in ("start", "end")}
        seen.append((params["start"], params["end"]))
        found = [r for r in offered if at(params["start"], False) <= datetime.fromisoformat(r["start"])
                 and datetime.fromisoformat(r["end"]) <= at(params["end"], True)]
        return httpx.Response(200, content=json.dumps(bundle(*found)).encode(),
                              headers={"Content-Type": "application/fhir+json", "Cache-Control": "no-store"})

    settings = load_settings({"GPC_ENV": "reference", "GPC_SEARCH_DAYS": "4"})
    client = GpConnectClient(settings, "https://provider.example/fhir", transport=httpx.MockTransport(handler))
    midnight, cut, next_midnight = (at(str(days[0]), False) + timedelta(hours=h, minutes=m)
                                    for h, m in ((0, 0), (9, 50), (24, 0)))
    part_one, part_two = ((a.isoformat(timespec="seconds"), b.isoformat(timespec="seconds"))
                          for a, b in ((midnight, cut), (cut, next_midnight)))
    chooser = discovery.SlotChooser()
    assert chooser.choose(client, settings, "single", discovery.single).id == "a0"
    assert seen == [(str(days[0]), str(days[0]))], "the day whole the first time, which offers 11 free slots"
    seen.clear()

    def blood_pair(slots, window):
        return discovery.run_of([s for s in slots if s.slot_type == "Blood"], 2, window)

    assert [s.id for s in chooser.choose(client, settings, "blood", blood_pair)] == ["b120", "b130"]
    assert seen == [part_one, part_two], "then in parts, cut at a slot's start"
    seen.clear()
    chooser.choose(client, settings, "blood", blood_pair)
    assert seen == [part_two], "from the part that kind was last found in"
    seen.clear()
    straddling = chooser.choose(client, settings, "straddling", lambda slots, window: discovery.require(
        next((s for s in slots if s.id == "x"), None), "the straddling slot", window))
    assert straddling.id == "x" and seen[:3] == [part_one, part_two, (str(days[1]), str(days[1]))]
    assert seen[-1] == (str(days[0]), str(days[-1])), "in neither part: found in the whole window"


def test_free_slots_of_runs_another_answer_shares_take_this_answers_schedule():
    slots = [slot(f"s{i}", 10 * i) for i in range(300)]
    body = bundle(*slots)
    moved = {**body, "entry": body["entry"][2:] + [{"resource": {**body["entry"][0]["resource"],
                                                                 "serviceCategory": {"text": "Evening"}}}]}
    assert {s.schedule_type for s in discovery.free_slots(body)} == {None}
    again = discovery.free_slots(moved)  # the same slot entries, in the same runs, with another Schedule s-1
    assert [s.id for s in again] == [s["id"] for s in slots] and {s.schedule_type for s in again} == {"Evening"}
    assert discovery.free_slots(body) == discovery.free_slots(bundle(*slots))
    assert [s.schedule_raw for s in discovery.free_slots({**body, "entry": body["entry"][2:]})] == [None] * 300


def test_a_slots_keys_are_its_schedule_or_id_and_its_times_as_text_for_each_slot_even_one_replaced():
    import dataclasses

    slots = discovery.free_slots(bundle(*[slot(f"s{i}", 10 * i) for i in range(3)]))
    for s in slots:
        assert s.key == (s.schedule, s.start.isoformat(), s.end.isoformat())
        assert s.id_and_times == (s.id, s.start.isoformat(), s.end.isoformat())
    moved = dataclasses.replace(slots[0], id="other", schedule="s-9", end=slots[1].end)
    assert moved.key == ("s-9", slots[0].start.isoformat(), slots[1].end.isoformat())
    assert moved.id_and_times == ("other", slots[0].start.isoformat(), slots[1].end.isoformat())
