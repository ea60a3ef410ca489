"""How a run's processes ask glibc's malloc to keep the memory of a hub's large answers.

A hub's 14-day answer is 17 MB. Receiving it makes new buffers that size (the joined bytes, the decoded text),
and the bundled provider joins one for each new answer: some 540 MB over a hub run. glibc serves each block
that large with a mapping of its own and returns it when freed, so every such buffer's pages are faulted in and
zeroed again: half the time a 17 MB answer took to receive (70 to 35 ms on this project's machines). With the
mmap threshold at its maximum (32 MB) and freed memory kept up to the trim threshold (256 MB), the next buffer
reuses the last one's pages. The pytest processes set it for themselves (mallopt), and the bundled provider is
started with glibc's environment variables for the same. Elsewhere (not glibc) nothing changes.
"""

from __future__ import annotations

import ctypes
import sys

MMAP_THRESHOLD = 32 * 1024 * 1024  # glibc's largest on 64-bit: blocks up to this come from the heap
TRIM_THRESHOLD = 256 * 1024 * 1024  # free memory kept at the heap's top before any is returned
M_TRIM_THRESHOLD, M_MMAP_THRESHOLD = -1, -3  # mallopt's parameters (malloc.h)
CHILD_ENV = {"MALLOC_MMAP_THRESHOLD_": str(MMAP_THRESHOLD), "MALLOC_TRIM_THRESHOLD_": str(TRIM_THRESHOLD)}


def _libc():
    return ctypes.CDLL(None)


def keep_large_buffers() -> bool:
    """Set this process's thresholds; whether the C library took them (glibc on Linux only)."""
    if not sys.platform.startswith("linux"):
        return False
    try:
        mallopt = _libc().mallopt
    except (OSError, AttributeError):
        return False
    return bool(mallopt(M_MMAP_THRESHOLD, MMAP_THRESHOLD)) and bool(mallopt(M_TRIM_THRESHOLD, TRIM_THRESHOLD))


def child_env(base: dict[str, str]) -> dict[str, str]:
    """The environment for a child process that should keep its large buffers too (`base` wins where it sets one)."""
    return {**CHILD_ENV, **base} if sys.platform.startswith("linux") else dict(base)
