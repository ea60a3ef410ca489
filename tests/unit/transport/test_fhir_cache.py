"""fhir.ByIdentity: values of objects nothing changes, remembered by identity."""

from harness.transport import fhir


def test_a_value_is_made_once_per_object_and_again_for_an_equal_other_or_when_no_longer_valid():
    made = []
    memo = fhir.ByIdentity(limit=2)

    def make(obj):
        made.append(obj)
        return len(made)

    first, equal = {"id": "1"}, {"id": "1"}
    assert memo.get(first, make) == memo.get(first, make) == 1
    assert memo.get(equal, make) == 2, "an equal object that is another object is worked out itself"
    assert memo.get(first, make, still=lambda value: value != 1) == 3, "a value no longer valid is made again"
    memo.get({"id": "3"}, make)
    assert memo.get(first, make) == 3, "remembered up to the limit"
    memo.get({"id": "4"}, make)  # past the limit: everything is forgotten
    assert memo.get(first, make) == 6
