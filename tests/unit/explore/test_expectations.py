"""What the model says a provider must answer next (harness/explore/expectations.py)."""

from datetime import datetime, timedelta
from types import SimpleNamespace

from harness.consumer.discovery import SlotInfo
from harness.explore import expectations as ex
from harness.judge.known import Known, SlotSeen
from harness.spec.constants import UK

T0 = datetime(2026, 12, 1, 9, 0, tzinfo=UK)


def _slot(sid, minutes=0, schedule="30", channel="In-person", slot_type="GP Appointment", length=10):
    start = T0 + timedelta(minutes=minutes)
    return SlotInfo(sid, schedule, start, start + timedelta(minutes=length), channel, slot_type, {}, None)


def _known(status="booked"):
    seen = SlotSeen("1", "30", T0.isoformat(), (T0 + timedelta(minutes=10)).isoformat(), ("GP Appointment",), None,
                    "In-person", frozenset(), frozenset())
    return Known("7", "40", [seen], "d", "c", status=status, version="2")


def test_adjacent_compatible_slots_must_be_booked_and_each_broken_rule_refused():
    assert ex.booking([_slot("1"), _slot("2", 10)], {}, "40").valid
    assert ex.booking([_slot("1"), _slot("2", 20)], {}, "40").refusals == (ex.GAP,)
    mixed = ex.booking([_slot("1"), _slot("2", 10, schedule="31", slot_type="Nurse")], {}, "40")
    assert mixed.refusals == (ex.SCHEDULE, ex.SLOT_TYPE) and mixed.refusal_status is None


def test_a_booking_of_a_slot_this_run_holds_is_refused_with_409_whatever_its_position():
    expected = ex.booking([_slot("1"), _slot("2", 10)], {"2": "7"}, "40")
    assert expected.refusals == (ex.DUPLICATE,) and expected.refusal_status == 409
    accepted = expected.judge(SimpleNamespace(status=201))
    assert [v.requirements for v in accepted] == [("BOOK-DUP-01",)]
    assert "must be refused (BOOK-DUP-01), got HTTP 201" in accepted[0].message
    assert expected.judge(SimpleNamespace(status=409)) == []
    assert "must be refused with HTTP 409, got HTTP 422" in expected.judge(SimpleNamespace(status=422))[0].message


def test_amend_and_cancel_expectations_follow_the_appointment_s_state():
    assert ex.amendment(_known(), False, "comment").valid
    assert ex.amendment(_known(), True, "comment").refusals == ("AMEND-ETAG-01",)
    assert ex.amendment(_known(), False, "slot type").refusal_status == 422
    assert ex.amendment(_known("cancelled"), False, "comment").refusals == ("AMEND-CANCELLED-01",)
    assert ex.cancellation(_known(), False, "no reason").refusals == ("CANCEL-REASON-01",)
    assert ex.cancellation(_known("cancelled"), True, "reason").refusals == ("AMEND-CANCELLED-01", "CANCEL-ETAG-01")
    failed = ex.amendment(_known(), False, "comment").judge(SimpleNamespace(status=500))
    assert [v.requirements for v in failed] == [("AMEND-01",)]


def test_a_refusal_with_another_4xx_than_only_nhs_s_suite_names_misses_only_that_expectation():
    expected = ex.cancellation(_known(), False, "no reason")
    assert expected.refusal_status == 422
    assert [v.requirements for v in expected.judge(SimpleNamespace(status=400))] == [("CANCEL-REASON-01-CODE",)]
    assert [v.requirements for v in expected.judge(SimpleNamespace(status=200))] == [("CANCEL-REASON-01",)]
    # The spec names 409 for a stale ETag: another status breaks the rule itself.
    stale = ex.cancellation(_known(), True, "reason")
    assert [v.requirements for v in stale.judge(SimpleNamespace(status=422, response_text=""))] == [("CANCEL-ETAG-01",)]


def test_a_stale_cancellation_carries_the_spine_code_nhs_s_suite_names():
    stale = ex.cancellation(_known(), True, "reason")

    def outcome(code):
        return SimpleNamespace(status=409, response_text='{"resourceType": "OperationOutcome", "issue": [{"details": '
                               '{"coding": [{"code": "%s"}]}}]}' % code)

    assert stale.judge(outcome("FHIR_CONSTRAINT_VIOLATION")) == []
    assert [v.requirements for v in stale.judge(outcome("CONFLICTING_VALUES"))] == [("CANCEL-ETAG-01-CODE",)]


def test_booking_variants_name_the_requirement_that_refuses_or_accepts_them():
    assert ex.booking([_slot("1")], {}, "40", "with a slot reference that is no slot").refusals == ("BOOK-SLOTREF-01",)
    assert ex.booking([_slot("1")], {}, "40", "to a path that is no endpoint").refusal_status is None
    optional = ex.booking([_slot("1")], {}, "40", "without the practitioner participant")
    assert optional.valid and [v.requirements for v in optional.judge(SimpleNamespace(status=422))] == \
        [("BOOK-OPTIONAL-01",)]
    other = ex.booking([_slot("1")], {}, "40", "with the JWT of another organisation")
    assert other.judge(SimpleNamespace(status=403)) == [] and other.judge(SimpleNamespace(status=500))
    compat = ex.amendment(_known(), False, "description, leaving out the types")
    assert [v.requirements for v in compat.judge(SimpleNamespace(status=422))] == [("AMEND-COMPAT-01",)]
    assert ex.cancellation(_known(), False, "comment").refusals == ("CANCEL-OTHER-01",)
