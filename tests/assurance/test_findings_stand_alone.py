"""One finding never hides another: against the reference provider with faults, each requirement is
judged by its own checks, whatever else its scenarios found, and each failure is shown at its step."""

import hashlib
import json
import re
import subprocess
import sys
from pathlib import Path

from harness.outcome import verdicts
from harness.settings import PROJECT_ROOT
from harness.spec.requirements import catalogue

GPC_ASSURE = str(Path(sys.executable).parent / "gpc-assure")
SHALL = ("SHALL", "SHALL NOT")
# Every SHALL a run against the clean reference provider assures: each one scenarios can observe
# (test_reference_run.py holds the clean run to "every SHALL this run set out to judge was assured").
TESTABLE_SHALLS = {r.id for r in catalogue().values() if r.level in SHALL and not r.not_tested_reason}


def assure(run_suite, faults: str):
    return run_suite(command=(GPC_ASSURE, "-q", "-p", "no:randomly", "-n", "2"), GPC_REFERENCE_FAULTS=faults)


def shall_verdicts(run) -> dict[str, str]:
    return {v.requirement.id: v.verdict for v in verdicts.verdicts(catalogue(), run.outcomes)
            if v.requirement.level in SHALL and not v.needs_manual_evidence}


CLASSES = {"failed": verdicts.FAILED, "notassured": verdicts.NOT_ASSURED, "notassessed": verdicts.NOT_ASSESSED,
           "assured": verdicts.ASSURED, "NHSexpectationnotmet": verdicts.NHS_NOT_MET,
           "advisorynotmet": verdicts.NOT_MET}


def page_rows(run) -> dict[str, str]:
    """Requirement id -> its verdict as the rows of requirements.html show it."""
    page = (run.reports / "html" / "requirements.html").read_text(encoding="utf-8")
    return {rid: CLASSES[kind] for kind, rid in re.findall(r"<tr class='([^']*)'><td><code>([A-Z0-9-]+)</code>", page)}


def test_one_defect_fails_its_requirement_and_every_other_shall_stays_assured(run_suite, a4_pages):
    run = assure(run_suite, "slot_missing_type")
    assert run.returncode == 1, run.explain()
    got = shall_verdicts(run)
    assert got == {r: (verdicts.FAILED if r == "SLOT-TYPE-01" else verdicts.ASSURED) for r in TESTABLE_SHALLS}, \
        {r: v for r, v in got.items() if v != verdicts.ASSURED}
    rows = page_rows(run)
    assert rows["SLOT-TYPE-01"] == verdicts.FAILED
    assert all(rows[r] == verdicts.ASSURED for r in TESTABLE_SHALLS - {"SLOT-TYPE-01"})
    assert f"({len(TESTABLE_SHALLS) - 1} of {len(TESTABLE_SHALLS)} SHALL requirements assured)" in run.stdout
    # The sign-off page: the failure first, its scenarios named (an outline by its example's values) and
    # linked into the report, the whole within 20 A4 pages.
    page = (run.reports / "html" / "requirements.html").read_text(encoding="utf-8")
    failed = page[page.index("<h2>Failed requirements"):page.index("<h2>Not assured")]
    assert "<a href='index.html#/" in failed and "&lt;" not in failed
    assert re.search(r"<li class='small'>and \d+ more \(\d+ failed\)</li>", failed)
    assert a4_pages(run.reports / "html" / "requirements.html") <= 20

    # In the report, the step whose exchange showed the violation is the failed one, with the violation as
    # its message and the offending Slot attached whole; the steps after it ran.
    results = [json.loads(p.read_text()) for p in (run.reports / "allure-results").glob("*-result.json")]
    failed = [r for r in results if r["status"] == "failed"]
    assert failed and not any("pluggy" in json.dumps(r.get("statusDetails") or {}) for r in results)
    for result in failed:
        steps = result["steps"]
        first = next(i for i, s in enumerate(steps) if s["status"] == "failed")
        step = steps[first]
        assert re.search(r"violations? of SLOT-TYPE-01: Slot ", step["statusDetails"]["message"]), step["name"]
        assert not step["statusDetails"].get("trace"), "a non-conformance carries no harness traceback"
        assert "pluggy" not in json.dumps(step)
        assert all(s["status"] in ("passed", "failed") for s in steps[first + 1:]), "the scenario went on"
    result, step = next((r, s) for r in failed for s in r["steps"] if s["status"] == "failed"
                        and any(a["name"].endswith("as returned") for a in s["attachments"]))
    shown = next(a for a in step["attachments"] if a["name"].endswith("as returned"))
    slot = json.loads((run.reports / "allure-results" / shown["source"]).read_text())
    assert slot["resourceType"] == "Slot" and "serviceType" not in slot
    assert f"Slot {slot['id']} has no slot type" in step["statusDetails"]["message"]

    # The same scenario opened in the single-file report, as a reviewer's browser shows it (jsdom).
    route = "/" + hashlib.md5(result["uuid"].encode()).hexdigest()
    opened = subprocess.run(["node", str(PROJECT_ROOT / "tools" / "open_report.js"),
                             str(run.reports / "html" / "index.html"), "120", route],
                            capture_output=True, text=True, timeout=300)
    shown_page = json.loads(opened.stdout)["rendered"]
    assert result["name"] in shown_page and f"Slot {slot['id']} as returned" in shown_page, shown_page[:800]
    assert f"Slot {slot['id']} has no slot type" in shown_page and "pluggy" not in shown_page


def test_an_advisory_finding_leaves_every_shall_assured_and_the_run_conformant(run_suite):
    run = assure(run_suite, "schedule_role_missing")
    assert run.returncode == 0, run.explain()
    assert shall_verdicts(run) == {r: verdicts.ASSURED for r in TESTABLE_SHALLS}
    assert "SLOT-TYPE-01" in TESTABLE_SHALLS and "SLOT-SCHEDTYPE-01" in TESTABLE_SHALLS
    assert page_rows(run)["SLOT-SCHEDROLE-01"] == verdicts.NHS_NOT_MET
    assert re.search(r"Overall verdict: CONFORMANT: every SHALL requirement this run set out to judge was "
                     r"assured \((\d+) of \1 SHALL requirements assured\) and none failed; .*"
                     r"\d+ scenarios? failed on advisory requirements only", run.stdout), run.stdout[-2000:]


def test_three_faults_at_once_fail_three_requirements_each_with_its_own_violation(run_suite):
    run = assure(run_suite, "slot_missing_type,schedule_type_dropped,slot_specialty")
    assert run.returncode == 1, run.explain()
    judged = {v.requirement.id: v for v in verdicts.verdicts(catalogue(), run.outcomes)}
    for requirement, own in (("SLOT-TYPE-01", "has no slot type"), ("SLOT-SCHEDTYPE-01", "schedule type"),
                             ("SLOT-NOSPECIALTY-01", "specialty")):
        assert judged[requirement].verdict == verdicts.FAILED, judged[requirement].why
        assert own in judged[requirement].why, judged[requirement].why
    # A scenario of all three lists every violation, each with its own requirement.
    both = [o for o in run.outcomes if {"SLOT-TYPE-01", "SLOT-NOSPECIALTY-01"} <= {r for r, _ in o.violations}]
    assert any(o.completed for o in both)
    assert not [r for r, v in shall_verdicts(run).items() if v == verdicts.NOT_ASSURED]
