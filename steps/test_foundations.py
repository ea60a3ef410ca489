"""Steps for features/foundations.feature: foundations checks on each appointment interaction."""

from __future__ import annotations

from datetime import timedelta

import pytest
from pytest_bdd import given, parsers, scenarios, then, when

from harness import appointments as appts
from harness import foundations as fnd
from harness import interactions as ix
from harness import profile_check as pc
from harness import slot_search as ss
from harness import test_data as td
from harness.errors import Nonconformance
from harness.outcomes import check_refusal
from steps.common.appointment_steps import book_one, data_or_skip, free_slots_now

scenarios("foundations.feature")

WRITES = ("book an appointment", "amend an appointment", "cancel an appointment")


def _require_writes(settings, what: str) -> None:
    if not settings.allow_writes:
        pytest.skip(f"not assured: {what} needs a booking and writes are not allowed in this environment "
                    "(GPC_ALLOW_WRITES=false)")


def _existing_appointment(gp_connect, settings, ledger, patient_id) -> tuple[dict, str]:
    if settings.allow_writes:
        known = book_one(gp_connect, settings, ledger, patient_id)
        return known.appointment, known.etag
    today = ss.uk_today()
    found = appts.retrieved_appointments(appts.retrieve(gp_connect, patient_id, today, today + timedelta(days=14)))
    if not found:
        pytest.skip("not assured: no appointment to read for the test patient, and writes are not allowed")
    return found[0], f'W/"{appts.version_of(found[0])}"'


@given(parsers.re(r"a valid request to (?P<interaction>.+)"), target_fixture="prepared")
def valid_request(gp_connect, settings, ledger, patient_id, interaction):
    today = ss.uk_today()
    if interaction in WRITES:
        _require_writes(settings, interaction)
    if interaction == "search for free slots":
        return fnd.Prepared(ix.SEARCH_SLOTS, "Slot", params=ss.search_params(settings, ss.default_window(settings)))
    if interaction == "retrieve a patient's appointments":
        return fnd.Prepared(ix.RETRIEVE_APPOINTMENTS, f"Patient/{patient_id}/Appointment",
                            params=[("start", f"ge{today}"), ("start", f"le{today + timedelta(days=7)}")])
    if interaction == "book an appointment":
        slots, window = free_slots_now(gp_connect, settings)
        slot = data_or_skip(lambda: td.single(slots, window))
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


@when("the consumer sends it with an unrecognised search parameter", target_fixture="response")
def send_unknown_param(gp_connect, prepared):
    return prepared.send(gp_connect, extra_params=[("_gpc_assurance_unknown", "ignored")])


@when("the consumer sends it with _format=application/fhir+json and an unsupported Accept", target_fixture="response")
def send_format(gp_connect, prepared):
    return prepared.send(gp_connect, extra_params=[("_format", "application/fhir+json")], headers={"Accept": "text/csv"})


@when("the consumer reads the CapabilityStatement", target_fixture="response")
def read_metadata(gp_connect):
    return gp_connect.send(ix.METADATA, "metadata")


def _each(responses, check) -> None:
    problems = []
    for way, exchange in responses:
        try:
            check(exchange)
        except Nonconformance as exc:
            problems.append(f"{way}: {exc}")
    if problems:
        raise Nonconformance(f"{len(problems)} of {len(responses)} requests not refused as required: "
                             + "; ".join(problems))


@then(parsers.re(r"the provider refuses each with (?P<status>\d{3}) (?P<code>[A-Z_]+)"))
def refuses_each_with_code(responses, status, code):
    _each(responses, lambda ex: check_refusal(ex, int(status), code))


def _refused_with_status(exchange, status: int) -> None:
    """The status, and an OperationOutcome whenever the refusal has a body at all."""
    if exchange.status == status and not exchange.response_text:
        return
    check_refusal(exchange, status)


@then(parsers.re(r"the provider refuses each with HTTP (?P<status>\d{3})"))
def refuses_each_with_status(responses, status):
    _each(responses, lambda ex: _refused_with_status(ex, int(status)))


@then("the provider refuses each with an error")
def refuses_each(responses):
    _each(responses, check_refusal)


@then("every response carries Cache-Control: no-store")
def cache_control(responses):
    problems = [p for _, ex in responses for p in fnd.header_problems(ex) if "Cache-Control" in p]
    appts.raise_problems(problems, "every response")


@then("every response has Content-Type application/fhir+json;charset=utf-8")
def content_type(responses):
    problems = [p for _, ex in responses for p in fnd.header_problems(ex) if "Content-Type" in p]
    appts.raise_problems(problems, "every response")


@then("the provider answers with success")
def success(response):
    if response.status is None or not 200 <= response.status < 300:
        raise Nonconformance(f"expected success (2xx), got HTTP {response.status} ({response.short_request()})")


@then("every returned resource conforms to its GP Connect profile")
def conforms(response):
    appts.raise_problems(fnd.conformance_problems(response, (pc.PROFILE,)), response.short_request())


@then("every returned resource carries meta.profile and meta.versionId")
def meta_present(response):
    appts.raise_problems(fnd.meta_problems_in(response), response.short_request())


@then("every returned date-time is UK local time with offset +00:00 or +01:00")
def uk_times(response):
    appts.raise_problems(fnd.conformance_problems(response, (pc.UK_TIME,)), response.short_request())


@then("every returned reference is a local relative reference")
def relative_refs(response):
    appts.raise_problems(fnd.conformance_problems(response, (pc.REFERENCES,)), response.short_request())


@then('the ETag is W/"<meta.versionId>" of the returned appointment')
def etag(response):
    appts.raise_problems(appts.etag_problems(response, response.json()), response.short_request())


@then("no Bundle entry carries a fullUrl")
def no_full_url(response):
    appts.raise_problems(fnd.full_url_problems(response), response.short_request())


@then("it is version 1.2.7 for FHIR 3.0.1")
def capability_version(response):
    body = response.json()
    problems = [f"CapabilityStatement.{k} is {body.get(k)!r}, expected {v!r}"
                for k, v in (("version", "1.2.7"), ("fhirVersion", "3.0.1")) if body.get(k) != v]
    appts.raise_problems(problems, response.short_request())


def _slot_resource(response) -> dict:
    for rest in response.json().get("rest") or []:
        for resource in rest.get("resource") or []:
            if resource.get("type") == "Slot":
                return resource
    raise Nonconformance(f"CapabilityStatement lists no Slot resource ({response.short_request()})")


@then("it lists the Slot search parameters start, end, status and searchFilter")
def capability_params(response):
    names = {p.get("name") for p in _slot_resource(response).get("searchParam") or []}
    missing = sorted({"start", "end", "status", "searchFilter"} - names)
    appts.raise_problems([f"Slot searchParam lacks {', '.join(missing)}"] if missing else [], response.short_request())


@then("it lists the Slot search includes of Schedule, Practitioner, Location and Organization")
def capability_includes(response):
    includes = set(_slot_resource(response).get("searchInclude") or [])
    wanted = {"Slot:schedule", "Schedule:actor:Practitioner", "Schedule:actor:Location", "Location:managingOrganization"}
    missing = sorted(wanted - includes)
    appts.raise_problems([f"Slot searchInclude lacks {', '.join(missing)}"] if missing else [], response.short_request())
