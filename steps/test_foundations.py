"""Steps for features/foundations.feature: foundations checks on each appointment interaction."""

from __future__ import annotations

from datetime import timedelta

from pytest_bdd import given, parsers, scenarios, then, when

from harness import clock
from harness.checks import appointments as appt_checks
from harness.checks import foundations as fnd_checks
from harness.checks import profiles as pc
from harness.checks.refusals import refusal_rule
from harness.checks.violations import fail_if_any, success_violations
from harness.consumer import appointments as appts
from harness.consumer import discovery
from harness.consumer import foundations as fnd
from harness.consumer import slot_search as ss
from harness.errors import MissingTestData
from harness.spec import interactions as ix
from steps.common.appointment_steps import book_one, choose_free, window_offering

scenarios("foundations.feature")

WRITES = ("book an appointment", "amend an appointment", "cancel an appointment")


def _require_writes(settings, what: str) -> None:
    if not settings.allow_writes:
        raise MissingTestData(f"{what} needs a booking and writes are not allowed in this environment "
                              "(GPC_ALLOW_WRITES=false)")


def _existing_appointment(gp_connect, settings, ledger, patient_id) -> tuple[dict, str]:
    if settings.allow_writes:
        known = book_one(gp_connect, settings, ledger, patient_id)
        return known.appointment, known.etag
    today = clock.today()
    found = appts.retrieved_appointments(appts.retrieve(gp_connect, patient_id, today, today + timedelta(days=14)))
    if not found:
        raise MissingTestData("no appointment to read for the test patient, and writes are not allowed")
    return found[0], f'W/"{appt_checks.version_of(found[0])}"'


@given(parsers.re(r"a valid request to (?P<interaction>.+)"), target_fixture="prepared")
def valid_request(gp_connect, settings, ledger, patient_id, interaction):
    today = clock.today()
    if interaction in WRITES:
        _require_writes(settings, interaction)
    if interaction == "search for free slots":
        # What is checked is how the request is answered: a day of the window that offers slots is enough.
        window = window_offering(gp_connect, settings)
        return fnd.Prepared(ix.SEARCH_SLOTS, "Slot", params=ss.search_params(settings, window))
    if interaction == "retrieve a patient's appointments":
        return fnd.Prepared(ix.RETRIEVE_APPOINTMENTS, f"Patient/{patient_id}/Appointment",
                            params=[("start", f"ge{today}"), ("start", f"le{today + timedelta(days=7)}")])
    if interaction == "book an appointment":
        slot = choose_free(gp_connect, settings, "single", discovery.single)
        return fnd.Prepared(ix.BOOK_APPOINTMENT, "Appointment",
                            book=fnd.booking_sender(gp_connect, ledger, settings, [slot], patient_id))
    appointment, etag = _existing_appointment(gp_connect, settings, ledger, patient_id)
    path = f"Appointment/{appointment['id']}"
    if interaction == "read an appointment":
        return fnd.Prepared(ix.READ_APPOINTMENT, path)
    if interaction == "amend an appointment":
        return fnd.Prepared(ix.AMEND_APPOINTMENT, path, headers={"If-Match": etag},
                            body=lambda: {**appointment, "comment": "Amended by the foundations checks"})
    if interaction == "cancel an appointment":
        return fnd.Prepared(ix.CANCEL_APPOINTMENT, path, headers={"If-Match": etag},
                            body=lambda: appts.cancellation(appointment, "Cancelled by the foundations checks"))
    raise ValueError(f"no valid request known for '{interaction}'")


@when("the consumer sends it in each of these ways", target_fixture="responses")
def send_each(gp_connect, prepared, datatable):
    ways = [row[0] for row in datatable[1:]]
    return [(way, prepared.send(gp_connect, **fnd.variant(gp_connect, prepared.interaction, way))) for way in ways]


@when("the consumer sends it as it is and once without Ssp-TraceID", target_fixture="responses")
def send_good_and_bad(gp_connect, prepared):
    return [("as it is", prepared.send(gp_connect)),
            ("without Ssp-TraceID", prepared.send(gp_connect, **fnd.variant(gp_connect, prepared.interaction,
                                                                          "without Ssp-TraceID")))]


@when("the consumer sends it as it is", target_fixture="response")
def send_as_is(gp_connect, prepared):
    return prepared.send(gp_connect)


