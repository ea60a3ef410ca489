"""The assurance suite end to end against the bundled reference provider, as `make assure` runs it."""

import json
import re
import socket
import subprocess
import sys
from base64 import b64decode
from pathlib import Path

import pytest

from harness.report.allure import external_references, unpacked_data
from harness.settings import PROJECT_ROOT

GPC_ASSURE = str(Path(sys.executable).parent / "gpc-assure")

pytestmark = pytest.mark.timeout if False else []

def test_assure_passes_against_the_clean_reference_provider_and_leaves_the_report(run_suite, a4_pages):
    run = run_suite(command=(sys.executable, "-m", "harness", "assure", "-q", "-p", "no:randomly"))
    assert run.returncode == 0, run.explain()
    assert run.outcomes and not run.by_outcome("failed") and not run.by_outcome("error")
    assert not run.by_outcome("skipped"), "nothing is skipped against the bundled provider: " + run.explain()
    assert "Summary: " in run.stdout and " 0 failed" in run.stdout
    assert run.leftovers == [], "the bundled provider removes its database when stopped"

    index = run.reports / "html" / "index.html"
    html = index.read_text(encoding="utf-8")
    assert external_references(html) == []
    assert "Content-Security-Policy" in html
    assert (run.reports / "junit.xml").exists()

    # The reviewer's page: at most 10 MB, its data (one file per scenario) packed, and it opens.
    assert index.stat().st_size <= 10 * 1024 * 1024, f"HTML report of {index.stat().st_size:,} bytes"
    data = {name: b64decode(value).decode("utf-8", errors="replace") for name, value in unpacked_data(html).items()}
    assert sum(name.startswith("data/test-results/") for name in data) == len(run.outcomes)
    opened = subprocess.run(["node", str(PROJECT_ROOT / "tools" / "open_report.js"), str(index), "120"],
                            capture_output=True, text=True, timeout=300)
    assert opened.returncode == 0, opened.stdout + opened.stderr
    shown = json.loads(opened.stdout)["rendered"]
    assert f"Passed{len(run.outcomes)}" in shown and "Overall verdictCONFORMANT" in shown, shown[:500]

    results = list((run.reports / "allure-results").iterdir())
    attachments = [p for p in results if p.name.endswith("-attachment.txt")]
    assert attachments, "every exchange is attached as evidence"
    evidence = "\n".join(p.read_text(errors="replace") for p in attachments)
    assert "Ssp-InteractionID: urn:nhs:names:services:gpconnect:fhir:rest:search:slot-1" in evidence
    assert "Decoded JWT claims" in evidence and "Authorization: Bearer <redacted>" in evidence

    # Run identity and the overall verdict: terminal, requirement page, Allure's Environment tab.
    assert "Overall verdict: CONFORMANT:" in run.stdout
    for text in (run.stdout, (run.reports / "html" / "requirements.html").read_text(encoding="utf-8"),
                 (run.reports / "allure-results" / "environment.properties").read_text(encoding="utf-8")):
        for needle in ("CONFORMANT", "the bundled reference provider (http", "A99901", "918999199001",
                       "200000000359", "40f2b1a2eb24faa436d87ce0d0994901f87fdbb2",
                       "b4406719a7442fe5a39b802b5eddc09e1795c890", "-q -p no", "reference"):
            assert needle in text.replace("\\", ""), needle
    page = (run.reports / "html" / "requirements.html").read_text(encoding="utf-8")
    assert "<td><b>failed</b>" not in page and "<td><b>not assessed</b>" not in page
    # Every SHALL scenarios can observe is assured against the clean provider.
    assert re.search(r"Overall verdict: CONFORMANT: every SHALL requirement this run set out to judge was assured "
                     r"\((\d+) of \1 SHALL requirements assured\)", run.stdout), run.stdout[-1500:]
    # The sign-off page a person reads: at most 20 A4 pages.
    assert a4_pages(run.reports / "html" / "requirements.html") <= 20

    # No bearer token lands in any file the run writes. An unsigned GP Connect JWT always starts with this header.
    token_header = "eyJhbGciOiJub25lIiwidHlwIjoiSldUIn0"
    for path in run.reports.rglob("*"):
        if path.is_file():
            assert token_header not in path.read_text(errors="replace"), f"token found in {path.name}"
    for name, text in data.items():
        assert token_header not in text, f"token found in the report's {name}"

