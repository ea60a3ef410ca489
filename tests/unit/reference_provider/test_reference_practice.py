"""The bundled provider's practices (small, large and hub) and its fixed response delay."""

import asyncio
from datetime import date, timedelta

import pytest

from harness.cli import bundled_provider as reference
from harness.settings import REFERENCE_PRACTICES, load_settings
from reference_provider import practice, resources
from reference_provider.__main__ import parse_args
from reference_provider.latency import Latency, with_latency
from reference_provider.store import utc_text

TODAY = date(2026, 12, 1)


def free_in_14_days(name: str) -> list[practice.SlotRow]:
    practice.use(name)
    try:
        rows = practice.generate_slots(TODAY)
        return [r for r in rows
                if r.status == "free" and r.bookable and TODAY < r.start.date() <= TODAY + timedelta(days=14)]
    finally:
        practice.use("small")


def test_the_large_practice_offers_about_6000_free_slots_in_14_days():
    assert 5500 <= len(free_in_14_days("large")) <= 6500
    assert 800 <= len(free_in_14_days("small")) <= 1200


def test_the_large_practice_keeps_the_small_ones_variety():
    rows = free_in_14_days("large")
    practice.use("large")
    try:
        schedules = {s.id: s for s in practice.SCHEDULES}
        assert len(practice.LOCATIONS) > 2 and len(practice.PRACTITIONERS) > 4
    finally:
        practice.use("small")
    assert {r.channel for r in rows} == {"In-person", "Telephone", "Video"}
    assert len({r.slot_type for r in rows}) >= 6
    assert any(s.schedule_type is None and s.practitioner_id is None for s in schedules.values())
    assert (len({r.schedule_id for r in rows if r.org_codes}) >= 2
            and len({r.schedule_id for r in rows if r.org_types}) >= 2)
    every = practice.PRACTICES["large"]
    assert all(s in every.schedules for s in practice.SMALL.schedules)
    assert len({s.id for s in every.schedules}) == len(every.schedules)


def test_the_hub_offers_about_30000_free_slots_with_the_same_variety():
    rows = free_in_14_days("hub")
    assert 27000 <= len(rows) <= 31000
    every = practice.PRACTICES["hub"]
    hub = [s for s in every.schedules if s not in practice.SMALL.schedules]
    assert len(hub) == 17 and all(b.minutes == 5 for s in hub for b in s.blocks)
    assert all(s in every.schedules for s in practice.SMALL.schedules)
    assert len({s.id for s in every.schedules}) == len(every.schedules)
    hub_rows = [r for r in rows if r.schedule_id in {s.id for s in hub}]
    assert {r.channel for r in hub_rows} == {"In-person", "Telephone", "Video"}
    assert any(s.schedule_type is None for s in hub) and any(s.schedule_type for s in hub)
    assert any(s.practitioner_id is None for s in hub)
    assert any(r.org_codes for r in hub_rows) and any(r.org_types for r in hub_rows)
    assert len({r.slot_type for r in hub_rows}) >= 8


def test_use_rebinds_what_the_provider_serves():
    practice.use("large")
    try:
        assert practice.SCHEDULES == practice.PRACTICES["large"].schedules
    finally:
        practice.use("small")
    assert practice.SCHEDULES == practice.SMALL.schedules


def test_options_choose_practice_and_latency():
    args = parse_args(["--practice", "large", "--latency-ms", "200"])
    assert (args.practice, args.latency_ms) == ("large", 200)
    assert (parse_args([]).practice, parse_args([]).latency_ms) == ("small", 0)
    with pytest.raises(SystemExit):
        parse_args(["--practice", "huge"])


