"""Steps for features/book_an_appointment.feature."""

from __future__ import annotations

import dataclasses
import threading
from contextlib import contextmanager

import pytest
from pytest_bdd import given, parsers, scenarios, then, when

from harness.checks import appointments as appt_checks
from harness.checks import bookings as booking_checks
from harness.checks.refusals import refusal_rule, refusal_violations
from harness.checks.violations import fail_if_any, status_violations
from harness.consumer import appointments as appts
from harness.consumer import changes, discovery
from harness.consumer import foundations as fnd
from harness.errors import MissingTestData
from harness.spec.requirements import type_requirements
from steps.common.appointment_steps import choose_free

scenarios("book_an_appointment.feature")


@pytest.fixture
def response(booking):
    return booking.exchange


@given("a free slot", target_fixture="chosen_slots")
def a_free_slot(gp_connect, settings):
    return [choose_free(gp_connect, settings, "single", discovery.single)]


@given(parsers.re(r"a run of (?P<count>\d+) adjacent free slots that share schedule, delivery channel and slot type"),
       converters={"count": int},
       target_fixture="chosen_slots")
def a_run(gp_connect, settings, count):
    return choose_free(gp_connect, settings, f"run of {count}",
                       lambda slots, window: discovery.run_of(slots, count, window))


@given("two free slots of one schedule with a gap between them", target_fixture="chosen_slots")
def a_gap_pair(gp_connect, settings):
    def choose(slots, window):
        return list(discovery.require(discovery.pair_with_gap(slots), "two free slots of one schedule, channel "
                                      "and slot type with a gap between them", window))
    return choose_free(gp_connect, settings, "gap pair", choose)


@given(parsers.re(r"two adjacent free slots that differ in (?P<rule>schedule|channel|slot type)"),
       target_fixture="chosen_slots")
def a_mixed_pair(gp_connect, settings, rule):
    def choose(alone: bool):
        def pick(slots, window):
            return list(discovery.require(discovery.pair_differing_in(slots, rule, alone),
                                          f"two adjacent free slots with different {rule}"
                                          + (" and nothing else different" if alone else ""), window))
        return pick
    return _alone_first(gp_connect, settings, f"pair differing in {rule}", choose)


def _alone_first(gp_connect, settings, kind: str, choose):
    """Slots that break one multi-slot rule alone, searched for over the whole window before any that break
    it with others: a provider that checks only one of the rules they break would still refuse the latter."""
    try:
        return choose_free(gp_connect, settings, f"{kind} alone", choose(True))
    except MissingTestData:
        return choose_free(gp_connect, settings, kind, choose(False))


@given(parsers.re(r"two adjacent free slots that share schedule, delivery channel and slot type, and (?:a third after "
                  r"(?P<gap>a gap)|an adjacent third of another (?P<rule>schedule|channel|slot type))"),
       target_fixture="chosen_slots")
def a_triple(gp_connect, settings, gap, rule):
    breaks = gap or rule

    def choose(alone: bool):
        def pick(slots, window):
            return list(discovery.require(discovery.triple_with_third_differing(slots, breaks, alone),
                                          f"two adjacent free slots sharing schedule, channel and slot type and a "
                                          f"third after them breaking {'only ' if alone else ''}{breaks}", window))
        return pick
    return _alone_first(gp_connect, settings, f"triple, third breaking {breaks}", choose)


@given(parsers.re(r"the (?P<position>second|third) of those slots was just booked for the test patient"),
       target_fixture="taken")
def one_of_them_booked(gp_connect, settings, ledger, patient_id, chosen_slots, position):
    taken = chosen_slots[{"second": 1, "third": 2}[position]]
    appts.book(gp_connect, ledger, settings, [taken], patient_id).appointment()
    return taken


@given(parsers.re(r"a free slot found by a search (?P<organisation>with its organisation type|without an organisation "
                  r"type)"), target_fixture="chosen_slots")
def a_free_slot_by_organisation(gp_connect, settings, organisation):
    searched = organisation_settings(settings, organisation)
    return [choose_free(gp_connect, searched, "channel and role", changes.slot_with_channel_and_role)]


def organisation_settings(settings, organisation: str):
    """The run's settings as a consumer sending, or not sending, its organisation type."""
    if organisation.startswith("without"):
        return dataclasses.replace(settings, consumer_org_type="")
    if not settings.consumer_org_type:
        raise MissingTestData("GPC_CONSUMER_ORG_TYPE is empty: this consumer sends no organisation type")
    return settings


