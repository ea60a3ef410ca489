"""Steps for features/read_an_appointment.feature."""

from __future__ import annotations

import uuid

from pytest_bdd import scenarios, then, when

from harness import appointments as appts

scenarios("read_an_appointment.feature")


@when("the consumer reads that appointment", target_fixture="response")
def read_it(gp_connect, booked):
    return appts.read(gp_connect, booked.id)


@when("the consumer reads an appointment id that does not exist", target_fixture="response")
def read_unknown(gp_connect):
    return appts.read(gp_connect, f"9{uuid.uuid4().int % 10**15:015d}")


@then("the provider answers 200 with the appointment")
def answered(response, booked):
    appointment = appts.ok_appointment(response, "read an appointment")
    if str(appointment.get("id")) != booked.id:
        appts.raise_problems([f"read of Appointment {booked.id} returned Appointment {appointment.get('id')}"],
                             response.short_request())


@then('the ETag is W/"<meta.versionId>" of the appointment')
def etag_is_version(response):
    appointment = appts.ok_appointment(response, "read an appointment")
    appts.raise_problems(appts.etag_problems(response, appointment), response.short_request())
