"""A resource validated from its shape's template (harness/transport/shapes.py) is the model whole validation
gives, and a resource whole validation refuses is refused with the same errors."""

from datetime import timedelta, timezone

from fhir.resources.STU3 import get_fhir_model_class
from hypothesis import given, settings
from hypothesis import strategies as st
from pydantic import ValidationError

from harness.transport import fhir, shapes
from harness.transport.fhir import BUNDLE_ENTRY, json_key

SLOT = get_fhir_model_class("Slot")
SD = "https://fhir.nhs.uk/STU3/StructureDefinition/"
BASE = {"resourceType": "Slot", "meta": {"versionId": "1", "profile": [SD + "GPConnect-Slot-1"]},
        "extension": [{"url": SD + "Extension-GPConnect-DeliveryChannel-2", "valueCode": "In-person"}],
        "serviceType": [{"text": "GP Appointment"}], "schedule": {"reference": "Schedule/4"}, "status": "free"}
TEMPLATE = {"id": "1", "start": "2026-12-08T09:00:00+00:00", "end": "2026-12-08T09:10:00+00:00",
            "identifier": [{"system": "https://example.invalid/slot", "value": "S-1"}]}

instants = st.one_of(
    st.datetimes(timezones=st.sampled_from([timezone.utc, timezone(timedelta(hours=1)), timezone(timedelta(hours=-5))])
                 ).map(lambda d: d.isoformat()),
    st.sampled_from(["2026-12-08", "2026-13-08T09:00:00+00:00", "2026-12-08T09:00:00Z", "2026-12-08T09:00:00",
                     "2026-12-08T09:00:00.123+01:00", " 2026-12-08T09:00:00+00:00", ""]),
    st.text(max_size=30), st.integers(), st.none())
ids = st.one_of(st.from_regex(r"[A-Za-z0-9\-.]{1,64}", fullmatch=True), st.text(max_size=70), st.integers(), st.none())
identifiers = st.one_of(
    st.lists(st.dictionaries(st.sampled_from(["system", "value", "use"]), st.one_of(st.text(max_size=12), st.none()),
                             max_size=3), max_size=3),
    st.none(), st.text(max_size=5))


def whole(resource):
    try:
        return SLOT.model_validate(resource), None
    except ValidationError as exc:
        return None, exc.errors(include_url=False, include_context=False)


# Members as any provider may send them, and plain ones (text, identifiers of text) that take the template's way.
any_members = st.fixed_dictionaries({}, optional={"id": ids, "start": instants, "end": instants,
                                                  "identifier": identifiers})
plain_text = st.text(min_size=1, max_size=20)
plain_members = st.fixed_dictionaries({}, optional={
    "id": st.one_of(st.from_regex(r"[A-Za-z0-9\-.]{1,64}", fullmatch=True), plain_text),
    "start": st.one_of(instants.filter(lambda v: isinstance(v, str) and v), plain_text),
    "end": st.one_of(instants.filter(lambda v: isinstance(v, str) and v), plain_text),
    "identifier": st.lists(st.dictionaries(st.sampled_from(["system", "value", "use"]), plain_text, min_size=1,
                                           max_size=3), min_size=1, max_size=3)})


@settings(max_examples=400, deadline=None)
@given(st.one_of(any_members, plain_members))
def test_a_resource_validated_from_its_shapes_template_is_what_whole_validation_gives(varying):
    shapes.clear()
    try:
        shapes.validated({**BASE, **{k: TEMPLATE[k] for k in varying}}, SLOT, json_key)  # the shape's template
    except ValidationError:
        pass  # a shape with no start or end has no template: whole validation refuses it
    got, expected = through_shape_and_whole({**BASE, **varying})
    if got is not None:
        assert got.model_fields_set == expected.model_fields_set


def through_shape_and_whole(resource):
    """(shapes.validated, whole validation) of the resource, which must be equal models or both refusals with the
    same errors ((None, None) then)."""
    expected, errors = whole(resource)
    try:
        got = shapes.validated(resource, SLOT, json_key)
    except ValidationError as exc:
        assert expected is None and exc.errors(include_url=False, include_context=False) == errors
        return None, None
    assert expected is not None, f"whole validation refuses it: {errors}"
    assert got == expected and got.model_dump() == expected.model_dump()
    return got, expected