@when(parsers.re(r"the consumer books it for the test patient (?P<organisation>with its organisation type|without an "
                 r"organisation type), (?P<channel>with|without) (?:the slot's|a) delivery channel and "
                 r"(?P<role>with|without) (?:the schedule's|a) practitioner role"), target_fixture="booking")
def book_with_optional_elements(gp_connect, settings, ledger, patient_id, chosen_slots, organisation, channel, role):
    edit = changes.optional_elements(chosen_slots[0], channel == "with", role == "with")
    return appts.book(gp_connect, ledger, organisation_settings(settings, organisation), chosen_slots, patient_id,
                      edit=edit)


@when("the consumer books those slots for the test patient", target_fixture="booking")
def book_them(gp_connect, settings, ledger, patient_id, chosen_slots):
    return appts.book(gp_connect, ledger, settings, chosen_slots, patient_id)


@when(parsers.re(r"the consumer books those slots for the test patient (?P<asking>sending (?:_format|Prefer).+)"),
      target_fixture="booking")
def book_asking(gp_connect, settings, ledger, patient_id, chosen_slots, asking):
    return appts.book(gp_connect, ledger, settings, chosen_slots, patient_id, send_overrides=fnd.asking(asking))


@when("the consumer books those slots for the test patient sending its own slot type and schedule type",
      target_fixture="booking")
def book_with_own_types(gp_connect, settings, ledger, patient_id, chosen_slots):
    def own_types(body):
        body["serviceType"] = [{"text": "Consumer's own slot type"}]
        body["serviceCategory"] = {"text": "Consumer's own schedule type"}

    return appts.book(gp_connect, ledger, settings, chosen_slots, patient_id, edit=own_types)


@when(parsers.re(r"the consumer books those slots for the test patient with a (?P<element>reason|specialty)"),
      target_fixture="booking")
def book_with_forbidden(gp_connect, settings, ledger, patient_id, chosen_slots, element):
    value = {"reason": [{"text": "Persistent cough"}], "specialty": [{"text": "General practice"}]}[element]
    return appts.book(gp_connect, ledger, settings, chosen_slots, patient_id,
                      edit=lambda body: body.__setitem__(element, value))


@when(parsers.parse("the consumer books those slots for the test patient with a description of {description:d} "
                    "and a comment of {comment:d} characters"), target_fixture="booking")
def book_with_texts(gp_connect, settings, ledger, patient_id, chosen_slots, description, comment):
    def texts(body):
        body["description"] = changes.text_of(description, body["description"].split()[0] + " ")
        body["comment"] = changes.text_of(comment)

    return appts.book(gp_connect, ledger, settings, chosen_slots, patient_id, edit=texts)


@when(parsers.parse("the consumer sends a booking of those slots for the test patient {defect}"),
      target_fixture="booking")
def book_with_defect(gp_connect, settings, ledger, patient_id, chosen_slots, defect):
    edit = appts.BOOKING_DEFECTS.get(defect) or appts.BOOKING_VARIANTS[defect]
    return appts.book(gp_connect, ledger, settings, chosen_slots, patient_id, edit=edit)


@contextmanager
def unjudged(gp_connect, oracle):
    """Requests the oracle does not judge: a path that is no endpoint answers for no GP Connect
    interaction, so its rules do not apply (BOOK-URL-01 judges the answer)."""
    gp_connect.remove_listener(oracle)
    try:
        yield
    finally:
        gp_connect.add_listener(oracle)


@when(parsers.parse('the consumer posts a booking of those slots for the test patient to "{path}"'),
      target_fixture="booking")
def book_at_path(gp_connect, settings, ledger, patient_id, chosen_slots, oracle, path):
    with unjudged(gp_connect, oracle):
        return appts.book(gp_connect, ledger, settings, chosen_slots, patient_id, path=path)


@when(parsers.parse('the consumer books the slot "{reference}" for the test patient'), target_fixture="booking")
def book_reference(gp_connect, settings, ledger, patient_id, chosen_slots, reference):
    return appts.book(gp_connect, ledger, settings, chosen_slots, patient_id, edit=appts.slot_reference(reference))


@when("the consumer books the first of those slots with the end of the second", target_fixture="booking")
def book_with_wrong_end(gp_connect, settings, ledger, patient_id, chosen_slots):
    first, second = chosen_slots[:2]
    booking = appts.book(gp_connect, ledger, settings, [first], patient_id,
                         edit=lambda body: body.__setitem__("end", second.raw["end"]))
    booking.slots = [first, second]  # both must stay free
    return booking


