"""Texts compared as the spec says: types exactly, a stored cancellation reason as sent or cut short."""

from harness.spec import texts


def test_a_type_is_its_text_exactly_and_a_blank_text_is_none():
    assert texts.type_text({"text": "GP Appointment "}) == "GP Appointment "
    for concept in ({"text": "   "}, {"text": ""}, {}, None, {"text": 3}):
        assert texts.type_text(concept) is None, concept
    assert texts.type_texts([{"text": " "}, {"text": "Nurse"}, {"coding": []}]) == ("Nurse",)


def test_a_stored_reason_is_the_sent_one_or_cut_short():
    assert texts.reason_kept("No longer needed", "No longer needed")
    assert texts.reason_kept("No long", "No longer needed")
    for stored in ("", None, "No longer needed.", "no longer needed", "longer"):
        assert not texts.reason_kept(stored, "No longer needed"), stored
