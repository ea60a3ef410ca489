"""A run killed in the middle of its bookings leaves nothing behind once `cleanup` or the next run has
run, and clean-up never touches an appointment the harness did not make."""

import json
import signal
import subprocess
import sys
import time
from datetime import timedelta

import pytest

from harness import clock
from harness.cli import bundled_provider as reference
from harness.consumer import appointments as appts
from harness.consumer import discovery as td
from harness.consumer import slot_search as ss
from harness.consumer.ledger import MARKER_PREFIX
from harness.settings import PROJECT_ROOT, load_settings
from harness.transport.client import GpConnectClient


@pytest.fixture
def provider(tmp_path):
    """A reference provider that outlives the runs under test, as a real provider would."""
    running = reference.start(load_settings({"GPC_ENV": "reference"}), tmp_path / "provider.log")
    yield running
    running.stop()


@pytest.fixture
def client(provider):
    settings = load_settings({"GPC_ENV": "reference", "GPC_BASE_URL": provider.base_url})
    c = GpConnectClient(settings, provider.base_url)
    yield c, settings
    c.close()


def _patient(client):
    c, settings = client
    return appts.find_patient_id(c, settings)


def _appointments(client):
    c, _ = client
    today = clock.today()
    return appts.retrieved_appointments(appts.retrieve(c, _patient(client), today, today + timedelta(days=14)))


def _book_foreign(client):
    """An appointment someone else booked: no harness marker."""
    c, settings = client
    result = ss.search(c, settings, ss.default_window(settings))
    slot = td.free_slots(result.exchange.json())[-1]
    body = appts.appointment_body([slot], _patient(client), settings, "someone-else")
    body["description"] = "Booked at reception"
    ex = c.send(appts.BOOK_APPOINTMENT, "Appointment", body=body)
    assert ex.status == 201
    return ex.json()["id"]


def _run_and_kill(provider, tmp_path, suite_environment, bookings=3, sig=signal.SIGKILL):
    env = suite_environment(tmp_path / "reports", GPC_BASE_URL=provider.base_url, GPC_STATE_DIR=str(tmp_path / "state"))
    proc = subprocess.Popen([sys.executable, "-m", "pytest", "steps/test_book_an_appointment.py", "-q",
                             "-p", "no:cacheprovider"],
                            cwd=PROJECT_ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.monotonic() + 120
    booked = 0
    while time.monotonic() < deadline and proc.poll() is None and booked < bookings:
        for path in (tmp_path / "state").glob("ledger-*.jsonl"):
            booked = sum(1 for line in path.read_text().splitlines() if '"event": "booked"' in line)
        time.sleep(0.01)
    assert proc.poll() is None, "the run finished before it could be stopped mid-booking"
    proc.send_signal(sig)
    proc.wait(timeout=120)
    return env


def _marked(found):
    return [a for a in found if MARKER_PREFIX in (a.get("description") or "")]


def test_cleanup_command_cancels_what_a_killed_run_left(provider, client, tmp_path, suite_environment):
    foreign = _book_foreign(client)
    env = _run_and_kill(provider, tmp_path, suite_environment)
    left = [a for a in _marked(_appointments(client)) if a["status"] != "cancelled"]
    assert left, "the killed run left bookings behind (otherwise this test proves nothing)"

    done = subprocess.run([sys.executable, "-m", "harness", "cleanup"], cwd=PROJECT_ROOT, env=env,
                          capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stdout + done.stderr
    assert done.stdout.startswith(f"clean-up: {len(left)} cancelled")

    after = _appointments(client)
    assert [a["id"] for a in _marked(after) if a["status"] != "cancelled"] == []
    assert next(a for a in after if a["id"] == foreign)["status"] == "booked", "clean-up touched a foreign booking"

    again = subprocess.run([sys.executable, "-m", "harness", "cleanup"], cwd=PROJECT_ROOT, env=env,
                           capture_output=True, text=True, timeout=120)
    assert again.stdout.startswith("clean-up: 0 cancelled")


def test_the_next_run_cancels_what_a_killed_run_left(provider, client, tmp_path, suite_environment):
    foreign = _book_foreign(client)
    env = _run_and_kill(provider, tmp_path, suite_environment)
    assert [a for a in _marked(_appointments(client)) if a["status"] != "cancelled"]

    subprocess.run([sys.executable, "-m", "pytest", "steps/test_read_an_appointment.py", "-q"], cwd=PROJECT_ROOT,
                   env=env, capture_output=True, timeout=300, check=True)

    after = _appointments(client)
    assert [a["id"] for a in _marked(after) if a["status"] != "cancelled"] == []
    assert next(a for a in after if a["id"] == foreign)["status"] == "booked"


def test_a_completed_run_cancels_all_its_bookings(provider, client, tmp_path, run_suite):
    run = run_suite(target="steps/test_book_an_appointment.py", GPC_BASE_URL=provider.base_url,
                    GPC_STATE_DIR=str(tmp_path / "state"))
    assert run.returncode == 0, run.explain()
    found = _marked(_appointments(client))
    assert found and all(a["status"] == "cancelled" for a in found)
    ledger = next((tmp_path / "state").glob("ledger-*.jsonl")).read_text().splitlines()
    attempts = {json.loads(line)["marker"] for line in ledger if '"attempt"' in line}
    closed = {json.loads(line)["marker"] for line in ledger if '"closed"' in line}
    assert attempts == closed


@pytest.mark.parametrize("sig", [signal.SIGINT, signal.SIGTERM], ids=["ctrl-c", "sigterm"])
def test_an_interrupted_run_cancels_its_bookings_on_the_way_out(provider, client, tmp_path, suite_environment, sig):
    foreign = _book_foreign(client)
    _run_and_kill(provider, tmp_path, suite_environment, sig=sig)
    after = _appointments(client)
    assert _marked(after), "the run booked before it was interrupted"
    assert [a["id"] for a in _marked(after) if a["status"] != "cancelled"] == []
    assert next(a for a in after if a["id"] == foreign)["status"] == "booked"
