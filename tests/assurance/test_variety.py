"""No false alarm on conformant variety: the whole assurance suite against the reference provider's variety
mode (UUID ids, shuffled entries, codings beside text, several actors per Schedule, vendor extensions,
gzip and chunked answers, another service root) passes every scenario, with nothing skipped.

The second test shows the variety is really served over the wire, so the first cannot pass by the
provider quietly presenting its everyday shape."""

from __future__ import annotations

import re
import sys

import httpx

from harness.cli import bundled_provider as reference
from harness.consumer import slot_search as ss
from harness.settings import load_settings
from harness.transport.client import GpConnectClient

UUID = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}")


def test_every_scenario_passes_against_the_variety_provider_with_nothing_skipped(run_suite):
    run = run_suite(command=(sys.executable, "-m", "harness", "assure", "-q", "-p", "no:randomly"),
                    GPC_REFERENCE_VARIETY="true")
    assert run.returncode == 0, run.explain()
    assert not run.by_outcome("failed") and not run.by_outcome("error"), run.explain()
    assert not run.by_outcome("skipped"), "a conformant provider is never left unassured: " + run.explain()
    assert run.outcomes and len(run.by_outcome("passed")) == len(run.outcomes), run.explain()
    assert "Overall verdict: CONFORMANT:" in run.stdout
    assert re.search(r"the bundled reference provider \(http://127\.0\.0\.1:\d+/gpc/a99901/fhir/stu3\) in variety mode",
                     run.stdout), "the run names the variety provider it assured: " + run.stdout[-1500:]


def test_the_variety_provider_serves_its_variety_over_the_wire(tmp_path):
    settings = load_settings({"GPC_ENV": "reference", "GPC_REFERENCE_VARIETY": "true"})
    provider = reference.start(settings, tmp_path / "provider.log")
    try:
        assert provider.base_url.endswith("/gpc/a99901/fhir/stu3")
        client = GpConnectClient(settings, provider.base_url)
        try:
            search = ss.search(client, settings, ss.default_window(settings)).exchange
        finally:
            client.close()
        assert search.header("Content-Encoding") == "gzip"
        assert search.header("Transfer-Encoding") == "chunked"
        entries = [e["resource"] for e in search.json()["entry"]]
        assert all(UUID.fullmatch(r["id"]) for r in entries)
        types = [r["resourceType"] for r in entries]
        assert types != sorted(types, key=["Slot", "Schedule", "Practitioner", "Location", "Organization"].index)
        slot = next(r for r in entries if r["resourceType"] == "Slot")
        assert slot["serviceType"][0]["coding"] and slot["serviceType"][0]["text"]
        assert any(e["url"].startswith("https://riverside-practice.invalid/") for e in slot["extension"])
        assert slot["meta"]["lastUpdated"]
        schedules = [r for r in entries if r["resourceType"] == "Schedule"]
        actors = [[a["reference"].split("/")[0] for a in r["actor"]] for r in schedules]
        assert ["Practitioner", "Practitioner", "Location"] in actors and ["Location"] in actors
        plain = httpx.get(f"{provider.base_url}/metadata", headers={"Accept-Encoding": "identity"})
        assert "Content-Encoding" not in plain.headers, "gzip only for a consumer that accepts it"
    finally:
        provider.stop()
