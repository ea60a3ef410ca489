"""Steps for features/cancel_an_appointment.feature."""

from __future__ import annotations

from pytest_bdd import parsers, scenarios, then, when

from harness.checks import appointments as appt_checks
from harness.checks.violations import fail_if_any, status_violations
from harness.consumer import appointments as appts
from harness.consumer import changes
from harness.consumer import foundations as fnd

scenarios("cancel_an_appointment.feature")

REASON = "Patient no longer needs the appointment (assurance run)"


@when("the consumer cancels it with a reason", target_fixture="response")
def cancel_it(gp_connect, booked):
    return appts.cancel(gp_connect, booked.appointment, booked.etag, REASON)


@when(parsers.re(r"the consumer cancels it with a reason (?P<asking>sending .+)"), target_fixture="response")
def cancel_asking(gp_connect, booked, asking):
    return appts.cancel(gp_connect, booked.appointment, booked.etag, REASON, send=fnd.asking(asking))


@when("the consumer cancels it with a reason leaving out the slot type and schedule type", target_fixture="response")
def cancel_without_types(gp_connect, booked):
    return appts.cancel(gp_connect, booked.appointment, booked.etag, REASON,
                        edit=lambda body: [body.pop(k, None) for k in ("serviceType", "serviceCategory")])


@then("the provider accepts the cancellation without the types")
def cancel_accepted_without_types(response):
    """Judged by its NHS-expectation row: the spec does not say a type left out is no change."""
    fail_if_any(status_violations(response, 200, "CANCEL-COMPAT-01"), response.short_request())


@when("the consumer cancels it with an empty reason", target_fixture="response")
def cancel_with_empty_reason(gp_connect, booked):
    return appts.cancel(gp_connect, booked.appointment, booked.etag, reason="")


@when(parsers.parse('the consumer cancels it with a reason and the If-Match "{etag}"'), target_fixture="response")
def cancel_with_if_match(gp_connect, booked, etag):
    return appts.cancel(gp_connect, booked.appointment, etag, REASON)


@when("the consumer cancels it without a reason", target_fixture="response")
def cancel_without_reason(gp_connect, booked):
    return appts.cancel(gp_connect, booked.appointment, booked.etag, reason=None)


@when(parsers.parse("the consumer cancels it and also changes its {field}"), target_fixture="response")
def cancel_and_change(gp_connect, booked, field):
    return appts.cancel(gp_connect, booked.appointment, booked.etag, REASON,
                        edit=lambda body: changes.change(body, field))


@when("the consumer cancels it with an If-Match of a version that has since changed", target_fixture="response")
def cancel_stale(gp_connect, booked):
    first = appts.amend(gp_connect, booked.appointment, booked.etag, comment="Amended before a stale cancel")
    current = appts.ok_appointment(first)
    return appts.cancel(gp_connect, current, booked.etag, REASON)


@then("the provider answers 200 with the appointment cancelled in a new version")
def cancelled(response, booked):
    appointment = appts.ok_appointment(response)
    fail_if_any(appt_checks.etag_violations(response, appointment, "CANCEL-01")
                + appt_checks.field_violations(appointment, {"status": "cancelled"}, "CANCEL-01")
                + appt_checks.new_version_violations(appointment, booked.version, "a cancellation", "CANCEL-01"),
                response.short_request())


@then("everything but its status and cancellation reason is as it was booked")
def kept_but_status(response, booked):
    fail_if_any(appt_checks.cancel_kept_violations(appts.ok_appointment(response), booked.appointment),
                response.short_request())


@then("reading it back shows it cancelled with the reason")
def cancelled_read_back(gp_connect, booked):
    ex = appts.read(gp_connect, booked.id)
    appointment = appts.ok_appointment(ex)
    fail_if_any(appt_checks.field_violations(appointment, {"status": "cancelled"}, "CANCEL-01")
                + appt_checks.cancellation_reason_violations(appointment, REASON), ex.short_request())


@then("the cancellation reason is kept")
def reason_kept(response):
    fail_if_any(appt_checks.cancellation_reason_violations(appts.ok_appointment(response), REASON),
                response.short_request())