def test_the_harness_starts_the_provider_with_the_configured_practice_and_latency(monkeypatch, tmp_path):
    seen = []

    def fake_popen(cmd, **kwargs):
        seen.append((cmd, kwargs))
        raise RuntimeError("not started in this test")

    monkeypatch.setattr(reference.subprocess, "Popen", fake_popen)
    monkeypatch.setattr(reference.sys, "platform", "linux")
    monkeypatch.setenv("GPC_SEEN_BY_THE_PROVIDER", "1")
    settings = load_settings({"GPC_ENV": "reference", "GPC_REFERENCE_PRACTICE": "large",
                              "GPC_REFERENCE_LATENCY_MS": "200"})
    with pytest.raises(RuntimeError):
        reference.start(settings, tmp_path / "provider.log")
    cmd = " ".join(seen[0][0])
    assert "--practice large" in cmd and "--latency-ms 200" in cmd
    env = seen[0][1]["env"]  # the harness's environment, and glibc's thresholds for large buffers
    assert env["GPC_SEEN_BY_THE_PROVIDER"] == "1" and env["MALLOC_TRIM_THRESHOLD_"] == str(256 * 1024 * 1024)


async def _answer(scope, receive, send):
    await send({"type": "http.response.start", "status": 200, "headers": []})


def test_latency_delays_every_request_by_the_configured_milliseconds():
    slept = []

    async def sleep(seconds):
        slept.append(seconds)

    sent = []

    async def send(message):
        sent.append(message)

    app = Latency(_answer, 200, sleep=sleep)
    asyncio.run(app({"type": "http"}, None, send))
    asyncio.run(app({"type": "lifespan"}, None, send))
    assert slept == [0.2]
    assert len(sent) == 2
    assert with_latency(_answer, 0) is _answer


def test_concurrent_requests_wait_side_by_side():
    waiting, most = [0], [0]

    async def sleep(seconds):
        waiting[0] += 1
        most[0] = max(most[0], waiting[0])
        for _ in range(100):  # lets the other request in, if the delay does not block it
            await asyncio.sleep(0)
        waiting[0] -= 1

    async def send(message):
        pass

    app = Latency(_answer, 200, sleep=sleep)

    async def both():
        await asyncio.gather(app({"type": "http"}, None, send), app({"type": "http"}, None, send))

    asyncio.run(both())
    assert most[0] == 2


@pytest.mark.parametrize("searched_as", [(), (("searchFilter", "https://fhir.nhs.uk/Id/ods-organization-code|Y90001"),),
                                         (("searchFilter", "https://fhir.nhs.uk/STU3/CodeSystem/"
                                                           "GPConnect-OrganisationType-1|urgent-care"),)])
def test_a_search_without_faults_answered_as_text_is_the_same_bundle(practice_store, searched_as):
    """The provider serialises each Slot once (search_text) where no fault can rewrite the answer."""
    import json

    from reference_provider import slot_search

    store = practice_store
    store.initialise(TODAY)
    items = [("start", f"ge{TODAY}"), ("end", f"le{TODAY + timedelta(days=14)}"), ("status", "free"),
             ("_include", "Slot:schedule"), ("_include:recurse", "Schedule:actor:Practitioner"), *searched_as]
    query = slot_search.parse_query(items, frozenset())
    expected = slot_search.search(store, query, "A99901", frozenset())
    assert len(expected["entry"]) > 500
    for _ in range(2):  # built, then from the serialised slots
        assert json.loads(slot_search.search_text(store, query, "A99901")) == expected


def test_slots_selected_again_are_the_same_until_a_write_even_one_that_fails_after_committing_part(practice_store):
    from datetime import datetime

    store = practice_store
    store.initialise(TODAY)
    start = datetime.combine(TODAY + timedelta(days=1), datetime.min.time(), practice.UK)
    end = start + timedelta(days=14)
    free = store.slots_between(start, end, status="free")
    assert store.slots_between(start, end, status="free") == free and len(free) > 100
    with store.connect(write=True) as conn:
        conn.execute("UPDATE slot SET status = 'busy' WHERE id = ?", (free[0]["id"],))
    assert free[0]["id"] not in {r["id"] for r in store.slots_between(start, end, status="free")}
    with pytest.raises(RuntimeError), store.connect(write=True) as conn:
        conn.execute("UPDATE slot SET status = 'busy' WHERE id = ?", (free[1]["id"],))
        conn.execute("COMMIT")
        conn.execute("BEGIN IMMEDIATE")
        raise RuntimeError("refused after committing part of the write")
    assert free[1]["id"] not in {r["id"] for r in store.slots_between(start, end, status="free")}


