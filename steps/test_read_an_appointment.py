"""Steps for features/read_an_appointment.feature."""

from __future__ import annotations

import uuid

from pytest_bdd import scenarios, then, when

from harness import appointments as appts
from harness.violations import fail_if_any

scenarios("read_an_appointment.feature")


@when("the consumer reads that appointment", target_fixture="response")
def read_it(gp_connect, booked):
    return appts.read(gp_connect, booked.id)


@when("the consumer reads an appointment id that does not exist", target_fixture="response")
def read_unknown(gp_connect):
    return appts.read(gp_connect, f"9{uuid.uuid4().int % 10**15:015d}")


@then("the provider answers 200 with the appointment")
def answered(response, booked):
    fail_if_any(appts.read_id_violations(appts.ok_appointment(response), booked.id), response.short_request())


@then('the ETag is W/"<meta.versionId>" of the appointment')
def etag_is_version(response):
    appointment = appts.ok_appointment(response)
    fail_if_any(appts.etag_violations(response, appointment, "READ-ETAG-01"), response.short_request())
