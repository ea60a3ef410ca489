"""The clean-up ledger: every booking the harness attempts is written down before it is sent.

An append-only JSON-lines file, locked for each write, so several workers and later runs can
share it. Entries: `attempt` (before the request: marker, patient, slots), `booked` (the
appointment id and version from the response), `closed` (cancelled, or found already cancelled).
Clean-up cancels every appointment an open attempt made, found by id or, when the response was
lost, by the attempt's unique marker in Appointment.description. Nothing without the marker is
ever touched.
"""

from __future__ import annotations

import hashlib
import json
import os
import socket
import time
import uuid
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Iterator

from harness.locks import holding
from harness.settings import reports_dir, work_root

MARKER_PREFIX = "GPC-ASSURE"


def state_dir() -> Path:
    raw = os.environ.get("GPC_STATE_DIR", "").strip()
    return Path(raw).resolve() if raw else work_root() / ".state"


def provider_digest(base_url: str) -> str:
    """A provider service root as a file-name part: one ledger (and one claims file) per service root."""
    return hashlib.sha256(base_url.encode()).hexdigest()[:16]


def ledger_path(base_url: str, directory: Path | None = None) -> Path:
    """One ledger per provider service root."""
    return (directory or state_dir()) / f"ledger-{provider_digest(base_url)}.jsonl"


def ledger_dir(settings) -> Path:
    """Where a run's ledgers and its parallel workers' claims are kept: beside the reports for the bundled
    provider (its bookings end with it), else in the state folder that outlives runs."""
    return reports_dir() / "ledger" if settings.uses_reference_provider else state_dir()


def new_marker() -> str:
    return f"{MARKER_PREFIX}-{uuid.uuid4().hex[:16]}"


@dataclass
class Attempt:
    marker: str
    patient_id: str
    slots: list[str]
    days: list[str]
    pid: int | None = None
    host: str = ""
    appointment_id: str | None = None
    closed: bool = False


class Ledger:
    def __init__(self, path: Path, base_url: str):
        self.path, self.base_url = path, base_url
        path.parent.mkdir(parents=True, exist_ok=True)
        path.touch(exist_ok=True)

    @contextmanager
    def locked(self) -> Iterator[None]:
        """Hold the ledger's lock: clean-up of the same entries never runs twice at once."""
        with open(self.path.with_suffix(".lock"), "a") as lock, holding(lock):
            yield

    def _append(self, record: dict) -> None:
        record = {"time": time.time(), "base_url": self.base_url, "pid": os.getpid(), "host": socket.gethostname(),
                  **record}
        line = json.dumps(record) + "\n"
        with open(self.path, "a", encoding="utf-8") as fh, holding(fh):
            fh.write(line)
            fh.flush()
            os.fsync(fh.fileno())

    def attempt(self, marker: str, patient_id: str, slots: list[str], days: list[str]) -> None:
        self._append({"event": "attempt", "marker": marker, "patient_id": patient_id, "slots": slots, "days": days})

    def booked(self, marker: str, appointment_id: str) -> None:
        self._append({"event": "booked", "marker": marker, "appointment_id": appointment_id})

    def closed(self, marker: str, how: str) -> None:
        self._append({"event": "closed", "marker": marker, "how": how})

    def attempts(self) -> dict[str, Attempt]:
        found: dict[str, Attempt] = {}
        with open(self.path, encoding="utf-8") as fh:
            for line in fh:
                try:
                    rec = json.loads(line)
                except ValueError:
                    continue  # a line cut short by a killed run
                marker = rec.get("marker")
                if rec.get("event") == "attempt":
                    found[marker] = Attempt(marker, rec["patient_id"], rec.get("slots", []), rec.get("days", []),
                                            rec.get("pid"), rec.get("host", ""))
                elif marker in found and rec.get("event") == "booked":
                    found[marker].appointment_id = rec.get("appointment_id")
                elif marker in found and rec.get("event") == "closed":
                    found[marker].closed = True
        return found

    def remove(self) -> None:
        self.path.unlink(missing_ok=True)
        self.path.with_suffix(".lock").unlink(missing_ok=True)
        try:
            self.path.parent.rmdir()
        except OSError:
            pass  # other ledgers remain

    def open_attempts(self) -> list[Attempt]:
        return [a for a in self.attempts().values() if not a.closed]
