"""Evidence of an exchange: small bodies shown whole, large ones stored once and summarised."""

import gzip
import json

import httpx

from harness.errors import Nonconformance
from harness.report.allure import INLINE_BODY_CHARS, evidence
from harness.settings import load_settings
from harness.spec import interactions as ix
from harness.transport import fhir
from harness.transport.client import GpConnectClient

ROOT = "https://provider.example/A11111/STU3/1/gpconnect"
SD = "https://fhir.nhs.uk/STU3/StructureDefinition/"


def slot(i: int) -> dict:
    return {"resourceType": "Slot", "id": str(i), "meta": {"versionId": "1", "profile": [SD + "GPConnect-Slot-1"]},
            "serviceType": [{"text": "GP Appointment"}], "schedule": {"reference": "Schedule/s1"}, "status": "free",
            "start": "2026-12-01T09:00:00+00:00", "end": "2026-12-01T09:10:00+00:00"}


def bundle(n: int) -> dict:
    return {"resourceType": "Bundle", "type": "searchset", "entry": [{"resource": slot(i)} for i in range(n)]}


def exchange_of(body: dict):
    def handler(request):
        return httpx.Response(200, json=body, headers={"Content-Type": "application/fhir+json;charset=utf-8"})

    client = GpConnectClient(load_settings({"GPC_ENV": "reference"}), ROOT, transport=httpx.MockTransport(handler))
    return client.send(ix.SEARCH_SLOTS, "Slot", body={"resourceType": "Parameters"}, params=[("status", "free")])


def test_a_small_body_is_shown_whole_and_pretty_printed(tmp_path):
    text = evidence(exchange_of(bundle(2)), tmp_path)
    assert '"resourceType": "Bundle",\n  "type": "searchset"' in text
    assert '\n\n{"resourceType": "Parameters"}\n' in text  # the request body too, small objects on one line
    assert not (tmp_path / "evidence").exists()


def test_a_large_body_is_stored_once_and_summarised(tmp_path):
    body = bundle(1000)
    first, second = exchange_of(body), exchange_of(body)
    assert len(first.response_text) > INLINE_BODY_CHARS
    shown = evidence(first, tmp_path)
    evidence(second, tmp_path)
    stored = list((tmp_path / "evidence").iterdir())
    assert len(stored) == 1 and stored[0].name.endswith(".json.gz")
    assert f"evidence/{stored[0].name} in the reports folder" in shown
    assert "1000 entries: 1000 Slot" in shown and "First Slot:" in shown
    assert len(shown) < 5000
    assert gzip.decompress(stored[0].read_bytes()).decode() == first.response_text
    assert json.loads(first.response_text) == body


def test_the_same_resource_is_validated_once_and_the_model_shared():
    fhir.clear_cache()
    one = fhir.parse(bundle(3), "GET .../Slot", "Bundle")
    two = fhir.parse(bundle(3), "GET .../Slot", "Bundle")
    assert one.entry[1].resource is two.entry[1].resource
    assert str(one.entry[2].resource.start) == "2026-12-01 09:00:00+00:00"


def test_a_bad_resource_is_named_even_when_its_twin_was_valid():
    fhir.clear_cache()
    fhir.parse(bundle(2), "GET .../Slot", "Bundle")
    bad = bundle(2)
    bad["entry"][1]["resource"]["start"] = "not-a-time"
    try:
        fhir.parse(bad, "GET .../Slot", "Bundle")
    except Nonconformance as exc:
        assert str(exc).startswith("Slot 1 (entry[1]) does not parse as FHIR STU3: start: ")
    else:
        raise AssertionError("an invalid start was accepted")


def test_an_unknown_resource_type_in_a_bundle_is_named():
    bad = bundle(1)
    bad["entry"][0]["resource"]["resourceType"] = "Slott"
    try:
        fhir.parse(bad, "GET .../Slot", "Bundle")
    except Nonconformance as exc:
        assert str(exc) == "Slott 0 (entry[0]) has unknown resourceType 'Slott' (GET .../Slot)"
    else:
        raise AssertionError("an unknown resourceType was accepted")


def test_a_reused_answer_shows_its_originals_body_and_says_it_was_not_sent(tmp_path):
    first = exchange_of(bundle(1000))
    shown = evidence(first, tmp_path)
    again = evidence(first.reuse(), tmp_path)
    assert again.startswith("Not sent again: the answer to the identical request sent at ")
    assert shown[shown.index("Body of"):] == again[again.index("Body of"):]
    assert "Ssp-TraceID" in shown and "Ssp-TraceID" not in again  # the original's headers are not repeated
    assert len(list((tmp_path / "evidence").iterdir())) == 1


def test_pretty_json_keeps_small_objects_on_one_line_and_the_value_intact():
    from harness.transport.exchange import pretty_json

    value = bundle(3)
    text = pretty_json(value, width=80)
    assert json.loads(text) == value
    assert '\n  "type": "searchset",\n' in text
    assert '"schedule": {"reference": "Schedule/s1"}' in text
    assert all(len(line) <= 80 or '"' in line.strip()[:1] for line in text.splitlines())
    assert pretty_json({"a": 1}) == '{"a": 1}' and pretty_json([]) == "[]"


def test_a_long_bundles_summary_counts_and_samples_each_type_as_its_entries_show_them():
    from collections import Counter

    from harness.report.allure import SAMPLE_TYPES_SHOWN, summarise_body

    def naive(data):  # each entry read in turn
        resources = [r for r in (e.get("resource") for e in data["entry"] if isinstance(e, dict))
                     if isinstance(r, dict)]
        counts = Counter(str(r.get("resourceType", "(none)")) for r in resources)
        first: dict = {}
        for r in resources:
            first.setdefault(str(r.get("resourceType")), r)
        return counts.most_common(), list(first.items())[:SAMPLE_TYPES_SHOWN]

    kinds = [f"Kind{i}" for i in range(10)] + [None]
    pool = [{"resource": {"resourceType": kinds[i % 11], "id": str(i)} if kinds[i % 11] else {"id": str(i)}}
            for i in range(77)] + [{"resource": "text"}, 7, {"fullUrl": "x"}]
    long = [pool[(i * 7) % len(pool)] for i in range(1_500)]
    for entries in (long, long[700:] + long[:700], long[:400], long[5:] + [pool[3]] * 300):
        data = {"resourceType": "Bundle", "type": "searchset", "entry": entries}
        counts, samples = naive(data)
        said = summarise_body("x" * 10, data, "there")
        assert said.splitlines()[1].endswith(", ".join(f"{n} {t}" for t, n in counts))
        blocks = said.split("\n\nFirst ")[1:]
        assert [(b.split(":\n")[0], json.loads(b.split(":\n", 1)[1])) for b in blocks] == samples
