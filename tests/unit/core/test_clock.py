"""The harness's one clock, and the check that no unit test's outcome depends on the day it runs."""

from __future__ import annotations

import importlib.util
import json
from datetime import datetime, timedelta, timezone

import pytest

from harness import clock
from harness.judge import rules
from harness.settings import PROJECT_ROOT, load_settings
from harness.spec import interactions as ix
from harness.spec.constants import UK
from harness.transport.client import FHIR_JSON
from harness.transport.exchange import Exchange

_spec = importlib.util.spec_from_file_location("clock_check", PROJECT_ROOT / "tools" / "clock_check.py")
clock_check = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(clock_check)


def test_the_unit_tests_clock_stands_at_the_instant_their_resources_were_written_for(harness_clock):
    assert clock.now() == harness_clock == datetime(2026, 11, 30, 9, 0, tzinfo=UK)
    assert clock.today().isoformat() == "2026-11-30"


def test_a_set_clock_stands_still_reads_in_uk_time_and_is_restored_after():
    before = clock.now()
    with clock.set_to(datetime(2027, 6, 30, 23, 30, tzinfo=timezone.utc)) as at:
        assert clock.now() == at
        assert clock.now().utcoffset() == timedelta(hours=1)
        assert clock.today().isoformat() == "2027-07-01"
    assert clock.now() == before


def test_the_clock_refuses_an_instant_without_an_offset():
    with pytest.raises(ValueError, match="timezone-aware"):
        with clock.set_to(datetime(2027, 6, 30, 12, 0)):
            pass


def read_of(start: str) -> Exchange:
    body = {"resourceType": "Appointment", "id": "52", "status": "booked", "start": start,
            "end": start.replace("T10:00", "T10:10")}
    return Exchange(interaction=ix.READ_APPOINTMENT.name, method="GET", url="http://p/Appointment/52",
                    request_headers={}, request_body=None, jwt_claims=None, status=200,
                    response_headers={"Content-Type": FHIR_JSON, "Cache-Control": "no-store", "ETag": 'W/"1"'},
                    response_text=json.dumps(body))


def test_a_rule_that_looks_at_today_asks_the_harness_clock():
    settings = load_settings({"GPC_ENV": "reference"})

    def future(ex):
        return [v for v in rules.check(ex, settings) if "APPT-FUTURE-01" in v.requirements]

    assert future(read_of("2026-12-01T10:00:00+00:00")) == []
    with clock.set_to(datetime(2026, 12, 2, 9, 0, tzinfo=UK)):
        assert "before today (2026-12-02)" in future(read_of("2026-12-01T10:00:00+00:00"))[0].message


def test_the_clock_check_reads_unit_outcomes_and_names_each_that_changed(tmp_path):
    junit = tmp_path / "junit.xml"
    junit.write_text(
        '<testsuites><testsuite name="pytest">'
        '<testcase classname="tests.unit.test_a" name="test_kept"/>'
        '<testcase classname="tests.unit.test_a" name="test_broken"><failure message="x"/></testcase>'
        '<testcase classname="tests.unit.test_a" name="test_skipped"><skipped message="y"/></testcase>'
        '<testcase classname="tests.assurance.test_b" name="test_elsewhere"/>'
        '</testsuite></testsuites>')
    real = clock_check.unit_outcomes(junit)
    assert real == {"tests.unit.test_a::test_kept": "passed", "tests.unit.test_a::test_broken": "failed",
                    "tests.unit.test_a::test_skipped": "skipped"}
    moved = dict(real, **{"tests.unit.test_a::test_kept": "failed", "tests.unit.test_a::test_new": "error"})
    assert clock_check.differences(real, moved) == [
        "tests.unit.test_a::test_kept: failed, passed on the real clock",
        "tests.unit.test_a::test_new: error, passed on the real clock",
    ]
    assert clock_check.differences(real, real) == []
