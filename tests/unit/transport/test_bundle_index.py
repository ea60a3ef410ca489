"""A Bundle's index (harness/transport/fhir.py BundleIndex) is its resources by type, in Bundle order, whatever runs of
entries it shares with other Bundles."""

from harness.transport import fhir


def _slot(i):
    return {"resource": {"resourceType": "Slot", "id": f"s{i}", "schedule": {"reference": "Schedule/1"},
                         "status": "free", "start": "2026-12-08T09:00:00+00:00", "end": "2026-12-08T09:10:00+00:00"}}


def _schedule(i):
    return {"resource": {"resourceType": "Schedule", "id": f"c{i}", "actor": [{"reference": "Location/1"}]}}


LOCATION = {"resource": {"resourceType": "Location", "id": "1", "name": "Here"}}


def test_indexes_of_bundles_sharing_runs_of_entries_hold_each_bundles_own_resources_in_order():
    fhir.clear_cache()
    shared = [_slot(i) for i in range(300)]
    bundles = [shared, [_schedule(1)] + shared[:120] + [LOCATION, _schedule(2)] + shared[120:],
               shared[50:] + [_schedule(3)]]
    for entries in bundles:
        index = fhir.BundleIndex(fhir.parse({"resourceType": "Bundle", "type": "searchset", "entry": entries}, "test"))
        ids = [e["resource"]["id"] for e in entries]
        assert [r.id for r in index] == ids
        for kind in ("Slot", "Schedule", "Location", "Practitioner"):
            assert [r.id for r in index.of_type(kind)] == [e["resource"]["id"] for e in entries
                                                            if e["resource"]["resourceType"] == kind]
        first_seen = list(dict.fromkeys(e["resource"]["resourceType"] for e in entries))
        assert [fhir.rtype(r) for r in index.other_than("Slot")] == [
            kind for kind in first_seen if kind != "Slot" for e in entries if e["resource"]["resourceType"] == kind]
