"""The model of the run (harness/judge/run_model.py) fed with real exchanges over httpx.MockTransport: a
search, a booking, then reads, retrieves, amendments and cancellations, each later observation
compared with what the run did. Pins each comparison's wording and the requirement it names."""

import copy

import httpx
import pytest

from harness.judge.run_model import RunModel
from harness.settings import load_settings
from harness.spec import interactions as ix
from harness.spec.constants import CANCELLATION_REASON_URL, DELIVERY_CHANNEL_URL, PRACTITIONER_ROLE_URL
from harness.transport.client import FHIR_JSON, GpConnectClient

ROOT = "https://provider.example/A11111/STU3/1/gpconnect"
ROLE = {"url": PRACTITIONER_ROLE_URL, "valueCodeableConcept": {"coding": [
    {"system": "https://fhir.nhs.uk/STU3/CodeSystem/CareConnect-SDSJobRoleName-1", "code": "R0260"}]}}
CHANNEL = {"url": DELIVERY_CHANNEL_URL, "valueCode": "In-person"}
TIMES = {"7": ("10:00", "10:10"), "8": ("10:10", "10:20"), "9": ("10:20", "10:30"), "20": ("13:00", "13:10")}
LONG_COMMENT = "c" * 500


def at(hhmm: str, day: int = 1) -> str:
    return f"2026-12-{day:02d}T{hhmm}:00+00:00"


def slot(sid: str, schedule: str = "3", slot_type: str = "GP Appointment") -> dict:
    start, end = TIMES[sid]
    return {"resourceType": "Slot", "id": sid, "status": "free", "schedule": {"reference": f"Schedule/{schedule}"},
            "start": at(start), "end": at(end), "serviceType": [{"text": slot_type}], "extension": [CHANNEL]}


SEARCH = {"resourceType": "Bundle", "type": "searchset", "entry": [{"resource": r} for r in [
    {"resourceType": "Schedule", "id": "3", "serviceCategory": {"text": "Morning surgery"}, "extension": [ROLE],
     "actor": [{"reference": "Location/2"}, {"reference": "Practitioner/5"}]},
    {"resourceType": "Schedule", "id": "4", "extension": [ROLE], "actor": [{"reference": "Location/2"}]},
    slot("7"), slot("8"), slot("9"), slot("20", schedule="4", slot_type="Blood Test")]]}


def sent(*slot_ids: str, comment: str = "Booked by the harness") -> dict:
    return {"resourceType": "Appointment", "status": "booked", "start": at(TIMES[slot_ids[0]][0]),
            "end": at(TIMES[slot_ids[-1]][1]), "slot": [{"reference": f"Slot/{s}"} for s in slot_ids],
            "description": "gpc-1 assurance booking", "comment": comment,
            "participant": [{"actor": {"reference": "Patient/40"}, "status": "accepted"}]}


def answer(request: dict, aid: str = "1", version: str = "1", untyped: bool = False) -> dict:
    """What a conformant provider answers for `request`."""
    body = copy.deepcopy(request)
    body.update({"id": aid, "meta": {"versionId": version}, "serviceType": [{"text": "GP Appointment"}],
                 "serviceCategory": {"text": "Morning surgery"}, "extension": [CHANNEL, ROLE]})
    body["participant"] = body["participant"] + [{"actor": {"reference": "Location/2"}, "status": "accepted"},
                                                 {"actor": {"reference": "Practitioner/5"}, "status": "accepted"}]
    if untyped:
        body["serviceType"] = [{"text": "Blood Test"}]
        del body["serviceCategory"]
        body["participant"] = body["participant"][:2]
    return body


