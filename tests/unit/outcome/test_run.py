"""The preflight, the reports-folder lock, the run's identity, and how a failure is classified."""

import importlib.util
from types import SimpleNamespace

import httpx
import pytest

from harness.errors import HarnessError, Nonconformance
from harness.outcome import record as run
from harness.settings import PROJECT_ROOT, load_settings

ROOT = "https://provider.example/A11111/STU3/1/gpconnect"
FHIR = {"Content-Type": "application/fhir+json;charset=utf-8"}


def preflight(handler):
    return run.preflight(load_settings({"GPC_ENV": "reference"}), ROOT, httpx.MockTransport(handler))


def test_preflight_passes_when_the_target_answers_its_capability_statement():
    seen = []

    def handler(request):
        seen.append(request)
        return httpx.Response(200, json={"resourceType": "CapabilityStatement"}, headers=FHIR)

    assert preflight(handler) is None
    assert str(seen[0].url) == ROOT + "/metadata"
    assert seen[0].headers["Ssp-InteractionID"].endswith("rest:read:metadata-1")
    assert seen[0].headers["Authorization"].startswith("Bearer ")


def test_preflight_keeps_the_provider_s_software_for_the_run_history():
    def handler(request):
        return httpx.Response(200, headers=FHIR, json={"resourceType": "CapabilityStatement",
                                                       "software": {"name": "EMIS Web", "version": "9.14.2"}})

    record = run.Record()
    assert run.preflight(load_settings({"GPC_ENV": "reference"}), ROOT, httpx.MockTransport(handler),
                         record=record) is None
    assert record.provider_software == "EMIS Web 9.14.2"


@pytest.mark.parametrize("status,hint", [(404, "check GPC_BASE_URL and GPC_SSP_URL (routing)"),
                                         (403, "check GPC_PROVIDER_ASID and GPC_CONSUMER_ASID"),
                                         (500, "not its CapabilityStatement (GET")])
def test_preflight_names_an_answer_that_is_not_the_capability_statement(status, hint):
    line = preflight(lambda request: httpx.Response(status, text="<html>no</html>",
                                                    headers={"Content-Type": "text/html"}))
    assert line.startswith(f"preflight: the target answered HTTP {status} (text/html), not its CapabilityStatement")
    assert hint in line and ROOT + "/metadata" in line and "\n" not in line


def test_preflight_names_a_transport_failure_in_one_line():
    def handler(request):
        raise httpx.ConnectError("[Errno 111] Connection refused")

    line = preflight(handler)
    assert line.startswith(f"preflight: {ROOT} did not answer: read metadata: cannot connect: [Errno 111]")
    assert "\n" not in line


def test_preflight_refuses_another_resource():
    line = preflight(lambda request: httpx.Response(200, json={"resourceType": "Bundle"}, headers=FHIR))
    assert line.startswith("preflight: the target answered a Bundle, not its CapabilityStatement")


def test_a_second_run_on_the_same_reports_folder_is_refused(tmp_path):
    with run.lock(tmp_path):
        with pytest.raises(run.Busy) as err:
            with run.lock(tmp_path):
                pass
    assert str(err.value).startswith(f"another run is using {tmp_path} (pid ")
    assert str(err.value).endswith("wait for it to end, or give this run its own folder with GPC_REPORTS_DIR")
    with run.lock(tmp_path):  # released at the end of the first run
        pass


def test_identity_names_the_run_and_escapes_allure_properties(tmp_path):
    settings = load_settings({"GPC_ENV": "reference", "GPC_ALLOW_WRITES": "false",
                              "GPC_REFERENCE_FAULTS": "slot_missing_type"})
    record = run.Record(started="2026-11-25T10:00:00Z", ended="2026-11-25T10:01:00Z",
                        service_roots=["http://127.0.0.1:5000/A99901/STU3/1/gpconnect"])
    ident = run.identity(settings, record, ["--req=SLOT-TYPE-01"], "NON-CONFORMANT")
    rows = dict(ident.rows())
    assert rows["Overall verdict"] == "NON-CONFORMANT"
    assert rows["Provider service root"] == ("the bundled reference provider (http://127.0.0.1:5000/A99901/STU3/1/"
                                             "gpconnect) with faults slot_missing_type")
    assert rows["Provider ODS code"] == "A99901" and rows["Provider ASID"] == "918999199001"
    assert rows["Consumer ASID"] == "200000000359" and rows["Selection"] == "--req=SLOT-TYPE-01"
    assert rows["Writes allowed"].startswith("no") and rows["Started (UTC)"] == "2026-11-25T10:00:00Z"
    assert rows["Spec (nhsconnect/gpconnect)"] == "40f2b1a2eb24faa436d87ce0d0994901f87fdbb2"
    assert rows["Profiles (nhsconnect/gpconnect-fhir)"] == "b4406719a7442fe5a39b802b5eddc09e1795c890"
    assert rows["Harness"].startswith("0.1.0, commit ")
    props = ident.properties().splitlines()
    assert "Overall\\ verdict=NON-CONFORMANT" in props
    assert "Selection=--req\\=SLOT-TYPE-01" in props
    assert len(props) == len(ident.rows())


def test_the_run_record_round_trips(tmp_path):
    record = run.Record(started="a", ended="b", service_roots=["x"], stop_code=2, stop_reason="why", executed=3)
    record.write(tmp_path / "run.json")
    assert run.Record.read(tmp_path / "run.json") == record
    assert run.Record.read(tmp_path / "missing.json") == run.Record()


def _classify():
    spec = importlib.util.spec_from_file_location("root_conftest", PROJECT_ROOT / "conftest.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module.classify


@pytest.mark.parametrize("exc,when,expected", [
    (Nonconformance("x", requirements=("SLOT-TYPE-01",)), "call", ("nonconformant", ("SLOT-TYPE-01",))),
    (Nonconformance("x"), "call", ("nonconformant", ("A-1", "B-1"))),
    (AssertionError("x"), "call", ("nonconformant", ("A-1", "B-1"))),
    (HarnessError("cannot connect"), "call", ("broken", ())),
    (httpx.ReadTimeout("read timed out"), "call", ("broken", ())),
    (pytest.fail.Exception("Timeout >300.0s"), "call", ("broken", ())),
    (Nonconformance("x", requirements=("SLOT-TYPE-01",)), "setup", ("broken", ())),
    (RuntimeError("fixture failed"), "setup", ("broken", ())),
])
def test_a_failure_is_classified_by_what_was_raised(exc, when, expected):
    assert _classify()(SimpleNamespace(value=exc), ("A-1", "B-1"), when) == expected
