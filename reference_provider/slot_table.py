"""The slot table as the store last read it, in (start, schedule) order, kept in step with SQLite by its change log.

A hub's 14-day search selects some 30,000 slots, and each booking or cancellation changes two or three of them.
Reading all 30,000 rows again after every write cost 40-90 ms a search. Here the table is read once; a write
logs the ids of the slots it touched (the triggers below, whatever statement made the change, committed or
not rolled back), and the next selection reads only those rows again. An unchanged slot keeps its very row
object, which slot_search keys its serialised JSON by. SQLite stays the state: this is a read of it.
"""

from __future__ import annotations

import sqlite3
from bisect import bisect_left, bisect_right
from itertools import compress, repeat
from operator import and_, eq, gt, is_not, le

CHANGE_LOG = """
CREATE TABLE IF NOT EXISTS slot_change (seq INTEGER PRIMARY KEY AUTOINCREMENT, slot_id INTEGER NOT NULL);
CREATE TRIGGER IF NOT EXISTS slot_updated AFTER UPDATE ON slot
    BEGIN INSERT INTO slot_change (slot_id) VALUES (old.id); INSERT INTO slot_change (slot_id) VALUES (new.id); END;
CREATE TRIGGER IF NOT EXISTS slot_inserted AFTER INSERT ON slot
    BEGIN INSERT INTO slot_change (slot_id) VALUES (new.id); END;
CREATE TRIGGER IF NOT EXISTS slot_deleted AFTER DELETE ON slot
    BEGIN INSERT INTO slot_change (slot_id) VALUES (old.id); END;
"""
IN_ORDER = "SELECT * FROM slot ORDER BY start_utc, schedule_id, id"
MAX_CHANGED = 500  # more changed slots than this since the last read: the table is read whole again


class SlotTable:
    """Every slot row, ordered as a search returns them, with what a selection filters on beside each."""

    def __init__(self) -> None:
        self.rows: list[sqlite3.Row] = []
        self._starts: list[str] = []
        self._ends: list[str] = []
        self._states: list[str | None] = []  # the slot's status when bookable, else None
        self._at: dict[int, int] = {}  # slot id -> position
        self._seen = -1  # the last change applied; -1: never read

    def catch_up(self, conn: sqlite3.Connection) -> bool:
        """Apply the changes logged since the last read; whether anything changed."""
        last = conn.execute("SELECT COALESCE(MAX(seq), 0) FROM slot_change").fetchone()[0]
        if last == self._seen:
            return False
        if self._seen < 0 or last - self._seen > MAX_CHANGED:
            self._load(conn.execute(IN_ORDER).fetchall())
        else:
            ids = sorted({i for (i,) in conn.execute("SELECT slot_id FROM slot_change WHERE seq > ? AND seq <= ?",
                                                     (self._seen, last))})
            marks = ",".join("?" * len(ids))
            if not self._replace(conn.execute(f"SELECT * FROM slot WHERE id IN ({marks})", ids).fetchall(), ids):
                self._load(conn.execute(IN_ORDER).fetchall())
        self._seen = last
        return True

    def _load(self, rows: list[sqlite3.Row]) -> None:
        self.rows = rows
        self._starts = [r["start_utc"] for r in rows]
        self._ends = [r["end_utc"] for r in rows]
        self._states = [r["status"] if r["bookable"] else None for r in rows]
        self._at = {r["id"]: i for i, r in enumerate(rows)}

    def _replace(self, rows: list[sqlite3.Row], ids: list[int]) -> bool:
        """Each changed row in its place; False when one was added, removed or moved (the table is read again)."""
        if len(rows) != len(ids):
            return False
        for row in rows:
            i = self._at.get(row["id"])
            if i is None or (self.rows[i]["start_utc"], self.rows[i]["schedule_id"]) != (row["start_utc"],
                                                                                        row["schedule_id"]):
                return False
        for row in rows:
            i = self._at[row["id"]]
            self.rows[i], self._ends[i] = row, row["end_utc"]
            self._states[i] = row["status"] if row["bookable"] else None
        return True

    def select(self, start: str, end: str, overlapping: bool, status: str | None) -> tuple[sqlite3.Row, ...]:
        """The bookable slots lying inside [start, end] (or overlapping it), of `status` if given, in order."""
        if overlapping:
            lo, hi, ends_after, ends_by = 0, bisect_left(self._starts, end), start, None
        else:
            lo, hi, ends_after, ends_by = bisect_left(self._starts, start), bisect_right(self._starts, end), None, end
        # Mapped, not looped: a hub's 14-day selection is 30,000 rows, made again after every booking.
        states, ends = self._states[lo:hi], self._ends[lo:hi]
        flags = map(is_not, states, repeat(None)) if status is None else map(eq, states, repeat(status))
        flags = map(and_, flags, map(le, ends, repeat(ends_by)) if ends_by is not None else
                    map(gt, ends, repeat(ends_after)))
        return tuple(compress(self.rows[lo:hi], flags))
