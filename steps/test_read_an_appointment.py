"""Steps for features/read_an_appointment.feature."""

from __future__ import annotations

import uuid

from pytest_bdd import given, parsers, scenarios, then, when

from harness.checks import appointments as appt_checks
from harness.checks import bookings as booking_checks
from harness.checks.violations import fail_if_any
from harness.consumer import appointments as appts
from harness.consumer import discovery
from harness.consumer import foundations as fnd
from harness.errors import MissingTestData
from harness.spec.interactions import BOOK_APPOINTMENT
from steps.common.appointment_steps import choose_free

scenarios("read_an_appointment.feature")


@when("the consumer reads that appointment", target_fixture="response")
def read_it(gp_connect, booked):
    return appts.read(gp_connect, booked.id)


@when("the consumer reads an appointment id that does not exist", target_fixture="response")
def read_unknown(gp_connect):
    return appts.read(gp_connect, f"9{uuid.uuid4().int % 10**15:015d}")


@then("the provider answers 200 with the appointment")
def answered(response, booked):
    fail_if_any(appt_checks.read_id_violations(appts.ok_appointment(response), booked.id), response.short_request())


@then('the ETag is W/"<meta.versionId>" of the appointment')
def etag_is_version(response):
    appointment = appts.ok_appointment(response)
    fail_if_any(appt_checks.etag_violations(response, appointment, "READ-ETAG-01"), response.short_request())


@when(parsers.re(r"the consumer reads that appointment (?P<asking>sending .+)"), target_fixture="response")
def read_asking(gp_connect, booked, asking):
    return appts.read(gp_connect, booked.id, send=fnd.asking(asking))


@when(parsers.re(r'the consumer reads the appointment id "(?P<appointment_id>[^"]*)"'), target_fixture="response")
def read_id(gp_connect, appointment_id):
    return appts.read(gp_connect, appointment_id)


@given("an appointment this run booked for the test patient with the JWT of another organisation",
       target_fixture="booked")
def booked_by_other_organisation(gp_connect, settings, ledger, patient_id):
    slot = choose_free(gp_connect, settings, "single", discovery.single)
    claims = appts.claims_of_organisation(gp_connect, BOOK_APPOINTMENT, settings.other_org_ods_code)
    booking = appts.book(gp_connect, ledger, settings, [slot], patient_id,
                         send_overrides={"claims": claims})
    if booking.exchange.status is not None and 400 <= booking.exchange.status < 500:
        raise MissingTestData(f"the provider refused a booking whose JWT names organisation "
                              f"{settings.other_org_ods_code} (HTTP {booking.exchange.status}); set "
                              "GPC_OTHER_ORG_ODS_CODE to an organisation it accepts bookings from")
    return appts.KnownAppointment(booking, booking.appointment(), appt_checks.etag_of(booking.exchange))


@then("the provider answers 200 with the booking organisation the booking sent")
def booking_organisation_kept(response, booked):
    fail_if_any(booking_checks.booking_organisation_read_violations(response, booked.booking.request_body),
                response.short_request())
