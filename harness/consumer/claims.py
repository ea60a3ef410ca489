"""The slots a run's parallel workers have taken for their scenarios.

Workers prefer whole days of their own (discovery.worker_days), but share days when a practice has
slots on fewer days than there are workers, or when a worker's days lack what a scenario needs. A
worker then chooses only slots no other worker of the run has taken, and takes what it chose, so
that no two book the same slot, nor book one another has freed and is still watching.

One JSON-lines file per run and provider service root, locked for each read-and-take; the run's
controller removes it when the run ends (`remove_run`).
"""

from __future__ import annotations

import json
import os
from pathlib import Path

from harness.consumer.ledger import provider_digest
from harness.locks import holding


class Claims:
    def __init__(self, directory: Path, run: str, base_url: str):
        self.path = directory / f"claims-{run}-{provider_digest(base_url)}.jsonl"

    def held(self) -> set[str]:
        """The slots other workers of the run have taken."""
        try:
            with open(self.path, encoding="utf-8") as fh, holding(fh, exclusive=False):
                return self._others(fh)
        except FileNotFoundError:
            return set()

    def take(self, slot_ids: list[str]) -> set[str]:
        """Take `slot_ids` for this worker, unless another worker holds some of them: then nothing is
        taken and those are returned."""
        self.path.parent.mkdir(parents=True, exist_ok=True)
        with open(self.path, "a+", encoding="utf-8") as fh, holding(fh):
            fh.seek(0)
            held = self._others(fh) & set(slot_ids)
            if not held:
                fh.write(json.dumps({"pid": os.getpid(), "slots": slot_ids}) + "\n")
        return held

    @staticmethod
    def _others(fh) -> set[str]:
        held: set[str] = set()
        for line in fh:
            try:
                record = json.loads(line)
            except ValueError:
                continue  # a line cut short by a killed worker
            if record.get("pid") != os.getpid():
                held.update(record.get("slots", []))
        return held

    @staticmethod
    def remove_run(directory: Path, run: str) -> None:
        for path in directory.glob(f"claims-{run}-*.jsonl"):
            path.unlink(missing_ok=True)
        try:
            directory.rmdir()
        except OSError:
            pass  # ledgers remain, or it was never made
