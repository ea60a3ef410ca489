"""The assurance suite end to end against the bundled reference provider, as `make assure` runs it."""

import socket
import sys

import pytest

from harness.report import external_references

pytestmark = pytest.mark.timeout if False else []

def test_assure_passes_against_the_clean_reference_provider_and_leaves_the_report(run_suite):
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

    results = list((run.reports / "allure-results").iterdir())
    attachments = [p for p in results if p.name.endswith("-attachment.txt")]
    assert attachments, "every exchange is attached as evidence"
    evidence = "\n".join(p.read_text(errors="replace") for p in attachments)
    assert "Ssp-InteractionID: urn:nhs:names:services:gpconnect:fhir:rest:search:slot-1" in evidence
    assert "Decoded JWT claims" in evidence and "Authorization: Bearer <redacted>" in evidence

def test_no_bearer_token_lands_in_any_file_the_run_writes(run_suite):
    run = run_suite(command=(sys.executable, "-m", "harness", "assure", "-q", "-p", "no:randomly"))
    assert run.returncode == 0, run.explain()
    # An unsigned GP Connect JWT always starts with this base64url header.
    token_header = "eyJhbGciOiJub25lIiwidHlwIjoiSldUIn0"
    for path in run.reports.rglob("*"):
        if path.is_file():
            assert token_header not in path.read_text(errors="replace"), f"token found in {path.name}"

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

def test_an_unreachable_provider_fails_each_scenario_with_a_one_line_cause(run_suite):
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    run = run_suite("-k", "slot_type or longer_than", GPC_BASE_URL=f"http://127.0.0.1:{port}/A1/STU3/1/gpconnect",
                    GPC_TIMEOUT_S="2")
    assert run.returncode == 1
    assert run.outcomes and all(o.outcome in ("failed", "error") for o in run.outcomes)
    for o in run.outcomes:
        assert "cannot connect" in o.message and "\n" not in o.message.strip(), o.message


def test_without_write_permission_no_booking_is_made_and_write_scenarios_are_not_assured(run_suite):
    run = run_suite(command=(sys.executable, "-m", "harness", "assure", "-q", "-p", "no:randomly"),
                    GPC_ALLOW_WRITES="false")
    assert run.returncode == 0, run.explain()
    skipped = run.by_outcome("skipped")
    assert all("not assured:" in o.message for o in skipped)
    assert sum("GPC_ALLOW_WRITES=false" in o.message for o in skipped) >= 20
    assert not run.by_outcome("failed")
    assert f"{len(skipped)} not assured (skipped)" in run.stdout
    evidence = "\n".join(p.read_text(errors="replace") for p in (run.reports / "allure-results").glob("*-attachment.txt"))
    assert "POST " not in evidence and "PUT " not in evidence, "a run without write permission wrote"


def test_allure_history_accumulates_between_runs(run_suite):
    args = (sys.executable, "-m", "harness", "assure", "-q", "-p", "no:randomly", "-k", "slot_type")
    first = run_suite(command=args)
    history = first.reports / "history.jsonl"
    lines_after_first = len(history.read_text().splitlines())
    second = run_suite(command=args)
    assert first.returncode == second.returncode == 0
    assert lines_after_first >= 1
    assert len(history.read_text().splitlines()) == lines_after_first + 1