class Run:
    """A RunModel fed by exchanges with a mock provider that answers what each test says."""

    def __init__(self):
        self.model = RunModel()
        self._next = (200, {})

        def handler(request: httpx.Request) -> httpx.Response:
            status, body = self._next
            headers = {"Content-Type": FHIR_JSON, "Cache-Control": "no-store"}
            if version := ((body or {}).get("meta") or {}).get("versionId"):  # as a provider answers one
                headers["ETag"] = f'W/"{version}"'
            return httpx.Response(status, json=body, headers=headers)

        self.client = GpConnectClient(load_settings({"GPC_ENV": "reference"}), ROOT,
                                      transport=httpx.MockTransport(handler))

    def send(self, interaction, path, status, body, request=None, params=None):
        self._next = (status, body)
        headers = {"If-Match": 'W/"1"'} if request is not None and interaction is not ix.BOOK_APPOINTMENT else None
        exchange = self.client.send(interaction, path, body=request, params=params, headers=headers)
        return self.model.observe(exchange)

    def search(self):
        return self.send(ix.SEARCH_SLOTS, "Slot", 200, SEARCH, params=[("start", "ge2026-12-01")])

    def book(self, request, body):
        return self.send(ix.BOOK_APPOINTMENT, "Appointment", 201, body, request)

    def read(self, body, aid="1"):
        return self.send(ix.READ_APPOINTMENT, f"Appointment/{aid}", 200, body)

    def retrieve(self, *appointments, first="2026-12-01", last="2026-12-07", patient="40"):
        bundle = {"resourceType": "Bundle", "type": "searchset", "entry": [{"resource": a} for a in appointments]}
        return self.send(ix.RETRIEVE_APPOINTMENTS, f"Patient/{patient}/Appointment", 200, bundle,
                         params=[("start", f"ge{first}"), ("start", f"le{last}")])

    def amend(self, request, body):
        return self.send(ix.AMEND_APPOINTMENT, f"Appointment/{request['id']}", 200, body, request)

    def cancel(self, request, body):
        return self.send(ix.CANCEL_APPOINTMENT, f"Appointment/{request['id']}", 200, body, request)


def said(violations):
    return [(v.requirements, v.message) for v in violations]


@pytest.fixture
def run():
    model = Run()
    assert model.search() == []
    yield model
    model.client.close()


@pytest.fixture
def booked(run):
    """A two-slot appointment booked and answered correctly: the model knows it at version 1."""
    request = sent("7", "8")
    assert run.book(request, answer(request)) == []
    return answer(request)


def reason(text: str) -> dict:
    return {"url": CANCELLATION_REASON_URL, "valueString": text}


def cancellation(appointment: dict, reason: str = "No longer needed") -> dict:
    body = copy.deepcopy(appointment)
    body["status"] = "cancelled"
    body["extension"] = body["extension"] + [{"url": CANCELLATION_REASON_URL, "valueString": reason}]
    return body


# ---------------------------------------------------------------- a conformant run shows nothing

def test_a_multi_slot_appointment_booked_read_retrieved_amended_and_cancelled_correctly_shows_nothing(run, booked):
    assert run.read(booked) == []
    assert run.retrieve(booked) == []
    amended = dict(booked, description="gpc-1 amended", comment="Amended")
    assert run.amend(amended, dict(amended, meta={"versionId": "2"})) == []
    assert run.read(dict(amended, meta={"versionId": "2"})) == []
    cancelled = cancellation(dict(amended, meta={"versionId": "2"}))
    assert run.cancel(cancelled, dict(cancelled, meta={"versionId": "3"})) == []
    assert run.retrieve(dict(cancelled, meta={"versionId": "3"})) == []


def test_an_appointment_on_an_untyped_schedule_without_a_schedule_type_shows_nothing(run):
    request = sent("20")
    assert run.book(request, answer(request, untyped=True)) == []


# ---------------------------------------------------------------- types

def test_a_slot_type_that_differs_only_by_surrounding_spaces_is_named_as_such(run):
    request = sent("7")
    body = dict(answer(request), serviceType=[{"text": " GP Appointment "}])
    assert said(run.book(request, body)) == [(("BOOK-TYPE-01",), (
        "Appointment 1 slot type differs from its booked slot's: expected 'GP Appointment', got ' GP Appointment ' "
        "(they differ only by surrounding spaces; the spec asks for the same text)"))]


def test_a_different_slot_type_on_read_names_the_read_requirement(run, booked):
    body = dict(booked, serviceType=[{"text": "Extended Appointment"}])
    assert said(run.read(body)) == [(("READ-TYPE-01",), (
        "Appointment 1 slot type differs from its booked slot's: expected 'GP Appointment', got "
        "'Extended Appointment'"))]


def test_a_schedule_type_gone_on_retrieve_names_the_retrieve_requirement(run, booked):
    body = {k: v for k, v in booked.items() if k != "serviceCategory"}
    assert said(run.retrieve(body)) == [(("RETR-TYPE-01",), (
        "Appointment 1 schedule type differs from its schedule's: expected 'Morning surgery', got none "
        "(Appointment.serviceCategory.text is empty)"))]


def test_a_schedule_type_that_differs_only_by_surrounding_spaces_is_named_as_such(run, booked):
    body = dict(booked, serviceCategory={"text": "Morning surgery "})
    assert said(run.read(body)) == [(("READ-TYPE-01",), (
        "Appointment 1 schedule type differs from its schedule's: expected 'Morning surgery', got 'Morning surgery ' "
        "(they differ only by surrounding spaces; the spec asks for the same text)"))]


