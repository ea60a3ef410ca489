"""A wider search offers every slot a narrower one of the same consumer offers before and after it."""

from datetime import datetime, timedelta

from harness.consumer import discovery
from harness.consumer import slot_search as ss
from harness.judge import search_relations as relations
from harness.spec.constants import DELIVERY_CHANNEL_URL, UK

T0 = datetime(2026, 12, 1, 9, 0, tzinfo=UK)


def slots(*spec):
    """SlotInfo for (id, minutes after 09:00) pairs, one schedule, 10-minute slots."""
    entries = [{"resource": {"resourceType": "Schedule", "id": "s-1", "actor": [{"reference": "Location/1"}]}}]
    for sid, minutes in spec:
        start = T0 + timedelta(minutes=minutes)
        entries.append({"resource": {
            "resourceType": "Slot", "id": sid, "status": "free", "schedule": {"reference": "Schedule/s-1"},
            "serviceType": [{"text": "GP"}], "start": start.isoformat(),
            "end": (start + timedelta(minutes=10)).isoformat(),
            "extension": [{"url": DELIVERY_CHANNEL_URL, "valueCode": "In-person"}]}})
    return discovery.free_slots({"resourceType": "Bundle", "type": "searchset", "entry": entries})


def test_a_slot_both_narrow_searches_offered_inside_the_window_must_be_offered_by_the_wide_one():
    day = slots(("1", 0), ("2", 60), ("3", 120))
    window = ss.Window.times(T0 + timedelta(minutes=30), T0 + timedelta(minutes=200))
    found = relations.missing_from(slots(("3", 120)), window, day, day, "the search of 2026-12-01")
    assert [(v.requirements, v.resource) for v in found] == [(("SLOT-COMPLETE-01",), "Slot 2")]
    assert found[0].message.startswith(
        "Slot 2 (2026-12-01T10:00:00+00:00 to 2026-12-01T10:10:00+00:00, Schedule s-1) is offered by the search of "
        "2026-12-01 before and after, lies inside ")


def test_a_slot_outside_the_window_or_gone_from_the_second_narrow_search_is_not_held_against_it():
    day = slots(("1", 0), ("2", 60))
    window = ss.Window.times(T0 + timedelta(minutes=30), T0 + timedelta(minutes=200))
    assert relations.missing_from([], window, day, slots(("1", 0)), "the search of 2026-12-01") == []
