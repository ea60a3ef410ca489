"""harness/locks.py: one process's lock keeps another out, on POSIX (flock, for real here) and on Windows
(msvcrt, its branch run against a stand-in that keeps locks as Windows does: per file, exclusive)."""

import sys
import types

import pytest

from harness import locks


def test_an_exclusive_lock_keeps_another_holder_out_until_released(tmp_path):
    path = tmp_path / "ledger.jsonl"
    path.touch()
    with open(path, "a") as first, open(path, "a") as second:
        with locks.holding(first):
            with pytest.raises(BlockingIOError):
                with locks.holding(second, wait=False):
                    pass
        with locks.holding(second, wait=False):
            pass


@pytest.mark.skipif(sys.platform == "win32", reason="Windows has no shared lock (its branch is the stand-in's test)")
def test_shared_locks_admit_each_other_but_not_an_exclusive_one(tmp_path):
    path = tmp_path / "claims.jsonl"
    path.write_text("")
    with open(path) as a, open(path) as b, open(path, "a") as writer:
        with locks.holding(a, exclusive=False), locks.holding(b, exclusive=False, wait=False):
            with pytest.raises(BlockingIOError):
                with locks.holding(writer, wait=False):
                    pass


class FakeMsvcrt(types.ModuleType):
    """msvcrt.locking as Windows keeps it: the first byte of a file locked by one handle at a time."""

    LK_LOCK, LK_NBLCK, LK_UNLCK = 1, 2, 0

    def __init__(self):
        super().__init__("msvcrt")
        self.held: dict[str, int] = {}
        self.names: dict[int, str] = {}
        self.offsets: list[int] = []

    def locking(self, fd: int, mode: int, nbytes: int) -> None:
        assert nbytes == 1
        self.offsets.append(self.positions[fd]())
        name = self.names[fd]
        if mode == self.LK_UNLCK:
            assert self.held.pop(name) == fd
        elif self.held.get(name, fd) != fd:
            raise OSError(36, "Resource deadlock avoided")
        else:
            self.held[name] = fd


@pytest.fixture
def windows(monkeypatch):
    fake = FakeMsvcrt()
    monkeypatch.setitem(sys.modules, "msvcrt", fake)
    monkeypatch.setattr(locks, "WINDOWS", True)
    monkeypatch.setattr(locks, "RETRY_S", 0.001)
    fake.positions = {}

    def opened(path, mode):
        fh = open(path, mode)
        fake.names[fh.fileno()] = str(path)
        fake.positions[fh.fileno()] = fh.tell
        return fh

    return fake, opened


def test_on_windows_the_first_byte_is_locked_at_the_start_and_the_position_kept(windows, tmp_path):
    fake, opened = windows
    path = tmp_path / "ledger.jsonl"
    path.write_text("one line\n")
    with opened(path, "a") as first, opened(path, "a") as second:
        before = first.tell()
        with locks.holding(first):
            assert first.tell() == before, "the write position is kept"
            first.write("another line\n")
            with pytest.raises(BlockingIOError):
                with locks.holding(second, wait=False):
                    pass
        assert fake.held == {}
        with locks.holding(second, exclusive=False):  # a shared lock is an exclusive one there
            assert fake.held == {str(path): second.fileno()}
    assert set(fake.offsets) == {0}, "always the file's first byte"
    assert path.read_text() == "one line\nanother line\n"
