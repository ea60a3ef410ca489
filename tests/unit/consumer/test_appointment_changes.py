"""The changes the amend and cancel scenarios try, texts of chosen lengths, untyped-schedule test data
and the text and date checks, on plain dicts and MockTransport exchanges."""

import copy
from datetime import date

import pytest

from harness.consumer import changes, discovery
from harness.errors import MissingTestData
from harness.spec.constants import BOOKING_ORG_URL

APPOINTMENT = {
    "resourceType": "Appointment", "id": "52", "status": "booked", "priority": 0,
    "start": "2026-12-01T10:00:00+00:00", "end": "2026-12-01T10:10:00+00:00", "created": "2026-11-25T09:00:00+00:00",
    "slot": [{"reference": "Slot/7"}], "description": "gpc-1 assurance booking", "comment": "Booked",
    "serviceType": [{"text": "GP Appointment"}], "serviceCategory": {"text": "Morning surgery"},
    "contained": [{"resourceType": "Organization", "id": "1", "name": "Consumer"}],
    "extension": [{"url": BOOKING_ORG_URL, "valueReference": {"reference": "#1"}}],
    "participant": [{"actor": {"reference": "Patient/40"}}, {"actor": {"reference": "Location/2"}}],
}


@pytest.mark.parametrize("field, element, expected", [
    ("start", "start", "2026-12-01T09:55:00+00:00"),
    ("end", "end", "2026-12-01T10:15:00+00:00"),
    ("participant", "participant", [{"actor": {"reference": "Patient/40"}}]),
    ("slot", "slot", [{"reference": "Slot/7"}, {"reference": "Slot/8"}]),
    ("status", "status", "arrived"),
    ("priority", "priority", 1),
    ("created", "created", "2026-11-24T09:00:00+00:00"),
    ("description", "description", "gpc-1 assurance booking (changed)"),
    ("comment", "comment", "Booked (changed)"),
    ("slot type", "serviceType", [{"text": "GP Appointment (changed)"}]),
    ("schedule type", "serviceCategory", {"text": "Morning surgery (changed)"}),
])
def test_each_forbidden_change_changes_that_field_and_nothing_else(field, element, expected):
    body = copy.deepcopy(APPOINTMENT)
    changes.change(body, field)
    assert body[element] == expected
    assert {k: v for k, v in body.items() if k != element} == {k: v for k, v in APPOINTMENT.items() if k != element}


def test_the_booking_organisation_change_renames_the_contained_organization():
    body = copy.deepcopy(APPOINTMENT)
    changes.change(body, "booking organisation")
    assert body["contained"] == [{"resourceType": "Organization", "id": "1", "name": "Consumer (changed)"}]


def test_texts_have_exactly_the_length_asked_and_keep_their_start():
    for length in (100, 101, 500, 5000):
        text = changes.text_of(length, "gpc-1 ")
        assert len(text) == length and text.startswith("gpc-1 ") and not text.endswith(" ")


def test_an_environment_without_an_untyped_schedule_is_missing_test_data():
    typed = {"resourceType": "Schedule", "id": "3", "serviceCategory": {"text": "Morning surgery"},
             "actor": [{"reference": "Location/2"}]}
    slot = {"resourceType": "Slot", "id": "7", "status": "free", "schedule": {"reference": "Schedule/3"},
            "start": "2026-12-01T10:00:00+00:00", "end": "2026-12-01T10:10:00+00:00",
            "serviceType": [{"text": "GP Appointment"}]}
    bundle = {"resourceType": "Bundle", "entry": [{"resource": typed}, {"resource": slot}]}
    with pytest.raises(MissingTestData, match="^no free slot on a schedule without a schedule type offered "
                                              "2026-12-01 to 2026-12-07$"):
        changes.untyped_schedule_slot(discovery.free_slots(bundle), "2026-12-01 to 2026-12-07")
    del typed["serviceCategory"]
    assert changes.untyped_schedule_slot(discovery.free_slots(bundle), "").id == "7"


def test_the_days_after_an_appointment_are_the_week_after_its_day():
    assert changes.days_after(APPOINTMENT) == (date(2026, 12, 2), date(2026, 12, 8))