def test_a_schedule_type_given_to_an_appointment_on_an_untyped_schedule_is_named(run):
    request = sent("20")
    body = dict(answer(request, untyped=True), serviceCategory={"text": "General Clinic"})
    assert said(run.book(request, body)) == [(("BOOK-SCHEDTYPE-01",), (
        "Appointment 1 has schedule type 'General Clinic' though its schedule (Schedule 4) has none"))]


# ---------------------------------------------------------------- slots, span, channel, role, participants

def test_a_multi_slot_appointment_that_ends_with_its_first_slot_is_named(run, booked):
    body = dict(booked, end=at("10:10"))
    assert said(run.read(body)) == [(("READ-STATE-01",), (
        f"Appointment 1 runs {at('10:00')} to {at('10:10')}, expected {at('10:00')} to {at('10:20')} (its 2 slots)"))]


def test_a_multi_slot_appointment_that_lists_only_its_first_slot_is_named(run, booked):
    body = dict(booked, slot=[{"reference": "Slot/7"}])
    assert said(run.retrieve(body)) == [(("RETR-STATE-01",), "Appointment 1 lists slots ['7'], booked ['7', '8']")]


def test_a_missing_delivery_channel_and_practitioner_role_are_named(run):
    request = sent("7")
    body = dict(answer(request), extension=[])
    assert said(run.book(request, body)) == [
        (("BOOK-FIELDS-01",), "Appointment 1 delivery channel is missing, expected its slot's 'In-person'"),
        (("BOOK-FIELDS-01",), "Appointment 1 practitioner role is missing, expected its schedule's ['R0260']")]


def test_a_lost_patient_and_location_are_named(run, booked):
    body = dict(booked, participant=[{"actor": {"reference": "Practitioner/5"}, "status": "accepted"}])
    assert said(run.read(body)) == [
        (("READ-STATE-01",), "Appointment 1 has lost its patient Patient/40 from participant"),
        (("READ-STATE-01",), "Appointment 1 has no participant Location/2, its schedule's location")]


# ---------------------------------------------------------------- text, status, version

def test_a_comment_cut_to_100_characters_is_named_with_both_lengths(run):
    request = sent("7", comment=LONG_COMMENT)
    body = dict(answer(request), comment=LONG_COMMENT[:100])
    assert said(run.book(request, body)) == [(("BOOK-TEXT-01",), (
        "Appointment 1 comment is not as sent: 100 characters returned, 500 sent (cut)"))]


def test_an_amendment_that_changed_start_is_named(run, booked):
    request = dict(booked, start=at("09:55"), description="gpc-1 amended")
    assert said(run.amend(request, dict(request, meta={"versionId": "2"}))) == [(("AMEND-OTHER-01",), (
        f"Appointment 1 runs {at('09:55')} to {at('10:20')}, expected {at('10:00')} to {at('10:20')} (its 2 slots)"))]


def test_an_amendment_that_kept_its_version_is_named(run, booked):
    request = dict(booked, description="gpc-1 amended")
    assert said(run.amend(request, request)) == [(("AMEND-01",), "Appointment 1 kept versionId 1 after an amendment")]


def test_a_cancellation_that_changed_the_comment_is_named(run, booked):
    request = dict(cancellation(booked), comment="Changed on cancel")
    assert said(run.cancel(request, dict(request, meta={"versionId": "2"}))) == [(("CANCEL-OTHER-01",), (
        "Appointment 1 comment is 'Changed on cancel', sent 'Booked by the harness'"))]


def test_a_cancellation_whose_reason_is_lost_is_named(run, booked):
    request = cancellation(booked)
    body = dict(request, meta={"versionId": "2"}, extension=[CHANNEL, ROLE])
    assert said(run.cancel(request, body)) == [(("CANCEL-01",), (
        "Appointment 1 cancellation reason is None, sent 'No longer needed' (a stored reason may only be cut short)"))]


def test_a_cancellation_reason_cut_short_when_stored_is_allowed_and_any_other_change_named(run, booked):
    request = cancellation(booked)
    cut = dict(request, meta={"versionId": "2"}, extension=[CHANNEL, ROLE, reason("No longer")])
    assert run.cancel(request, cut) == []
    assert run.read(dict(cut, meta={"versionId": "2"})) == []
    changed = dict(cut, extension=[CHANNEL, ROLE, reason("No longer wanted")])
    assert said(run.read(changed)) == [(("READ-STATE-01",), (
        "Appointment 1 cancellation reason is 'No longer wanted', sent 'No longer needed' (a stored reason may "
        "only be cut short)"))]


