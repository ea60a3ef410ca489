"""File locks between processes, on every platform the harness runs on: the ledger of bookings, the
parallel workers' slot claims and the reports folder of a run.

POSIX: flock(2), shared or exclusive. Windows: msvcrt.locking of the file's first byte, always exclusive (a
shared request waits for the only kind it has); a lock there is mandatory, so a file locked by another
process cannot be read until it is released.
"""

from __future__ import annotations

import os
import sys
import time
from contextlib import contextmanager
from typing import IO, Iterator

WINDOWS = sys.platform == "win32"
RETRY_S = 0.05


@contextmanager
def holding(fh: IO, exclusive: bool = True, wait: bool = True) -> Iterator[None]:
    """Hold a lock on the open file `fh` for the block. With `wait` False, BlockingIOError at once when
    another process holds it."""
    if WINDOWS:
        with _windows(fh, wait):
            yield
        return
    import fcntl

    kind = fcntl.LOCK_EX if exclusive else fcntl.LOCK_SH
    fcntl.flock(fh, kind if wait else kind | fcntl.LOCK_NB)
    try:
        yield
    finally:
        fcntl.flock(fh, fcntl.LOCK_UN)


@contextmanager
def _windows(fh: IO, wait: bool) -> Iterator[None]:
    import msvcrt

    def at_start(mode: int) -> None:
        position = fh.tell()
        fh.seek(0)
        try:
            msvcrt.locking(fh.fileno(), mode, 1)
        finally:
            fh.seek(position)

    while True:
        try:
            at_start(msvcrt.LK_NBLCK)
            break
        except OSError:
            if not wait:
                raise BlockingIOError(f"{getattr(fh, 'name', 'file')} is locked by another process") from None
            time.sleep(RETRY_S)
    try:
        yield
    finally:
        if fh.writable():
            fh.flush()
            os.fsync(fh.fileno())
        at_start(msvcrt.LK_UNLCK)