def test_slots_of_one_shape_are_validated_whole_once(monkeypatch):
    shapes.clear()
    whole_validations = []
    original = SLOT.model_validate
    monkeypatch.setattr(SLOT, "model_validate", lambda data, *a, **k: whole_validations.append(1) or original(data))
    slots = [{**BASE, "id": str(i), "start": f"2026-12-08T09:{i % 60:02d}:00+00:00",
              "end": f"2026-12-08T10:{i % 60:02d}:00+00:00",
              "identifier": [{"system": "https://example.invalid/slot", "value": f"S-{i}"}],
              "serviceType": [{"text": "GP Appointment" if i % 2 else "Blood Test"}]} for i in range(200)]
    models = [shapes.validated(s, SLOT, json_key) for s in slots]
    assert len(whole_validations) == 2, "one template for each of the two slot types"
    assert [m.id for m in models] == [str(i) for i in range(200)]
    assert models[7].identifier[0].value == "S-7" and models[7].serviceType[0].text == "GP Appointment"
    assert models[8].start.isoformat() == "2026-12-08T09:08:00+00:00"


valid_members = st.fixed_dictionaries({"start": st.just(TEMPLATE["start"]), "end": st.just(TEMPLATE["end"])}, optional={
    "id": st.from_regex(r"[A-Za-z0-9\-.]{1,64}", fullmatch=True),
    "identifier": st.lists(st.dictionaries(st.sampled_from(["system", "value"]), plain_text, min_size=1), min_size=1,
                           max_size=2)})


@settings(max_examples=100, deadline=None)
@given(st.lists(st.one_of(any_members, plain_members, valid_members, valid_members), min_size=1, max_size=4))
def test_each_entry_of_a_parsed_bundle_is_what_validating_it_whole_gives(varied):
    fhir.clear_cache()
    resources = [{**BASE, **members} for members in varied]
    bundle = {"resourceType": "Bundle", "type": "searchset", "entry": [{"resource": r} for r in resources]}
    try:
        expected = [BUNDLE_ENTRY.model_validate({"resource": r}) for r in resources]
    except ValidationError:
        return  # a refused entry: test_a_resource_validated_from_its_shapes_template holds the errors
    got = fhir.parse(bundle, "a test").entry
    assert got == expected and [e.model_dump() for e in got] == [e.model_dump() for e in expected]
    assert [e.model_fields_set for e in got] == [e.model_fields_set for e in expected]


def test_the_entries_of_slots_of_one_shape_each_hold_their_own_slot():
    fhir.clear_cache()
    resources = [{**BASE, "id": str(i), "start": f"2026-12-08T09:0{i}:00+00:00", "end": f"2026-12-08T09:1{i}:00+00:00"}
                 for i in range(3)]
    bundle = {"resourceType": "Bundle", "type": "searchset", "entry": [{"resource": r} for r in resources]}
    got = fhir.parse(bundle, "a test").entry
    assert [e.resource.id for e in got] == ["0", "1", "2"]
    assert got == [BUNDLE_ENTRY.model_validate({"resource": r}) for r in resources]


identifier_items = st.lists(st.fixed_dictionaries({}, optional={
    "system": st.one_of(st.sampled_from(["https://example.invalid/slot", "urn:oid:1.2.3"]), plain_text),
    "value": plain_text, "use": st.one_of(st.sampled_from(["official", "usual", "secondary"]), plain_text)}).filter(
    bool), min_size=1, max_size=3)


@settings(max_examples=150, deadline=None)
@given(st.lists(identifier_items, min_size=2, max_size=6))
def test_identifiers_made_from_their_members_template_are_what_whole_validation_gives(identifier_lists):
    shapes.clear()
    for i, identifiers in enumerate(identifier_lists):
        got, expected = through_shape_and_whole({**BASE, **TEMPLATE, "id": f"s{i}", "identifier": identifiers})
        if got is not None:
            assert [m.model_fields_set for m in got.identifier] == [m.model_fields_set for m in expected.identifier]


def test_text_validated_for_one_member_is_not_taken_for_another_with_the_same_text():
    shapes.clear()
    first = {**BASE, **TEMPLATE}
    # The same text as a start (an instant: a date-time) and as an identifier's value (a string), then as an id,
    # which refuses it.
    again = {**first, "id": "2", "identifier": [{"system": "https://example.invalid/slot", "value": TEMPLATE["start"]}]}
    refused = {**first, "id": TEMPLATE["start"]}
    for resource in (first, again, refused):
        through_shape_and_whole(resource)
    assert shapes.validated(again, SLOT, json_key).identifier[0].value == TEMPLATE["start"]


def test_a_copied_template_is_a_model_of_its_own():
    shapes.clear()
    model = shapes.validated({**BASE, **TEMPLATE}, SLOT, json_key)
    copy = shapes.copied(model, {"id": "9"})
    assert copy.id == "9" and model.id == "1" and copy.model_fields_set == model.model_fields_set
    copy.__dict__["status"] = "busy"
    assert model.status == "free", "the copy's members are its own"
    assert shapes.copied(model, {"comment": "x"}) == model.model_copy(update={"comment": "x"})
    assert shapes.copied(model, {"comment": "x"}).model_fields_set == model.model_fields_set | {"comment"}