def test_a_cancellation_answered_with_participants_declined_and_created_changed_is_named(run, booked):
    request = cancellation(dict(booked, created="2026-11-20T09:00:00+00:00"))
    run.model.appointments["1"].last = dict(booked, created="2026-11-20T09:00:00+00:00")
    body = dict(request, meta={"versionId": "2"}, created="2025-11-20T09:00:00+00:00",
                participant=[dict(p, status="declined") for p in request["participant"]])
    assert said(run.cancel(request, body)) == [
        (("CANCEL-KEEP-01",), "Appointment 1 participants changed with its cancellation: expected ['Location/2 "
                              "(accepted)', 'Patient/40 (accepted)', 'Practitioner/5 (accepted)'], got ['Location/2 "
                              "(declined)', 'Patient/40 (declined)', 'Practitioner/5 (declined)']"),
        (("CANCEL-KEEP-01",), "Appointment 1 created changed with its cancellation: expected "
                              "'2026-11-20T09:00:00+00:00', got '2025-11-20T09:00:00+00:00'")]


def test_a_cancellation_answered_without_an_extension_it_had_is_named(run, booked):
    request = cancellation(booked)
    body = dict(request, meta={"versionId": "2"}, extension=[ROLE, request["extension"][-1]])
    assert said(run.cancel(request, body)) == [
        (("CANCEL-KEEP-01",), "Appointment 1 delivery channel is missing, expected its slot's 'In-person'"),
        (("CANCEL-KEEP-01",), "Appointment 1 extensions other than the cancellation reason changed with its "
                              "cancellation: lost ['https://fhir.nhs.uk/STU3/StructureDefinition/Extension-GPConnect-"
                              "DeliveryChannel-2'], gained none")]


def test_a_cancellation_answered_as_another_appointment_is_named(run, booked):
    request = cancellation(booked)
    assert said(run.cancel(request, dict(request, id="2", meta={"versionId": "2"}))) == [
        (("CANCEL-KEEP-01",), "Appointment 1 cancelled is answered as Appointment 2")]


def test_a_description_a_cancellation_changed_unasked_is_named_as_kept_not_sent(run, booked):
    request = cancellation(booked)
    body = dict(request, meta={"versionId": "2"}, description="gpc-1 cancelled")
    assert said(run.cancel(request, body)) == [(("CANCEL-KEEP-01",), (
        "Appointment 1 description is 'gpc-1 cancelled', sent 'gpc-1 assurance booking'"))]


def test_participants_a_cancellation_added_as_sent_are_named_as_an_accepted_change(run, booked):
    request = cancellation(booked)
    request["participant"] = request["participant"] + [{"actor": {"reference": "Patient/2"}, "status": "declined"}]
    assert [r for r, _ in said(run.cancel(request, dict(request, meta={"versionId": "2"})))] == [("CANCEL-OTHER-01",)]


def test_a_read_after_cancel_still_booked_is_named(run, booked):
    request = cancellation(booked)
    assert run.cancel(request, dict(request, meta={"versionId": "2"})) == []
    assert said(run.read(dict(booked, meta={"versionId": "2"}))) == [
        (("READ-STATE-01",), "Appointment 1 status is 'booked', expected 'cancelled'"),
        (('READ-STATE-01',), "Appointment 1 cancellation reason is None, sent 'No longer needed' (a stored reason "
                             "may only be cut short)")]


def test_a_read_of_the_version_before_an_amendment_is_named(run, booked):
    amended = dict(booked, description="gpc-1 amended")
    assert run.amend(amended, dict(amended, meta={"versionId": "2"})) == []
    assert said(run.read(amended)) == [(("READ-ETAG-01",), (
        "Appointment 1 is read at version '1', but this run last saw it amended (version 2)"))]


# ---------------------------------------------------------------- retrieve and double booking

def test_a_booked_appointment_left_out_of_retrieve_is_named(run, booked):
    assert said(run.retrieve()) == [(("RETR-BOOKED-01",), (
        f"Appointment 1 (booked, 2 slots, {at('10:00')}) booked by this run is not returned for 2026-12-01 to "
        "2026-12-07"))]


