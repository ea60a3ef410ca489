"""How long and how much memory the harness needs to parse and check a large slot search.

    .venv/bin/python benchmarks/bench_slot_search.py [--slots 5000] [--repeat 3]

Builds a searchset Bundle shaped like a large practice's 14-day answer (slots over 20 schedules,
with their Schedules, Practitioners, Locations and Organization), then times, best of --repeat:
JSON parsing, the STU3 model parse of a search seen for the first time and of the same slots
searched again (each distinct resource is validated once per run), the evidence of the exchange
(stored once, summarised), every slot-search check, test-data discovery, and the profile
conformance of every resource. Peak memory is measured with tracemalloc.
Measured, never asserted: machines here are shared and noisy.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
import tracemalloc
from datetime import datetime, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from harness.checks import profiles as profile_check
from harness.checks import slot_search as search_checks
from harness.consumer import discovery
from harness.consumer import slot_search as ss  # noqa: E402
from harness.report import allure as report
from harness.spec.constants import ODS_SYSTEM, SD, UK  # noqa: E402
from harness.transport import fhir


def bundle(n_slots: int) -> dict:
    start = datetime(2026, 12, 1, 8, 0, tzinfo=UK)
    resources = [{"resourceType": "Organization", "id": "org",
                  "meta": {"versionId": "1", "profile": [SD + "CareConnect-GPC-Organization-1"]},
                  "name": "Practice", "identifier": [{"system": ODS_SYSTEM, "value": "A99901"}]},
                 {"resourceType": "Location", "id": "loc",
                  "meta": {"versionId": "1", "profile": [SD + "CareConnect-GPC-Location-1"]},
                  "name": "Site", "managingOrganization": {"reference": "Organization/org"}}]
    for s in range(20):
        resources.append({"resourceType": "Practitioner", "id": f"p{s}",
                          "meta": {"versionId": "1", "profile": [SD + "CareConnect-GPC-Practitioner-1"]},
                          "name": [{"family": f"Doctor{s}"}]})
        resources.append({"resourceType": "Schedule", "id": f"s{s}",
                          "meta": {"versionId": "1", "profile": [SD + "GPConnect-Schedule-1"]},
                          "serviceCategory": {"text": "Surgery"},
                          "actor": [{"reference": "Location/loc"}, {"reference": f"Practitioner/p{s}"}],
                          "planningHorizon": {"start": "2026-12-01T08:00:00+00:00",
                                              "end": "2026-12-15T18:00:00+00:00"}})
    for i in range(n_slots):
        s = i % 20
        at = start + timedelta(days=(i // 20) // 50, minutes=10 * ((i // 20) % 50))
        resources.append({"resourceType": "Slot", "id": str(i),
                          "meta": {"versionId": "1", "profile": [SD + "GPConnect-Slot-1"]},
                          "extension": [{"url": SD + "Extension-GPConnect-DeliveryChannel-2",
                                         "valueCode": "In-person"}],
                          "identifier": [{"system": "https://example.invalid/slot", "value": str(i)}],
                          "serviceType": [{"text": "GP Appointment"}], "schedule": {"reference": f"Schedule/s{s}"},
                          "status": "free", "start": at.isoformat(), "end": (at + timedelta(minutes=10)).isoformat()})
    return {"resourceType": "Bundle", "type": "searchset", "entry": [{"resource": r} for r in resources]}


def evidence_seconds(text: str, repeat: int) -> float:
    """Evidence of one exchange carrying this body, stored in a fresh folder each time."""
    import tempfile

    from harness.transport.client import Exchange

    def once():
        exchange = Exchange("search for free slots", "GET", "http://x/Slot", {}, None, None, status=200,
                            response_headers={"Content-Type": "application/fhir+json;charset=utf-8"},
                            response_text=text, elapsed_s=0.1)
        with tempfile.TemporaryDirectory() as folder:
            return report.evidence(exchange, Path(folder))

    return timed(once, repeat)[0]


def timed(fn, repeat: int):
    best = float("inf")
    for _ in range(repeat):
        began = time.perf_counter()
        result = fn()
        best = min(best, time.perf_counter() - began)
    return best, result


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--slots", type=int, default=5000)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    text = json.dumps(bundle(args.slots))
    window = ss.Window.days(datetime(2026, 12, 1).date(), datetime(2026, 12, 14).date())
    print(f"{args.slots} slots, {len(text) / 1e6:.1f} MB of JSON")

    t_json, data = timed(lambda: json.loads(text), args.repeat)

    def first_parse():
        fhir.clear_cache()
        return fhir.BundleIndex(fhir.parse(json.loads(text), "bench", "Bundle"))

    t_first, _ = timed(first_parse, args.repeat)
    t_model, index = timed(lambda: fhir.BundleIndex(fhir.parse(json.loads(text), "bench", "Bundle")), args.repeat)
    t_model = max(t_model - t_json, 0.0)  # the repeat includes its own json.loads
    t_first = max(t_first - t_json, 0.0)

    def checks():
        slots, schedules = index.of_type("Slot"), index.of_type("Schedule")
        return (search_checks.slots_without_type(slots) + search_checks.schedule_type_violations(schedules, "some")
                + search_checks.forbidden_element_violations(slots + schedules, "comment")
                + search_checks.non_free_slots(slots) + search_checks.slots_outside(slots, window)
                + search_checks.unreferenced_resources(index, "A99901") + search_checks.organization_violations(index))

    t_checks, problems = timed(checks, args.repeat)
    t_data, _ = timed(lambda: (discovery.runs(discovery.free_slots(data), 3),
                               discovery.pair_differing_in(discovery.free_slots(data), "schedule")),
                      args.repeat)
    t_profile, profile_problems = timed(
        lambda: [p for r in profile_check.resources_in(data) for p in profile_check.resource_violations(r)],
        args.repeat)
    t_evidence = evidence_seconds(text, args.repeat)
    if problems or profile_problems:
        print(f"note: the synthetic Bundle has {len(problems) + len(profile_problems)} problems; figures still stand")

    tracemalloc.start()
    fhir.BundleIndex(fhir.parse(json.loads(text), "bench", "Bundle"))
    checks()
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    for label, seconds in (("json.loads", t_json), ("STU3 parse, first time", t_first),
                           ("STU3 parse, seen before", t_model), ("evidence (store, summary)", t_evidence),
                           ("slot-search checks", t_checks), ("test-data discovery", t_data),
                           ("profile conformance", t_profile)):
        print(f"{label:26} {seconds:7.3f} s")
    print(f"{'peak memory (parse + checks)':28} {peak / 1e6:.0f} MB")
    return 0


if __name__ == "__main__":
    sys.exit(main())
