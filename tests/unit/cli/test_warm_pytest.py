"""Runs of pytest forked from the warm fork server behave as a fresh `python -m pytest` would: the
environment, working directory, temporary directory, streams and exit code are the run's own, and a
run past its time limit is stopped. The fault matrix's first-catch mode falls back to a whole run."""

from __future__ import annotations

import os
import tempfile

from harness.cli import fault_matrix, warm_pytest
from harness.outcome import outcomes as junit
from harness.spec.requirements import Requirement

PROBE = '''
import os, tempfile, sys

def test_sees_its_own_environment():
    print("MARKER", os.environ["WARM_PROBE"], os.getcwd(), tempfile.gettempdir())
    print("to stderr", file=sys.stderr)
    assert os.environ["WARM_PROBE"] == "{value}"

def test_fails():
    assert 1 == {other}
'''


def _env(tmp_path, **extra):
    env = {k: v for k, v in os.environ.items() if not k.startswith(("PYTEST_", "GPC_"))}
    env.update({"TMPDIR": str(tmp_path / "scratch"), **extra})
    (tmp_path / "scratch").mkdir(exist_ok=True)
    return env


def test_a_run_has_its_own_environment_directory_temporary_directory_streams_and_exit_code(tmp_path):
    """Under -W error, as this project's pytest.ini has it: were a run's asserts rewritten, the plugin
    packages among the preloaded modules would stop it with "Module already imported so cannot be rewritten"."""
    (tmp_path / "test_probe.py").write_text(PROBE.format(value="first", other=2))
    done = warm_pytest.run(["-q", "-s", "-W", "error", "-p", "no:cacheprovider", "test_probe.py"],
                           _env(tmp_path, WARM_PROBE="first"), tmp_path, 120)
    assert done.returncode == 1 and not done.timed_out, done.stdout + done.stderr
    assert f"MARKER first {tmp_path} {tmp_path / 'scratch'}" in done.stdout
    assert "1 failed, 1 passed" in done.stdout
    assert "to stderr" in done.stderr

    (tmp_path / "test_probe.py").write_text(PROBE.format(value="second", other=1))
    again = warm_pytest.run(["-q", "-s", "-p", "no:cacheprovider", "test_probe.py"],
                            _env(tmp_path, WARM_PROBE="second"), tmp_path, 120)
    assert again.returncode == 0, again.stdout + again.stderr
    assert "MARKER second" in again.stdout and "2 passed" in again.stdout
    assert os.environ.get("WARM_PROBE") is None and tempfile.gettempdir() != str(tmp_path / "scratch")


def test_a_run_past_its_limit_is_stopped(tmp_path):
    (tmp_path / "test_slow.py").write_text("import time\n\ndef test_slow():\n    time.sleep(60)\n")
    done = warm_pytest.run(["-q", "-p", "no:cacheprovider", "test_slow.py"], _env(tmp_path), tmp_path, 3)
    assert done.timed_out and done.returncode != 0


def _row(fault, caught: bool) -> fault_matrix.Row:
    outcome = junit.Outcome("test_x", "failed", "1 violation of R-1: ...", requirements=("R-1",),
                            verdict="nonconformant" if caught else "broken", violated=("R-1",) if caught else ())
    return fault_matrix.Row(fault, [outcome], 1, "")


def test_first_catch_mode_runs_whole_only_when_the_first_failure_did_not_catch_the_fault(monkeypatch):
    fault = fault_matrix.Fault("f", "R-1", "breaks R-1")
    calls = []

    def runs(first_failure_catches: bool):
        def fake(f, extra_env, requirements, options, whole=False):
            calls.append(options)
            return _row(f, caught=first_failure_catches or options != ("-x",))
        monkeypatch.setattr(fault_matrix, "_run", fake)
        calls.clear()

    runs(first_failure_catches=True)
    assert fault_matrix.run(fault, first=True).ok and calls == [("-x",)]
    runs(first_failure_catches=False)
    assert fault_matrix.run(fault, first=True).ok and calls == [("-x",), ()]
    runs(first_failure_catches=False)
    assert fault_matrix.run(fault).ok and calls == [()]


def test_the_whole_matrix_counts_the_shalls_each_fault_failed_and_those_it_hid(monkeypatch):
    cat = {"R-1": ("SHALL", ""), "R-2": ("SHALL", ""), "R-3": ("SHALL", ""), "R-9": ("SHALL", "not testable")}
    monkeypatch.setattr(fault_matrix, "catalogue", lambda: {
        rid: Requirement(rid, "search_for_free_slots", level, f"rule {rid}", "pages/x.md", reason, "")
        for rid, (level, reason) in cat.items()})

    def outcome(name, reqs, violated=(), completed=True, outcome="failed"):
        return junit.Outcome(name, outcome if violated or outcome != "failed" else "passed", "x", tuple(reqs),
                             "nonconformant" if violated else "", tuple(violated), completed=completed)

    clean = fault_matrix.Row(None, [outcome("a", ("R-1", "R-2")), outcome("b", ("R-3",))], 0, "")
    fault = fault_matrix.Fault("f", "R-1", "breaks R-1")
    went_on = fault_matrix.Row(fault, [outcome("a", ("R-1", "R-2"), ("R-1",)), outcome("b", ("R-3",))], 1, "")
    stopped = fault_matrix.Row(fault, [outcome("a", ("R-1", "R-2"), ("R-1",), completed=False),
                                       outcome("b", ("R-3",))], 1, "")
    assert fault_matrix.hidden(clean, went_on) == (["R-1"], [])
    assert fault_matrix.hidden(clean, stopped) == (["R-1"], ["R-2"])
    text = fault_matrix.markdown([clean, stopped], whole=True)
    assert "| f | breaks R-1 | R-1 | 1 | R-1 | 1: R-2 | caught |" in text
    assert text.rstrip().endswith("SHALLs hidden by a fault, over every fault's run: 1.")
