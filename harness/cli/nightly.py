"""A nightly run's memory: the run recorded in its history (harness/outcome/history.py), compared with the last
comparable one, and the changes told to CI."""

from __future__ import annotations

import dataclasses
import json
import xml.etree.ElementTree as ET
from pathlib import Path

from harness.outcome import history
from harness.outcome import record as run
from harness.outcome import stats as run_stats
from harness.settings import Settings


def record_and_compare(out: Path, settings: Settings, ident, overall: str, items, outcomes,
                       provider_software: str = "", figures: list[run_stats.LatencyRow] = ()) -> dict:
    """Record the run in its history and say what changed since the last comparable one: reports/changes.json,
    the run's junit.xml (properties of its test suites, for CI), and what it returns for the terminal and the
    requirement page. `figures`: the run's latency per interaction (run_stats.finish)."""
    path = history.history_path(out, settings.env_name, settings.base_url or run.BUNDLED)
    kept = history.runs(path)
    latency = {r.interaction: [round(r.p50 * 1000, 1), round(r.p95 * 1000, 1)] for r in figures
               if r.p50 is not None and r.p95 is not None}
    software = (f"bundled reference provider, faults: {','.join(settings.reference_faults) or 'none'}"
                f"{', variety' if settings.reference_variety else ''}") if settings.uses_reference_provider \
        else provider_software
    now = history.run_record(ident.ended, dataclasses.asdict(ident), overall, items, outcomes, latency, software)
    change = history.changes(kept, now)
    (out / "changes.json").write_text(json.dumps(change, indent=2) + "\n", encoding="utf-8")
    annotate_junit(out / "junit.xml", change)
    history.append(path, now, settings.history_runs)
    return change


def annotate_junit(path: Path, change: dict) -> None:
    """Add the changes to each test suite of junit.xml as gpc.changes.<kind> properties (history.sections: the
    requirement ids, scenario names or interactions, comma-separated) and gpc.changes.since."""
    if not path.exists():
        return
    tree = ET.parse(path)
    root = tree.getroot()
    suites = [root] if root.tag == "testsuite" else root.findall("testsuite")
    values = {f"gpc.changes.{key}": ",".join(ids) for key, _, ids, _ in history.sections(change)}
    values["gpc.changes.since"] = change["since"] or ""
    for suite in suites:
        properties = suite.find("properties")
        if properties is None:
            properties = ET.Element("properties")
            suite.insert(0, properties)
        for name, value in values.items():
            ET.SubElement(properties, "property", name=name, value=value)
    tree.write(path, encoding="utf-8", xml_declaration=True)
