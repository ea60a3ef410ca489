"""The reference provider's fault registry: every name declared once, claimed where it is used,
and rewrites applied only to the interactions they name."""

import pytest

from reference_provider import app, faults  # noqa: F401  (importing app claims every fault)


def _bundle(*resources):
    return {"resourceType": "Bundle", "type": "searchset", "entry": [{"resource": r} for r in resources]}


def test_every_fault_is_declared_with_a_requirement_a_description_and_a_kind():
    assert len(faults.FAULTS) >= 70
    for fault in faults.FAULTS.values():
        assert fault.requirement and fault.breaks, fault.name
        assert fault.kind in (faults.REWRITE, faults.RULE_OFF, faults.BEHAVIOUR), fault.name
        assert (fault.rewrite is not None) == (fault.kind == faults.REWRITE), fault.name


def test_importing_the_provider_verifies_that_every_fault_is_claimed():
    faults.verify()


def test_an_unknown_name_cannot_be_claimed():
    with pytest.raises(ValueError, match="unknown fault 'book_acepts_gap'"):
        faults.uses("book_acepts_gap")


def test_a_fault_cannot_be_claimed_twice_or_a_rewrite_claimed_at_all():
    with pytest.raises(ValueError, match="fault 'book_accepts_gap' is claimed twice"):
        faults.uses("book_accepts_gap")
    with pytest.raises(ValueError, match="fault 'slot_missing_type' is a rewrite"):
        faults.uses("slot_missing_type")


def test_a_declared_but_unclaimed_fault_fails_verification(monkeypatch):
    monkeypatch.setitem(faults.FAULTS, "book_never_used",
                        faults.Fault("book_never_used", "BOOK-01", "nothing", faults.RULE_OFF))
    with pytest.raises(ValueError, match="faults declared but never used: book_never_used"):
        faults.verify()


def test_a_second_declaration_of_a_name_is_refused():
    with pytest.raises(ValueError, match="fault 'book_race' is declared twice"):
        faults.behaviour("book_race", "BOOK-RACE-01", "again")


def test_check_names_the_first_unknown_fault():
    assert faults.check(["book_race"]) == frozenset({"book_race"})
    with pytest.raises(ValueError, match="unknown fault 'slot_mising_type'"):
        faults.check(["book_race", "slot_mising_type"])


def test_a_rewrite_applies_only_to_the_interactions_it_names():
    slot = {"resourceType": "Slot", "id": "1", "serviceType": [{"text": "GP"}]}
    searched = faults.apply(faults.Answer(200, _bundle(dict(slot)), {}, faults.SEARCH),
                            frozenset({"slot_missing_type"}))
    assert "serviceType" not in searched.body["entry"][0]["resource"]
    read = faults.apply(faults.Answer(200, _bundle(dict(slot)), {}, faults.READ), frozenset({"slot_missing_type"}))
    assert read.body["entry"][0]["resource"]["serviceType"] == [{"text": "GP"}]


def test_rewrites_of_every_interaction_change_headers_and_media_type():
    answer = faults.apply(faults.Answer(200, {"resourceType": "CapabilityStatement", "version": "1.2.7"},
                                        {"Cache-Control": "no-store"}, faults.METADATA),
                          frozenset({"cache_control_wrong", "content_type_json", "capability_old_version"}))
    assert answer.headers["Cache-Control"] == "no-cache"
    assert answer.media_type == "application/json"
    assert answer.body["version"] == "1.2.6"


def test_with_no_fault_active_the_answer_is_untouched():
    body = _bundle({"resourceType": "Slot", "id": "1", "serviceType": [{"text": "GP"}]})
    answer = faults.apply(faults.Answer(200, body, {"Cache-Control": "no-store"}, faults.SEARCH), frozenset())
    assert answer.body == _bundle({"resourceType": "Slot", "id": "1", "serviceType": [{"text": "GP"}]})
    assert answer.headers == {"Cache-Control": "no-store"} and answer.media_type.startswith("application/fhir+json")
