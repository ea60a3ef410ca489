"""A run's processes keep the memory of large answers for the next (harness/malloc_policy.py)."""

import ctypes
import sys

import pytest

from harness import malloc_policy

MB = 1024 * 1024


class _MallInfo2(ctypes.Structure):
    _fields_ = [(name, ctypes.c_size_t) for name in
                "arena ordblks smblks hblks hblkhd usmblks fsmblks uordblks fordblks keepcost".split()]


def _free_kept() -> int:
    """The bytes malloc holds free (glibc's mallinfo2)."""
    libc = ctypes.CDLL(None)
    libc.mallinfo2.restype = _MallInfo2
    return libc.mallinfo2().fordblks


def _glibc() -> bool:
    try:
        return sys.platform.startswith("linux") and hasattr(ctypes.CDLL(None), "mallinfo2")
    except OSError:
        return False


@pytest.mark.skipif(not _glibc(), reason="glibc's malloc only (elsewhere the policy changes nothing)")
def test_this_pytest_process_keeps_the_memory_of_large_buffers_it_freed():
    # Four 30 MB buffers freed together: past glibc's own trim threshold (at most 64 MB), not past the run's.
    buffers = [bytes(30 * MB) for _ in range(4)]
    del buffers
    assert _free_kept() >= 120 * MB, "freed large buffers were returned to the system"


def test_the_thresholds_are_set_with_mallopt_and_reported_as_taken(monkeypatch):
    calls = []

    class Libc:
        def mallopt(self, param, value):
            calls.append((param, value))
            return 1

    monkeypatch.setattr(malloc_policy, "_libc", Libc)
    monkeypatch.setattr(malloc_policy.sys, "platform", "linux")
    assert malloc_policy.keep_large_buffers()
    assert calls == [(-3, 32 * MB), (-1, 256 * MB)]
    monkeypatch.setattr(Libc, "mallopt", lambda self, param, value: 0)  # a C library that ignores it (musl)
    assert not malloc_policy.keep_large_buffers()
    monkeypatch.setattr(malloc_policy.sys, "platform", "win32")
    calls.clear()
    assert not malloc_policy.keep_large_buffers() and calls == []
    assert malloc_policy.child_env({"A": "1"}) == {"A": "1"}


def test_a_child_gets_the_same_thresholds_unless_its_environment_sets_them(monkeypatch):
    monkeypatch.setattr(malloc_policy.sys, "platform", "linux")
    env = malloc_policy.child_env({"A": "1", "MALLOC_TRIM_THRESHOLD_": "0"})
    assert env == {"A": "1", "MALLOC_TRIM_THRESHOLD_": "0", "MALLOC_MMAP_THRESHOLD_": str(32 * MB)}
