"""Cancelling every appointment the harness made, and nothing else.

An appointment is cancelled only when its description carries the marker of an open ledger
attempt. Attempts whose response was lost are found by that marker in the patient's
appointments on the attempt's days.
"""

from __future__ import annotations

import os
import socket
from dataclasses import dataclass, field
from typing import Callable

from harness import clock
from harness.checks import appointments as appt_checks
from harness.consumer import appointments as appts
from harness.consumer.ledger import Attempt, Ledger
from harness.errors import HarnessError, Nonconformance
from harness.transport.client import GpConnectClient

REASON = "Cancelled by the GP Connect assurance harness clean-up"
HOST = socket.gethostname()


@dataclass
class CleanupReport:
    cancelled: list[str] = field(default_factory=list)
    already_closed: int = 0
    problems: list[str] = field(default_factory=list)

    def line(self) -> str:
        text = f"clean-up: {len(self.cancelled)} cancelled, {self.already_closed} needed nothing"
        if self.problems:
            text += f", {len(self.problems)} could not be cleaned: " + "; ".join(self.problems[:3])
        return text


def _alive_elsewhere(attempt_pid: int | None) -> bool:
    if not attempt_pid or attempt_pid == os.getpid():
        return False
    try:
        os.kill(attempt_pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def _ours(appointment: dict, attempt: Attempt) -> bool:
    return attempt.marker in (appointment.get("description") or "")


def _cancel_if_needed(client: GpConnectClient, appointment: dict, etag: str, report: CleanupReport) -> bool:
    if appointment.get("status") == "cancelled":
        report.already_closed += 1
        return True
    ex = appts.cancel(client, appointment, etag or f'W/"{appt_checks.version_of(appointment)}"', REASON)
    if ex.status == 200:
        report.cancelled.append(str(appointment.get("id")))
        return True
    report.problems.append(f"cancelling Appointment {appointment.get('id')} gave HTTP {ex.status}")
    return False


def _by_id(client: GpConnectClient, attempt: Attempt, report: CleanupReport) -> bool:
    ex = appts.read(client, attempt.appointment_id)
    if ex.status == 404:
        report.already_closed += 1
        return True
    if ex.status != 200:
        report.problems.append(f"reading Appointment {attempt.appointment_id} gave HTTP {ex.status}")
        return False
    appointment = ex.json()
    if not _ours(appointment, attempt):
        report.problems.append(f"Appointment {attempt.appointment_id} does not carry marker {attempt.marker}: "
                               "left alone")
        return True
    return _cancel_if_needed(client, appointment, appt_checks.etag_of(ex), report)


def _by_marker(client: GpConnectClient, attempts: list[Attempt], report: CleanupReport) -> set[str]:
    """Sweep each patient's appointments on the attempts' days for their markers; return closed markers."""
    closed: set[str] = set()
    today = clock.today().isoformat()
    by_patient: dict[str, list[Attempt]] = {}
    for attempt in attempts:
        by_patient.setdefault(attempt.patient_id, []).append(attempt)
    for patient_id, mine in by_patient.items():
        days = sorted({d for a in mine for d in a.days if d >= today})
        if not days:
            closed.update(a.marker for a in mine)  # past appointments cannot be cancelled any more
            continue
        ex = appts.retrieve(client, patient_id, days[0], days[-1])
        try:
            found = appts.retrieved_appointments(ex)
        except Nonconformance as exc:
            report.problems.append(f"retrieving Patient/{patient_id} appointments failed: {exc}")
            continue
        for attempt in mine:
            matches = [a for a in found if _ours(a, attempt)]
            done = True
            for appointment in matches:
                etag = f'W/"{appt_checks.version_of(appointment)}"'
                done = _cancel_if_needed(client, appointment, etag, report) and done
            if not matches:
                report.already_closed += 1
            if done:
                closed.add(attempt.marker)
    return closed


def clean_up(client: GpConnectClient, ledger: Ledger,
             keep: Callable[[Attempt], bool] = lambda a: False) -> CleanupReport:
    """Cancel what open attempts made (except those `keep` names, and those of live runs), and close them."""
    report = CleanupReport()
    with ledger.locked():
        todo = [a for a in ledger.open_attempts()
                if not keep(a) and not (a.host == HOST and _alive_elsewhere(a.pid))]
        try:
            for attempt in [a for a in todo if a.appointment_id]:
                if _by_id(client, attempt, report):
                    ledger.closed(attempt.marker, "by id")
            for marker in _by_marker(client, [a for a in todo if not a.appointment_id], report):
                ledger.closed(marker, "by marker")
        except HarnessError as exc:
            report.problems.append(str(exc))
    return report

