"""The fault-detection matrix in CI: every named reference-provider fault is caught by a scenario
tagged with the requirement it breaks (running only the scenarios tagged with it, up to the first that
fails, and all of them when that one did not catch it)."""

import subprocess
import sys

import pytest

from harness.cli import fault_matrix
from harness.settings import PROJECT_ROOT
from harness.spec.requirements import catalogue

FAULTS = fault_matrix.faults()
USE_CASES = ("search_for_free_slots", "book_an_appointment", "retrieve_a_patients_appointments",
             "read_an_appointment", "amend_an_appointment", "cancel_an_appointment")


def test_every_fault_names_a_catalogued_requirement():
    assert [f.name for f in FAULTS if f.requirement not in catalogue()] == []


def test_at_least_thirty_faults_cover_every_use_case_and_the_1_2_7_rules():
    assert len(FAULTS) >= 30
    broken = {f.requirement for f in FAULTS}
    assert {catalogue()[r].use_case for r in broken} >= set(USE_CASES)
    for rule in ("SLOT-TYPE-01", "SLOT-SCHEDTYPE-01", "BOOK-TYPE-01", "BOOK-SCHEDTYPE-01", "RETR-TYPE-01",
                 "READ-TYPE-01", "AMEND-01", "CANCEL-01", "BOOK-MULTI-ADJ-01", "BOOK-MULTI-SCHED-01",
                 "BOOK-MULTI-CHANNEL-01", "BOOK-MULTI-TYPE-01", "BOOK-ATOMIC-01"):
        assert rule in broken, rule


@pytest.mark.parametrize("fault", FAULTS, ids=lambda f: f.name)
def test_fault_is_caught_by_a_scenario_of_its_requirement(fault):
    row = fault_matrix.run(fault, first=True)
    assert row.ok, (f"fault '{fault.name}' ({fault.breaks}) breaks {fault.requirement} but no scenario tagged "
                    f"@req:{fault.requirement} failed:\n{row.explain()}")


def test_the_matrix_command_writes_the_table(tmp_path):
    env = {"GPC_REPORTS_DIR": str(tmp_path), "PATH": "/usr/bin:/bin"}
    proc = subprocess.run([sys.executable, "-m", "harness", "fault-matrix", "--only", "slot_missing_type,book_race"],
                          cwd=PROJECT_ROOT, env=env, capture_output=True, text=True, timeout=900)
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-2000:]
    table = (tmp_path / "fault-matrix.md").read_text()
    assert "| (none) | nothing | | none | clean: all passed |" in table
    row = next(line for line in table.splitlines() if line.startswith("| slot_missing_type |"))
    assert row.startswith("| slot_missing_type | one returned Slot has no serviceType | SLOT-TYPE-01 | ")
    assert "every_free_slot_carries_its_slot_type" in row and row.endswith("| caught |")
    assert "| book_race |" in table and "2 of 2 faults caught; clean run green." in table
