"""A response body's JSON as json.loads reads it, each distinct entry of a large Bundle decoded once."""

import json

import pytest

from harness.transport import json_entries


def bundle_text(*ids, pad=json_entries.SHARED_FROM_CHARS, **top):
    entries = [{"resource": {"resourceType": "Slot", "id": i, "start": "2026-12-01T09:00:00+00:00", "n": 1.5,
                             "big": 2 ** 70, "text": "caf\u00e9 \\u00e9 \"q\""}} for i in ids]
    return json.dumps({"resourceType": "Bundle", "type": "searchset", **top, "entry": entries,
                       "padding": "x" * pad})


def test_a_large_bundle_reads_as_json_loads_reads_it_and_shares_the_entries_seen_before():
    first, second = bundle_text("1", "2"), bundle_text("2", "3", total=2)
    a, b = json_entries.loads(first), json_entries.loads(second)
    assert a == json.loads(first) and b == json.loads(second) and list(b) == list(json.loads(second))
    assert b["entry"][0] is a["entry"][1], "the same entry text is the same object"
    assert b["entry"][1] is not a["entry"][0]


@pytest.mark.parametrize("text", [
    '{"resourceType": "Bundle", "entry": [{"n": NaN}], "p": "%s"}',  # json.loads reads NaN; msgspec does not
    '[{"resourceType": "Bundle"}, "%s"]',  # not an object
    '{"resourceType": "Bundle", "entry": {"not": "a list"}, "p": "%s"}',
])
def test_what_msgspec_does_not_read_is_read_by_json_loads(text):
    text = text % ("x" * json_entries.SHARED_FROM_CHARS)
    assert repr(json_entries.loads(text)) == repr(json.loads(text))


def test_text_that_is_not_json_raises_json_loads_error_with_its_position():
    text = '{"resourceType": "Bundle", "entry": [}' + " " * json_entries.SHARED_FROM_CHARS
    with pytest.raises(json.JSONDecodeError) as raised:
        json_entries.loads(text)
    assert raised.value.pos == 37
