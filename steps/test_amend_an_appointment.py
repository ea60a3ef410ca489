"""Steps for features/amend_an_appointment.feature."""

from __future__ import annotations

import copy

from pytest_bdd import parsers, scenarios, then, when

from harness.checks import appointments as appt_checks
from harness.checks.violations import fail_if_any, status_violations
from harness.consumer import appointments as appts
from harness.consumer import changes
from harness.consumer import foundations as fnd
from harness.spec.interactions import AMEND_APPOINTMENT

scenarios("amend_an_appointment.feature")

AMENDED_COMMENT = "Amended by the GP Connect assurance harness: please bring your repeat prescription."


def amended_description(booked) -> str:
    """The marker stays in the description, so clean-up still recognises the appointment."""
    return f"{booked.booking.marker} amended"


@when("the consumer amends its description and comment", target_fixture="response")
def amend_text(gp_connect, booked):
    return appts.amend(gp_connect, booked.appointment, booked.etag,
                       description=amended_description(booked), comment=AMENDED_COMMENT)


@when("the consumer amends its description and comment leaving out the slot type and schedule type",
      target_fixture="response")
def amend_text_without_types(gp_connect, booked):
    return appts.amend(gp_connect, booked.appointment, booked.etag, description=amended_description(booked),
                       comment=AMENDED_COMMENT, serviceType=None, serviceCategory=None)


@then("the provider accepts the amendment without the types")
def accepted_without_types(response):
    """Judged by its NHS-expectation row: the spec does not say a type left out is no change."""
    fail_if_any(status_violations(response, 200, "AMEND-COMPAT-01"), response.short_request())


@when(parsers.re(r"the consumer amends its description and comment (?P<asking>sending .+)"), target_fixture="response")
def amend_text_asking(gp_connect, booked, asking):
    return appts.amend(gp_connect, booked.appointment, booked.etag, send=fnd.asking(asking),
                       description=amended_description(booked), comment=AMENDED_COMMENT)


@when(parsers.re(r"the consumer amends its (?P<kind>slot type|schedule type)"), target_fixture="response")
def amend_type(gp_connect, booked, kind):
    if kind == "slot type":
        change = {"serviceType": [{"text": f"{booked.booking.expected_slot_type} (changed)"}]}
    else:
        change = {"serviceCategory": {"text": f"{booked.booking.expected_schedule_type or 'Schedule'} (changed)"}}
    return appts.amend(gp_connect, booked.appointment, booked.etag, **change)


@when(parsers.parse("the consumer amends its description to {description:d} and its comment to {comment:d} characters"),
      target_fixture="response")
def amend_texts(gp_connect, booked, description, comment):
    return appts.amend(gp_connect, booked.appointment, booked.etag,
                       description=changes.text_of(description, f"{booked.booking.marker} "),
                       comment=changes.text_of(comment))


@when(parsers.parse("the consumer amends its description and also its {field}"), target_fixture="response")
def amend_and_change(gp_connect, booked, field):
    body = dict(copy.deepcopy(booked.appointment), description=amended_description(booked))
    changes.change(body, field)
    # Sent to the booked appointment's own URL, whatever the changed body says of its id.
    return gp_connect.send(AMEND_APPOINTMENT, f"Appointment/{booked.id}", body=body, headers={"If-Match": booked.etag})


@when(parsers.parse('the consumer amends its description and comment with the If-Match "{etag}"'),
      target_fixture="response")
def amend_with_if_match(gp_connect, booked, etag):
    return appts.amend(gp_connect, booked.appointment, etag, description=amended_description(booked),
                       comment=AMENDED_COMMENT)


@when("the consumer amends it with an If-Match of a version that has since changed", target_fixture="response")
def amend_stale(gp_connect, booked):
    first = appts.amend(gp_connect, booked.appointment, booked.etag, comment="First amendment")
    current = appts.ok_appointment(first)
    return appts.amend(gp_connect, current, booked.etag, comment="Second amendment from a stale copy")


@then("the provider answers 200 with a new version of the appointment")
def new_version(response, booked):
    appointment = appts.ok_appointment(response)
    fail_if_any(appt_checks.etag_violations(response, appointment, "AMEND-01")
                + appt_checks.new_version_violations(appointment, booked.version, "an amendment", "AMEND-01"),
                response.short_request())


@then("reading it back shows the description and comment as the consumer sent them")
def text_read_back(gp_connect, booked):
    ex = appts.read(gp_connect, booked.id)
    expected = {"description": amended_description(booked), "comment": AMENDED_COMMENT}
    fail_if_any(appt_checks.field_violations(appts.ok_appointment(ex), expected, "AMEND-01"), ex.short_request())


@then("the description and comment are as the consumer sent them")
def text_as_sent(response, booked):
    expected = {"description": amended_description(booked), "comment": AMENDED_COMMENT}
    fail_if_any(appt_checks.field_violations(appts.ok_appointment(response), expected, "AMEND-01"),
                response.short_request())