def test_a_cancelled_appointment_left_out_of_retrieve_is_named(run, booked):
    request = cancellation(booked)
    assert run.cancel(request, dict(request, meta={"versionId": "2"})) == []
    assert said(run.retrieve()) == [(("RETR-CANCELLED-01",), (
        f"Appointment 1 (cancelled, 2 slots, {at('10:00')}) booked by this run is not returned for 2026-12-01 to "
        "2026-12-07"))]


def test_an_appointment_outside_the_dates_or_of_another_patient_is_not_expected(run, booked):
    assert run.retrieve(first="2026-12-02", last="2026-12-07") == []
    assert run.retrieve(patient="41") == []


def test_a_slot_booked_twice_is_named(run, booked):
    request = sent("8", "9")
    body = answer(request, aid="2")
    assert said(run.book(request, body)) == [(("BOOK-DUP-01",), (
        "Appointment 2 was booked on Slot 8, which Appointment 1 of this run already holds"))]


def test_an_amendment_and_a_cancellation_answered_without_a_body_are_taken_as_sent(run, booked):
    amended = dict(booked, description="gpc-2 amended", comment="Amended without a body")
    assert run.amend(amended, None) == []
    assert run.read(dict(amended, meta={"versionId": "2"})) == []
    assert said(run.read(dict(booked, meta={"versionId": "2"}))) == [
        (("READ-STATE-01",), "Appointment 1 description is 'gpc-1 assurance booking', sent 'gpc-2 amended'"),
        (("READ-STATE-01",), "Appointment 1 comment is 'Booked by the harness', sent 'Amended without a body'")]
    assert run.cancel(cancellation(amended), None) == []
    assert run.read(dict(cancellation(amended), meta={"versionId": "3"})) == []


# ---------------------------------------------------------------- the appointment compared whole

IDENTIFIER = {"system": "https://practice.example/Id/appointment", "value": "APT-1"}


@pytest.fixture
def identified(run):
    """A booked appointment the provider answered with a business identifier and a priority."""
    request = sent("7", "8")
    body = dict(answer(request), identifier=[IDENTIFIER], priority=5)
    assert run.book(request, body) == []
    return body


def test_a_read_that_loses_a_business_identifier_the_booking_showed_breaks_read_ident(run, identified):
    assert said(run.read(dict(identified, identifier=[]))) == [(("READ-IDENT-01",), (
        "Appointment 1 identifier is gone on read: it was [{'system': 'https://practice.example/Id/appointment', "
        "'value': 'APT-1'}]"))]
    assert run.read(identified) == []


def test_any_other_element_changed_or_gone_breaks_the_interactions_own_rule(run, identified):
    assert said(run.retrieve(dict(identified, priority=9))) == [(("RETR-STATE-01",), (
        "Appointment 1 priority changed on retrieve: it was 5, now 9"))]
    changed = dict(identified, description="gpc-1 amended")
    amended = {k: v for k, v in changed.items() if k != "priority"}
    assert said(run.amend(changed, dict(amended, meta={"versionId": "2"}))) == [(("AMEND-OTHER-01",), (
        "Appointment 1 priority is gone on amendment: it was 5"))]


def test_a_cancellation_that_drops_an_identifier_breaks_cancel_keep_and_the_same_instant_written_otherwise_is_kept(
        run, identified):
    request = cancellation(dict(identified, created="2026-11-30T09:00:00+00:00"))
    run.model.appointments["1"].last = dict(identified, created="2026-11-30T09:00:00+00:00")
    answer_ = dict(request, meta={"versionId": "2"}, created="2026-11-30T09:00:00Z", identifier=[])
    assert said(run.cancel(request, answer_)) == [(("CANCEL-KEEP-01",), (
        "Appointment 1 identifier is gone on cancellation: it was [{'system': "
        "'https://practice.example/Id/appointment', 'value': 'APT-1'}]"))]


def _large(search: dict, schedule_type: str = "Morning surgery", slot_type: str = "GP Appointment") -> dict:
    """`search` with Schedule 3's type and Slot 7's type as given, and enough other slots that its entries are
    read as shared objects (json_entries): an entry of the same text in two answers is the same object."""
    body = copy.deepcopy(search)
    body["entry"][0]["resource"]["serviceCategory"] = {"text": schedule_type}
    body["entry"][2]["resource"]["serviceType"] = [{"text": slot_type}]
    filler = [{"resource": {**slot("9"), "id": f"f{i}"}} for i in range(400)]
    body["entry"] += filler
    return body