@when("the consumer books the same slots again", target_fixture="response")
def book_again(gp_connect, settings, ledger, patient_id, booking):
    booking.appointment()
    return appts.book(gp_connect, ledger, settings, booking.slots, patient_id).exchange


@when("the consumer books the same slots for the second test patient", target_fixture="response")
def book_again_for_second(gp_connect, settings, ledger, booking):
    second = appts.find_second_patient_id(gp_connect, settings)
    booking.appointment()
    return appts.book(gp_connect, ledger, settings, booking.slots, second).exchange


@when("two consumers book those slots at the same moment", target_fixture="race")
def book_at_once(gp_connect, settings, ledger, patient_id, chosen_slots):
    start = threading.Barrier(2)
    results: list = [None, None]

    def attempt(i):
        start.wait()
        try:
            results[i] = appts.book(gp_connect, ledger, settings, chosen_slots, patient_id)
        except Exception as exc:  # surfaced below as the scenario's failure
            results[i] = exc

    threads = [threading.Thread(target=attempt, args=(i,)) for i in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    for r in results:
        if isinstance(r, Exception):
            raise r
    return results


@then("the provider answers 201 with a Location and an ETag")
def created(booking):
    booking.appointment()
    fail_if_any(booking_checks.created_violations(booking.exchange), booking.exchange.short_request())


@then("the provider accepts the booking")
def accepted(booking):
    fail_if_any(status_violations(booking.exchange, 201, "BOOK-OPTIONAL-01"), booking.exchange.short_request())


@then("the provider refuses the request to that path with an OperationOutcome")
def refused_path(booking):
    fail_if_any(booking_checks.unknown_path_violations(booking.exchange), booking.exchange.short_request())


@then("the booking is answered 201 with a Location and an ETag")
def created_without_body(booking):
    fail_if_any(booking_checks.answered_created_violations(booking.exchange), booking.exchange.short_request())


@then("the appointment its Location names reads back booked on those slots")
def location_reads_back(gp_connect, booking):
    appointment_id = appts.created_id(booking.exchange)
    ex = appts.read(gp_connect, appointment_id)
    appointment = appts.ok_appointment(ex)
    fail_if_any(appt_checks.read_id_violations(appointment, appointment_id)
                + appt_checks.field_violations(appointment, {"status": "booked"}, "BOOK-01")
                + booking_checks.slot_violations(appointment, booking.slots), ex.short_request())


@then("the appointment carries the booked slots' slot type and their schedule's schedule type")
def carries_slot_types(booking):
    kept = type_requirements(booking.exchange.interaction)
    fail_if_any(appt_checks.type_violations(booking.appointment(), booking.expected_slot_type,
                                            booking.expected_schedule_type, kept, sent=booking.request_body),
                booking.exchange.short_request())


@then("the appointment lists every booked slot and spans them")
def lists_slots(booking):
    fail_if_any(booking_checks.slot_violations(booking.appointment(), booking.slots), booking.exchange.short_request())


@then("the booking organisation, description and comment are returned as the consumer sent them")
def kept_as_sent(booking):
    fail_if_any(booking_checks.as_sent_violations(booking.appointment(), booking.request_body),
                booking.exchange.short_request())


@then("the provider refuses the multi-slot booking")
def refused_multislot(booking, settings, scenario_requirements):
    violations = refusal_violations(booking.exchange, refusal_rule(scenario_requirements),
                                    settings.multislot_refusal_status, settings.multislot_refusal_code)
    fail_if_any(violations, booking.exchange.short_request())


@then("the test patient has no appointment on those slots and every one of them is still free")
def nothing_booked(gp_connect, settings, patient_id, booking):
    offered, retrieved = appts.after_refused_booking(gp_connect, settings, patient_id, booking)
    violations = booking_checks.refused_booking_violations(booking.slots, booking.marker, offered, retrieved)
    fail_if_any(violations, f"after refused {booking.exchange.short_request()}")


@then("the test patient has no appointment on those slots but the one just booked, and the others are still free")
def nothing_else_booked(gp_connect, settings, patient_id, booking, taken):
    offered, retrieved = appts.after_refused_booking(gp_connect, settings, patient_id, booking)
    violations = booking_checks.refused_booking_violations(booking.slots, booking.marker, offered, retrieved,
                                                        kept={taken.id})
    fail_if_any(violations, f"after refused {booking.exchange.short_request()}")


@then("exactly one booking succeeds and the other is refused with 409 DUPLICATE_REJECTED")
def exactly_one(race):
    fail_if_any(booking_checks.race_violations(race), race[0].exchange.short_request())
