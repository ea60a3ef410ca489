"""Steps for features/book_an_appointment.feature."""

from __future__ import annotations

import threading

import pytest
from pytest_bdd import given, parsers, scenarios, then, when

from harness import appointments as appts
from harness import fhir
from harness import slot_search as ss
from harness import test_data as td
from harness.errors import Nonconformance
from harness.outcomes import check_refusal
from steps.common.appointment_steps import data_or_skip, free_slots_now

scenarios("book_an_appointment.feature")


@pytest.fixture
def response(booking):
    return booking.exchange


@given("a free slot", target_fixture="chosen_slots")
def a_free_slot(gp_connect, settings):
    slots, window = free_slots_now(gp_connect, settings)
    return [data_or_skip(lambda: td.single(slots, window))]


@given(parsers.re(r"a run of (?P<count>\d+) adjacent free slots that share schedule, delivery channel and slot type"),
       converters={"count": int},
       target_fixture="chosen_slots")
def a_run(gp_connect, settings, count):
    slots, window = free_slots_now(gp_connect, settings)
    found = data_or_skip(lambda: td.require(td.runs(slots, count), f"{count} adjacent free slots sharing schedule, "
                                            "delivery channel and slot type", window))
    return found[0]


@given("two free slots of one schedule with a gap between them", target_fixture="chosen_slots")
def a_gap_pair(gp_connect, settings):
    slots, window = free_slots_now(gp_connect, settings)
    return list(data_or_skip(lambda: td.require(td.pair_with_gap(slots), "two free slots of one schedule, channel "
                                                "and slot type with a gap between them", window)))


@given(parsers.re(r"two adjacent free slots that differ in (?P<rule>schedule|channel|slot type)"),
       target_fixture="chosen_slots")
def a_mixed_pair(gp_connect, settings, rule):
    slots, window = free_slots_now(gp_connect, settings)
    return list(data_or_skip(lambda: td.require(td.pair_differing_in(slots, rule),
                                                f"two adjacent free slots with different {rule}", window)))


@when("the consumer books those slots for the test patient", target_fixture="booking")
def book_them(gp_connect, settings, ledger, patient_id, chosen_slots):
    return appts.book(gp_connect, ledger, settings, chosen_slots, patient_id)


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
    missing = [h for h in ("Location", "ETag") if not booking.exchange.header(h)]
    if missing:
        raise Nonconformance(f"booking answered 201 without {' and '.join(missing)} header "
                             f"({booking.exchange.short_request()})")


@then("the appointment carries the booked slots' slot type and their schedule's schedule type")
def carries_slot_types(booking):
    appointment = booking.appointment()
    problems = appts.type_problems(appointment, booking.expected_slot_type, booking.expected_schedule_type)
    appts.raise_problems(problems, booking.exchange.short_request())


@then("the appointment lists every booked slot and spans them")
def lists_slots(booking):
    appts.raise_problems(appts.slot_problems(booking.appointment(), booking.slots), booking.exchange.short_request())


@then("the booking organisation, description and comment are returned as the consumer sent them")
def kept_as_sent(booking):
    appts.raise_problems(appts.as_sent_problems(booking.appointment(), booking.request_body),
                         booking.exchange.short_request())


@then("the provider refuses the multi-slot booking")
def refused_multislot(booking, settings):
    check_refusal(booking.exchange, settings.multislot_refusal_status, settings.multislot_refusal_code)


@then("the test patient has no appointment on those slots and every one of them is still free")
def nothing_booked(gp_connect, settings, patient_id, booking):
    slots = booking.slots
    days = sorted({s.start.astimezone(ss.UK).date() for s in slots})
    search = ss.search(gp_connect, settings, ss.Window.days(days[0], days[-1]))
    search.require_searchset()
    offered = {s.key for s in td.free_slots(search.exchange.json())}
    problems = [f"{s.describe()} is no longer offered as free" for s in slots if s.key not in offered]
    retrieved = appts.retrieve(gp_connect, patient_id, days[0], days[-1])
    wanted = {("Slot", s.id) for s in slots}

    for appointment in appts.retrieved_appointments(retrieved):
        if appointment.get("status") == "cancelled":
            continue
        on_slots = {fhir.ref_key((r or {}).get("reference")) for r in appointment.get("slot") or []} & wanted
        if on_slots or booking.marker in (appointment.get("description") or ""):
            problems.append(f"{appts.label(appointment)} was made by the refused booking "
                            f"(slots {sorted(k[1] for k in on_slots)})")
    appts.raise_problems(problems, f"after refused {booking.exchange.short_request()}")


@then("exactly one booking succeeds and the other is refused with 409 DUPLICATE_REJECTED")
def exactly_one(race):
    won = [b for b in race if b.succeeded]
    if len(won) != 1:
        raise Nonconformance(f"two simultaneous bookings of {race[0].slots[0].describe()}: expected exactly one to "
                             f"succeed, {len(won)} did (HTTP {race[0].exchange.status} and {race[1].exchange.status})")
    lost = next(b for b in race if not b.succeeded)
    check_refusal(lost.exchange, 409, "DUPLICATE_REJECTED")