def test_every_practice_the_provider_plays_is_one_gpc_reference_practice_accepts():
    assert set(REFERENCE_PRACTICES) == set(practice.PRACTICES)
    assert all(load_settings({"GPC_ENV": "reference", "GPC_REFERENCE_PRACTICE": name}).reference_practice == name
               for name in practice.PRACTICES)


def _every_slot(store) -> list:
    with store.connect() as conn:
        return conn.execute("SELECT * FROM slot").fetchall()


def _wanted(every: list, start, end, overlapping: bool) -> list[int]:
    if overlapping:
        rows = [r for r in every if r["end_utc"] > utc_text(start) and r["start_utc"] < utc_text(end)]
    else:
        rows = [r for r in every if r["start_utc"] >= utc_text(start) and r["end_utc"] <= utc_text(end)]
    return [r["id"] for r in sorted((r for r in rows if r["bookable"] and r["status"] == "free"),
                                    key=lambda r: (r["start_utc"], r["schedule_id"], r["id"]))]


def test_a_selection_is_every_free_slot_inside_its_window_after_every_kind_of_write(practice_store):
    from datetime import datetime

    store = practice_store
    store.initialise(TODAY)
    day = datetime.combine(TODAY + timedelta(days=2), datetime.min.time(), practice.UK)
    windows = [(day, day + timedelta(days=1)), (day + timedelta(hours=10, minutes=5), day + timedelta(hours=11)),
               (day - timedelta(days=1), day + timedelta(days=13))]
    first = store.slots_between(*windows[0], status="free")
    late = store.slots_between(*windows[2], status="free")[-1]
    writes = [
        "UPDATE slot SET status = 'busy' WHERE id = %d" % first[0]["id"],  # one slot, in place
        "UPDATE slot SET status = 'free', version = version + 1 WHERE id = %d" % first[0]["id"],
        "UPDATE slot SET bookable = 0 WHERE id = %d" % first[1]["id"],
        # a slot moved: another place in the order
        "UPDATE slot SET start_utc = '%s' WHERE id = %d" % (first[2]["start_utc"], late["id"]),
        "INSERT INTO slot (schedule_id,start,end,start_utc,end_utc,status,slot_type,channel,bookable,org_codes,"
        "org_types) SELECT schedule_id,start,end,start_utc,end_utc,'free',slot_type,channel,1,'','' FROM slot "
        "WHERE id = %d" % first[3]["id"],  # a slot added beside another of the same start and schedule
        "DELETE FROM slot WHERE id = %d" % first[4]["id"],
        "UPDATE slot SET status = 'busy' WHERE status = 'free' AND id % 3 = 0",  # more than the log is read for
    ]
    for write in [None] + writes:
        if write is not None:
            with store.connect(write=True) as conn:
                conn.execute(write)
        every = _every_slot(store)
        for start, end in windows:
            for overlapping in (False, True):
                got = store.slots_between(start, end, overlapping=overlapping, status="free")
                assert [r["id"] for r in got] == _wanted(every, start, end, overlapping), write
                assert all(tuple(r) == tuple(next(e for e in every if e["id"] == r["id"])) for r in got[:50])


def test_the_slot_table_is_read_once_in_index_order_and_then_only_the_slots_a_write_changed(practice_store):
    from datetime import datetime

    store = practice_store
    store.initialise(TODAY)
    start = datetime.combine(TODAY + timedelta(days=1), datetime.min.time(), practice.UK)
    end = start + timedelta(days=13)
    sent: list[str] = []
    with store.connect() as conn:
        conn.set_trace_callback(sent.append)
        free = store.slots_between(start, end, status="free")
        plans = [row[-1] for sql in sent if "FROM slot " in sql for row in conn.execute("EXPLAIN QUERY PLAN " + sql)]
        assert not any("TEMP B-TREE" in plan for plan in plans), "read in the index's order: start, then schedule"
        assert store.selected_slots(start, end, status="free") is store.selected_slots(start, end, status="free")
        kept = store.selected_slots(start, end, status="free")
        with store.connect(write=True) as write:  # no slot touched: the very selection is kept
            write.execute("INSERT INTO appointment VALUES (999, '1', 1, 'booked', 'x', '{}', 'x')")
        assert store.selected_slots(start, end, status="free") is kept
        sent.clear()
        with store.connect(write=True) as write:
            write.execute("UPDATE slot SET status = 'busy' WHERE id = ?", (free[5]["id"],))
        again = store.selected_slots(start, end, status="free")
        read = [sql for sql in sent if "FROM slot " in sql]
        assert read == [f"SELECT * FROM slot WHERE id IN ({free[5]['id']})"], "the changed slot alone is read again"
        assert [r["id"] for r in again] == [r["id"] for r in free if r["id"] != free[5]["id"]]
        assert all(a is b for a, b in zip(again[:5], free[:5])), "an unchanged slot keeps its row"
        with pytest.raises(RuntimeError), store.connect(write=True) as write:
            write.execute("UPDATE slot SET status = 'busy' WHERE id = ?", (free[6]["id"],))
            raise RuntimeError("rolled back")
        assert store.selected_slots(start, end, status="free") is again
        conn.set_trace_callback(None)


