"""Steps for features/retrieve_a_patients_appointments.feature."""

from __future__ import annotations

import uuid
from datetime import timedelta

from pytest_bdd import parsers, scenarios, then, when

from harness import clock
from harness.checks import appointments as appt_checks
from harness.checks import retrieved as retrieve_checks
from harness.checks.violations import fail_if_any
from harness.consumer import appointments as appts
from harness.consumer import changes
from harness.consumer import foundations as fnd
from harness.errors import MissingTestData
from harness.spec.requirements import type_requirements

scenarios("retrieve_a_patients_appointments.feature")


@when("the consumer retrieves the test patient's appointments over the search window", target_fixture="response")
def retrieve_window(gp_connect, settings, patient_id):
    today = clock.today()
    return appts.retrieve(gp_connect, patient_id, today, today + timedelta(days=settings.search_days))


@when(parsers.re(r"the consumer retrieves the test patient's appointments over the search window "
                 r"(?P<asking>sending .+)"), target_fixture="response")
def retrieve_window_asking(gp_connect, settings, patient_id, asking):
    today = clock.today()
    return appts.retrieve(gp_connect, patient_id, today, today + timedelta(days=settings.search_days),
                          send=fnd.asking(asking))


@when(parsers.re(r"the consumer retrieves the test patient's appointments with a date range "
                 r"(?P<kind>starting in the past|with a time part|with only one start|that ends before it starts)"),
      target_fixture="response")
def retrieve_invalid(gp_connect, patient_id, kind):
    today = clock.today()
    params = {
        "starting in the past": [("start", f"ge{today - timedelta(days=7)}"),
                                 ("start", f"le{today + timedelta(days=7)}")],
        "with a time part": [("start", f"ge{today + timedelta(days=1)}T09:00:00+00:00"),
                             ("start", f"le{today + timedelta(days=7)}")],
        "with only one start": [("start", f"ge{today + timedelta(days=1)}")],
        "that ends before it starts": [("start", f"ge{today + timedelta(days=7)}"),
                                       ("start", f"le{today + timedelta(days=1)}")],
    }[kind]
    return appts.retrieve(gp_connect, patient_id, "", "", params=params)


@when(parsers.parse('the consumer retrieves the test patient\'s appointments '
                    'with start "{first}" and start "{second}"'),
      target_fixture="response")
def retrieve_with_values(gp_connect, patient_id, first, second):
    today = clock.today()
    params = [("start", appts.date_value(first, today)), ("start", appts.date_value(second, today))]
    return appts.retrieve(gp_connect, patient_id, "", "", params=params)


@when(parsers.parse('the consumer retrieves the test patient\'s appointments with start "{start}" alone'),
      target_fixture="response")
def retrieve_with_one(gp_connect, patient_id, start):
    return appts.retrieve(gp_connect, patient_id, "", "", params=[("start", appts.date_value(start, clock.today()))])


@when(parsers.parse('the consumer retrieves the appointments of the patient id "{patient}"'), target_fixture="response")
def retrieve_of(gp_connect, patient):
    today = clock.today()
    return appts.retrieve(gp_connect, patient, today, today + timedelta(days=7))


@when("the consumer retrieves the appointments of a patient id that does not exist", target_fixture="response")
def retrieve_unknown(gp_connect):
    today = clock.today()
    return appts.retrieve(gp_connect, f"no-such-patient-{uuid.uuid4().hex[:12]}", today, today + timedelta(days=7))


@when("the consumer retrieves the test patient's appointments over dates after that appointment",
      target_fixture="response")
def retrieve_after(gp_connect, patient_id, booked):
    return appts.retrieve(gp_connect, patient_id, *changes.days_after(booked.appointment))


@when("the consumer retrieves the second test patient's appointments for today and tomorrow", target_fixture="response")
def retrieve_second(gp_connect, settings):
    second = appts.find_second_patient_id(gp_connect, settings)
    today = clock.today()
    return appts.retrieve(gp_connect, second, today, today + timedelta(days=1))


@when("the consumer retrieves the test patient's appointments over the next 14 days", target_fixture="response")
def retrieve_fortnight(gp_connect, patient_id):
    today = clock.today()
    return appts.retrieve(gp_connect, patient_id, today, today + timedelta(days=14))


@when("the consumer retrieves the test patient's appointments over the search window with _sort=date",
      target_fixture="response")
def retrieve_sorted(gp_connect, settings, patient_id):
    today = clock.today()
    last = today + timedelta(days=settings.search_days)
    return appts.retrieve(gp_connect, patient_id, "", "",
                          params=[("start", f"ge{today}"), ("start", f"le{last}"), ("_sort", "date")])


@then("the provider answers 200 with a searchset holding no appointment")
def empty_searchset(response):
    fail_if_any(retrieve_checks.empty_retrieve_violations(response), response.short_request())
    held = [e for e in response.json().get("entry") or []
            if (e.get("resource") or {}).get("resourceType") == "Appointment"]
    if held:
        raise MissingTestData(f"the second test patient has {len(held)} appointments today or tomorrow: no patient "
                              "without appointments to see an empty searchset")


@then("the provider answers 200 with a searchset of appointments")
def searchset(response):
    fail_if_any(retrieve_checks.empty_retrieve_violations(response, "FND-PARAM-01"), response.short_request())


@then(parsers.parse("at least {count:d} appointments are returned, among them each one this run booked with its types"))
def all_returned(response, booked_many, count):
    found = appts.retrieved_appointments(response)
    violations = retrieve_checks.at_least_violations(found, count, "RETR-BOOKED-01")
    for known in booked_many:
        def typed(appointment, known=known):
            return appt_checks.type_violations(appointment, known.booking.expected_slot_type,
                                               known.booking.expected_schedule_type,
                                               type_requirements(response.interaction))
        violations += retrieve_checks.among_retrieved(found, known.id, "RETR-BOOKED-01", typed)
    fail_if_any(violations, response.short_request())


@then("the booked appointment is not among them")
def not_among(response, booked):
    found = appts.retrieved_appointments(response)
    fail_if_any(retrieve_checks.retrieved_dates_violations(found, *retrieve_checks.retrieve_asked(response.url)),
                response.short_request())


@then("the booked appointment is among them with the slot type and schedule type it was booked with")
def booked_returned(response, booked):
    def typed(found):
        return appt_checks.type_violations(found, booked.booking.expected_slot_type,
                                           booked.booking.expected_schedule_type,
                                           type_requirements(response.interaction))

    found = appts.retrieved_appointments(response)
    fail_if_any(retrieve_checks.among_retrieved(found, booked.id, "RETR-BOOKED-01", typed), response.short_request())


@then("every returned Appointment has a slot type, and a schedule type as this environment declares")
def every_typed(response, settings):
    found = appts.retrieved_appointments(response)
    if not found:
        raise MissingTestData("no appointments for the test patient in the search window")
    fail_if_any(retrieve_checks.retrieved_type_violations(found, settings.schedule_types), response.short_request())


@then("the cancelled appointment is among them with status cancelled")
def cancelled_returned(response, booked):
    def cancelled(found):
        return appt_checks.field_violations(found, {"status": "cancelled"}, "RETR-CANCELLED-01")

    found = appts.retrieved_appointments(response)
    fail_if_any(retrieve_checks.among_retrieved(found, booked.id, "RETR-CANCELLED-01", cancelled),
                response.short_request())