def test_a_slot_seen_before_takes_its_schedules_details_and_type_from_each_answer_anew(run):
    typed, retyped = _large(SEARCH), _large(SEARCH, schedule_type="Evening surgery")
    flipped = _large(SEARCH, slot_type="Blood Test")
    assert run.send(ix.SEARCH_SLOTS, "Slot", 200, typed, params=[("start", "ge2026-12-02")]) == []
    first = run.model.slots["7"]
    assert run.send(ix.SEARCH_SLOTS, "Slot", 200, retyped, params=[("start", "ge2026-12-03")]) == []
    assert run.model.slots["7"].schedule_type == "Evening surgery", "the same Slot entry, its Schedule retyped"
    assert run.send(ix.SEARCH_SLOTS, "Slot", 200, typed, params=[("start", "ge2026-12-04")]) == []
    assert run.model.slots["7"] is first and first.schedule_type == "Morning surgery"
    expected = [(("SLOT-TYPE-01",), "Slot 7 is offered as 'Blood Test', but this run saw it as 'GP Appointment' "
                 "before")]
    assert said(run.send(ix.SEARCH_SLOTS, "Slot", 200, flipped, params=[("start", "ge2026-12-05")])) == expected
    back = said(run.send(ix.SEARCH_SLOTS, "Slot", 200, typed, params=[("start", "ge2026-12-06")]))
    assert back == [(("SLOT-TYPE-01",), "Slot 7 is offered as 'GP Appointment', but this run saw it as "
                     "'Blood Test' before")], "an entry seen before is still compared with the last seen"


def test_an_answer_of_a_body_observed_before_is_compared_again_only_when_one_of_its_slots_changed_since(run):
    typed, flipped = _large(SEARCH), _large(SEARCH, slot_type="Blood Test")
    held = []  # as the client holds the answers it may reuse: the answers of one body share its JSON

    def search(body, day):
        run._next = (200, body)
        held.append(run.client.send(ix.SEARCH_SLOTS, "Slot", params=[("start", f"ge2026-12-{day:02}")]))
        return said(run.model.observe(held[-1]))

    read = []
    run.model._seen = _Counting(run.model._seen, read)
    assert search(typed, 2) == [] and search(typed, 3) == []
    assert held[1].json() is held[0].json()
    assert len(read) == len(typed["entry"]), "the second answer of the body reads none of its slots again"
    assert search(flipped, 4) == [(("SLOT-TYPE-01",), "Slot 7 is offered as 'Blood Test', but this run saw it as "
                                   "'GP Appointment' before")]
    assert search(typed, 5) == [(("SLOT-TYPE-01",), "Slot 7 is offered as 'GP Appointment', but this run saw it as "
                                 "'Blood Test' before")], "Slot 7 changed since: compared again"
    assert run.model.slots["7"].slot_types == ("GP Appointment",)


class _Counting:
    """A ByIdentity whose lookups are counted in `read`."""

    def __init__(self, inner, read: list):
        self._inner, self._read = inner, read

    def known(self, obj):
        self._read.append(obj)
        return self._inner.known(obj)

    def put(self, obj, value):
        return self._inner.put(obj, value)


def test_slots_recorded_through_runs_another_answer_shares_take_each_answers_schedule_and_are_compared_again(run):
    typed, retyped = _large(SEARCH), _large(SEARCH, schedule_type="Evening surgery")
    flipped = _large(SEARCH, slot_type="Blood Test")
    longer = copy.deepcopy(typed)
    longer["entry"].append({"resource": {**slot("9"), "id": "last"}})
    held = []

    def search(body, day):
        run._next = (200, body)
        held.append(run.client.send(ix.SEARCH_SLOTS, "Slot", params=[("start", f"ge2026-12-{day:02}")]))
        return said(run.model.observe(held[-1]))

    assert search(typed, 2) == [] and search(longer, 3) == []  # the second records its runs through the first's
    assert search(flipped, 4) == [(("SLOT-TYPE-01",), "Slot 7 is offered as 'Blood Test', but this run saw it as "
                                   "'GP Appointment' before")]
    assert search(longer, 5) == [(("SLOT-TYPE-01",), "Slot 7 is offered as 'GP Appointment', but this run saw it "
                                  "as 'Blood Test' before")], "the longer answer holds Slot 7 too: compared again"
    assert search(retyped, 6) == []
    # A slot far from the Schedule's entry (in a run the two answers share) takes the retyped Schedule's details.
    assert run.model.slots["f300"].schedule_type == "Evening surgery"
    assert search(typed, 7) == [] and run.model.slots["f300"].schedule_type == "Morning surgery"