@when("the consumer sends it with a JWT issued 200 seconds in the future", target_fixture="response")
def send_future_iat(gp_connect, prepared):
    return prepared.send(gp_connect, **fnd.variant(gp_connect, prepared.interaction,
                                                    "with a JWT issued 200 seconds in the future"))


@when("the consumer sends it with an unrecognised search parameter", target_fixture="response")
def send_unknown_param(gp_connect, prepared):
    return prepared.send(gp_connect, extra_params=[("_gpc_assurance_unknown", "ignored")])


@when("the consumer sends it with _format=application/fhir+json and an unsupported Accept", target_fixture="response")
def send_format(gp_connect, prepared):
    return prepared.send(gp_connect, extra_params=[("_format", "application/fhir+json")],
                         headers={"Accept": "text/csv"})


@when("the consumer reads the CapabilityStatement", target_fixture="response")
def read_metadata(gp_connect):
    return gp_connect.send(ix.METADATA, "metadata")


def _each_refused(responses, scenario_requirements, status=None, code=None, body_optional=False) -> None:
    violations = fnd_checks.each_refused_violations(responses, refusal_rule(scenario_requirements), status, code,
                                             body_optional=body_optional)
    fail_if_any(violations, responses[0][1].short_request())


@then(parsers.re(r"the provider refuses each with (?P<status>\d{3}) (?P<code>[A-Z_]+)"))
def refuses_each_with_code(responses, status, code, scenario_requirements):
    _each_refused(responses, scenario_requirements, int(status), code)


@then(parsers.re(r"the provider refuses each with HTTP (?P<status>\d{3})"))
def refuses_each_with_status(responses, status, scenario_requirements):
    """The status, and an OperationOutcome whenever the refusal has a body at all."""
    _each_refused(responses, scenario_requirements, int(status), body_optional=True)


@then("the provider refuses each with an error")
def refuses_each(responses, scenario_requirements):
    _each_refused(responses, scenario_requirements)


@then("every response carries Cache-Control: no-store")
def cache_control(responses):
    fail_if_any([v for _, ex in responses for v in fnd_checks.cache_control_violations(ex)],
                responses[0][1].short_request())


@then("every response has Content-Type application/fhir+json;charset=utf-8")
def content_type(responses):
    fail_if_any([v for _, ex in responses for v in fnd_checks.content_type_violations(ex)],
                responses[0][1].short_request())


@then("the provider answers with success")
def success(response, scenario_requirements):
    fail_if_any(success_violations(response, fnd_checks.success_rule(scenario_requirements, response)),
                response.short_request())


@then("every returned resource conforms to its GP Connect profile")
def conforms(response):
    fail_if_any(fnd_checks.conformance_violations(response, (pc.PROFILE,)), response.short_request())


@then("every returned resource carries meta.profile and meta.versionId")
def meta_present(response):
    fail_if_any(fnd_checks.meta_violations_in(response), response.short_request())


@then("every returned date-time is UK local time with offset +00:00 or +01:00")
def uk_times(response):
    fail_if_any(fnd_checks.conformance_violations(response, (pc.UK_TIME,)), response.short_request())


@then("every returned reference is a local relative reference")
def relative_refs(response):
    fail_if_any(fnd_checks.conformance_violations(response, (pc.REFERENCES,)), response.short_request())


@then('the ETag is W/"<meta.versionId>" of the returned appointment')
def etag(response):
    fail_if_any(appt_checks.etag_violations(response, response.json(), "FND-ETAG-01"), response.short_request())


@then("no Bundle entry carries a fullUrl")
def no_full_url(response):
    fail_if_any(fnd_checks.full_url_violations(response), response.short_request())


@then("it is version 1.2.7 for FHIR 3.0.1")
def capability_version(response):
    fail_if_any(fnd_checks.capability_version_violations(response.json()), response.short_request())


@then("it lists the Slot search parameters start, end, status and searchFilter")
def capability_params(response):
    fail_if_any(fnd_checks.slot_search_param_violations(response.json()), response.short_request())


@then("it lists the Slot search includes of Schedule, Practitioner, Location and Organization")
def capability_includes(response):
    fail_if_any(fnd_checks.slot_include_violations(response.json()), response.short_request())


@then("it lists an Appointment resource with the read, create, update and search-type interactions")
def capability_appointment(response):
    fail_if_any(fnd_checks.appointment_interaction_violations(response.json()), response.short_request())
