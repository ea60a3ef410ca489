"""Steps and fixtures shared by the appointment use cases: test data from a live search (and the
one hook that makes missing test data a skip), the test patient, booked appointments, the clean-up
ledger, and checks on an appointment's types."""

from __future__ import annotations

import os
import uuid
from datetime import timedelta
from typing import Callable, TypeVar

import pytest
from pytest_bdd import given, parsers, then

from harness import clock
from harness.checks import appointments as appt_checks
from harness.checks import foundations as fnd_checks
from harness.checks import readback as readback_checks
from harness.checks import retrieved as retrieve_checks
from harness.checks.refusals import refusal_rule
from harness.checks.violations import fail_if_any
from harness.consumer import appointments as appts
from harness.consumer import changes, discovery, readback
from harness.consumer import slot_search as ss
from harness.consumer.claims import Claims
from harness.consumer.cleanup import clean_up
from harness.consumer.ledger import Ledger, ledger_dir, ledger_path, state_dir
from harness.errors import MissingTestData
from harness.settings import reports_dir
from harness.spec.requirements import type_requirements

T = TypeVar("T")


@pytest.hookimpl(wrapper=True)
def pytest_runtest_call(item):
    """Missing test data anywhere in a scenario (MissingTestData) is a skip with its reason, never a
    pass: "not assured: <what is missing>". Only in the assurance's own scenarios (steps/): in the
    project's tests a MissingTestData that escapes is a failure like any other exception."""
    if not item.nodeid.startswith("steps/"):
        return (yield)
    try:
        return (yield)
    except MissingTestData as exc:
        pytest.skip(f"not assured: {exc}")


def worker_share() -> tuple[int, int]:
    worker = os.environ.get("PYTEST_XDIST_WORKER", "gw0")
    return int(worker.removeprefix("gw") or 0), int(os.environ.get("PYTEST_XDIST_WORKER_COUNT", "1"))


CHOOSER = discovery.SlotChooser()  # this process's: which day each kind of slot was last found on


def choose_free(gp_connect, settings, kind: str, pick: Callable[[list[discovery.SlotInfo], str], T]) -> T:
    """What `pick(slots, window)` picks from this worker's free slots in a fresh search (SlotChooser); with
    parallel workers, from slots no other worker of the run has taken (Claims in the ledger they share)."""
    return CHOOSER.choose(gp_connect, settings, kind, pick, *worker_share(), _claims(gp_connect, settings))


def _claims(gp_connect, settings) -> Claims | None:
    """This parallel run's claims on the provider (harness/consumer/claims.py); None in a serial run."""
    run = os.environ.get("PYTEST_XDIST_TESTRUNUID", "")
    if worker_share()[1] <= 1 or not run:
        return None
    return Claims(ledger_dir(settings), run, gp_connect.base_url)


def held_by_other_workers(gp_connect, settings) -> set[str]:
    """The ids of the slots the run's other parallel workers have taken: they may be booked or freed between
    any two searches, so no comparison of searches counts them."""
    claims = _claims(gp_connect, settings)
    return claims.held() if claims else set()


def pytest_configure(config):
    """A parallel run's id, known to the controller as well as to its workers, so that it can remove the
    run's claims (harness/consumer/claims.py) when the run ends."""
    if getattr(config.option, "numprocesses", None) and not hasattr(config, "workerinput") \
            and not getattr(config.option, "testrunuid", None):
        config.option.testrunuid = uuid.uuid4().hex


def pytest_sessionfinish(session):
    run = getattr(session.config.option, "testrunuid", None)
    if run and not hasattr(session.config, "workerinput"):
        for directory in (reports_dir() / "ledger", state_dir()):
            Claims.remove_run(directory, run)


def window_offering(gp_connect, settings) -> ss.Window:
    """One of this worker's days of the search window on which a fresh search offers free slots
    (SlotChooser.window_offering)."""
    return CHOOSER.window_offering(gp_connect, settings, *worker_share())


@pytest.fixture(scope="session")
def ledger(settings, provider_base_url, gp_connect):
    """The booking ledger; what earlier runs left is cleaned first, and what this one made at the end."""
    book = Ledger(ledger_path(provider_base_url, ledger_dir(settings)), provider_base_url)
    if settings.allow_writes:
        with gp_connect.unobserved():
            clean_up(gp_connect, book)
    yield book
    if settings.allow_writes:
        with gp_connect.unobserved():
            report = clean_up(gp_connect, book)
        print(f"\n{report.line()}")
    if settings.uses_reference_provider and not book.open_attempts():
        # The bundled provider's bookings end with it; a closed ledger for its port is of no further use.
        book.remove()


@given("the test patient is found by their NHS number", target_fixture="patient_id")
def test_patient(gp_connect, settings):
    return appts.find_patient_id(gp_connect, settings)


def book_one(gp_connect, settings, ledger, patient_id) -> appts.KnownAppointment:
    slot = choose_free(gp_connect, settings, "single", discovery.single)
    booking = appts.book(gp_connect, ledger, settings, [slot], patient_id)
    return appts.KnownAppointment(booking, booking.appointment(), appt_checks.etag_of(booking.exchange))