def test_a_bad_setting_stops_the_run_with_one_line(run_suite):
    run = run_suite(command=(sys.executable, "-m", "harness", "assure"), GPC_SEARCH_DAYS="99")
    assert run.returncode == 4
    assert run.stderr.strip() == "gpc-assure: configuration: GPC_SEARCH_DAYS: 99 is outside 1 to 14"
    assert "Traceback" not in run.stdout + run.stderr

def test_a_bad_setting_also_stops_plain_pytest_with_one_line(run_suite):
    run = run_suite(GPC_PATIENT_NHS_NUMBER="1234567890")
    assert run.returncode == 4
    assert "ERROR: configuration: GPC_PATIENT_NHS_NUMBER: '1234567890' fails the NHS number check digit" in run.stderr
    assert "Traceback" not in run.stdout + run.stderr

def test_an_unreachable_provider_stops_the_run_before_any_scenario_with_one_line(run_suite):
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    root = f"http://127.0.0.1:{port}/A1/STU3/1/gpconnect"
    run = run_suite(command=(GPC_ASSURE, "-q", "-p", "no:randomly"), GPC_BASE_URL=root, GPC_TIMEOUT_S="2")
    assert run.returncode == 2, run.stdout + run.stderr
    output = (run.stdout + run.stderr).strip().splitlines()
    assert len(output) <= 40, "\n".join(output)
    assert f"gpc-assure: preflight: {root} did not answer: read metadata: cannot connect" in run.stderr
    assert "Traceback" not in run.stdout + run.stderr
    assert not (run.reports / "html").exists() and not (run.reports / "junit.xml").exists()


def test_one_fault_fails_exactly_its_requirement_and_exits_1(run_suite):
    run = run_suite(command=(GPC_ASSURE, "--req", "SLOT-TYPE-01", "-q", "-p", "no:randomly"),
                    GPC_REFERENCE_FAULTS="slot_missing_type")
    assert run.returncode == 1, run.explain()
    page = (run.reports / "html" / "requirements.html").read_text(encoding="utf-8")
    failed = page[page.index("<h2>Failed requirements"):page.index("<h2>Not assured")]
    assert "Failed requirements (1, of which 0 advisory)" in failed
    assert re.findall(r"<code>([A-Z0-9-]+)</code>", failed) == ["SLOT-TYPE-01"]
    assert page.count("<td><b>failed</b>") == 1 and page.count("<code>SLOT-TYPE-01</code>") == 1, "listed once"
    assert "NON-CONFORMANT" in page and "with faults slot_missing_type" in page
    assert "Overall verdict: NON-CONFORMANT:" in run.stdout


def test_without_write_permission_no_booking_is_made_and_write_scenarios_are_not_assured(run_suite):
    run = run_suite(command=(GPC_ASSURE, "--feature", "book_an_appointment,read_an_appointment", "-q",
                             "-p", "no:randomly"), GPC_ALLOW_WRITES="false")
    assert run.returncode == 0, run.explain()
    skipped = run.by_outcome("skipped")
    assert all("not assured:" in o.message for o in skipped)
    assert sum("GPC_ALLOW_WRITES=false" in o.message for o in skipped) >= 10
    assert not run.by_outcome("failed")
    assert f"{len(skipped)} not assured (skipped)" in run.stdout
    evidence = "\n".join(p.read_text(errors="replace")
                         for p in (run.reports / "allure-results").glob("*-attachment.txt"))
    assert "POST " not in evidence and "PUT " not in evidence, "a run without write permission wrote"
    # The write scenarios stay in the HTML report, skipped with the reason, rather than vanishing.
    results = [json.loads(p.read_text()) for p in (run.reports / "allure-results").glob("*-result.json")]
    refused = [r for r in results if "GPC_ALLOW_WRITES=false" in (r.get("statusDetails") or {}).get("message", "")]
    assert len(refused) == sum("GPC_ALLOW_WRITES=false" in o.message for o in skipped)
    assert all(r["status"] == "skipped" for r in refused)
    page = (run.reports / "html" / "requirements.html").read_text(encoding="utf-8")
    assert "not run: writes are not allowed in this environment (GPC_ALLOW_WRITES=false)" in page
    assert "Writes allowed" in page and "no (book, amend and cancel not assured)" in page
    # Not called conformant: the verdict says how many SHALLs were assured and why the rest were not.
    body = page[page.index("<body>"):]
    assert "CONFORMANT" not in body.replace("NON-CONFORMANT", "")
    banner = re.search(r"Overall verdict: NO SHALL FAILED: no SHALL requirement failed, but only (\d+) of (\d+) "
                       r"SHALL requirements assured; (\d+) not assured: writes off \((\d+)\)", run.stdout)
    assert banner, run.stdout[-3000:]
    assured, judged, not_assured, writes_off = map(int, banner.groups())
    assert assured + not_assured == judged and writes_off == not_assured > 0
    assert "<div class='verdict NO-SHALL-FAILED'><b>NO SHALL FAILED</b>" in page


