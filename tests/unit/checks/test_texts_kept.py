"""The texts a booking or amendment sent, kept exactly as sent (harness/checks/appointments.py text checks)."""

import pytest

from harness.checks import appointments as appt_checks
from harness.spec import interactions as ix

SENT = '{"description": "gpc-1 d", "comment": "' + "c" * 500 + '"}'


@pytest.fixture
def stored(exchange_of):
    """stored(status, body, refusal_allowed) -> the text check's findings on a booking that sent a 500-character
    comment."""

    def run(status, body, refusal_allowed):
        exchange = exchange_of(status, body, interaction=ix.BOOK_APPOINTMENT, path="Appointment")
        exchange.request_body = SENT
        return [(v.requirements, v.message) for v in appt_checks.text_kept_violations(exchange, "BOOK-TEXT-01",
                                                                                   refusal_allowed)]

    return run


def test_texts_stored_intact_are_conformant(stored):
    assert stored(201, {"id": "52", "description": "gpc-1 d", "comment": "c" * 500}, False) == []


def test_a_comment_cut_is_named_with_both_lengths(stored):
    assert stored(201, {"id": "52", "description": "gpc-1 d", "comment": "c" * 100}, True) == [(("BOOK-TEXT-01",), (
        "Appointment 52 comment is not as sent: 100 characters returned, 500 sent (cut)"))]


def test_a_refusal_is_conformant_only_where_refusal_is_allowed(stored):
    outcome = {"resourceType": "OperationOutcome", "meta": {"profile": [
        "https://fhir.nhs.uk/STU3/StructureDefinition/GPConnect-OperationOutcome-1"]},
        "issue": [{"severity": "error", "code": "invalid", "details": {"coding": [{
            "system": "https://fhir.nhs.uk/STU3/CodeSystem/Spine-ErrorOrWarningCode-1", "code": "INVALID_RESOURCE",
            "display": "Invalid resource"}]}, "diagnostics": "comment is longer than this provider stores"}]}
    assert stored(422, outcome, True) == []
    assert stored(422, outcome, False) == [(("BOOK-TEXT-01",), (
        "expected the description and comment to be stored, got HTTP 422"))]
