"""The reference provider's state in SQLite: slots, schedules and appointments.

One connection per serving thread, opened on its first call and kept, so threads never share one.
Writes that must be atomic (booking several slots) run inside BEGIN IMMEDIATE.
"""

from __future__ import annotations

import sqlite3
import threading
from contextlib import contextmanager
from datetime import date, datetime, timezone
from functools import lru_cache
from pathlib import Path
from typing import Iterator

from . import practice
from .slot_table import CHANGE_LOG, SlotTable

SCHEMA = """
CREATE TABLE IF NOT EXISTS schedule (
    id TEXT PRIMARY KEY, location_id TEXT NOT NULL, practitioner_id TEXT,
    role_code TEXT NOT NULL, schedule_type TEXT, horizon_start TEXT NOT NULL, horizon_end TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS slot (
    id INTEGER PRIMARY KEY, schedule_id TEXT NOT NULL REFERENCES schedule(id),
    start TEXT NOT NULL, end TEXT NOT NULL, start_utc TEXT NOT NULL, end_utc TEXT NOT NULL,
    status TEXT NOT NULL, slot_type TEXT NOT NULL, channel TEXT NOT NULL,
    bookable INTEGER NOT NULL, org_codes TEXT NOT NULL, org_types TEXT NOT NULL, version INTEGER NOT NULL DEFAULT 1
);
CREATE INDEX IF NOT EXISTS slot_start ON slot(start_utc, schedule_id);
CREATE TABLE IF NOT EXISTS appointment (
    id INTEGER PRIMARY KEY, patient_id TEXT NOT NULL, version INTEGER NOT NULL,
    status TEXT NOT NULL, start_utc TEXT NOT NULL, body TEXT NOT NULL, last_modified TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS appointment_slot (
    appointment_id INTEGER NOT NULL REFERENCES appointment(id), slot_id INTEGER NOT NULL REFERENCES slot(id)
);
"""


MAX_SELECTED = 16


@lru_cache(maxsize=8192)  # a practice's schedules share their slot times: a hub's 31,000 slots start at 1,900
def utc_text(value: datetime) -> str:
    """Sortable UTC text, so SQLite compares instants correctly across GMT and BST."""
    return value.astimezone(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


@lru_cache(maxsize=8192)
def local_text(value: datetime) -> str:
    return value.astimezone(practice.UK).isoformat(timespec="seconds")


class Store:
    """SQLite-backed state of one reference practice."""

    def __init__(self, path: Path):
        self.path = path
        self._local = threading.local()  # one connection per serving thread, opened once
        self._opened: list[sqlite3.Connection] = []  # every thread's, closed together by close()
        # Slots selected since the slot table last changed, by query: the searches of one window with different
        # searchFilters, includes or formats select the same rows.
        self._table = SlotTable()
        self._selected: dict[tuple, tuple[sqlite3.Row, ...]] = {}
        self._lock = threading.Lock()
        self._table_lock = threading.Lock()

    @contextmanager
    def connect(self, write: bool = False) -> Iterator[sqlite3.Connection]:
        conn = getattr(self._local, "conn", None)
        if conn is None:
            # Used only by the thread that opened it; check_same_thread off so that close() may close it.
            conn = self._local.conn = sqlite3.connect(self.path, timeout=30, isolation_level=None,
                                                      check_same_thread=False)
            conn.row_factory = sqlite3.Row
            with self._lock:
                self._opened.append(conn)
        if not write:
            yield conn
            return
        conn.execute("BEGIN IMMEDIATE")
        try:
            yield conn
        except BaseException:
            conn.execute("ROLLBACK")
            raise
        conn.execute("COMMIT")

    def close(self) -> None:
        """Close every thread's connection (the store is not used afterwards)."""
        with self._lock:
            opened, self._opened = self._opened, []
        for conn in opened:
            conn.close()
        self._local = threading.local()

    def initialise(self, today: date) -> None:
        with self.connect() as conn:
            conn.execute("PRAGMA journal_mode=WAL")
            conn.executescript(SCHEMA + CHANGE_LOG)
        rows = practice.generate_slots(today)
        by_schedule: dict[str, list] = {}
        for r in rows:
            by_schedule.setdefault(r.schedule_id, []).append(r)
        with self.connect(write=True) as conn:
            for schedule in practice.SCHEDULES:
                mine = by_schedule[schedule.id]
                conn.execute(
                    "INSERT INTO schedule VALUES (?,?,?,?,?,?,?)",
                    (schedule.id, schedule.location_id, schedule.practitioner_id, schedule.role_code,
                     schedule.schedule_type, local_text(mine[0].start), local_text(mine[-1].end)),
                )
            conn.executemany(
                "INSERT INTO slot (schedule_id,start,end,start_utc,end_utc,status,slot_type,channel,bookable,"
                "org_codes,org_types) VALUES (?,?,?,?,?,?,?,?,?,?,?)",
                [(r.schedule_id, local_text(r.start), local_text(r.end), utc_text(r.start), utc_text(r.end),
                  r.status, r.slot_type, r.channel, int(r.bookable), r.org_codes, r.org_types) for r in rows],
            )

    def schedules(self) -> dict[str, sqlite3.Row]:
        with self.connect() as conn:
            return {row["id"]: row for row in conn.execute("SELECT * FROM schedule")}

    def slots_between(self, start: datetime, end: datetime, *, overlapping: bool = False,
                      status: str | None = None) -> list[sqlite3.Row]:
        """GP Connect bookable slots lying fully inside [start, end] (or overlapping it), of any status or
        of `status`."""
        return list(self.selected_slots(start, end, overlapping=overlapping, status=status))

    def selected_slots(self, start: datetime, end: datetime, *, overlapping: bool = False,
                       status: str | None = None) -> tuple[sqlite3.Row, ...]:
        """slots_between, as the very tuple the store keeps until the slot table next changes (a write that
        touches no slot keeps it): the same object for the same selection, which search_text keys what it works
        out from the rows by."""
        key = (utc_text(start), utc_text(end), overlapping, status)
        with self._table_lock, self.connect() as conn:
            if conn.in_transaction:  # a write under way sees its changes, which may yet be rolled back: not kept
                table = SlotTable()
                table.catch_up(conn)
                return table.select(*key)
            self._catch_up(conn)
            hit = self._selected.get(key)
            if hit is None:
                while len(self._selected) >= MAX_SELECTED:
                    self._selected.pop(next(iter(self._selected)))
                hit = self._selected[key] = self._table.select(*key)
        return hit

    def slot_rows(self) -> list[sqlite3.Row]:
        """Every slot row as the store holds it now, in search order."""
        with self._table_lock, self.connect() as conn:
            self._catch_up(conn)
            return list(self._table.rows)

    def _catch_up(self, conn: sqlite3.Connection) -> None:
        """The slot table brought up to date (under _table_lock), and the selections made before any change it
        applied forgotten: whoever catches up first, no stale selection is given again."""
        if self._table.catch_up(conn):
            self._selected.clear()
