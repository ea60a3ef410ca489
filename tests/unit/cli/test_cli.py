"""gpc-assure: help, and the one-line refusals that stop a run before any scenario (each a few seconds)."""

import os
import subprocess
import sys
from pathlib import Path

import pytest

from harness.outcome import record as run
from harness.settings import PROJECT_ROOT

GPC_ASSURE = str(Path(sys.executable).parent / "gpc-assure")


def gpc_assure(tmp_path, *args, **settings):
    env = {k: v for k, v in os.environ.items() if not k.startswith("GPC_")}
    env.update({"GPC_ENV": "reference", "GPC_REPORTS_DIR": str(tmp_path / "reports"), "TMPDIR": str(tmp_path)})
    env.update(settings)
    return subprocess.run([GPC_ASSURE, *args], cwd=PROJECT_ROOT, env=env, capture_output=True, text=True,
                          timeout=300, stdin=subprocess.DEVNULL)


def lines(proc):
    return (proc.stdout + proc.stderr).strip().splitlines()


def test_the_console_script_is_installed_and_each_command_has_its_own_help(tmp_path):
    top = gpc_assure(tmp_path, "--help")
    assert top.returncode == 0 and "fault-matrix" in top.stdout and "Exit codes" in top.stdout
    helps = {}
    for command in ("assure", "report", "cleanup", "fault-matrix"):
        proc = gpc_assure(tmp_path, command, "--help")
        assert proc.returncode == 0, proc.stderr
        assert proc.stdout.startswith(f"usage: gpc-assure {command}")
        helps[command] = proc.stdout
    assert "--req" in helps["assure"] and "--feature" in helps["assure"] and "--jobs" in helps["fault-matrix"]
    assert len(set(helps.values()) | {top.stdout}) == 5


@pytest.mark.parametrize("settings,line", [
    ({"GPC_BASE_ULR": "https://provider.example/A1/STU3/1/gpconnect"},
     "gpc-assure: configuration: GPC_BASE_ULR: unknown setting (in the environment); did you mean GPC_BASE_URL?"),
    ({"GPC_ENV": "demonstrator", "GPC_BASE_URL": ""},
     "gpc-assure: configuration: GPC_BASE_URL: missing for environment 'demonstrator'; set the provider's service "
     "root (or 'reference' for the bundled reference provider)"),
    ({"GPC_REFERENCE_FAULTS": "slot_missing_typo"},
     "gpc-assure: configuration: GPC_REFERENCE_FAULTS: unknown fault 'slot_missing_typo'; did you mean "
     "slot_missing_type? (make faults lists them)"),
], ids=["mistyped key", "empty base url", "unknown fault"])
def test_a_configuration_error_is_one_line_and_exit_4(tmp_path, settings, line):
    proc = gpc_assure(tmp_path, **settings)
    assert proc.returncode == 4
    assert lines(proc) == [line]
    assert not (tmp_path / "reports" / "html").exists()


def test_a_mistyped_key_in_the_env_file_is_one_line_and_exit_4(tmp_path, config_dir):
    with config_dir(exclusive=True) as folder:
        config = folder / "typo-check-cli.env"
        config.write_text((folder / "demonstrator.env").read_text().replace("GPC_BASE_URL=", "GPC_BASE_ULR="))
        try:
            proc = gpc_assure(tmp_path, GPC_ENV="typo-check-cli")
        finally:
            config.unlink()
    assert proc.returncode == 4
    assert lines(proc) == ["gpc-assure: configuration: GPC_BASE_ULR: unknown setting (in config/typo-check-cli.env); "
                           "did you mean GPC_BASE_URL?"]


def test_a_second_run_on_the_same_reports_folder_is_refused_in_one_line(tmp_path):
    with run.lock(tmp_path / "reports"):
        proc = gpc_assure(tmp_path, "--req", "SLOT-TYPE-01")
    assert proc.returncode == 2
    assert lines(proc)[-1].startswith(f"gpc-assure: another run is using {tmp_path / 'reports'} (pid {os.getpid()}")


def _last_report(tmp_path):
    reports = tmp_path / "reports"
    (reports / "html").mkdir(parents=True)
    (reports / "html" / "index.html").write_text("last report")
    (reports / "junit.xml").write_text("last junit")
    return reports


def test_collect_only_lists_scenarios_and_leaves_the_last_report_alone(tmp_path):
    reports = _last_report(tmp_path)
    proc = gpc_assure(tmp_path, "--feature", "read_an_appointment", "--collect-only", "-q")
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "steps/test_read_an_appointment.py::" in proc.stdout
    assert "steps/test_book_an_appointment.py::" not in proc.stdout
    assert (reports / "html" / "index.html").read_text() == "last report"
    assert (reports / "junit.xml").read_text() == "last junit"


def test_pytest_cache_switched_off_is_a_run_like_any_other(tmp_path):
    """The run keeps pytest's cache beside its reports (for --lf); with the cache switched off that
    option must not be passed, or pytest stops on an unknown option."""
    proc = gpc_assure(tmp_path, "--feature", "read_an_appointment", "--collect-only", "-q", "-p", "no:cacheprovider")
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "INTERNALERROR" not in proc.stdout + proc.stderr
    assert "steps/test_read_an_appointment.py::" in proc.stdout


def test_nothing_selected_is_exit_5_and_leaves_the_last_report_alone(tmp_path):
    reports = _last_report(tmp_path)
    proc = gpc_assure(tmp_path, "--req", "FND-SSP-01", "-q")  # a requirement no scenario can test
    assert proc.returncode == 5, proc.stdout + proc.stderr
    assert lines(proc)[-1] == "gpc-assure: no scenario selected; the last report is left as it was"
    assert (reports / "html" / "index.html").read_text() == "last report"
    assert (reports / "junit.xml").read_text() == "last junit"


def test_an_unknown_feature_is_a_usage_error(tmp_path):
    proc = gpc_assure(tmp_path, "--feature", "book_an_apointment", "-q")
    assert proc.returncode == 4
    assert "--feature book_an_apointment is not one of amend_an_appointment, book_an_appointment" in proc.stderr


def test_make_help_lists_the_targets():
    proc = subprocess.run(["make", "-s", "help"], cwd=PROJECT_ROOT, capture_output=True, text=True, timeout=60)
    assert proc.returncode == 0
    for target in ("assure", "test", "cleanup", "faults", "fault-matrix", "setup", "clean", "help"):
        assert f"make {target}" in proc.stdout, target


@pytest.mark.parametrize("pytest_code,record,expected", [
    (0, run.Record(), None),
    (1, run.Record(), None),
    (2, run.Record(interrupted=True), 130),
    (130, run.Record(), 130),
    (2, run.Record(), 2),  # a collection error: the harness is broken, nothing was interrupted
    (2, run.Record(stop_code=2, stop_reason="preflight: ..."), 2),
    (3, run.Record(stop_code=3, stop_reason="cannot start the reference provider"), 3),
    (3, run.Record(), 2),
    (4, run.Record(), 4),
    (5, run.Record(), 5),
])
def test_how_a_run_ended_decides_its_code_before_the_verdicts(pytest_code, record, expected):
    from harness.cli.main import stop_code

    assert stop_code(pytest_code, record) == expected