@given("an appointment this run booked for the test patient", target_fixture="booked")
def booked_appointment(gp_connect, settings, ledger, patient_id):
    return book_one(gp_connect, settings, ledger, patient_id)


@given(parsers.parse("{count:d} appointments this run booked for the test patient"), target_fixture="booked_many")
def booked_several(gp_connect, settings, ledger, patient_id, count):
    chosen = choose_free(gp_connect, settings, f"{count} single",
                         lambda slots, window: discovery.several(slots, window, count))
    booked = []
    for slot in chosen:
        booking = appts.book(gp_connect, ledger, settings, [slot], patient_id)
        booked.append(appts.KnownAppointment(booking, booking.appointment(), appt_checks.etag_of(booking.exchange)))
    return booked


@given(parsers.parse("an appointment this run booked for the test patient on {count:d} adjacent slots"),
       target_fixture="booked")
def booked_on_run(gp_connect, settings, ledger, patient_id, count):
    run = choose_free(gp_connect, settings, f"run of {count}",
                      lambda slots, window: discovery.run_of(slots, count, window))
    booking = appts.book(gp_connect, ledger, settings, run, patient_id)
    return appts.KnownAppointment(booking, booking.appointment(), appt_checks.etag_of(booking.exchange))


@given("an appointment this run booked for the test patient on a schedule without a schedule type",
       target_fixture="booked")
def booked_untyped(gp_connect, settings, ledger, patient_id):
    slot = choose_free(gp_connect, settings, "untyped schedule", changes.untyped_schedule_slot)
    booking = appts.book(gp_connect, ledger, settings, [slot], patient_id)
    return appts.KnownAppointment(booking, booking.appointment(), appt_checks.etag_of(booking.exchange))


@then("reading it back shows it as this run last left it")
def read_back(gp_connect, booked):
    """The read is judged by the oracle: the run's model knows what the appointment must now hold."""
    appts.ok_appointment(appts.read(gp_connect, booked.id))


@then("retrieving the test patient's appointments shows it as this run last left it")
def retrieve_back(gp_connect, settings, patient_id, booked):
    """Judged by the oracle as well; here only that it is returned at all."""
    today = clock.today()
    ex = appts.retrieve(gp_connect, patient_id, today, today + timedelta(days=settings.search_days))
    fail_if_any(retrieve_checks.among_retrieved(appts.retrieved_appointments(ex), booked.id, "RETR-STATE-01"),
                ex.short_request())


@then(parsers.re(r"the description and comment are stored and read back intact(?P<refusable>, or not accepted at "
                 r"all)?"))
def text_intact(gp_connect, response, refusable, scenario_requirements):
    rule = scenario_requirements[0]
    fail_if_any(appt_checks.text_kept_violations(response, rule, bool(refusable)), response.short_request())
    if 200 <= response.status < 300:
        appts.ok_appointment(appts.read(gp_connect, str(response.json()["id"])))


@given("an appointment this run booked for the test patient and then cancelled", target_fixture="booked")
def booked_then_cancelled(gp_connect, settings, ledger, patient_id):
    known = book_one(gp_connect, settings, ledger, patient_id)
    ex = appts.cancel(gp_connect, known.appointment, known.etag)
    return appts.KnownAppointment(known.booking, appts.ok_appointment(ex), appt_checks.etag_of(ex))


@then("the appointment carries the slot type and schedule type it was booked with")
def carries_booked_types(booked, response):
    appointment = appts.ok_appointment(response)
    kept = type_requirements(response.interaction)
    fail_if_any(appt_checks.type_violations(appointment, booked.booking.expected_slot_type,
                                            booked.booking.expected_schedule_type, kept),
                response.short_request())


@then(parsers.re(r"each participant of (?:the appointment|every returned appointment) reads back as its resource type"))
def participants_read_back(gp_connect, response):
    """Read Patient, Practitioner and Location for every participant, Read Organisation for each Location's
    managing organisation (APPT-READBACK-01); each reference is read once a run."""
    reads = readback.read_back(gp_connect, readback_checks.appointments_in(response.json()))
    fail_if_any(readback_checks.read_back_violations(reads), response.short_request())


@then("the appointment is unchanged")
def appointment_unchanged(gp_connect, booked, scenario_requirements):
    ex = appts.read(gp_connect, booked.id)
    now = appts.ok_appointment(ex)
    fail_if_any(appt_checks.unchanged_violations(booked.appointment, now, refusal_rule(scenario_requirements)),
                ex.short_request())


@then("the provider answers in FHIR JSON, as _format asked")
def answered_as_format_asked(response):
    fail_if_any(fnd_checks.format_answer_violations(response), response.short_request())


@then("the provider answers with the whole appointment, as Prefer asked")
def answered_as_prefer_asked(response):
    fail_if_any(fnd_checks.representation_violations(response), response.short_request())


@then("the provider answers with no body, as Prefer asked")
def answered_minimally(response):
    fail_if_any(fnd_checks.minimal_violations(response), response.short_request())