def test_a_sign_off_run_without_write_permission_exits_6(run_suite):
    run = run_suite(command=(GPC_ASSURE, "--feature", "read_an_appointment", "--sign-off", "-q",
                             "-p", "no:randomly"), GPC_ALLOW_WRITES="false")
    assert run.returncode == 6, run.explain()
    assert "[sign-off run: exit 6, not every SHALL requirement was assured]" in run.stdout


def test_allure_history_accumulates_between_runs(run_suite):
    args = (sys.executable, "-m", "harness", "assure", "-q", "-p", "no:randomly", "-k", "slot_type")
    first = run_suite(command=args)
    history = first.reports / "history.jsonl"
    lines_after_first = len(history.read_text().splitlines())
    second = run_suite(command=args)
    assert first.returncode == second.returncode == 0
    assert lines_after_first >= 1
    assert len(history.read_text().splitlines()) == lines_after_first + 1


def test_lf_reruns_only_what_the_last_run_in_this_reports_folder_failed(run_suite):
    command = (sys.executable, "-m", "harness", "assure", "-q", "-p", "no:randomly")
    first = run_suite(command=command + ("--req", "SLOT-TYPE-01,SLOT-PARAM-02"), GPC_REFERENCE_FAULTS="slot_type_blank")
    failed = {o.name for o in first.by_outcome("failed")}
    assert first.returncode == 1 and failed, first.explain()
    assert first.by_outcome("passed"), "the first run holds scenarios that pass, which --lf must leave out"
    again = run_suite(command=command + ("--lf",), GPC_REFERENCE_FAULTS="slot_type_blank")
    assert {o.name for o in again.outcomes} == failed, again.explain()
    assert again.returncode == 1


def test_advisory_findings_pass_the_run_and_fail_it_only_under_nhs_strictness(run_suite):
    """A provider that does not enforce requested_scope (a MAY), answers 400 to an over-long window (the
    spec names no code; 422 is NHS's expectation) and sends fullUrl (a SHOULD NOT) is conformant, with
    advisory findings; under GPC_NHS_STRICT those findings make it non-conformant."""
    faults = "scope_unchecked,search_wrong_error_code,fullurl_populated"
    command = (sys.executable, "-m", "harness", "assure", "-q", "-p", "no:randomly",
               "--req", "FND-JWT-03,SLOT-PARAM-01-CODE,FND-FULLURL-01")
    lenient = run_suite(command=command, GPC_REFERENCE_FAULTS=faults)
    assert lenient.returncode == 0, lenient.stdout[-3000:] + lenient.stderr[-2000:]
    assert "Overall verdict: CONFORMANT" in lenient.stdout
    for requirement in ("FND-JWT-03", "SLOT-PARAM-01-CODE", "FND-FULLURL-01"):
        assert requirement in lenient.stdout, f"{requirement} is reported as an advisory finding"
    strict = run_suite(command=command, GPC_REFERENCE_FAULTS=faults, GPC_NHS_STRICT="true")
    assert strict.returncode == 1, strict.stdout[-3000:] + strict.stderr[-2000:]
    assert "Overall verdict: NON-CONFORMANT" in strict.stdout