def test_a_write_caught_up_by_reading_every_slot_still_ends_the_selections_made_before_it(practice_store):
    from datetime import datetime

    store = practice_store
    store.initialise(TODAY)
    start = datetime.combine(TODAY + timedelta(days=1), datetime.min.time(), practice.UK)
    end = start + timedelta(days=13)
    free = store.selected_slots(start, end, status="free")
    with store.connect(write=True) as conn:
        conn.execute("UPDATE slot SET status = 'busy' WHERE id = ?", (free[0]["id"],))
    assert any(r["id"] == free[0]["id"] and r["status"] == "busy" for r in store.slot_rows())  # caught up here
    assert free[0]["id"] not in {r["id"] for r in store.selected_slots(start, end, status="free")}


def test_an_answer_made_once_is_given_again_only_for_the_same_selection_runs_and_includes(practice_store):
    import json

    from reference_provider import slot_search

    store = practice_store
    store.initialise(TODAY)
    window = [("start", f"ge{TODAY}"), ("end", f"le{TODAY + timedelta(days=14)}"), ("status", "free"),
              ("_include", "Slot:schedule")]
    queries = [window, window + [("searchFilter", "https://fhir.nhs.uk/STU3/CodeSystem/"
                                                  "GPConnect-OrganisationType-1|urgent-care")],
               window + [("_include:recurse", "Schedule:actor:Location")], window]
    for _ in range(2):
        for items in queries:
            query = slot_search.parse_query(items, frozenset())
            assert json.loads(slot_search.search_text(store, query, "A99901")) == \
                slot_search.search(store, query, "A99901", frozenset())
        offered = json.loads(slot_search.search_text(store, query, "A99901"))["entry"][0]["resource"]
        with store.connect(write=True) as conn:  # a write: the selection is made again
            conn.execute("UPDATE slot SET status = 'busy' WHERE id = ?", (int(offered["id"]),))


def test_slots_serialised_ahead_give_the_answers_made_without_them_and_a_changed_slot_is_serialised_again(
        practice_store):
    import json

    from reference_provider import slot_search

    store = practice_store
    store.initialise(TODAY)
    slot_search._SLOT_JSON.clear()
    slot_search.warm(store)
    free = [row for row in store.slot_rows() if row["bookable"] and row["status"] == "free"]
    assert free and len(slot_search._SLOT_JSON) == len(free)
    assert all(slot_search._SLOT_JSON[id(row)][0] is row and json.loads(slot_search._SLOT_JSON[id(row)][1])
               == {"resource": resources.slot(row)} for row in free)
    window = [("start", f"ge{TODAY}"), ("end", f"le{TODAY + timedelta(days=14)}"), ("status", "free"),
              ("_include", "Slot:schedule")]
    query = slot_search.parse_query(window, frozenset())
    first = json.loads(slot_search.search_text(store, query, "A99901"))
    assert first == slot_search.search(store, query, "A99901", frozenset())
    with store.connect(write=True) as conn:  # freed again with its version moved on: another row, another text
        conn.execute("UPDATE slot SET version = version + 1 WHERE id = ?", (int(first["entry"][0]["resource"]["id"]),))
    again = json.loads(slot_search.search_text(store, query, "A99901"))
    assert again == slot_search.search(store, query, "A99901", frozenset()) and again != first
